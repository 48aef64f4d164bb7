// `radbridge infer --model ID (--dir DIR [--study UID | --accession ACC] |
//                  --dicomweb URL (--study UID | --accession ACC)) [options]`
//
// Fetches one study (from a folder, or from a PACS over DICOMweb), chooses
// the thinnest series of the model's modality, decodes it and runs the model
// from the registry (default `models/registry.json` under the current
// folder; `--registry FILE`). A folder given without a key must hold exactly
// one study. Prints the findings with the model's identity and the time of
// each step, or with `--json` one object (infer/inference_result.hpp).
// DICOMweb options: `--user U --password P` (basic) or `--token T` (bearer),
// the secret also as `--password-file F` or `--token-file F` (a secret file,
// core/secret_file.hpp, kept out of `ps`), `--ca FILE` for https, `--timeout-ms MS` per request. `--threads N` sets
// libtorch's intra-op threads. Errors (unknown model, model file that fails
// its sha256, study not found, no matching series, undecodable or
// inconsistent series, a series the model does not accept) are one line on
// `err`, exit 1; usage errors exit 2.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_infer(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
