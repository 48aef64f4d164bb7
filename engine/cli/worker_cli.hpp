// The `radbridge-worker` command line: the commands that read studies or run
// models, and so load DCMTK and libtorch (which `radbridge` never does):
//   jobs     the job worker process `serve` starts (worker_command.hpp);
//   infer    `radbridge infer` (infer_command.hpp);
//   preview  `radbridge preview` (preview_command.hpp).
// `radbridge infer ...` and `radbridge preview ...` run this program with the
// same arguments, so users never call it by name. Exit codes as cli.hpp.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_worker(std::span<const std::string_view> args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
