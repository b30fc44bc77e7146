// fsctl quality against a real fsd: a CSV with known bad rows and nulls is
// ingested through fsctl, then the per-source quality report is checked
// number by number (JSON), by its key lines (table), across a restart, and
// for its errors.
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDefinitions[] = R"yaml(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: payments
    timestamp_column: ts
    event_id_column: payment_id
    columns:
      - {name: payment_id, type: STRING}
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: amount, type: DOUBLE, min: 0}
      - {name: channel, type: STRING, nullable: true, allowed: [web, app]}
      - {name: note, type: STRING, nullable: true}
feature_views:
  - name: acct
    entities: [account]
    source: payments
    features:
      - {name: n_1h, function: COUNT, window: 1h}
)yaml";

// 4 accepted, 5 rejected (min 2, not_null 1, allowed 1, type 1), 1
// duplicate. Among the accepted rows channel is null twice, note 3 times.
constexpr char kCsv[] =
    "payment_id,account_id,ts,amount,channel,note\n"
    "p1,A-1,2026-01-05T10:00:00Z,10,web,\n"
    "p2,A-1,2026-01-05T10:01:00Z,20,,hello\n"
    "p3,A-2,2026-01-05T10:02:00Z,5,app,\n"
    "p4,A-2,2026-01-05T10:03:00Z,-1,web,\n"  // min
    "p5,,2026-01-05T10:04:00Z,3,web,\n"      // not_null (join key)
    "p6,A-3,2026-01-05T10:05:00Z,3,fax,\n"   // allowed
    "p7,A-3,yesterday,3,web,\n"              // type
    "p8,A-3,2026-01-05T10:06:00Z,7,,\n"      // accepted, two nulls
    "p1,A-1,2026-01-05T10:00:00Z,10,web,\n"  // duplicate
    "p9,A-3,2026-01-05T10:07:00Z,-2,,\n";    // min

class QualityCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartFsd();
    const std::string definitions = files_.path() + "/payments.yaml";
    std::ofstream(definitions) << kDefinitions;
    ProgramResult apply = fsd_->Fsctl({"apply", definitions});
    ASSERT_EQ(apply.exit_code, 0) << apply.err;
    csv_ = files_.path() + "/payments.csv";
    std::ofstream(csv_, std::ios::binary) << kCsv;
  }

  void StartFsd() {
    FsdProcess::Options options;
    options.data_dir = data_.path();
    std::string log;
    fsd_ = FsdProcess::Start(options, &log);
    ASSERT_NE(fsd_, nullptr) << log;
  }

  // Runs fsctl --output=json quality ARGS and parses its output.
  nlohmann::json QualityJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output=json", "quality"});
    ProgramResult r = fsd_->Fsctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  }

  TempDir data_;
  TempDir files_;
  std::string csv_;
  std::unique_ptr<FsdProcess> fsd_;
};

