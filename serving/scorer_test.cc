#include "serving/scorer.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/feature_binding.h"
#include "registry/xgboost_booster.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

std::string ReadDefinitionsFile() {
  std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// acct_svc: acct:n_1h, acct:amt_sum_24h, acct:xfer_n_24h, acct:last_amt,
// then the request field amount.
constexpr int kInputs = 5;

class ScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-scorer-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    db_ = temp_->db();
    auto store = FeatureStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Apply(ReadDefinitionsFile(), "yaml", false).ok());
    ModelRegistry::Options options;
    options.sync_writes = false;
    auto registry = ModelRegistry::Open(db_, options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    scorer_ = Scorer::Create(registry_.get(), store_.get());

    auto writer =
        store_->StartIngest("txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(
        (*writer)
            ->WriteText({{"t1", "A-1", "D-1", FormatIsoTime(kT0), "10", "PAY"},
                         {"t2", "A-1", "D-1", FormatIsoTime(kT0 + kMinute), "250", "XFER"},
                         {"t3", "A-1", "D-2", FormatIsoTime(kT0 + 2 * kMinute), "40", "XFER"}},
                        0)
            .ok());
  }

  void TearDown() override {
    scorer_.reset();
    registry_.reset();
    store_.reset();
  }

  // Registers a model trained with `seed` as the next version of "fraud".
  int64_t Register(uint64_t seed, const char* format = "json") {
    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(kInputs, 20, seed, format);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    artifacts_[seed] = *bytes;
    CreateVersionRequest request;
    request.model = "fraud";
    request.artifact_sha256 = registry_->PutArtifact(*bytes).value();
    const Definitions defs = store_->GetDefinitions();
    request.binding = BindFeatureService(*defs.FindService("acct_svc"));
    request.risk_thresholds = {{"low", 0}, {"medium", 0.3}, {"high", 0.7}};
    absl::StatusOr<ModelVersion> v = registry_->CreateVersion(request);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->version : 0;
  }

  void Promote(int64_t version, Stage stage = Stage::kProduction) {
    StageTransitionRequest request;
    request.model = "fraud";
    request.version = version;
    request.stage = stage;
    request.archive_existing = true;
    ASSERT_TRUE(registry_->TransitionStage(request).ok());
  }

  static ScoreRequest Request(const std::string& ref = "fraud@Production",
                              const std::string& account = "A-1", double amount = 120.0) {
    ScoreRequest r;
    r.model_ref = ref;
    r.entity = {{"account_id", account}};
    r.request_fields = {{"amount", Value(amount)}};
    r.at = kT0 + 10 * kMinute;
    return r;
  }

  // XGBoost's own prediction for `inputs` with the model of `seed`.
  double Reference(uint64_t seed, const std::vector<float>& inputs) {
    auto booster = XgboostBooster::Load(artifacts_[seed]);
    EXPECT_TRUE(booster.ok());
    auto p = booster->Predict(inputs, 1, static_cast<int>(inputs.size()));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? (*p)[0] : -1;
  }

  std::unique_ptr<TempDatabase> temp_;
  Database* db_ = nullptr;
  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scorer> scorer_;
  std::map<uint64_t, std::string> artifacts_;
};

TEST_F(ScorerTest, JoinsOnlineFeaturesAndRequestFieldsInBindingOrder) {
  Promote(Register(7));
  absl::StatusOr<ScoreResult> r = scorer_->Score(Request());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "fraud");
  EXPECT_EQ(r->version, 1);
  // n_1h = 3, amt_sum_24h = 300, xfer_n_24h = 2, last_amt = 40, amount = 120.
  EXPECT_EQ(r->inputs, (std::vector<float>{3, 300, 2, 40, 120}));
  EXPECT_TRUE(r->missing_features.empty());
  EXPECT_NEAR(r->score, Reference(7, r->inputs), 1e-6);
  EXPECT_EQ(r->risk_bucket, RiskBucket({{"low", 0}, {"medium", 0.3}, {"high", 0.7}}, r->score));
}

TEST_F(ScorerTest, FeaturesAreAsOfTheRequestTimeStrictlyBefore) {
  Promote(Register(7));
  ScoreRequest request = Request();
  request.at = kT0 + kMinute;  // only t1 is strictly before
  absl::StatusOr<ScoreResult> r = scorer_->Score(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->inputs, (std::vector<float>{1, 10, 0, 10, 120}));
}

TEST_F(ScorerTest, UbjsonArtifactsScoreLikeXgboost) {
  Promote(Register(9, "ubjson"));
  absl::StatusOr<ScoreResult> r = scorer_->Score(Request());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->score, Reference(9, r->inputs), 1e-6);
}

