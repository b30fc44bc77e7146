// Snapshots, training sets and export through fsctl against a real fsd.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fstore/v1/feature_store.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
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
  EXPECT_THAT(r.out, HasSubstr("the latest events (3 ingested; no snapshot kept"));
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

// The snapshots `fsctl snapshot list` shows, one name per line.
std::vector<std::string> SnapshotNames(FsdProcess& fsd) {
  ProgramResult list = fsd.Fsctl({"snapshot", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  std::vector<std::string> names;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.rfind("NAME", 0) == 0) continue;
    names.push_back(line.substr(0, line.find(' ')));
  }
  return names;
}

TEST_F(DatasetCliTest, WithoutASnapshotBuildsAndExportsLeaveNoSnapshotBehind) {
  ASSERT_EQ(fsd_->Fsctl({"snapshot", "create", "kept"}).exit_code, 0);
  ASSERT_EQ(SnapshotNames(*fsd_), std::vector<std::string>{"kept"});
  const std::string out = dir_.path() + "/out.csv";
  ProgramResult build = fsd_->Fsctl({"--output=json", "dataset", "build", "--service", "acct_svc",
                                     "--entities", labels_, "--out", out});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_THAT(build.out, HasSubstr("\"snapshot\":\"\",\"high_water_mark\":3"));
  ProgramResult failed = fsd_->Fsctl({"dataset", "build", "--service", "acct_svc", "--entities",
                                      Write("bad.csv", "account_id,ts\nA-1,soon\n"), "--out",
                                      dir_.path() + "/bad_out.csv"});
  EXPECT_EQ(failed.exit_code, 1);
  ProgramResult exported =
      fsd_->Fsctl({"export", "acct", "--at", "2026-01-05T11:00:00Z", "--out", out});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("(the latest 3 events)"));
  ProgramResult failed_export =
      fsd_->Fsctl({"export", "acct:nope", "--at", "2026-01-05T11:00:00Z", "--out", out});
  EXPECT_EQ(failed_export.exit_code, 1);
  EXPECT_EQ(SnapshotNames(*fsd_), std::vector<std::string>{"kept"});
  // Naming one reads at it, as before.
  ProgramResult at_kept = fsd_->Fsctl(
      {"export", "acct", "--at", "2026-01-05T11:00:00Z", "--snapshot", "kept", "--out", out});
  ASSERT_EQ(at_kept.exit_code, 0) << at_kept.err;
  EXPECT_THAT(at_kept.out, HasSubstr("(snapshot kept)"));
}

TEST_F(DatasetCliTest, EntityRowsNamingTheTimestampColumnTwiceAreRefused) {
  const std::string out = dir_.path() + "/x.csv";
  ProgramResult twice = fsd_->Fsctl(
      {"dataset", "build", "--service", "acct_svc", "--entities",
       Write("twice.csv", "account_id,ts,ts\nA-1,2026-01-05T10:20:00Z,2026-01-05T09:00:00Z\n"),
       "--out", out});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr("column 'ts' twice"));
  ProgramResult as_key = fsd_->Fsctl({"dataset", "build", "--service", "acct_svc", "--entities",
                                      labels_, "--timestamp-column", "account_id", "--out", out});
  EXPECT_EQ(as_key.exit_code, 1);
  EXPECT_THAT(as_key.err, HasSubstr("timestamp column 'account_id' is also the join key"));
  EXPECT_FALSE(std::filesystem::exists(out));

  // Over the wire: INVALID_ARGUMENT naming the column.
  auto stub = v1::FeatureStore::NewStub(
      grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->GetHistoricalFeatures(&context);
  v1::GetHistoricalFeaturesRequest request;
  v1::HistoricalHeader* header = request.mutable_header();
  header->mutable_selector()->set_feature_service("acct_svc");
  for (const char* column : {"ts", "account_id", "ts"}) header->add_columns(column);
  header->set_read_latest(true);
  v1::Row* row = request.add_rows();
  for (const char* cell : {"2026-01-05T10:20:00Z", "A-1", "2026-01-05T09:00:00Z"}) {
    row->add_values()->set_string_value(cell);
  }
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  v1::GetHistoricalFeaturesResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("column 'ts' twice (columns 1 and 3)"));
}

// The fraud example's fraud_v1 mixes account and device views: export
// lists each (account, device) pair seen on one event, with the features
// dataset build gives that pair at the same time.
TEST(DatasetCliExportTest, ExportsTheFraudServiceOneRowPerAccountAndDevice) {
  std::unique_ptr<FsdProcess> fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  TempDir dir;
  ASSERT_EQ(fsd->Fsctl({"apply", std::string(FSTORE_SOURCE_DIR) + "/examples/fraud/features.yaml"})
                .exit_code,
            0);
  const std::string txns = dir.path() + "/transactions.csv";
  std::ofstream(txns)
      << "event_id,ts,account_id,device_id,type,amount,dest_id,old_balance,new_balance\n"
         "x1,2026-01-05T10:00:00Z,A-1,D-1,TRANSFER,100,C-1,500,400\n"
         "x2,2026-01-05T10:30:00Z,A-1,D-2,PAYMENT,20,M-1,400,380\n"
         "x3,2026-01-05T10:40:00Z,A-2,D-1,CASH_OUT,50,C-2,90,40\n"
         "x4,2026-01-05T10:50:00Z,A-1,D-1,PAYMENT,5,M-2,380,375\n";
  ProgramResult ingest = fsd->Fsctl({"ingest", "transactions", txns});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const std::string out = dir.path() + "/fraud_v1.csv";
  ProgramResult r =
      fsd->Fsctl({"export", "fraud_v1", "--at", "2026-01-05T11:00:00Z", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("exported 3 entities"));
  const std::string csv = Slurp(out);
  EXPECT_THAT(
      csv, ::testing::StartsWith("account_id,device_id,acct_txn__txn_n_1h,acct_txn__txn_n_24h,"));
  // The same pairs through dataset build at the same time.
  const std::string pairs = dir.path() + "/pairs.csv";
  std::ofstream(pairs) << "account_id,device_id,ts\n"
                          "A-1,D-1,2026-01-05T11:00:00Z\n"
                          "A-1,D-2,2026-01-05T11:00:00Z\n"
                          "A-2,D-1,2026-01-05T11:00:00Z\n";
  const std::string built = dir.path() + "/built.csv";
  ProgramResult b = fsd->Fsctl(
      {"dataset", "build", "--service", "fraud_v1", "--entities", pairs, "--out", built});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::string expected;
  std::istringstream lines(Slurp(built));
  for (std::string line; std::getline(lines, line);) {
    // Without the third column (ts).
    const size_t second = line.find(',', line.find(',') + 1);
    expected += line.substr(0, second) + line.substr(line.find(',', second + 1)) + "\n";
  }
  EXPECT_EQ(csv, expected);
  // A-1 made 3 transactions in the hour (x1, x2, x4), D-1 saw 2 accounts.
  EXPECT_THAT(csv, HasSubstr("\nA-1,D-1,3,3,"));
  EXPECT_EQ(SnapshotNames(*fsd), std::vector<std::string>{});
}

}  // namespace
}  // namespace fstore::testing
