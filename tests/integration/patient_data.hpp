// Patient data the engine must never write where it does not belong, for the
// pipeline test's last check of each flow (issue 15, "PHI and secrets").
//
// `hl7_identifiers` reads a file of HL7 v2 messages (one or many, batches,
// any delimiters, CR or LF) tolerantly, without our parser: patient names
// (PID-5 and MRG-7 components of 3 or more characters), identifiers (PID-2,
// PID-3, PID-4 and MRG-1 first components; PID-18 account), dates of birth
// (PID-7, as YYYYMMDD and YYYY-MM-DD) and accession numbers (ORC-3, OBR-3
// first components, OBR-18). `study_identifiers` reads the DICOM headers of
// every study under a folder (PatientName components, PatientID,
// AccessionNumber, PatientBirthDate). Values shorter than 3 characters (a
// middle initial) are left out: they would match anywhere.
//
// `find_patient_data` looks for each value in each line, case-sensitively
// (an all-digit value only where no digit touches it: not inside a numeric
// UID), and names where it was found and what kind of value it was (where it came
// from), never the value itself.
#pragma once

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/series_headers.hpp"
#include "support.hpp"

namespace radbridge::test {

struct patient_datum {
  std::string kind;    // "patient name (PID-5)", "date of birth (PatientBirthDate)", ...
  std::string source;  // "samples/hl7/adt_a01_admit_stroke_unit.hl7", "study-002", "a message the engine received"
  std::string value;

  bool operator<(const patient_datum& o) const { return value < o.value; }  // one entry per value
};

namespace patient_data_detail {

inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

inline std::string_view piece(const std::vector<std::string_view>& v, std::size_t i) {
  return i < v.size() ? v[i] : std::string_view{};
}

// One message's delimiters, from its MSH segment.
struct delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
};

// The delimiter escapes (\F\ \S\ \T\ \R\ \E\) undone; other escapes (hex, highlighting) dropped.
inline std::string unescape(std::string_view s, const delimiters& d) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != d.escape) {
      out += s[i];
      continue;
    }
    const std::size_t end = s.find(d.escape, i + 1);
    if (end == std::string_view::npos) break;
    const std::string_view code = s.substr(i + 1, end - i - 1);
    if (code == "F") out += d.field;
    if (code == "S") out += d.component;
    if (code == "T") out += '&';
    if (code == "R") out += d.repetition;
    if (code == "E") out += d.escape;
    i = end;
  }
  return out;
}

}  // namespace patient_data_detail

// Adds `value` (at least 3 characters) to `out`.
inline void add_patient_datum(std::set<patient_datum>& out, std::string kind, std::string source, std::string value) {
  const auto first = value.find_first_not_of(' ');
  if (first == std::string::npos) return;
  value = value.substr(first, value.find_last_not_of(' ') - first + 1);
  if (value.size() < 3 || value == "\"\"") return;
  out.insert({std::move(kind), std::move(source), std::move(value)});
}