TEST_F(ScorerTest, AnEntityWithoutDataIsScoredAndItsFeaturesNamedMissing) {
  Promote(Register(7));
  absl::StatusOr<ScoreResult> r = scorer_->Score(Request("fraud@Production", "NEW-1"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->missing_features, (std::vector<std::string>{"acct:n_1h", "acct:amt_sum_24h",
                                                           "acct:xfer_n_24h", "acct:last_amt"}));
  EXPECT_EQ(r->inputs[0], 0);             // counts read 0, as in training
  EXPECT_TRUE(std::isnan(r->inputs[3]));  // LAST has no value
  EXPECT_NEAR(r->score, Reference(7, r->inputs), 1e-6);
}

TEST_F(ScorerTest, FastAndExactExplanationsAddUpToTheMargin) {
  Promote(Register(7));
  for (Explain explain : {Explain::kFast, Explain::kExact}) {
    ScoreRequest request = Request();
    request.explain = explain;
    absl::StatusOr<ScoreResult> r = scorer_->Score(request);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->contributions.size(), static_cast<size_t>(kInputs));
    double margin = r->bias;
    for (size_t i = 0; i < r->contributions.size(); ++i) {
      margin += r->contributions[i].contribution;
      if (i > 0) {
        EXPECT_GE(std::fabs(r->contributions[i - 1].contribution),
                  std::fabs(r->contributions[i].contribution));
      }
    }
    EXPECT_NEAR(1 / (1 + std::exp(-margin)), r->score, 1e-5);
    for (const FeatureContribution& c : r->contributions) {
      if (c.feature == "amount") {
        EXPECT_EQ(c.value, Value(120.0));
      }
      if (c.feature == "acct:n_1h") {
        EXPECT_EQ(c.value, Value(int64_t{3}));
      }
    }
  }
}

TEST_F(ScorerTest, TopContributionsAreLimited) {
  Promote(Register(7));
  Scorer::Options options;
  options.top_contributions = 2;
  auto scorer = Scorer::Create(registry_.get(), store_.get(), options);
  ScoreRequest request = Request();
  request.explain = Explain::kFast;
  EXPECT_EQ(scorer->Score(request)->contributions.size(), 2u);
}

TEST_F(ScorerTest, BadRequestsAreRefusedNamingTheValue) {
  Promote(Register(7));
  auto expect = [&](const ScoreRequest& request, absl::StatusCode code, const std::string& text) {
    absl::StatusOr<ScoreResult> r = scorer_->Score(request);
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(text));
  };
  expect(Request("nosuch@Production"), absl::StatusCode::kNotFound, "nosuch");
  expect(Request("fraud:9"), absl::StatusCode::kNotFound, "9");
  expect(Request("fraud@champion"), absl::StatusCode::kNotFound, "champion");
  expect(Request("fraud"), absl::StatusCode::kInvalidArgument, "fraud");
  ScoreRequest no_key = Request();
  no_key.entity = {{"device_id", "D-1"}};
  expect(no_key, absl::StatusCode::kInvalidArgument, "account_id");
  for (const std::string blank : {"", "  "}) {
    expect(Request("fraud@Production", blank), absl::StatusCode::kInvalidArgument,
           "entity key 'account_id'");
  }
  ScoreRequest no_field = Request();
  no_field.request_fields.clear();
  expect(no_field, absl::StatusCode::kInvalidArgument, "amount");
  ScoreRequest text_field = Request();
  text_field.request_fields["amount"] = Value(std::string("lots"));
  expect(text_field, absl::StatusCode::kInvalidArgument, "'lots'");
  ScoreRequest nan_field = Request();
  nan_field.request_fields["amount"] = Value(std::nan(""));
  expect(nan_field, absl::StatusCode::kInvalidArgument, "finite");
  ScoreRequest inf_field = Request();
  inf_field.request_fields["amount"] = Value(HUGE_VAL);
  expect(inf_field, absl::StatusCode::kInvalidArgument, "finite");
  ScoreRequest typo = Request();
  typo.request_fields["typo"] = Value(int64_t{3});
  expect(typo, absl::StatusCode::kInvalidArgument, "unknown request field 'typo'");
  expect(typo, absl::StatusCode::kInvalidArgument, "request fields amount");
  // An integer for a DOUBLE field is a number like any other.
  ScoreRequest int_field = Request();
  int_field.request_fields["amount"] = Value(int64_t{120});
  EXPECT_TRUE(scorer_->Score(int_field).ok());
}

TEST_F(ScorerTest, APromotionTakesEffectOnTheNextRequestAndIsPreloaded) {
  const int64_t v1 = Register(7);
  const int64_t v2 = Register(8);
  Promote(v1);
  EXPECT_EQ(scorer_->Score(Request())->version, v1);
  Promote(v2);
  EXPECT_EQ(scorer_->CachedVersions(), 2u) << "the promotion loaded version 2";
  absl::StatusOr<ScoreResult> r = scorer_->Score(Request());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, v2);
  EXPECT_NEAR(r->score, Reference(8, r->inputs), 1e-6);
  ASSERT_TRUE(registry_->SetAlias("fraud", "challenger", v1, "test").ok());
  EXPECT_EQ(scorer_->Score(Request("fraud@challenger"))->version, v1);
  EXPECT_EQ(scorer_->Score(Request("fraud:2"))->version, v2);
}

