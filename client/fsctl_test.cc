// fsctl's argument handling, run in-process (no server needed).
#include "client/fsctl.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/command_line.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_THAT(r.err, HasSubstr("yaml is for definitions list and show"));
  // definitions list and show take it (and then fail only to reach fsd).
  r = Fsctl({"--output=yaml", "--server=127.0.0.1:1", "definitions", "list"});
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  r = Fsctl({"--timeout=soon", "health"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--timeout 'soon'"));
}

// No fsd listens here: a command that gets as far as calling it fails (1).
const std::string kNoServer = "--server=127.0.0.1:1";

TEST(FsctlTest, UsageErrorsOfCommandsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"register", "--artifact=m.json", "--service=s"},  // --model missing
      {"definitions", "history", "--limit", "abc"},
      {"deadletters", "txns", "--limit=0"},
      {"scores", "list", "--limit=many"},
      {"drift", "fraud:1", "--window=soon"},
      {"performance", "fraud:1", "--window=7x"},
      {"promote", "fraud", "3", "--stage=Shipping"},
      {"promote", "fraud", "three", "--stage=Staging"},
      {"models", "delete", "fraud"},  // --version missing
      {"models", "show", "fraud", "--version=x"},
      {"models", "history", "fraud", "--at=yesterday"},
      {"features", "get", "acct", "--entity=account_id=A-1", "--at", "2026-12-01 10:00:00"},
      {"features", "get", "acct"},  // --entity missing
      {"export", "acct", "--out=x.csv", "--at=2026-13-01"},
      {"score", "fraud:1", "--at", "2026-12-01 10:00:00"},
      {"score", "fraud:1", "--entity", "A-1"},
      {"score", "fraud:1", "--explain=all"},
      {"batch-score", "fraud:1", "--lookback=1y"},
      {"train", "--service=s", "--labels=l.csv"},  // --model missing
      {"train", "--model=m", "--folds=1"},
      {"dataset", "build", "--service=s"},
      {"quality", "txns", "--bucket=30s"},
      {"models", "create", "fraud", "--gate=auc"},
  };
  for (std::vector<std::string> args : cases) {
    args.insert(args.begin(), kNoServer);
    FsctlRun r = Fsctl(args);
    EXPECT_EQ(r.code, kExitUsage) << args[1] << " " << args[2] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--help' for usage")) << r.err;
  }
}

TEST(FsctlTest, FailedOperationExitsOne) {
  FsctlRun r = Fsctl({kNoServer, "--timeout=2s", "models", "list"});
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  r = Fsctl({kNoServer, "--timeout=2s", "promote", "fraud", "3", "--stage=Staging"});
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  // Relative times, epoch seconds and weeks are accepted: the call is made.
  for (const char* at : {"-1h", "now", "1767607200", "now-2w"}) {
    r = Fsctl({kNoServer, "--timeout=2s", "score", "fraud:1", "--at", at});
    EXPECT_EQ(r.code, kExitFailure) << at << ": " << r.err;
  }
}

TEST(FsctlTest, UsageErrorIsTellableFromServerInvalidArgument) {
  EXPECT_TRUE(IsUsageError(UsageError("--x is required")));
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("--x is required")));
  EXPECT_FALSE(IsUsageError(absl::OkStatus()));
}

TEST(FsctlTest, ErrorsNameTheCommandOnce) {
  const std::string dir = ::testing::TempDir();
  const std::string entities = dir + "/fsctl_test_entities.csv";
  std::ofstream(entities) << "account_id,ts\nA-1,2026-01-05T10:00:00Z\n";
  FsctlRun r = Fsctl({kNoServer, "--timeout=2s", "dataset", "build", "--service=s", "--entities",
                      entities, "--out", dir + "/fsctl_test_out.csv"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("fsctl dataset build: cannot reach fsd"));
  EXPECT_THAT(r.err, Not(HasSubstr("dataset build: dataset build")));
  r = Fsctl(
      {kNoServer, "--timeout=2s", "export", "acct:n_1h", "--out", dir + "/fsctl_test_out.csv"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("fsctl export: cannot reach fsd"));
}

TEST(FsctlTest, MistypedCommandsAndFlagsGetASuggestion) {
  FsctlRun r = Fsctl({"models", "lst"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'models lst': 'lst' is not one of"));
  EXPECT_THAT(r.err, HasSubstr("did you mean 'models list'?"));
  r = Fsctl({"modles", "list"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'modles'; did you mean 'models'?"));
  r = Fsctl({"promote", "fraud", "3", "--stag=Staging"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --stag; did you mean --stage?"));
  r = Fsctl({"promote", "fraud", "3", "--stag", "Staging"});
  EXPECT_THAT(r.err, HasSubstr("unknown flag --stag; did you mean --stage?"));
  r = Fsctl({"--sever=h:1", "health"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --sever; did you mean --server?"));
  r = Fsctl({"--hepl"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --hepl; did you mean --help?"));
  r = Fsctl({"zzzz"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'zzzz'"));
  EXPECT_THAT(r.err, Not(HasSubstr("did you mean")));
}

// A megabyte typed by mistake (or pasted) is not echoed back whole.
TEST(FsctlTest, UsageErrorsQuoteAtMostAFewHundredBytes) {
  const std::string huge(1 << 20, 'x');
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {huge},
           {"models", huge},
           {"--" + huge, "health"},
           {"features", "get", "acct", "--entity", huge},
           {"features", "get", "acct", "--entity=a=1", "--at", huge},
           {"definitions", "history", "--limit", huge}}) {
    FsctlRun r = Fsctl(args);
    EXPECT_EQ(r.code, kExitUsage) << r.err.substr(0, 300);
    EXPECT_LT(r.err.size(), 2000u) << r.err.substr(0, 300);
    EXPECT_THAT(r.err, HasSubstr("(1048576 bytes)"));
  }
}

}  // namespace
}  // namespace fstore::cli
