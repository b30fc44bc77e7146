#include "serving/serving_core.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/feature_binding.h"
#include "registry/xgboost_booster.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

std::string ReadDefinitionsFile() {
  std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServingCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-serving-core-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    auto store = FeatureStore::Open(temp_->db());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Apply(ReadDefinitionsFile(), "yaml", false).ok());
    ModelRegistry::Options options;
    options.sync_writes = false;
    auto registry = ModelRegistry::Open(temp_->db(), options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    core_ = ServingCore::Start(temp_->db(), store_.get(), registry_.get(), ServingCore::Options());

    // Events a minute ago and a minute before: A-1 and A-2 are active.
    now_ = NowUs();
    auto writer =
        store_->StartIngest("txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(
        (*writer)
            ->WriteText({{"t1", "A-1", "D-1", FormatIsoTime(now_ - 2 * kMinute), "10", "PAY"},
                         {"t2", "A-2", "D-1", FormatIsoTime(now_ - kMinute), "250", "XFER"}},
                        0)
            .ok());

    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(5, 5, 1);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    CreateVersionRequest request;
    request.model = "fraud";
    request.artifact_sha256 = registry_->PutArtifact(*bytes).value();
    request.binding = BindFeatureService(*store_->GetDefinitions().FindService("acct_svc"));
    ASSERT_TRUE(registry_->CreateVersion(request).ok());
  }

  void TearDown() override {
    core_.reset();
    registry_.reset();
    store_.reset();
  }

  static ScoreRequest Request(const std::string& account) {
    ScoreRequest r;
    r.model_ref = "fraud:1";
    r.entity = {{"account_id", account}};
    r.request_fields = {{"amount", Value(120.0)}};
    return r;
  }

  // Request ids in the serving log.
  std::vector<std::string> Logged() {
    EXPECT_TRUE(core_->log().Flush().ok());
    std::vector<std::string> ids;
    EXPECT_TRUE(core_->log()
                    .Scan(0, NowUs() + kMinute,
                          [&](const ServedRequest& r) {
                            ids.push_back(r.request_id);
                            return absl::OkStatus();
                          })
                    .ok());
    return ids;
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<ServingCore> core_;
  TimestampUs now_ = 0;
};

TEST_F(ServingCoreTest, ScoreKeepsTheCallersIdOrGivesAUniqueOneAndLogsIt) {
  absl::StatusOr<ServedScore> given = core_->Score(Request("A-1"), "mine");
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->request_id, "mine");
  absl::StatusOr<ServedScore> first = core_->Score(Request("A-1"), "");
  absl::StatusOr<ServedScore> second = core_->Score(Request("A-2"), "");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->request_id.empty());
  EXPECT_NE(first->request_id, second->request_id);
  const std::vector<std::string> logged = Logged();
  EXPECT_EQ(std::set<std::string>(logged.begin(), logged.end()),
            (std::set<std::string>{"mine", first->request_id, second->request_id}));
}

TEST_F(ServingCoreTest, RequestIdsOverTheLimitAreRefusedNamingTheirSize) {
  const std::string at_limit(kMaxRequestIdBytes, 'r');
  ASSERT_TRUE(core_->Score(Request("A-1"), at_limit).ok());
  const std::string huge(1 << 20, 'r');
  absl::Status s = core_->Score(Request("A-1"), huge).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("request id is 1048576 bytes, more than the limit of 256 bytes"));
  EXPECT_LT(s.message().size(), 1000u);
  EXPECT_EQ(Logged().size(), 1u);

  FeedbackLabel label;
  label.row = 3;
  label.request_id = huge;
  label.label = 1;
  s = core_->Feedback({label}, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("row 3: request id is 1048576 bytes"));
}

