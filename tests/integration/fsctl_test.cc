// fsctl as a user runs it, against a real fsd.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;

TEST(FsctlTest, HealthPrintsServing) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  ProgramResult r = fsd->Fsctl({"health"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "SERVING\n");
}

TEST(FsctlTest, HealthAsJson) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  ProgramResult r = fsd->Fsctl({"--output=json", "health"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"server\":\"" + fsd->address() + "\",\"service\":\"\",\"status\":\"SERVING\"}\n");
}

TEST(FsctlTest, ServerAddressFromEnvironmentIsNotNeededWhenFlagGiven) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  ProgramResult r = fsd->Fsctl({"health", "fstore.v1.Registry"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "SERVING\n");
}

TEST(FsctlTest, HealthOfStoppedServerFailsNamingTheAddress) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  const std::string address = fsd->address();
  ASSERT_EQ(fsd->Stop(), 0);
  ProgramResult r = RunFsctl({"--server=" + address, "--timeout=3s", "health"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach fsd at " + address));
}

TEST(FsctlTest, ToolHelpListsEveryDesignVerb) {
  ProgramResult r = RunFsctl({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* verb : {"apply FILE",
                           "ingest SOURCE FILE.csv",
                           "features get REF",
                           "snapshot create",
                           "snapshot list",
                           "dataset build",
                           "train",
                           "register",
                           "models list",
                           "models show NAME",
                           "promote NAME VERSION",
                           "alias set NAME ALIAS VERSION",
                           "score MODELREF",
                           "batch-score MODELREF",
                           "scores export",
                           "health",
                           "drift MODELREF",
                           "quality SOURCE",
                           "feedback FILE.csv",
                           "performance MODELREF"}) {
    EXPECT_THAT(r.out, HasSubstr(verb)) << verb;
  }
}

TEST(FsctlTest, EveryVerbHasHelp) {
  for (std::vector<std::string> verb : std::vector<std::vector<std::string>>{
           {"score"}, {"models", "show"}, {"promote"}, {"dataset", "build"}, {"health"}}) {
    verb.push_back("--help");
    ProgramResult r = RunFsctl(verb);
    EXPECT_EQ(r.exit_code, 0) << verb[0];
    EXPECT_THAT(r.out, HasSubstr("Usage: fsctl " + verb[0]));
  }
}

TEST(FsctlTest, FeaturesGetPointsSnapshotReadsToDatasetBuild) {
  // Online reads have no snapshot; the help says where snapshot reads are.
  ProgramResult help = RunFsctl({"features", "get", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("dataset build"));
  ProgramResult r =
      RunFsctl({"features", "get", "acct", "--entity", "account_id=A-1", "--snapshot", "s1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--snapshot"));
}

TEST(FsctlTest, UnknownCommandIsAUsageError) {
  ProgramResult r = RunFsctl({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'"));
}

}  // namespace
}  // namespace fstore::testing
