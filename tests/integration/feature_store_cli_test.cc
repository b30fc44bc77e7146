// Definitions, ingest, dead letters and online features through fsctl
// against a real fsd, as a user drives them.
#include <fstream>

#include "common/time_util.h"
#include "fstore/v1/feature_store.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "registry/xgboost_booster.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";
constexpr char kHeader[] = "txn_id,account_id,device_id,ts,amount,kind\n";

class FeatureStoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fsd_ = FsdProcess::Start();
    ASSERT_NE(fsd_, nullptr);
    ProgramResult r = fsd_->Fsctl({"apply", kDefinitions});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Writes a CSV file in a temp dir and returns its path.
  std::string WriteCsv(const std::string& name, const std::string& content) {
    const std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
};

TEST_F(FeatureStoreCliTest, ApplyReportsCreatedThenUnchanged) {
  ProgramResult again = fsd_->Fsctl({"apply", kDefinitions});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 of 5 definitions changed"));
}

TEST_F(FeatureStoreCliTest, DefinitionsListPrintsATablePerKind) {
  ProgramResult list = fsd_->Fsctl({"definitions", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* expected :
       {"ENTITIES\nNAME     JOIN KEY    DESCRIPTION\naccount  account_id  -\n",
        "SOURCES\nNAME  KEY COLUMNS  TIMESTAMP  EVENT ID  COLUMNS  DESCRIPTION\n"
        "txns  account_id   ts         txn_id    6        -\n",
        "FEATURE VIEWS\nNAME  ENTITIES  KEY COLUMNS  SOURCE  FEATURES  WINDOWS\n"
        "acct  account   account_id   txns    7         1h, 1d, 7d, last ttl 2d\n",
        "FEATURE SERVICES\nNAME      FEATURES  VIEWS  REQUEST FIELDS  VERSION\nacct_svc  4"}) {
    EXPECT_THAT(list.out, HasSubstr(expected)) << list.out;
  }
  // One kind still names the views' key columns.
  ProgramResult views = fsd_->Fsctl({"definitions", "list", "feature_view"});
  ASSERT_EQ(views.exit_code, 0) << views.err;
  EXPECT_THAT(views.out, HasSubstr("acct  account   account_id   txns"));
  EXPECT_THAT(views.out, Not(HasSubstr("ENTITIES\n")));  // no entity table
}

// `definitions list --output=yaml` applied back changes nothing, and
// `definitions show` of each object too.
void ExpectYamlRoundTrip(FsdProcess& fsd, const std::string& dir, const std::string& file,
                         const std::vector<std::string>& names) {
  ProgramResult applied = fsd.Fsctl({"apply", file});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  ProgramResult yaml = fsd.Fsctl({"--output=yaml", "definitions", "list"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  const std::string path = dir + "/listed.yaml";
  std::ofstream(path, std::ios::binary) << yaml.out;
  ProgramResult again = fsd.Fsctl({"--output=json", "apply", path});
  ASSERT_EQ(again.exit_code, 0) << again.err << yaml.out;
  const nlohmann::json changes = nlohmann::json::parse(again.out)["changes"];
  EXPECT_FALSE(changes.empty());
  for (const nlohmann::json& c : changes) EXPECT_EQ(c["change"], "UNCHANGED") << c.dump();
  for (const std::string& name : names) {
    ProgramResult shown = fsd.Fsctl({"definitions", "show", name});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_THAT(shown.out, HasSubstr("name: " + name)) << shown.out;
    const std::string one = dir + "/" + name + ".yaml";
    std::ofstream(one, std::ios::binary) << shown.out;
    ProgramResult reapplied = fsd.Fsctl({"apply", one});
    ASSERT_EQ(reapplied.exit_code, 0) << reapplied.err;
    EXPECT_THAT(reapplied.out, HasSubstr("0 of 1 definitions changed")) << shown.out;
  }
}

TEST_F(FeatureStoreCliTest, ListedYamlOfTheTestDefinitionsAppliesAsNoChange) {
  ExpectYamlRoundTrip(*fsd_, files_.path(), kDefinitions, {"account", "txns", "acct", "acct_svc"});
}

TEST_F(FeatureStoreCliTest, ListedYamlOfTheFraudExampleAppliesAsNoChange) {
  auto fresh = FsdProcess::Start();
  ASSERT_NE(fresh, nullptr);
  ExpectYamlRoundTrip(*fresh, files_.path(),
                      std::string(FSTORE_SOURCE_DIR) + "/examples/fraud/features.yaml",
                      {"device", "transactions", "acct_txn", "dev_profile", "fraud_v1"});
}

TEST_F(FeatureStoreCliTest, ShowingAnUnknownNameNamesItAndTheNearestOne) {
  ProgramResult typo = fsd_->Fsctl({"definitions", "show", "acct_sv"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.err, HasSubstr("no entity, source, feature view or feature service named "
                                  "'acct_sv'; did you mean 'acct_svc'?"));
  ProgramResult far = fsd_->Fsctl({"definitions", "show", "zzzzzz"});
  EXPECT_EQ(far.exit_code, 1);
  EXPECT_THAT(far.err, HasSubstr("'zzzzzz' (fsctl definitions list shows them)"));
}

TEST_F(FeatureStoreCliTest, DryRunShowsTheDiffWithoutStoring) {
  const std::string path =
      WriteCsv("more.yaml", "entities: [{name: merchant, join_key: merchant_id}]\n");
  ProgramResult dry = fsd_->Fsctl({"apply", "--dry-run", path});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("would create"));
  ProgramResult list = fsd_->Fsctl({"definitions", "list", "entity"});
  EXPECT_THAT(list.out, Not(HasSubstr("merchant")));
}

TEST_F(FeatureStoreCliTest, BadDefinitionsAreRefusedNamingTheProblem) {
  const std::string path = WriteCsv("bad.yaml", R"yaml(
feature_views:
  - name: v
    entities: [account]
    source: nosuch
    features: [{name: n, function: COUNT, window: 1h}]
)yaml");
  ProgramResult r = fsd_->Fsctl({"apply", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("nosuch"));
}

TEST_F(FeatureStoreCliTest, IngestThenReadFeaturesAsJson) {
  const std::string csv = WriteCsv("txns.csv", std::string(kHeader) +
                                                   "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n"
                                                   "t2,A-1,D-2,2026-01-05T10:20:00Z,30,XFER\n"
                                                   "t3,A-1,D-1,2026-01-05T12:00:00Z,5,XFER\n");
  ProgramResult ingest = fsd_->Fsctl({"--output=json", "ingest", "txns", csv});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_THAT(ingest.out, HasSubstr("\"accepted\":3,\"rejected\":0,\"duplicates\":0"));

  ProgramResult f = fsd_->Fsctl({"--output=json", "features", "get", "acct", "--entity",
                                 "account_id=A-1", "--at", "2026-01-05T12:00:01Z"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("{\"features\":{\"n_1h\":1,\"amt_sum_24h\":45,\"amt_max_7d\":30,"
                               "\"amt_mean_24h\":15,\"xfer_n_24h\":2,\"dev_distinct_7d\":2,"
                               "\"last_amt\":5}"));
  EXPECT_THAT(f.out, HasSubstr("\"freshness\":{\"acct\":\"2026-01-05T12:00:00Z\"}"));

  ProgramResult svc = fsd_->Fsctl({"features", "get", "acct_svc", "--entity", "account_id=A-1",
                                   "--at", "2026-01-05T12:00:00Z"});
  ASSERT_EQ(svc.exit_code, 0) << svc.err;
  EXPECT_THAT(svc.out, HasSubstr("last_amt"));
  EXPECT_THAT(svc.out, Not(HasSubstr("amt_max_7d")));
}

TEST_F(FeatureStoreCliTest, ReplayingABackfillCountsDuplicates) {
  const std::string csv = WriteCsv("txns.csv", std::string(kHeader) +
                                                   "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n"
                                                   "t2,A-1,D-1,2026-01-05T10:01:00Z,10,PAY\n");
  ASSERT_EQ(fsd_->Fsctl({"ingest", "txns", csv}).exit_code, 0);
  ProgramResult again = fsd_->Fsctl({"--output=json", "ingest", "txns", csv});
  EXPECT_THAT(again.out, HasSubstr("\"accepted\":0,\"rejected\":0,\"duplicates\":2"));
}

TEST_F(FeatureStoreCliTest, BadRowsAreRejectedWithReasonsAndListed) {
  std::string huge(10 << 20, 'z');
  const std::string csv =
      WriteCsv("dirty.csv", std::string(kHeader) +
                                "t1,A-1,D-1,2026-01-05T10:00:00Z,-5,PAY\n"    // line 2: min
                                "t2,A-1,D-1,not-a-time,1,PAY\n"               // line 3: type
                                "t3,A-1,D-1,2026-01-05T10:00:00Z,1,REFUND\n"  // line 4: allowed
                                "t4,,D-1,2026-01-05T10:00:00Z,1,PAY\n"        // line 5: empty key
                                "t5,A-1,D-1,2026-01-05T10:00:00Z,abc,PAY\n"   // line 6: wrong type
                                "t6,A-1,2026-01-05T10:00:00Z,1\n"  // line 7: malformed line
                                "t7,A-\xff,D-1,2026-01-05T10:00:00Z,1,PAY\n"  // line 8: not UTF-8
                                "t8," +
                                huge +
                                ",D-1,2026-01-05T10:00:00Z,1,PAY\n"          // line 9: 10 MB
                                "t9,A-1,D-1,2026-01-05T10:00:00Z,7,PAY\n");  // line 10: good
  ProgramResult r = fsd_->Fsctl({"--output=json", "ingest", "txns", csv});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"accepted\":1,\"rejected\":8,\"duplicates\":0"));
  for (const char* expected :
       {"\"row\":2,\"column\":\"amount\",\"value\":\"-5\",\"rule\":\"min\"",
        "\"row\":3,\"column\":\"ts\",\"value\":\"not-a-time\",\"rule\":\"type\"",
        "\"row\":4,\"column\":\"kind\",\"value\":\"REFUND\",\"rule\":\"allowed\"",
        "\"row\":5,\"column\":\"account_id\",\"value\":\"\",\"rule\":\"not_null\"",
        "\"row\":6,\"column\":\"amount\",\"value\":\"abc\",\"rule\":\"type\"",
        "\"row\":7,\"column\":\"\"", "\"rule\":\"column_count\"",
        "\"row\":8,\"column\":\"account_id\",\"value\":\"A-\\\\xff\",\"rule\":\"utf8\"",
        "\"row\":9,\"column\":\"account_id\"", "\"rule\":\"max_length\""}) {
    EXPECT_THAT(r.out, HasSubstr(expected)) << expected;
  }
  EXPECT_THAT(r.out, HasSubstr("\"rejected_by_rule\":{\"allowed\":1,\"column_count\":1,"
                               "\"max_length\":1,\"min\":1,\"not_null\":1,\"type\":2,"
                               "\"utf8\":1}"));
  const std::string ingest_id = nlohmann::json::parse(r.out)["ingest_id"];
  EXPECT_THAT(ingest_id, ::testing::StartsWith("ingest-"));
  ProgramResult dead = fsd_->Fsctl({"deadletters", "txns"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_THAT(dead.out, HasSubstr("txns row 2: column amount: -5 is below min 0"));
  EXPECT_THAT(dead.out, HasSubstr("8 of 8 rejected rows of txns"));
  // Each names the ingest and the file it came from.
  EXPECT_THAT(dead.out, HasSubstr(ingest_id + "  " + csv + "  2 "));
  ProgramResult dead_json = fsd_->Fsctl({"--output=json", "deadletters", "txns"});
  for (const nlohmann::json& d : nlohmann::json::parse(dead_json.out)["dead_letters"]) {
    EXPECT_EQ(d["ingest_id"], ingest_id);
    EXPECT_EQ(d["origin"], csv);
  }
  // A later ingest's dead letters are told apart.
  const std::string more =
      WriteCsv("more.csv", std::string(kHeader) + "u1,A-1,D-1,2026-01-05T10:00:00Z,-1,PAY\n");
  ProgramResult second = fsd_->Fsctl({"ingest", "txns", more});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("rejected by rule: min 1"));
  ProgramResult only = fsd_->Fsctl({"deadletters", "txns", "--ingest", ingest_id});
  EXPECT_THAT(only.out, HasSubstr("8 rejected rows of ingest " + ingest_id + " (9 of txns"));
  EXPECT_THAT(only.out, Not(HasSubstr("more.csv")));
  // The good row after all the bad ones was not lost.
  ProgramResult f = fsd_->Fsctl({"--output=json", "features", "get", "acct", "--entity",
                                 "account_id=A-1", "--at", "2026-01-05T10:00:01Z"});
  EXPECT_THAT(f.out, HasSubstr("\"last_amt\":7"));
}

TEST_F(FeatureStoreCliTest, HeaderProblemsFailTheWholeIngestClearly) {
  const std::string missing = WriteCsv("missing.csv",
                                       "txn_id,device_id,ts,amount,kind\n"
                                       "t1,D-1,2026-01-05T10:00:00Z,1,PAY\n");
  ProgramResult r = fsd_->Fsctl({"ingest", "txns", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("required column 'account_id' is missing"));
  ProgramResult unknown_source = fsd_->Fsctl({"ingest", "nosuch", missing});
  EXPECT_EQ(unknown_source.exit_code, 1);
  EXPECT_THAT(unknown_source.err, HasSubstr("unknown source 'nosuch'"));
  ProgramResult no_file = fsd_->Fsctl({"ingest", "txns", "/nonexistent.csv"});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_THAT(no_file.err, HasSubstr("cannot open /nonexistent.csv"));
}

TEST_F(FeatureStoreCliTest, AcknowledgedEventsSurviveAKill) {
  const std::string csv = WriteCsv("txns.csv", std::string(kHeader) +
                                                   "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n"
                                                   "t2,A-1,D-1,2026-01-05T10:01:00Z,11,PAY\n");
  ASSERT_EQ(fsd_->Fsctl({"ingest", "txns", csv}).exit_code, 0);
  const std::string data_dir = fsd_->data_dir();
  fsd_->Kill();  // SIGKILL: no flush, no clean close
  FsdProcess::Options options;
  options.data_dir = data_dir;
  auto restarted = FsdProcess::Start(options);
  ASSERT_NE(restarted, nullptr);
  ProgramResult f = restarted->Fsctl({"--output=json", "features", "get", "acct", "--entity",
                                      "account_id=A-1", "--at", "2026-01-05T10:02:00Z"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("\"n_1h\":2"));
  EXPECT_THAT(f.out, HasSubstr("\"last_amt\":11"));
}

TEST_F(FeatureStoreCliTest, AFarFutureEventIsADeadLetterAndEveryoneStillReadsAndScores) {
  const TimestampUs now = NowUs();
  const std::string csv =
      WriteCsv("future.csv", std::string(kHeader) + "t1,A-1,D-1," +
                                 FormatIsoTime(now - 30 * 60 * kMicrosPerSecond) + ",10,PAY\n" +
                                 "t2,X-1,D-1," + FormatIsoTime(now - 40 * 60 * kMicrosPerSecond) +
                                 ",20,PAY\n"
                                 "t3,X-1,D-1,2100-01-01T00:00:00Z,30,PAY\n"
                                 "t4,X-1,D-1,9223372036854775807,40,PAY\n");
  ProgramResult ingest = fsd_->Fsctl({"--output=json", "ingest", "txns", csv});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_THAT(ingest.out, HasSubstr("\"accepted\":2,\"rejected\":2"));
  EXPECT_THAT(ingest.out,
              HasSubstr("\"row\":4,\"column\":\"ts\",\"value\":\"2100-01-01T00:00:00Z\","
                        "\"rule\":\"future\""));
  absl::StatusOr<std::string> model = TrainBoosterForTesting(5, 3, 1);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(fsd_->Fsctl({"register", "--model", "fraud", "--artifact", WriteCsv("m.json", *model),
                         "--service", "acct_svc"})
                .exit_code,
            0);
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  std::unique_ptr<FsdProcess> owner;  // the first fsd owns the data directory
  for (int restart = 0; restart < 2; ++restart) {
    SCOPED_TRACE(restart);
    ProgramResult f =
        fsd_->Fsctl({"--output=json", "features", "get", "acct", "--entity", "account_id=A-1"});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    EXPECT_THAT(f.out, HasSubstr("\"n_1h\":1"));
    ProgramResult scored = fsd_->Fsctl({"--output=json", "score", "fraud@Production", "--entity",
                                        "account_id=A-1", "--field", "amount=5"});
    ASSERT_EQ(scored.exit_code, 0) << scored.err;
    EXPECT_TRUE(nlohmann::json::parse(scored.out)["missing_features"].empty()) << scored.out;
    ProgramResult dead = fsd_->Fsctl({"deadletters", "txns"});
    EXPECT_THAT(dead.out, HasSubstr("2 of 2 rejected rows of txns"));
    EXPECT_THAT(dead.out, HasSubstr("is more than 1d after the time of ingest"));
    const std::string data_dir = fsd_->data_dir();
    ASSERT_EQ(fsd_->Stop(), 0);
    if (owner == nullptr) owner = std::move(fsd_);
    FsdProcess::Options options;
    options.data_dir = data_dir;
    fsd_ = FsdProcess::Start(options);
    ASSERT_NE(fsd_, nullptr);
  }
  fsd_->Stop();  // before the directory goes with its owner
}

TEST_F(FeatureStoreCliTest, FeaturesGetErrorsNameTheProblem) {
  ProgramResult unknown = fsd_->Fsctl({"features", "get", "nosuch", "--entity", "account_id=A"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("'nosuch' is neither a feature view nor a feature service"));
  ProgramResult no_key = fsd_->Fsctl({"features", "get", "acct", "--entity", "device_id=D"});
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_THAT(no_key.err, HasSubstr("entity key 'account_id' is required"));
  ProgramResult bad_time =
      fsd_->Fsctl({"features", "get", "acct", "--entity", "account_id=A", "--at", "tomorrow"});
  EXPECT_EQ(bad_time.exit_code, 2);  // a usage error
  EXPECT_THAT(bad_time.err, HasSubstr("'tomorrow'"));
}

TEST_F(FeatureStoreCliTest, UnaryIngestRpcTakesTypedRows) {
  auto channel = grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::FeatureStore::NewStub(channel);
  v1::IngestRequest request;
  request.set_source("txns");
  for (const char* c : {"txn_id", "account_id", "device_id", "ts", "amount", "kind"}) {
    request.add_columns(c);
  }
  auto add_row = [&](const std::string& id, int64_t ts, double amount) {
    v1::Row* row = request.add_rows();
    row->add_values()->set_string_value(id);
    row->add_values()->set_string_value("A-7");
    row->add_values()->set_string_value("D-1");
    row->add_values()->set_int64_value(ts);  // microseconds
    row->add_values()->set_double_value(amount);
    row->add_values()->set_string_value("PAY");
  };
  add_row("u1", 1767607200000000, 4.0);
  add_row("u2", 1767607260000000, -1.0);  // below min
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::IngestResponse response;
  ASSERT_TRUE(stub->Ingest(&context, request, &response).ok());
  EXPECT_EQ(response.accepted(), 1);
  EXPECT_EQ(response.rejected(), 1);
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).row_number(), 2);
  EXPECT_EQ(response.rejections(0).rule(), "min");
  ProgramResult f = fsd_->Fsctl({"--output=json", "features", "get", "acct", "--entity",
                                 "account_id=A-7", "--at", "2026-01-05T10:05:00Z"});
  EXPECT_THAT(f.out, HasSubstr("\"last_amt\":4"));
}

}  // namespace
}  // namespace fstore::testing
