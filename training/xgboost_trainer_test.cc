#include "training/xgboost_trainer.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

// `rows` rows of `cols` uniform [0, 1) features; the label is 1 when
// feature 0 + feature 1 (+ a little noise) exceeds 1, so columns 0 and 1
// carry all the signal.
struct Synthetic {
  std::vector<float> values;
  std::vector<float> labels;
  int64_t rows = 0;
  int64_t cols = 0;

  DenseMatrixView View() const { return {values, rows, cols}; }
  XgboostTrainingSet TrainingSet() const { return {View(), labels, {}, {}}; }
};

Synthetic MakeSynthetic(int64_t rows, int64_t cols, uint64_t seed) {
  Synthetic s;
  s.rows = rows;
  s.cols = cols;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) s.values.push_back(uniform(rng));
    const float* row = &s.values[r * cols];
    s.labels.push_back(row[0] + row[1] + 0.2f * (uniform(rng) - 0.5f) > 1.0f ? 1.0f : 0.0f);
  }
  return s;
}

std::map<std::string, std::string> Params(int nthread = 1) {
  return {{"objective", "binary:logistic"},
          {"tree_method", "hist"},
          {"max_depth", "4"},
          {"eta", "0.3"},
          {"seed", "7"},
          {"verbosity", "0"},
          {"nthread", std::to_string(nthread)}};
}

XgboostTrainer Train(const XgboostTrainingSet& set,
                     const std::map<std::string, std::string>& params, int rounds) {
  auto trainer = XgboostTrainer::Create(set, params);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  for (int i = 0; i < rounds; ++i) {
    absl::Status status = trainer->TrainOneRound();
    EXPECT_TRUE(status.ok()) << status;
  }
  return std::move(trainer).value();
}

TEST(XgboostTrainerTest, LearnsTheSignalRoundByRound) {
  const Synthetic data = MakeSynthetic(1000, 4, 1);
  XgboostTrainer trainer = Train(data.TrainingSet(), Params(), 10);
  EXPECT_EQ(trainer.RoundsTrained(), 10);
  EXPECT_EQ(trainer.NumFeatures(), 4);
  const std::vector<float> rows = {0.95f, 0.95f, 0.5f, 0.5f,   // clearly positive
                                   0.05f, 0.05f, 0.5f, 0.5f};  // clearly negative
  auto scores = trainer.Predict({rows, 2, 4});
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 2u);
  EXPECT_GT((*scores)[0], 0.9f);
  EXPECT_LT((*scores)[1], 0.1f);
}

TEST(XgboostTrainerTest, SameInputsGiveByteIdenticalModelsSingleThreaded) {
  const Synthetic data = MakeSynthetic(2000, 6, 2);
  auto a = Train(data.TrainingSet(), Params(1), 15).SaveModel();
  auto b = Train(data.TrainingSet(), Params(1), 15).SaveModel();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
}

TEST(XgboostTrainerTest, SameInputsGiveByteIdenticalModelsWithSeveralThreads) {
  // Observed with XGBoost 1.7.4 hist, row and column subsampling included.
  const Synthetic data = MakeSynthetic(5000, 6, 3);
  auto params = Params(2);
  params["subsample"] = "0.8";
  params["colsample_bytree"] = "0.8";
  auto a = Train(data.TrainingSet(), params, 10).SaveModel();
  auto b = Train(data.TrainingSet(), params, 10).SaveModel();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
}

TEST(XgboostTrainerTest, SeedChangesASubsampledModel) {
  const Synthetic data = MakeSynthetic(2000, 6, 4);
  auto params = Params();
  params["subsample"] = "0.5";
  auto a = Train(data.TrainingSet(), params, 5).SaveModel();
  params["seed"] = "8";
  auto b = Train(data.TrainingSet(), params, 5).SaveModel();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(XgboostTrainerTest, EvalPredictionsAfterEachRoundMatchAFreshPrediction) {
  const Synthetic train = MakeSynthetic(1000, 3, 5);
  const Synthetic valid = MakeSynthetic(300, 3, 6);
  auto trainer = XgboostTrainer::Create(train.TrainingSet(), Params());
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto id = trainer->AddEvalMatrix(valid.View());
  ASSERT_TRUE(id.ok()) << id.status();
  std::vector<std::vector<float>> per_round;
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(trainer->TrainOneRound().ok());
    auto cached = trainer->PredictEval(*id);
    ASSERT_TRUE(cached.ok()) << cached.status();
    auto fresh = trainer->Predict(valid.View());
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ(*cached, *fresh) << "round " << round;
    per_round.push_back(*cached);
  }
  // Predictions from the first k rounds are those seen after round k.
  for (int k = 1; k <= 5; ++k) {
    auto first_k = trainer->PredictEval(*id, k);
    ASSERT_TRUE(first_k.ok()) << first_k.status();
    EXPECT_EQ(*first_k, per_round[k - 1]) << k << " rounds";
  }
}