inline void hl7_identifiers(std::string_view text, const std::string& source, std::set<patient_datum>& out) {
  using namespace patient_data_detail;
  std::string normalized(text);
  std::replace(normalized.begin(), normalized.end(), '\n', '\r');
  delimiters d;
  for (const std::string_view segment : split(normalized, '\r')) {
    if (segment.size() < 3) continue;
    const std::string_view name = segment.substr(0, 3);
    if (name == "MSH" && segment.size() >= 8) {
      d = {segment[3], segment[4], segment[5], segment[6]};
      continue;
    }
    if (name != "PID" && name != "MRG" && name != "ORC" && name != "OBR") continue;
    const std::vector<std::string_view> fields = split(segment, d.field);
    // Each repetition's first component (the identifier of a CX, EI or the whole of an ST).
    const auto firsts = [&](std::size_t field, const std::string& kind) {
      for (const std::string_view rep : split(piece(fields, field), d.repetition)) {
        add_patient_datum(out, kind, source, unescape(split(rep, d.component)[0], d));
      }
    };
    const auto names = [&](std::size_t field, const std::string& kind) {
      for (const std::string_view rep : split(piece(fields, field), d.repetition)) {
        const auto components = split(rep, d.component);
        for (std::size_t c = 0; c < std::min<std::size_t>(components.size(), 3); ++c) {
          add_patient_datum(out, kind, source, unescape(components[c], d));
        }
      }
    };
    if (name == "PID") {
      firsts(2, "patient identifier (PID-2)");
      firsts(3, "patient identifier (PID-3)");
      firsts(4, "patient identifier (PID-4)");
      names(5, "patient name (PID-5)");
      const std::string birth = unescape(piece(fields, 7).substr(0, 8), d);
      if (birth.size() == 8) {
        add_patient_datum(out, "date of birth (PID-7)", source, birth);
        add_patient_datum(out, "date of birth (PID-7, ISO form)", source,
                          birth.substr(0, 4) + "-" + birth.substr(4, 2) + "-" + birth.substr(6, 2));
      }
      firsts(18, "patient account number (PID-18)");
    } else if (name == "MRG") {
      firsts(1, "prior patient identifier (MRG-1)");
      names(7, "prior patient name (MRG-7)");
    } else if (name == "ORC") {
      firsts(3, "accession number (ORC-3)");
    } else {
      firsts(3, "accession number (OBR-3)");
      firsts(18, "accession number (OBR-18)");
    }
  }
}

// Every file under samples/hl7 (the malformed ones too: what can be read of them).
inline void sample_identifiers(std::set<patient_datum>& out) {
  const std::filesystem::path root = source_dir() / "samples/hl7";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    hl7_identifiers(read_file(entry.path()), "samples/hl7/" + entry.path().lexically_relative(root).string(), out);
  }
}

// The first instance of each study folder directly under `root` (the generator's layout).
inline void study_identifiers(const std::filesystem::path& root, std::set<patient_datum>& out) {
  for (const auto& study : std::filesystem::directory_iterator(root)) {
    if (!study.is_directory()) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(study.path())) files.push_back(f.path());
    if (files.empty()) continue;
    const auto headers = fetch::read_series_headers({read_file(*std::min_element(files.begin(), files.end()))});
    const std::string source = study.path().filename().string();
    for (const std::string_view group : patient_data_detail::split(headers.patient_name, '=')) {
      for (const std::string_view component : patient_data_detail::split(group, '^')) {
        add_patient_datum(out, "patient name (PatientName)", source, std::string(component));
      }
    }
    add_patient_datum(out, "patient identifier (PatientID)", source, headers.patient_id);
    add_patient_datum(out, "accession number (AccessionNumber)", source, headers.accession);
    add_patient_datum(out, "date of birth (PatientBirthDate)", source, headers.patient_birth_date);
  }
}

// Whether `value` occurs in `text`; an all-digit value (a date) only where no digit
// touches it, so that it is not found inside a long numeric UID.
inline bool occurs(std::string_view text, std::string_view value) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const bool numeric = std::all_of(value.begin(), value.end(), digit);
  for (std::size_t at = text.find(value); at != std::string_view::npos; at = text.find(value, at + 1)) {
    if (!numeric) return true;
    const bool before = at > 0 && digit(text[at - 1]);
    const bool after = at + value.size() < text.size() && digit(text[at + value.size()]);
    if (!before && !after) return true;
  }
  return false;
}

// One problem per (line, value): "<where>: <kind> from <source>", in the order of `lines`.
// Each line is "<where>\t<text>"; only the text is searched.
inline std::vector<std::string> find_patient_data(const std::vector<std::string>& lines,
                                                  const std::set<patient_datum>& data) {
  std::vector<std::string> problems;
  for (const std::string& line : lines) {
    const std::size_t tab = line.find('\t');
    const std::string_view where = std::string_view(line).substr(0, tab);
    const std::string_view text = tab == std::string::npos ? std::string_view(line) : std::string_view(line).substr(tab + 1);
    for (const patient_datum& d : data) {
      if (occurs(text, d.value)) problems.push_back(std::string(where) + ": " + d.kind + " from " + d.source);
    }
  }
  return problems;
}

}  // namespace radbridge::test