TEST_F(QualityCliTest, JsonCountsEveryRowByRuleAndNullsAmongAcceptedRows) {
  ProgramResult ingest = fsd_->Fsctl({"--output=json", "ingest", "payments", csv_});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ASSERT_THAT(ingest.out, HasSubstr("\"accepted\":4,\"rejected\":5,\"duplicates\":1"));

  nlohmann::json q = QualityJson({"payments"});
  ASSERT_FALSE(q.is_discarded());
  EXPECT_EQ(q["source"], "payments");
  EXPECT_EQ(q["bucket"], "1h");
  const nlohmann::json& total = q["total"];
  EXPECT_EQ(total["accepted"], 4);
  EXPECT_EQ(total["rejected"], 5);
  EXPECT_EQ(total["duplicates"], 1);
  EXPECT_EQ(total["rejected_by_rule"],
            nlohmann::json({{"allowed", 1}, {"min", 2}, {"not_null", 1}, {"type", 1}}));
  EXPECT_EQ(total["nulls"], nlohmann::json({{"payment_id", 0},
                                            {"account_id", 0},
                                            {"ts", 0},
                                            {"amount", 0},
                                            {"channel", 2},
                                            {"note", 3}}));
  // Columns in source order, with rates over the accepted rows.
  ASSERT_EQ(q["columns"].size(), 6u);
  std::vector<std::string> names;
  for (const auto& c : q["columns"]) names.push_back(c["column"]);
  EXPECT_EQ(names, (std::vector<std::string>{"payment_id", "account_id", "ts", "amount", "channel",
                                             "note"}));
  EXPECT_EQ(q["columns"][0]["null_rate"], 0.0);
  EXPECT_EQ(q["columns"][4]["nulls"], 2);
  EXPECT_DOUBLE_EQ(q["columns"][4]["null_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(q["columns"][5]["null_rate"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(q["columns"][5]["worst_bucket_null_rate"].get<double>(), 0.75);
  // The buckets (one, unless the ingest straddled an hour) add up to the total.
  ASSERT_GE(q["buckets"].size(), 1u);
  int64_t accepted = 0, rejected = 0, duplicates = 0;
  for (const auto& b : q["buckets"]) {
    accepted += b["accepted"].get<int64_t>();
    rejected += b["rejected"].get<int64_t>();
    duplicates += b["duplicates"].get<int64_t>();
    EXPECT_THAT(b["start"].get<std::string>(), ContainsRegex(":00:00Z$"));
  }
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(rejected, 5);
  EXPECT_EQ(duplicates, 1);

  // Minute buckets over the last 10 minutes hold the same rows.
  nlohmann::json minutes = QualityJson({"payments", "--window", "10m", "--bucket", "1m"});
  EXPECT_EQ(minutes["bucket"], "1m");
  EXPECT_EQ(minutes["total"], total);

  // Replaying the file: every row is a duplicate or rejected again.
  ASSERT_EQ(fsd_->Fsctl({"ingest", "payments", csv_}).exit_code, 0);
  nlohmann::json again = QualityJson({"payments"});
  EXPECT_EQ(again["total"]["accepted"], 4);
  EXPECT_EQ(again["total"]["rejected"], 10);
  EXPECT_EQ(again["total"]["duplicates"], 1 + 5);
  EXPECT_EQ(again["total"]["rejected_by_rule"]["min"], 4);
}

TEST_F(QualityCliTest, TableShowsBucketsTotalAndNullRates) {
  ASSERT_EQ(fsd_->Fsctl({"ingest", "payments", csv_}).exit_code, 0);
  ProgramResult r = fsd_->Fsctl({"quality", "payments"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("payments: rows by ingest time from "));
  EXPECT_THAT(r.out, HasSubstr(" in 1h buckets"));
  EXPECT_THAT(r.out, ContainsRegex("START +ACCEPTED +REJECTED +DUPLICATES +REJECTED BY RULE"));
  EXPECT_THAT(r.out, ContainsRegex("\nTOTAL +4 +5 +1 +allowed=1 min=2 not_null=1 type=1\n"));
  EXPECT_THAT(r.out, HasSubstr("Null rates among the 4 accepted rows"));
  EXPECT_THAT(r.out, ContainsRegex("COLUMN +NULLS +NULL RATE +WORST BUCKET"));
  EXPECT_THAT(r.out, ContainsRegex("\nchannel +2 +50.00% +50.00% at [0-9-]+T[0-9:]+Z\n"));
  EXPECT_THAT(r.out, ContainsRegex("\nnote +3 +75.00% +75.00% at "));
  EXPECT_THAT(r.out, ContainsRegex("\namount +0 +0.00% +0.00%\n"));
  // 24 one-hour buckets, at most two of them with rows.
  EXPECT_THAT(r.out, ContainsRegex("\\(2[23] buckets without rows not shown\\)"));
}

TEST_F(QualityCliTest, CountsSurviveARestartOfFsd) {
  ASSERT_EQ(fsd_->Fsctl({"ingest", "payments", csv_}).exit_code, 0);
  ASSERT_EQ(fsd_->Stop(), 0);
  StartFsd();
  nlohmann::json q = QualityJson({"payments"});
  EXPECT_EQ(q["total"]["accepted"], 4);
  EXPECT_EQ(q["total"]["rejected"], 5);
  EXPECT_EQ(q["total"]["nulls"]["note"], 3);
}

TEST_F(QualityCliTest, ASourceWithoutRowsSaysSo) {
  ProgramResult r = fsd_->Fsctl({"quality", "payments", "--window", "1h"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("No rows were ingested into payments in this window."));
  nlohmann::json q = QualityJson({"payments"});
  EXPECT_EQ(q["total"]["accepted"], 0);
  EXPECT_TRUE(q["buckets"].empty());
  EXPECT_TRUE(q["columns"][0]["null_rate"].is_null());
}

TEST_F(QualityCliTest, ErrorsNameTheBadValue) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    int exit_code;  // 2: a usage error found by fsctl; 1: refused by the server
  };
  for (const Case& c :
       std::vector<Case>{{{"quality", "nosuch"}, "unknown source 'nosuch' (defined: payments)", 1},
                         {{"quality", "payments", "--bucket", "90s"},
                          "--bucket '90s' must be a whole number of minutes",
                          2},
                         {{"quality", "payments", "--bucket", "soon"},
                          "--bucket 'soon' must be a positive duration",
                          2},
                         {{"quality", "payments", "--window", "0s"},
                          "--window '0s' must be a positive duration",
                          2},
                         // Refused by the server: too many buckets.
                         {{"quality", "payments", "--window", "30d", "--bucket", "1m"},
                          "window 30d in buckets of 1m makes 43200 buckets; at most 10000",
                          1}}) {
    ProgramResult r = fsd_->Fsctl(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.message;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_EQ(r.out, "");
  }
  ProgramResult usage = fsd_->Fsctl({"quality"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("expected SOURCE"));
}

TEST_F(QualityCliTest, HelpTeachesWhatIsCounted) {
  ProgramResult r = RunFsctl({"quality", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage: fsctl quality SOURCE [FLAGS]"));
  EXPECT_THAT(r.out, HasSubstr("INGEST time"));
  EXPECT_THAT(r.out, HasSubstr("ACCEPTED rows"));
  EXPECT_THAT(r.out, HasSubstr("--bucket=DURATION"));
  EXPECT_THAT(r.out, Not(HasSubstr("Not implemented")));
}

}  // namespace
}  // namespace fstore::testing
