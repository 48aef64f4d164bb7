// `radbridge parse [--json | --path EXPR] FILE|- [FILE...]`
//
// Reads each file (or standard input for `-`); a file that starts with FHS or
// BHS is a batch. Without options it prints one summary line per message
// (type, version, control id, sender, segment count, charset: identifiers
// only, never patient data). `--path EXPR` prints that value of every message,
// unescaped UTF-8, one line each (an absent value is an empty line, the HL7
// null is printed as `""`). `--json` prints the message's JSON tree
// (json_tree.hpp), or an array of them for a batch file.
// A file that is not valid HL7 prints `radbridge: FILE: CODE at LOCATOR (byte N)`
// on `err` and makes the exit code 1; the other files are still processed.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_parse(std::span<const std::string_view> args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