TEST(XgboostTrainerTest, SavedModelLoadsAndPredictsLikeTheTrainer) {
  const Synthetic data = MakeSynthetic(1000, 3, 7);
  XgboostTrainer trainer = Train(data.TrainingSet(), Params(), 8);
  for (absl::string_view format : {"json", "ubjson"}) {
    auto bytes = trainer.SaveModel(format);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(*DetectModelFormat(*bytes), format);
    auto booster = XgboostBooster::Load(*bytes);
    ASSERT_TRUE(booster.ok()) << booster.status();
    auto loaded = booster->Predict(data.values, static_cast<int>(data.rows), 3);
    auto trained = trainer.Predict(data.View());
    ASSERT_TRUE(loaded.ok() && trained.ok());
    EXPECT_EQ(*loaded, *trained) << format;
  }
  EXPECT_FALSE(trainer.SaveModel("deprecated").ok());
}

TEST(XgboostTrainerTest, FeatureNamesAreKeptInTheModelJson) {
  const Synthetic data = MakeSynthetic(500, 3, 8);
  XgboostTrainingSet set = data.TrainingSet();
  set.feature_names = {"account:txn_count_1h", "amount", "device:distinct_accounts_24h"};
  XgboostTrainer trainer = Train(set, Params(), 2);
  auto json = trainer.SaveModel();
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr(R"("feature_names":["account:txn_count_1h","amount",)"
                               R"("device:distinct_accounts_24h"])"));
}

TEST(XgboostTrainerTest, ImportanceCoversEveryColumnAndRanksTheSignalFirst) {
  const Synthetic data = MakeSynthetic(2000, 5, 9);
  XgboostTrainingSet set = data.TrainingSet();
  set.feature_names = {"a", "b", "noise_c", "noise_d", "noise_e"};
  XgboostTrainer trainer = Train(set, Params(), 10);
  auto importance = trainer.FeatureImportances();
  ASSERT_TRUE(importance.ok()) << importance.status();
  ASSERT_EQ(importance->size(), 5u);
  for (size_t c = 0; c < 5; ++c) EXPECT_EQ((*importance)[c].feature, set.feature_names[c]);
  double noise_gain = 0;
  for (size_t c = 2; c < 5; ++c) noise_gain += (*importance)[c].total_gain;
  for (size_t c = 0; c < 2; ++c) {
    const FeatureImportance& f = (*importance)[c];
    EXPECT_GT(f.splits, 0);
    EXPECT_GT(f.total_gain, 10 * noise_gain) << f.feature;
    EXPECT_NEAR(f.gain * static_cast<double>(f.splits), f.total_gain, 1e-3 * f.total_gain);
  }
}

TEST(XgboostTrainerTest, UnusedFeatureHasZeroImportance) {
  Synthetic data = MakeSynthetic(500, 3, 10);
  for (int64_t r = 0; r < data.rows; ++r) data.values[r * 3 + 2] = 1.0f;  // constant column
  XgboostTrainer trainer = Train(data.TrainingSet(), Params(), 3);
  auto importance = trainer.FeatureImportances();
  ASSERT_TRUE(importance.ok()) << importance.status();
  EXPECT_EQ((*importance)[2].feature, "f2");
  EXPECT_EQ((*importance)[2].splits, 0);
  EXPECT_EQ((*importance)[2].total_gain, 0);
  EXPECT_EQ((*importance)[2].gain, 0);
}

TEST(XgboostTrainerTest, NaNIsMissingAndWeightsAreUsed) {
  Synthetic data = MakeSynthetic(1000, 3, 11);
  for (int64_t r = 0; r < data.rows; r += 7) data.values[r * 3] = std::nanf("");
  XgboostTrainingSet set = data.TrainingSet();
  auto unweighted = Train(set, Params(), 3).SaveModel();
  std::vector<float> weights(data.rows, 1.0f);
  for (int64_t r = 0; r < data.rows; r += 2) weights[r] = 3.0f;
  set.weights = weights;
  auto weighted = Train(set, Params(), 3).SaveModel();
  ASSERT_TRUE(unweighted.ok()) << unweighted.status();
  ASSERT_TRUE(weighted.ok()) << weighted.status();
  EXPECT_NE(*unweighted, *weighted);
}