TEST_F(ServingCoreTest, AFailedScoreIsNotLogged) {
  ScoreRequest bad = Request("A-1");
  bad.request_fields.clear();
  EXPECT_EQ(core_->Score(bad, "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Logged().empty());
}

TEST_F(ServingCoreTest, BatchScoreSelectsTheEntitiesActiveInTheLookback) {
  BatchScoreRequest request;
  request.model_ref = "fraud:1";
  request.lookback = 10 * kMinute;
  request.request_fields = {{"amount", Value(1.0)}};
  absl::StatusOr<BatchScoreSummary> summary = core_->BatchScore(request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->scored, 2);
  std::set<std::string> scored;
  ASSERT_TRUE(core_
                  ->ListScores({},
                               [&](const ScoreRecord& r) {
                                 scored.insert(r.entity.at("account_id"));
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(scored, (std::set<std::string>{"A-1", "A-2"}));
  EXPECT_EQ(Logged().size(), 2u);
}

TEST_F(ServingCoreTest, BatchScoreNeedsEntitiesOrALookbackButNotBoth) {
  BatchScoreRequest request;
  request.model_ref = "fraud:1";
  request.request_fields = {{"amount", Value(1.0)}};
  EXPECT_THAT(std::string(core_->BatchScore(request).status().message()),
              HasSubstr("needs a lookback window"));
  request.lookback = kMinute;
  request.entities = {{{"account_id", "A-1"}}};
  EXPECT_THAT(std::string(core_->BatchScore(request).status().message()), HasSubstr("not both"));
}

TEST_F(ServingCoreTest, BatchScoreTakesAListedEntitysOwnRequestFieldsOverTheDefaults) {
  BatchScoreRequest request;
  request.model_ref = "fraud:1";
  request.request_fields = {{"amount", Value(1.0)}};
  request.entities = {{{"account_id", "A-1"}, {"amount", "250"}},
                      {{"account_id", "A-2"}, {"amount", ""}},  // the default
                      {{"account_id", "B-9"}, {"amount", "0.5"}}};
  absl::StatusOr<BatchScoreSummary> summary = core_->BatchScore(request);
  ASSERT_TRUE(summary.ok()) << summary.status();
  std::vector<ScoreRecord> records;
  ASSERT_TRUE(core_
                  ->ListScores({},
                               [&](const ScoreRecord& r) {
                                 records.push_back(r);
                                 return absl::OkStatus();
                               })
                  .ok());
  ASSERT_EQ(records.size(), 3u);
  const double amounts[] = {250, 1, 0.5};
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(i);
    // Stored under its join key only, scored with its own amount.
    EXPECT_EQ(
        records[i].entity,
        (std::map<std::string, std::string>{{"account_id", request.entities[i].at("account_id")}}));
    ScoreRequest single = Request(records[i].entity.at("account_id"));
    single.request_fields["amount"] = Value(amounts[i]);
    single.at = records[i].scored_at;
    absl::StatusOr<ServedScore> scored = core_->Score(single, "");
    ASSERT_TRUE(scored.ok()) << scored.status();
    EXPECT_EQ(records[i].fraud_score, scored->result.score);
  }
  // The serving log keeps the amount each entity was scored with.
  ASSERT_TRUE(core_->log().Flush().ok());
  std::vector<float> logged;
  ASSERT_TRUE(core_->log()
                  .Scan(0, NowUs() + kMinute,
                        [&](const ServedRequest& r) {
                          if (absl::StartsWith(r.request_id, summary->batch_id)) {
                            EXPECT_EQ(r.entity.size(), 1u);
                            logged.push_back(r.inputs.back());
                          }
                          return absl::OkStatus();
                        })
                  .ok());
  std::sort(logged.begin(), logged.end());
  EXPECT_EQ(logged, (std::vector<float>{0.5, 1, 250}));
}

TEST_F(ServingCoreTest, BatchScoreRefusesAColumnThatIsNeitherAKeyNorARequestField) {
  BatchScoreRequest request;
  request.model_ref = "fraud:1";
  request.request_fields = {{"amount", Value(1.0)}};
  request.entities = {{{"account_id", "A-1"}, {"type_code", "3"}}};
  absl::StatusOr<BatchScoreSummary> summary = core_->BatchScore(request);
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << summary.status();
  EXPECT_THAT(std::string(summary.status().message()),
              HasSubstr("column 'type_code' of the entities is neither a join key (account_id) "
                        "nor a request field (amount)"));
  request.entities = {{{"account_id", "A-1"}, {"amount", "lots"}}};
  summary = core_->BatchScore(request);
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << summary.status();
  EXPECT_THAT(std::string(summary.status().message()),
              HasSubstr("entity 1: request field amount is DOUBLE, got 'lots'"));
}

TEST_F(ServingCoreTest, BatchScoreRefusesABlankEntityKeyAndWritesNothing) {
  BatchScoreRequest request;
  request.model_ref = "fraud:1";
  request.request_fields = {{"amount", Value(1.0)}};
  request.entities = {{{"account_id", "A-1"}}, {{"account_id", " "}}};
  absl::StatusOr<BatchScoreSummary> summary = core_->BatchScore(request);
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << summary.status();
  EXPECT_THAT(std::string(summary.status().message()), HasSubstr("entity key 'account_id'"));
  int64_t written = 0;
  ASSERT_TRUE(core_
                  ->ListScores({},
                               [&](const ScoreRecord&) {
                                 ++written;
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(written, 0);
}

TEST_F(ServingCoreTest, DriftReportsFeaturesItCannotAssessAndItsMinimum) {
  ASSERT_TRUE(core_->Score(Request("A-1"), "").ok());
  absl::StatusOr<VersionDrift> drift = core_->Drift("fraud:1", 0);
  ASSERT_TRUE(drift.ok()) << drift.status();
  EXPECT_EQ(drift->report.requests, 1);
  EXPECT_EQ(drift->report.min_serving_values, 100);
  ASSERT_EQ(drift->report.features.size(), 5u);
  // The version records no training statistics: nothing to compare with.
  for (const FeatureDrift& d : drift->report.features) {
    EXPECT_EQ(d.status, "no_training_stats") << d.feature;
    EXPECT_EQ(d.serving_count, 1) << d.feature;
  }
  drift = core_->Drift("fraud:1", 0, 1);
  ASSERT_TRUE(drift.ok()) << drift.status();
  EXPECT_EQ(drift->report.min_serving_values, 1);
}

TEST_F(ServingCoreTest, NegativeWindowsAndEmptyFeedbackAreRefused) {
  EXPECT_EQ(core_->Drift("fraud:1", -1).status().code(), absl::StatusCode::kInvalidArgument);
  // Durations in messages read as durations, not microseconds.
  EXPECT_EQ(core_->Drift("fraud:1", -3600 * kMicrosPerSecond).status().message(),
            "window -1h is negative");
  EXPECT_EQ(core_->Drift("fraud:1", 0, -5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_->LiveMetricsOf("fraud:1", -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(core_->Feedback({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServingCoreTest, FeedbackLabelsALoggedRequestAndReportsItsVersion) {
  ASSERT_TRUE(core_->Score(Request("A-1"), "r-1").ok());
  FeedbackLabel label;
  label.row = 1;
  label.request_id = "r-1";
  label.label = 1;
  absl::StatusOr<FeedbackResult> result = core_->Feedback({label}, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.labelled, 1);
  ASSERT_EQ(result->live.size(), 1u);
  EXPECT_EQ(result->live[0].model, "fraud");
  EXPECT_EQ(result->live[0].labelled, 1);
}

TEST_F(ServingCoreTest, ExportLabelledSendsTheHeaderThenTheLabelledRows) {
  ASSERT_TRUE(core_->Score(Request("A-1"), "r-1").ok());
  FeedbackLabel label;
  label.row = 1;
  label.request_id = "r-1";
  label.label = 0;
  ASSERT_TRUE(core_->Feedback({label}, {}).ok());
  LabelledExportHeader header;
  std::vector<std::string> rows;
  ASSERT_TRUE(core_
                  ->ExportLabelled(
                      "fraud:1", 0,
                      [&](const LabelledExportHeader& h) {
                        header = h;
                        return absl::OkStatus();
                      },
                      [&](const LabelledRequest& l) {
                        rows.push_back(l.served.request_id);
                        return absl::OkStatus();
                      })
                  .ok());
  EXPECT_EQ(header.model, "fraud");
  EXPECT_EQ(header.feature_service, "acct_svc");
  EXPECT_EQ(header.versions, (std::vector<int64_t>{1}));
  EXPECT_EQ(rows, (std::vector<std::string>{"r-1"}));
}

TEST_F(ServingCoreTest, ExportLabelledIsRefusedOnceTheServiceChanged) {
  ASSERT_TRUE(store_
                  ->Apply(R"(feature_services:
  - name: acct_svc
    features: [acct:n_1h]
    request_fields: [{name: amount, type: DOUBLE}]
)",
                          "yaml", false)
                  .ok());
  auto ok = [](const auto&) { return absl::OkStatus(); };
  absl::Status status = core_->ExportLabelled("fraud:1", 0, ok, ok);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("changed since fraud:1"));
}

TEST_F(ServingCoreTest, MonitorProductionCoversOnlyProductionVersions) {
  EXPECT_TRUE(core_->MonitorProduction().versions.empty());
  StageTransitionRequest promote;
  promote.model = "fraud";
  promote.version = 1;
  promote.stage = Stage::kProduction;
  ASSERT_TRUE(registry_->TransitionStage(promote).ok());
  const ProductionMonitoring monitoring = core_->MonitorProduction();
  EXPECT_TRUE(monitoring.flush.ok());
  ASSERT_EQ(monitoring.versions.size(), 1u);
  EXPECT_EQ(monitoring.versions[0].version.version, 1);
}

}  // namespace
}  // namespace fstore
