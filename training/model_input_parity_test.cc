// Training and serving turn the same stored values into the same model
// inputs: a STRING feature holding numeric text ("42") and a BOOL feature
// go through the historical retrieval (as fsctl train reads it) into a
// training matrix, and through the scorer into a serving input vector, and
// the two agree bit for bit. (Training used to parse "42" into 42 while
// serving read it as missing.)
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "featurestore/feature_store.h"
#include "featurestore/model_input.h"
#include "gtest/gtest.h"
#include "registry/feature_binding.h"
#include "registry/model_registry.h"
#include "registry/xgboost_booster.h"
#include "serving/scorer.h"
#include "storage/temp_database.h"
#include "training/training_set.h"

namespace fstore {
namespace {

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

constexpr char kDefinitions[] = R"(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: txns
    timestamp_column: ts
    columns:
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: code, type: STRING}
      - {name: flag, type: BOOL}
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: last_code, function: LAST, column: code}
      - {name: last_flag, function: LAST, column: flag}
      - {name: n_1h, function: COUNT, window: 1h}
feature_services:
  - name: svc
    features: [acct:last_code, acct:last_flag, acct:n_1h]
    request_fields: [{name: amount, type: DOUBLE}]
)";

class ModelInputParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-model-input-parity-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    auto store = FeatureStore::Open(temp_->db());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false).ok());
    ModelRegistry::Options options;
    options.sync_writes = false;
    auto registry = ModelRegistry::Open(temp_->db(), options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    scorer_ = Scorer::Create(registry_.get(), store_.get());

    auto writer = store_->StartIngest("txns", {"account_id", "ts", "code", "flag"});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)
                    ->WriteText({{"A-1", FormatIsoTime(kT0), "42", "true"},
                                 {"A-2", FormatIsoTime(kT0 + kMinute), "7.5", "false"},
                                 {"A-3", FormatIsoTime(kT0 + kMinute), "PAY", "true"}},
                                0)
                    .ok());

    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(4, 5, 7);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    CreateVersionRequest request;
    request.model = "m";
    request.artifact_sha256 = registry_->PutArtifact(*bytes).value();
    definitions_ = store_->GetDefinitions();
    binding_ = BindFeatureService(*definitions_.FindService("svc"));
    request.binding = binding_;
    ASSERT_TRUE(registry_->CreateVersion(request).ok());
  }

  void TearDown() override {
    scorer_.reset();
    registry_.reset();
    store_.reset();
  }

  // What serving feeds the model for `account` at `at`.
  std::vector<float> ServingInputs(const std::string& account, TimestampUs at, double amount) {
    ScoreRequest r;
    r.model_ref = "m:1";
    r.entity = {{"account_id", account}};
    r.request_fields = {{"amount", Value(amount)}};
    r.at = at;
    absl::StatusOr<ScoreResult> scored = scorer_->Score(r);
    EXPECT_TRUE(scored.ok()) << scored.status();
    return scored.ok() ? scored->inputs : std::vector<float>();
  }

  // What training feeds the model for the same (account, time) points: the
  // historical retrieval's rows read back typed, through TrainingSetBuilder.
  TrainingData TrainingRows(const std::vector<std::string>& accounts, TimestampUs at,
                            double amount) {
    EntityRows rows;
    rows.columns = {"account_id", "ts", "amount"};
    for (const std::string& a : accounts) {
      rows.rows.push_back({a, FormatIsoTime(at), ValueToText(Value(amount))});
    }
    std::string csv;
    auto result = store_->GetHistoricalFeatures({FeatureSelector::Kind::kService, "svc", {}}, rows,
                                                "", [&](absl::string_view chunk) {
                                                  csv.append(chunk.data(), chunk.size());
                                                  return absl::OkStatus();
                                                });
    EXPECT_TRUE(result.ok()) << result.status();
    absl::StatusOr<std::vector<ColumnType>> types = InputTypes(binding_, definitions_);
    EXPECT_TRUE(types.ok()) << types.status();
    std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
    EXPECT_EQ(lines.size(), accounts.size() + 1) << csv;
    const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
    TrainingSetBuilder builder(binding_.feature_names);
    for (size_t row = 1; row < lines.size(); ++row) {
      const std::vector<std::string> cells = absl::StrSplit(lines[row], ',');
      std::vector<Value> values;
      for (size_t i = 0; i < binding_.feature_names.size(); ++i) {
        std::string column = binding_.feature_names[i];
        if (const size_t colon = column.find(':'); colon != std::string::npos) {
          column.replace(colon, 1, "__");
        }
        const auto it = std::find(header.begin(), header.end(), column);
        EXPECT_NE(it, header.end()) << column;
        if (it == header.end()) return {};
        absl::StatusOr<Value> v = ValueFromText(cells[it - header.begin()], (*types)[i]);
        EXPECT_TRUE(v.ok()) << v.status();
        values.push_back(v.value_or(Value()));
      }
      EXPECT_TRUE(builder.AddRow(values, 0).ok());
    }
    return std::move(builder).Release();
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Scorer> scorer_;
  Definitions definitions_;
  FeatureBinding binding_;
};

TEST_F(ModelInputParityTest, StringAndBoolFeaturesEnterTrainingAndServingIdentically) {
  const TimestampUs at = kT0 + 10 * kMinute;
  const std::vector<std::string> accounts = {"A-1", "A-2", "A-3", "A-unknown"};
  const TrainingData training = TrainingRows(accounts, at, 120.5);
  ASSERT_EQ(training.labels.size(), accounts.size());
  const size_t width = binding_.feature_names.size();
  for (size_t row = 0; row < accounts.size(); ++row) {
    const std::vector<float> serving = ServingInputs(accounts[row], at, 120.5);
    ASSERT_EQ(serving.size(), width);
    EXPECT_EQ(
        std::memcmp(serving.data(), training.values.data() + row * width, width * sizeof(float)), 0)
        << accounts[row];
  }
  // A-1: the STRING "42" is missing in both; its BOOL true is 1.
  EXPECT_TRUE(std::isnan(training.values[0]));
  EXPECT_EQ(training.values[1], 1.0f);
  EXPECT_EQ(training.values[2], 1.0f);  // n_1h
  EXPECT_EQ(training.values[3], 120.5f);
  // A-2: BOOL false is 0.
  EXPECT_EQ(training.values[width + 1], 0.0f);
}

}  // namespace
}  // namespace fstore