TEST(XgboostTrainerTest, RefusesMalformedTrainingSets) {
  const Synthetic data = MakeSynthetic(10, 2, 12);
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    std::string name;
    std::function<void(XgboostTrainingSet&, std::vector<float>&, std::vector<float>&,
                       std::vector<float>&)>
        mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"shape", [](auto& s, auto&, auto&, auto&) { s.features.num_rows = 11; },
       "20 values are not 11 rows x 2 columns"},
      {"empty",
       [](auto& s, auto&, auto&, auto&) {
         s.features = {{}, 0, 2};
       },
       "training matrix is empty"},
      {"inf", [&](auto& s, auto& v, auto&, auto&) { v[7] = inf; }, "row 3 column 1 is inf"},
      {"labels", [](auto& s, auto&, auto& l, auto&) { s.labels = absl::MakeSpan(l).first(9); },
       "9 labels for 10 training rows"},
      {"nan label", [](auto&, auto&, auto& l, auto&) { l[4] = std::nanf(""); },
       "label of row 4 is nan"},
      {"weights", [](auto& s, auto&, auto&, auto& w) { s.weights = absl::MakeSpan(w).first(3); },
       "3 weights for 10 training rows"},
      {"negative weight", [](auto&, auto&, auto&, auto& w) { w[2] = -1; }, "weight of row 2 is -1"},
      {"name count", [](auto& s, auto&, auto&, auto&) { s.feature_names = {"a"}; },
       "1 feature names for 2 columns"},
      {"duplicate",
       [](auto& s, auto&, auto&, auto&) {
         s.feature_names = {"a", "a"};
       },
       "feature name 'a' appears twice"},
      {"empty name",
       [](auto& s, auto&, auto&, auto&) {
         s.feature_names = {"a", ""};
       },
       "feature name of column 1 is empty"},
      {"bad char",
       [](auto& s, auto&, auto&, auto&) {
         s.feature_names = {"a", "b[1]"};
       },
       "feature name 'b[1]' (column 1)"},
  };
  for (const Case& c : cases) {
    std::vector<float> values = data.values;
    std::vector<float> labels = data.labels;
    std::vector<float> weights(10, 1.0f);
    XgboostTrainingSet set{{values, 10, 2}, labels, weights, {}};
    c.mutate(set, values, labels, weights);
    auto trainer = XgboostTrainer::Create(set, Params());
    ASSERT_FALSE(trainer.ok()) << c.name;
    EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(trainer.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(XgboostTrainerTest, RefusesABadParameterAtCreate) {
  const Synthetic data = MakeSynthetic(10, 2, 13);
  auto params = Params();
  params["max_depth"] = "deep";
  auto trainer = XgboostTrainer::Create(data.TrainingSet(), params);
  ASSERT_FALSE(trainer.ok());
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(trainer.status().message(), HasSubstr("max_depth"));

  params = Params();
  params["objective"] = "binary:nonsense";
  trainer = XgboostTrainer::Create(data.TrainingSet(), params);
  ASSERT_FALSE(trainer.ok());
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(trainer.status().message(), HasSubstr("binary:nonsense"));
}

TEST(XgboostTrainerTest, RefusesCallsThatNeedATrainedRoundOrAKnownMatrix) {
  const Synthetic data = MakeSynthetic(50, 2, 14);
  auto trainer = XgboostTrainer::Create(data.TrainingSet(), Params());
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  EXPECT_EQ(trainer->SaveModel().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(trainer->FeatureImportances().status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(trainer->TrainOneRound().ok());
  EXPECT_EQ(trainer->PredictEval(0).status().code(), absl::StatusCode::kInvalidArgument);
  auto id = trainer->AddEvalMatrix(data.View());
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(trainer->PredictEval(*id, 2).status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<float> three_columns(6, 0.5f);
  auto wrong = trainer->AddEvalMatrix({three_columns, 2, 3});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("has 3 columns but the model has 2"));
  EXPECT_FALSE(trainer->Predict({three_columns, 2, 3}).ok());
}

}  // namespace
}  // namespace fstore
