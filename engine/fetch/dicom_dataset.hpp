// DICOM datasets read with DCMTK, shared by the decoder, the series headers
// and the folder source
// (internal to engine/fetch: nothing outside this module includes it).
//
// `read_dataset` parses one Part 10 file (or a bare dataset, transfer syntax
// detected by DCMTK) from memory and throws fetch_error(undecodable) with
// DCMTK's reason when the bytes are not a DICOM instance or are cut short.
// `read_header` reads a file on disk, leaving its pixel data there, and
// returns nullptr instead of throwing, for scans that skip what is not DICOM.
// (Neither stops parsing at PixelData on purpose: DCMTK logs a warning each
// time it does.) The decompression codecs (JPEG, JPEG-LS, RLE) are registered once
// per process, thread-safely, before the first read. Helpers read attributes
// as trimmed text or numbers; a missing or empty attribute is an empty
// string or std::nullopt. `instance_label` names an instance by its
// InstanceNumber and the reference_of its SOPInstanceUID (fetch_error.hpp),
// never by the UID itself or patient data, for messages.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/series_headers.hpp"
#include "fetch/volume.hpp"

class DcmFileFormat;
class DcmItem;
class DcmTagKey;

namespace radbridge::fetch::detail {

// Registers the JPEG, JPEG-LS and RLE decoders and silences DCMTK's own
// logger (process-wide), once; thread-safe.
void register_dicom_codecs();

// `input_index` names the input in errors when nothing inside it can ("input 3").
std::unique_ptr<DcmFileFormat> read_dataset(std::string_view bytes, std::size_t input_index);

std::unique_ptr<DcmFileFormat> read_header(const std::filesystem::path& file) noexcept;

// A series' instances as read_dataset parsed them, in input order.
using parsed_instances = std::vector<std::unique_ptr<DcmFileFormat>>;

// read_series_headers (series_headers.hpp) on instances already parsed.
// Converts each dataset's text to UTF-8 in place.
series_headers series_headers_of(const parsed_instances& files);

std::string text(DcmItem& item, const DcmTagKey& tag, unsigned long index = 0);
std::optional<double> number(DcmItem& item, const DcmTagKey& tag, unsigned long index = 0);
std::optional<long> integer(DcmItem& item, const DcmTagKey& tag);
std::size_t value_count(DcmItem& item, const DcmTagKey& tag);

series_identity read_identity(DcmItem& item);
acquisition read_acquisition(DcmItem& item);

// "instance 12 (SOPInstanceUID sha256:6b86b273ff34)", or "input 4" when neither is present.
std::string instance_label(DcmItem& item, std::size_t input_index);

}  // namespace radbridge::fetch::detail
