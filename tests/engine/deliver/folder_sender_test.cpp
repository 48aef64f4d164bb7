// deliver/folder_sender on the real file system: written whole under
// IDENTITY.EXT, a resend of the same bytes is sent and changes nothing, I/O
// errors are retry with the errno text.
#include "deliver/folder_sender.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "deliver/sender.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
using deliver::attempt_result;
using deliver::outbound_item;
using radbridge::work::output_kind;

outbound_item item_for(output_kind type, std::string identity, std::string payload) {
  outbound_item item;
  item.type = type;
  item.identity = std::move(identity);
  item.payload = std::move(payload);
  return item;
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("folder sender: written once into a folder it creates; the same bytes again are sent and change nothing") {
  test::temp_folder temp("radbridge-deliver-folder");
  const fs::path folder = temp.path() / "out" / "ris";
  deliver::folder_sender sender(folder);
  const std::string oru = "MSH|^~\\&|RADBRIDGE|HOSP|RIS|HOSP|20250301120000||ORU^R01^ORU_R01|RB0001|P|2.5.1\r";
  const std::string where = "folder " + folder.string() + ": ";

  const auto first = sender.send(item_for(output_kind::oru, "RB0001", oru));
  CHECK(first.result == attempt_result::sent);
  CHECK(first.detail == where + "wrote RB0001.hl7 (" + std::to_string(oru.size()) + " bytes)");
  CHECK(first.response.empty());
  CHECK(test::read_file(folder / "RB0001.hl7") == oru);
  const auto written_at = fs::last_write_time(folder / "RB0001.hl7");

  const auto again = sender.send(item_for(output_kind::oru, "RB0001", oru));
  CHECK(again.result == attempt_result::sent);
  CHECK(again.detail == where + "RB0001.hl7 is already there with the same bytes");
  CHECK(test::read_file(folder / "RB0001.hl7") == oru);
  CHECK(fs::last_write_time(folder / "RB0001.hl7") == written_at);
  CHECK(names_in(folder) == std::vector<std::string>{"RB0001.hl7"});  // no temporary file left

  SUBCASE("other bytes under the same name replace the file") {
    const std::string rebuilt = oru + "PID|1||MRN123\r";
    const auto replaced = sender.send(item_for(output_kind::oru, "RB0001", rebuilt));
    CHECK(replaced.result == attempt_result::sent);
    CHECK(replaced.detail == where + "replaced RB0001.hl7 (" + std::to_string(rebuilt.size()) + " bytes)");
    CHECK(test::read_file(folder / "RB0001.hl7") == rebuilt);
    CHECK(names_in(folder) == std::vector<std::string>{"RB0001.hl7"});
  }
}

TEST_CASE("folder sender: the extension follows the type") {
  test::temp_folder temp("radbridge-deliver-folder");
  deliver::folder_sender sender(temp.path());
  CHECK(sender.send(item_for(output_kind::adt, "RB0002", "MSH|adt")).result == attempt_result::sent);
  CHECK(sender.send(item_for(output_kind::observation, "0f1e", "{}")).result == attempt_result::sent);
  const std::string sr = std::string(128, '\0') + "DICM" + std::string(4, '\x01');
  CHECK(sender.send(item_for(output_kind::sr, "2.25.1234", sr)).result == attempt_result::sent);
  CHECK(names_in(temp.path()) == std::vector<std::string>{"0f1e.json", "2.25.1234.dcm", "RB0002.hl7"});
  CHECK(test::read_file(temp.path() / "2.25.1234.dcm") == sr);
}

TEST_CASE("folder sender: I/O errors are retry with the errno text") {
  test::temp_folder temp("radbridge-deliver-folder");

  SUBCASE("a folder under a regular file cannot be created") {
    std::ofstream(temp.path() / "file") << "x";
    const fs::path folder = temp.path() / "file" / "out";
    deliver::folder_sender sender(folder);
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0003", "MSH|x"));
    CHECK(outcome.result == attempt_result::retry);
    CHECK(outcome.detail == "folder " + folder.string() + ": cannot create the folder: Not a directory");
    CHECK(outcome.response.empty());
  }
  SUBCASE("a folder in the way of the file cannot be read") {
    fs::create_directory(temp.path() / "RB0004.hl7");
    deliver::folder_sender sender(temp.path());
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0004", "MSH|x"));
    CHECK(outcome.result == attempt_result::retry);
    CHECK(outcome.detail == "folder " + temp.path().string() + ": cannot read RB0004.hl7: Is a directory");
  }
}

TEST_CASE("folder sender: an identity that cannot be a file name is rejected") {
  test::temp_folder temp("radbridge-deliver-folder");
  deliver::folder_sender sender(temp.path());
  for (const std::string identity : {"", "../RB0005", ".hidden", "a/b"}) {
    CAPTURE(identity);
    const auto outcome = sender.send(item_for(output_kind::oru, identity, "MSH|x"));
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == "folder " + temp.path().string() + ": the identity '" + identity + "' cannot be a file name");
  }
  CHECK(names_in(temp.path()).empty());
}
