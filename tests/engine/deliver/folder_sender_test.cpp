// deliver/folder_sender on the real file system: written whole under
// IDENTITY.EXT with mode 0640 whatever the umask, a resend of the same bytes
// is sent and changes nothing, I/O errors are retry with the errno text,
// and a link, FIFO, folder or oversize file at the name is rejected.
#include "deliver/folder_sender.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
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
}

TEST_CASE("folder sender: files are 0640 whatever the umask (or the destination's mode); a folder it creates 0750") {
  test::temp_folder temp("radbridge-deliver-folder");
  auto mode_of = [](const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return static_cast<unsigned>(st.st_mode & 07777);
  };
  const ::mode_t saved = ::umask(0);  // nothing taken away: 0644 would stay 0644
  const fs::path folder = temp.path() / "out";
  deliver::folder_sender sender(folder);
  auto check_sent = [](const deliver::attempt_outcome& o) {
    CHECK_MESSAGE(o.result == attempt_result::sent, o.detail);
  };
  check_sent(sender.send(item_for(output_kind::oru, "RB0020", "MSH|a")));
  ::umask(077);  // everything but the owner's taken away
  check_sent(sender.send(item_for(output_kind::oru, "RB0021", "MSH|b")));
  check_sent(sender.send(item_for(output_kind::oru, "RB0020", "MSH|a, rebuilt")));
  deliver::folder_sender private_sender(temp.path() / "private", {0600});
  check_sent(private_sender.send(item_for(output_kind::oru, "RB0022", "MSH|c")));
  ::umask(saved);
  CHECK(mode_of(folder) == 0750u);
  CHECK(mode_of(folder / "RB0020.hl7") == 0640u);
  CHECK(mode_of(folder / "RB0021.hl7") == 0640u);
  CHECK(mode_of(temp.path() / "private") == 0700u);
  CHECK(mode_of(temp.path() / "private" / "RB0022.hl7") == 0600u);
  CHECK_THROWS_WITH_AS(deliver::folder_sender(temp.path(), {01640}), "folder sender: file mode 1640 has bits outside 0777",
                       std::invalid_argument);
}

TEST_CASE("folder sender: what is at the name must be a regular file within the size limit, else it is rejected") {
  test::temp_folder temp("radbridge-deliver-folder");
  const std::string where = "folder " + temp.path().string() + ": ";
  deliver::folder_sender sender(temp.path());

  SUBCASE("a symbolic link is neither followed nor replaced") {
    const fs::path elsewhere = temp.path() / "elsewhere.txt";
    test::write_file(elsewhere, "not ours");
    fs::create_symlink(elsewhere, temp.path() / "RB0030.hl7");
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0030", "not ours"));
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == where + "RB0030.hl7 is a symbolic link; refusing it");
    CHECK(fs::is_symlink(temp.path() / "RB0030.hl7"));
    CHECK(test::read_file(elsewhere) == "not ours");
  }
  SUBCASE("a FIFO is refused without waiting for a writer") {
    const fs::path fifo = temp.path() / "RB0031.hl7";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto sending = std::async(std::launch::async, [&] { return sender.send(item_for(output_kind::oru, "RB0031", "MSH|x")); });
    // The guard: a send still blocked after 10 s (the fixed one returns at
    // once) is failed, and released by opening the FIFO's writing end, so the
    // test ends either way.
    if (sending.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      FAIL_CHECK("the send blocked on the FIFO");
      const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (writer >= 0) ::close(writer);
    }
    const auto outcome = sending.get();
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == where + "RB0031.hl7 is a FIFO; refusing it");
    CHECK(fs::is_fifo(fifo));
  }
  SUBCASE("a folder") {
    fs::create_directory(temp.path() / "RB0032.hl7");
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0032", "MSH|x"));
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == where + "RB0032.hl7 is a folder; refusing it");
  }
  SUBCASE("a file over the 64 MiB limit (sparse: no disk used) is neither read nor replaced") {
    const fs::path big = temp.path() / "RB0033.hl7";
    test::write_file(big, "");
    fs::resize_file(big, (std::uintmax_t{64} << 20) + 1);
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0033", "MSH|x"));
    CHECK(outcome.result == attempt_result::rejected);
    CHECK(outcome.detail == where + "RB0033.hl7 is 67108865 bytes, over the limit of 67108864; refusing to read or replace it");
    CHECK(fs::file_size(big) == (std::uintmax_t{64} << 20) + 1);
  }
  SUBCASE("a file of the payload's size with other bytes is replaced") {
    test::write_file(temp.path() / "RB0034.hl7", "MSH|y");
    const auto outcome = sender.send(item_for(output_kind::oru, "RB0034", "MSH|x"));
    CHECK(outcome.result == attempt_result::sent);
    CHECK(outcome.detail == where + "replaced RB0034.hl7 (5 bytes)");
    CHECK(test::read_file(temp.path() / "RB0034.hl7") == "MSH|x");
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
