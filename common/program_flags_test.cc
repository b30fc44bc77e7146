#include "common/program_flags.h"

#include <string>

#include "absl/status/status.h"
#include "gflags/gflags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

DEFINE_int32(test_port, 50051, "A port for the test.");
DEFINE_string(test_listen, "127.0.0.1", "An address for the test.");
DEFINE_bool(test_insecure, false, "A switch for the test.");
DEFINE_double(test_ratio, 0.5, "A ratio for the test.");

namespace fstore {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string CheckError(const std::vector<std::string>& args) {
  absl::Status status = CheckFlags(args);
  return status.ok() ? "ok" : std::string(status.message());
}

TEST(CheckFlagsTest, AcceptsKnownFlagsInEveryForm) {
  EXPECT_EQ(CheckError({"--test_port=1", "-test_listen", "0.0.0.0", "--test_insecure",
                        "--notest_insecure", "--test_ratio=2.5", "--test_insecure=false"}),
            "ok");
  EXPECT_EQ(CheckError({"--test_port", "7", "word", "--", "--whatever"}), "ok");
}

TEST(CheckFlagsTest, UnknownFlagNamesItAndTheNearest) {
  EXPECT_EQ(CheckError({"--test_prot=1"}), "unknown flag --test_prot; did you mean --test_port?");
  EXPECT_EQ(CheckError({"--zzzzzzzz"}), "unknown flag --zzzzzzzz");
}

TEST(CheckFlagsTest, BadValuesAreNamed) {
  EXPECT_EQ(CheckError({"--test_port=abc"}), "--test_port='abc' is not a valid int32");
  EXPECT_EQ(CheckError({"--test_port=99999999999"}),
            "--test_port='99999999999' is not a valid int32");
  EXPECT_EQ(CheckError({"--test_ratio=x"}), "--test_ratio='x' is not a valid double");
  EXPECT_EQ(CheckError({"--test_insecure=maybe"}),
            "--test_insecure='maybe' is not a valid bool (true or false)");
  EXPECT_EQ(CheckError({"--test_port"}), "flag --test_port needs a value (int32)");
}

TEST(ProgramHelpTest, ListsOnlyTheProgramsOwnFlags) {
  const std::string help =
      ProgramHelp({"tester", "tester: a test program.", "common/program_flags_test.cc"});
  EXPECT_THAT(help, HasSubstr("tester: a test program.\n\nFlags:\n"));
  EXPECT_THAT(help,
              HasSubstr("  --test_port (int32, default 50051)\n      A port for the test.\n"));
  EXPECT_THAT(help, HasSubstr("  --test_listen (string, default \"127.0.0.1\")\n"));
  EXPECT_THAT(help, HasSubstr("--helpfull  also the flags of the libraries tester links"));
  // gflags' own flags (defined in gflags.cc) are not the program's.
  EXPECT_THAT(help, Not(HasSubstr("--flagfile (")));
}

}  // namespace
}  // namespace fstore
