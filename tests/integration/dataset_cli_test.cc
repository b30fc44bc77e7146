// Snapshots, training sets and export through fsctl against a real fsd.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DatasetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fsd_ = FsdProcess::Start();
    ASSERT_NE(fsd_, nullptr);
    ASSERT_EQ(
        fsd_->Fsctl({"apply", std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml"})
            .exit_code,
        0);
    Ingest(
        "txn_id,account_id,device_id,ts,amount,kind\n"
        "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n"
        "t2,A-1,D-2,2026-01-05T10:20:00Z,30,XFER\n"
        "t3,A-2,D-1,2026-01-05T11:00:00Z,5,PAY\n");
    labels_ = Write("labels.csv",
                    "account_id,ts,label\n"
                    "A-1,2026-01-05T10:20:00Z,1\n"  // sees t1 only: t2 happens at that instant
                    "A-2,2026-01-05T12:00:00Z,0\n"
                    "A-9,2026-01-05T12:00:00Z,0\n");
  }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  void Ingest(const std::string& csv) {
    ProgramResult r = fsd_->Fsctl({"ingest", "txns", Write("in.csv", csv)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::unique_ptr<FsdProcess> fsd_;
  std::string labels_;
};

TEST_F(DatasetCliTest, BuildsAPointInTimeCorrectTrainingSet) {
  const std::string out = dir_.path() + "/train.csv";
  ProgramResult r = fsd_->Fsctl(
      {"dataset", "build", "--service", "acct_svc", "--entities", labels_, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote 3 rows"));
  EXPECT_THAT(r.out, HasSubstr("rebuild with --snapshot snap-"));
  EXPECT_EQ(Slurp(out),
            "account_id,ts,label,acct__n_1h,acct__amt_sum_24h,acct__xfer_n_24h,acct__last_amt\n"
            "A-1,2026-01-05T10:20:00Z,1,1,10,0,10\n"
            "A-2,2026-01-05T12:00:00Z,0,1,5,0,5\n"
            "A-9,2026-01-05T12:00:00Z,0,0,0,0,\n");
}

TEST_F(DatasetCliTest, TheSameSnapshotRebuildsTheSameBytesAndFingerprint) {
  ProgramResult snap = fsd_->Fsctl({"snapshot", "create", "train-jan"});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  const std::string a = dir_.path() + "/a.csv", b = dir_.path() + "/b.csv";
  ProgramResult first = fsd_->Fsctl({"--output=json", "dataset", "build", "--service", "acct_svc",
                                     "--entities", labels_, "--snapshot", "train-jan", "--out", a});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Late data with old timestamps arrives after the snapshot.
  Ingest("txn_id,account_id,device_id,ts,amount,kind\nt0,A-1,D-1,2026-01-05T10:10:00Z,99,XFER\n");
  ProgramResult second =
      fsd_->Fsctl({"--output=json", "dataset", "build", "--service", "acct_svc", "--entities",
                   labels_, "--snapshot", "train-jan", "--out", b});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Slurp(a), Slurp(b));
  EXPECT_EQ(first.out, std::string(second.out).replace(second.out.find("b.csv"), 5, "a.csv"));
  EXPECT_THAT(first.out, MatchesRegex(".*\"dataset_fingerprint\":\"[0-9a-f]{64}\".*"));
  ProgramResult list = fsd_->Fsctl({"snapshot", "list"});
  EXPECT_THAT(list.out, HasSubstr("train-jan"));
}

TEST_F(DatasetCliTest, AFailedBuildLeavesNoFileUnderTheRequestedName) {
  const std::string out = dir_.path() + "/bad.csv";
  const std::string bad =
      Write("bad_entities.csv", "account_id,ts\nA-1,2026-01-05T10:20:00Z\nA-2,soon\n");
  ProgramResult r =
      fsd_->Fsctl({"dataset", "build", "--service", "acct_svc", "--entities", bad, "--out", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("entity row 2"));
  EXPECT_THAT(r.err, HasSubstr("'soon'"));
  EXPECT_FALSE(std::filesystem::exists(out));
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".tmp-")));
  }
}

TEST_F(DatasetCliTest, BadInputsAreNamed) {
  const std::string out = dir_.path() + "/x.csv";
  const std::string no_key = Write("nokey.csv", "acct,ts\nA-1,2026-01-05T10:20:00Z\n");
  ProgramResult r1 = fsd_->Fsctl(
      {"dataset", "build", "--service", "acct_svc", "--entities", no_key, "--out", out});
  EXPECT_THAT(r1.err, HasSubstr("no column 'account_id'"));
  ProgramResult r2 =
      fsd_->Fsctl({"dataset", "build", "--service", "nope", "--entities", labels_, "--out", out});
  EXPECT_THAT(r2.err, HasSubstr("unknown feature service 'nope'"));
  ProgramResult r3 = fsd_->Fsctl({"dataset", "build", "--service", "acct_svc", "--entities",
                                  labels_, "--snapshot", "nope", "--out", out});
  EXPECT_THAT(r3.err, HasSubstr("unknown snapshot 'nope'"));
  ProgramResult r4 = fsd_->Fsctl({"dataset", "build", "--features", "acct:n_1h", "--entities",
                                  labels_, "--timestamp-column", "when", "--out", out});
  EXPECT_THAT(r4.err, HasSubstr("no timestamp column 'when'"));
  for (const ProgramResult& r : {r1, r2, r3, r4}) EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(DatasetCliTest, ExportsEveryEntityAsOfATime) {
  const std::string out = dir_.path() + "/export.csv";
  ProgramResult r = fsd_->Fsctl(
      {"export", "acct:n_1h,acct:last_amt", "--at", "2026-01-05T11:00:00Z", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("exported 2 entities"));
  EXPECT_EQ(Slurp(out), "account_id,acct__n_1h,acct__last_amt\nA-1,2,30\nA-2,0,\n");
}

TEST_F(DatasetCliTest, SnapshotDeleteAndErrors) {
  ASSERT_EQ(fsd_->Fsctl({"snapshot", "create", "s1"}).exit_code, 0);
  ProgramResult dup = fsd_->Fsctl({"snapshot", "create", "s1"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_THAT(dup.err, HasSubstr("snapshot 's1' already exists"));
  EXPECT_EQ(fsd_->Fsctl({"snapshot", "delete", "s1"}).exit_code, 0);
  ProgramResult gone = fsd_->Fsctl({"snapshot", "delete", "s1"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("unknown snapshot 's1'"));
}

}  // namespace
}  // namespace fstore::testing