// The acct view with n_1h counting over `n_window`, with or without
// amt_sum_24h (acct_svc then drops it too).
std::string AcctView(const std::string& n_window, bool with_sum) {
  std::string yaml = R"yaml(
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: )yaml" +
                     n_window + "}\n";
  if (with_sum) yaml += "      - {name: amt_sum_24h, function: SUM, column: amount, window: 24h}\n";
  yaml +=
      R"yaml(      - {name: xfer_n_24h, function: COUNT, window: 24h, where: {column: kind, equals: XFER}}
      - {name: last_amt, function: LAST, column: amount, ttl: 48h}
feature_services:
  - name: acct_svc
    features: [acct:n_1h, )yaml";
  if (with_sum) yaml += "acct:amt_sum_24h, ";
  yaml += "acct:xfer_n_24h, acct:last_amt]\n    request_fields: [{name: amount, type: DOUBLE}]\n";
  return yaml;
}

TEST_F(ScorerTest, DefinitionChangesTakeEffectOnTheNextRequest) {
  Promote(Register(7));  // loaded now, its features resolved in the store
  ASSERT_EQ(scorer_->Score(Request())->inputs, (std::vector<float>{3, 300, 2, 40, 120}));

  // n_1h now counts the last 5 minutes only (nothing before kT0 + 10m).
  ASSERT_TRUE(store_->Apply(AcctView("5m", true), "yaml", false).ok());
  EXPECT_EQ(scorer_->Score(Request())->inputs, (std::vector<float>{0, 300, 2, 40, 120}));

  // A bound feature goes away, then comes back.
  ASSERT_TRUE(store_->Apply(AcctView("1h", false), "yaml", false).ok());
  absl::StatusOr<ScoreResult> gone = scorer_->Score(Request());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition) << gone.status();
  EXPECT_THAT(std::string(gone.status().message()), HasSubstr("amt_sum_24h"));
  ASSERT_TRUE(store_->Apply(AcctView("1h", true), "yaml", false).ok());
  EXPECT_EQ(scorer_->Score(Request())->inputs, (std::vector<float>{3, 300, 2, 40, 120}));
}

TEST_F(ScorerTest, AVersionLoadedWhileItsFeaturesAreMissingScoresOnceTheyAreBack) {
  Register(7);
  ASSERT_TRUE(store_->Apply(AcctView("1h", false), "yaml", false).ok());
  absl::StatusOr<ScoreResult> gone = scorer_->Score(Request("fraud:1"));
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition) << gone.status();
  EXPECT_EQ(scorer_->CachedVersions(), 1u);
  ASSERT_TRUE(store_->Apply(AcctView("1h", true), "yaml", false).ok());
  absl::StatusOr<ScoreResult> back = scorer_->Score(Request("fraud:1"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->inputs, (std::vector<float>{3, 300, 2, 40, 120}));
  EXPECT_NEAR(back->score, Reference(7, back->inputs), 1e-6);
}

TEST_F(ScorerTest, NoRequestFailsWhileVersionsAreSwappedUnderLoad) {
  const int64_t v1 = Register(7);
  const int64_t v2 = Register(8);
  Promote(v1);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, scored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        absl::StatusOr<ScoreResult> r = scorer_->Score(Request());
        if (!r.ok() || (r->version != v1 && r->version != v2)) failures.fetch_add(1);
        scored.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 40; ++i) Promote(i % 2 == 0 ? v2 : v1);
  while (scored.load() < 1000) std::this_thread::yield();
  stop.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ScorerTest, ADeletedVersionLeavesTheCache) {
  const int64_t v1 = Register(7);
  EXPECT_TRUE(scorer_->Score(Request("fraud:1")).ok());
  EXPECT_EQ(scorer_->CachedVersions(), 1u);
  ASSERT_TRUE(registry_->DeleteVersion("fraud", v1, "test").ok());
  EXPECT_EQ(scorer_->CachedVersions(), 0u);
  EXPECT_EQ(scorer_->Score(Request("fraud:1")).status().code(), absl::StatusCode::kNotFound);
}

TEST(RiskBucketTest, HighestThresholdNotAboveTheScore) {
  const std::vector<RiskThreshold> t = {{"high", 0.8}, {"low", 0}, {"medium", 0.4}};
  EXPECT_EQ(RiskBucket(t, 0.1), "low");
  EXPECT_EQ(RiskBucket(t, 0.4), "medium");
  EXPECT_EQ(RiskBucket(t, 0.95), "high");
  EXPECT_EQ(RiskBucket({}, 0.5), "");
  EXPECT_EQ(RiskBucket({{"high", 0.8}}, 0.5), "");
}

}  // namespace
}  // namespace fstore
