// fsctl's argument handling, run in-process (no server needed).
#include "client/fsctl.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::HasSubstr;

struct FsctlRun {
  int code;
  std::string out, err;
};

FsctlRun Fsctl(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunFsctl(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(FsctlTest, NoArgumentsPrintsUsageAndFails) {
  FsctlRun r = Fsctl({});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("Usage: fsctl"));
}

TEST(FsctlTest, HelpWordAndFlagBothWork) {
  EXPECT_EQ(Fsctl({"help"}).code, kExitOk);
  FsctlRun r = Fsctl({"help", "promote"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("Usage: fsctl promote NAME VERSION"));
  EXPECT_THAT(r.out, HasSubstr("--archive-existing"));
}

TEST(FsctlTest, GroupWithoutSubcommandListsSubcommands) {
  FsctlRun r = Fsctl({"models"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("models show"));
  EXPECT_THAT(r.err, HasSubstr("models history"));
}

TEST(FsctlTest, FlagOfAnotherCommandIsRefused) {
  FsctlRun r = Fsctl({"health", "--archive-existing"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --archive-existing"));
}

TEST(FsctlTest, WrongNumberOfOperandsNamesWhatIsExpected) {
  FsctlRun r = Fsctl({"promote", "fraud"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("expected NAME VERSION"));
  r = Fsctl({"health", "a", "b"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("got extra 'b'"));
}

TEST(FsctlTest, BadOutputAndTimeoutValuesAreNamed) {
  FsctlRun r = Fsctl({"--output=yaml", "health"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--output 'yaml'"));
  r = Fsctl({"--timeout=soon", "health"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--timeout 'soon'"));
}

}  // namespace
}  // namespace fstore::cli
