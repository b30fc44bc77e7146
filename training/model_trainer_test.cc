#include "training/model_trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/classification_metrics.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// `rows` rows of `cols` uniform [0, 1) features, every 13th value of column 2
// missing. With `signal`, the label is 1 when x0 + x1 (+ noise) > 1.3 (about
// a quarter of the rows); without, it is an independent coin with P(1) =
// 0.25.
TrainingData MakeData(int64_t rows, int64_t cols, bool signal, uint64_t seed) {
  TrainingData d;
  for (int64_t c = 0; c < cols; ++c) d.feature_names.push_back("f_" + std::to_string(c));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) d.values.push_back(uniform(rng));
    const float* row = &d.values[r * cols];
    const float noise = uniform(rng);
    const bool positive = signal ? row[0] + row[1] + 0.3f * (noise - 0.5f) > 1.3f : noise < 0.25f;
    d.labels.push_back(positive ? 1.0f : 0.0f);
    if (cols > 2 && r % 13 == 0) d.values[r * cols + 2] = std::nanf("");
  }
  return d;
}

// Small and quick: 5 folds, at most 60 rounds of depth-3 trees.
TrainOptions QuickOptions() {
  TrainOptions o;
  o.rounds = 60;
  o.early_stopping_rounds = 10;
  o.max_depth = 3;
  o.eta = 0.3;
  o.seed = 11;
  return o;
}

TEST(TrainModelTest, LearnsARealSignal) {
  const TrainingData data = MakeData(3000, 6, true, 1);
  auto result = TrainModel(data, QuickOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->metrics.at("auc"), 0.9);
  EXPECT_GT(result->metrics.at("oof_auc"), 0.9);
  EXPECT_GT(result->metrics.at("pr_auc"), 0.7);
  EXPECT_LT(result->metrics.at("logloss"), 0.4);
  ASSERT_EQ(result->folds.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const std::string prefix = "fold_" + std::to_string(i) + "_";
    EXPECT_GT(result->metrics.at(prefix + "auc"), 0.9) << prefix;
    EXPECT_EQ(result->metrics.at(prefix + "auc"), result->folds[i].auc);
    EXPECT_TRUE(result->metrics.count(prefix + "pr_auc") &&
                result->metrics.count(prefix + "logloss") &&
                result->metrics.count(prefix + "best_iteration"));
    EXPECT_EQ(result->folds[i].train_rows + result->folds[i].validation_rows, 3000);
  }
  EXPECT_EQ(result->metrics.at("rows"), 3000);
  EXPECT_EQ(result->metrics.at("positives") + result->metrics.at("negatives"), 3000);

  // The two signal features lead the importance ranking.
  ASSERT_EQ(result->importance.size(), 6u);
  std::vector<std::string> top = {result->importance[0].feature, result->importance[1].feature};
  std::sort(top.begin(), top.end());
  EXPECT_THAT(top, ElementsAre("f_0", "f_1"));

  // The model loads, has every feature, and scores like the OOF predictions
  // say it should.
  auto booster = XgboostBooster::Load(result->model_json);
  ASSERT_TRUE(booster.ok()) << booster.status();
  EXPECT_EQ(booster->NumFeatures(), 6);
  EXPECT_THAT(result->model_json, HasSubstr(R"("feature_names":["f_0","f_1",)"));
  auto scores = booster->Predict(data.values, 3000, 6);
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_GT(*RocAuc(*scores, data.labels), 0.9);
  EXPECT_EQ(result->rounds, static_cast<int>(result->metrics.at("rounds")));
  EXPECT_EQ(result->params.at("num_boost_round"), std::to_string(result->rounds));
}

TEST(TrainModelTest, PureNoiseScoresNearOneHalf) {
  const TrainingData data = MakeData(2000, 4, false, 2);
  auto result = TrainModel(data, QuickOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(result->metrics.at("auc"), 0.5, 0.06);
  EXPECT_NEAR(result->metrics.at("oof_auc"), 0.5, 0.06);
  // Nothing to learn: validation logloss is best within a few rounds.
  EXPECT_LT(result->metrics.at("best_iteration"), 15);
}

TEST(TrainModelTest, SameInputsAndSeedGiveByteIdenticalResults) {
  const TrainingData data = MakeData(1500, 5, true, 3);
  auto a = TrainModel(data, QuickOptions());
  auto b = TrainModel(data, QuickOptions());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->model_json, b->model_json);
  EXPECT_EQ(a->metrics, b->metrics);
  EXPECT_EQ(a->params, b->params);
  EXPECT_EQ(a->oof_predictions, b->oof_predictions);
  ASSERT_EQ(a->risk_thresholds.size(), b->risk_thresholds.size());
  for (size_t i = 0; i < a->risk_thresholds.size(); ++i) {
    EXPECT_EQ(a->risk_thresholds[i].bucket, b->risk_thresholds[i].bucket);
    EXPECT_EQ(a->risk_thresholds[i].min_score, b->risk_thresholds[i].min_score);
  }

  TrainOptions other_seed = QuickOptions();
  other_seed.seed = 12;
  auto c = TrainModel(data, other_seed);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(a->fold_of_row, c->fold_of_row);
  EXPECT_NE(a->metrics.at("fold_0_auc"), c->metrics.at("fold_0_auc"));
}

TEST(TrainModelTest, TwoThreadsGiveTheSameBytesAsOne) {
  // Observed with XGBoost 1.7.4 hist: not an XGBoost promise, so a failure
  // here after an XGBoost upgrade means "record nthread", not a bug.
  const TrainingData data = MakeData(1500, 5, true, 4);
  // Few rounds: OpenMP threads are slow on a busy 2-core machine.
  TrainOptions one = QuickOptions();
  one.folds = 2;
  one.rounds = 10;
  one.nthread = 1;
  TrainOptions two = one;
  two.nthread = 2;
  auto a = TrainModel(data, one);
  auto b = TrainModel(data, two);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->model_json, b->model_json);
}

TEST(TrainModelTest, ThresholdsAreOrderedAndAtTheStatedAlertRates) {
  const TrainingData data = MakeData(3000, 6, true, 5);
  TrainOptions options = QuickOptions();
  options.risk_buckets = {{"high", 0.01}, {"low", 1.0}, {"medium", 0.05}, {"elevated", 0.2}};
  auto result = TrainModel(data, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<RiskThreshold>& t = result->risk_thresholds;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].bucket, "low");
  EXPECT_EQ(t[0].min_score, 0);
  EXPECT_EQ(t[1].bucket, "elevated");
  EXPECT_EQ(t[2].bucket, "medium");
  EXPECT_EQ(t[3].bucket, "high");
  const std::vector<float>& oof = result->oof_predictions;
  for (const auto& [index, rate] :
       std::vector<std::pair<int, double>>{{1, 0.2}, {2, 0.05}, {3, 0.01}}) {
    ASSERT_LT(t[index - 1].min_score, t[index].min_score);
    const int64_t k = static_cast<int64_t>(std::ceil(rate * 3000));
    const double threshold = t[index].min_score;
    const auto above =
        std::count_if(oof.begin(), oof.end(), [&](float s) { return s > threshold; });
    const auto at_or_above =
        std::count_if(oof.begin(), oof.end(), [&](float s) { return s >= threshold; });
    EXPECT_LT(above, k) << t[index].bucket;
    EXPECT_GE(at_or_above, k) << t[index].bucket;
  }
}

TEST(TrainModelTest, OutOfFoldPredictionsComeFromEachRowsOwnFold) {
  const TrainingData data = MakeData(1000, 4, true, 6);
  auto result = TrainModel(data, QuickOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->oof_predictions.size(), 1000u);
  ASSERT_EQ(result->fold_of_row.size(), 1000u);
  // The pooled metric recomputed from the returned predictions.
  EXPECT_EQ(*RocAuc(result->oof_predictions, data.labels), result->metrics.at("oof_auc"));
  // Each fold's metric recomputed from its rows' OOF predictions.
  for (int fold = 0; fold < 5; ++fold) {
    std::vector<float> scores, labels;
    for (size_t r = 0; r < 1000; ++r) {
      if (result->fold_of_row[r] != fold) continue;
      scores.push_back(result->oof_predictions[r]);
      labels.push_back(data.labels[r]);
    }
    EXPECT_EQ(*RocAuc(scores, labels), result->folds[fold].auc) << fold;
    EXPECT_EQ(*LogLoss(scores, labels), result->folds[fold].logloss) << fold;
  }
}

TEST(TrainModelTest, EarlyStoppingStopsAfterThePatienceAndFinalRoundsIsTheMedian) {
  const TrainingData data = MakeData(1500, 4, false, 7);
  TrainOptions options = QuickOptions();
  options.rounds = 200;
  auto result = TrainModel(data, options);
  ASSERT_TRUE(result.ok()) << result.status();
  std::vector<int> trees;
  for (const FoldResult& f : result->folds) {
    EXPECT_EQ(f.rounds_trained, f.best_iteration + 1 + options.early_stopping_rounds);
    trees.push_back(f.best_iteration + 1);
  }
  std::sort(trees.begin(), trees.end());
  EXPECT_EQ(result->rounds, trees[2]);
}

TEST(TrainModelTest, NoEarlyStoppingTrainsEveryRoundAndTakesTheLast) {
  const TrainingData data = MakeData(600, 3, true, 8);
  TrainOptions options = QuickOptions();
  options.rounds = 7;
  options.early_stopping_rounds = 0;
  options.folds = 4;
  auto result = TrainModel(data, options);
  ASSERT_TRUE(result.ok()) << result.status();
  for (const FoldResult& f : result->folds) {
    EXPECT_EQ(f.rounds_trained, 7);
    EXPECT_EQ(f.best_iteration, 6);
  }
  EXPECT_EQ(result->rounds, 7);
  EXPECT_EQ(result->metrics.at("folds"), 4);
}

TEST(TrainModelTest, AucCanDriveEarlyStopping) {
  const TrainingData data = MakeData(1000, 4, true, 9);
  TrainOptions options = QuickOptions();
  options.early_stopping_metric = EarlyStoppingMetric::kAuc;
  std::vector<TrainProgress> events;
  auto result = TrainModel(data, options, [&](const TrainProgress& p) { events.push_back(p); });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->params.at("early_stopping_metric"), "auc");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().metric_name, "auc");
  EXPECT_GT(result->metrics.at("auc"), 0.9);
}

TEST(TrainModelTest, ReportsProgressPerRoundPerFoldAndForTheFinalModel) {
  const TrainingData data = MakeData(800, 4, true, 10);
  TrainOptions options = QuickOptions();
  options.folds = 3;
  std::vector<TrainProgress> events;
  auto result = TrainModel(data, options, [&](const TrainProgress& p) { events.push_back(p); });
  ASSERT_TRUE(result.ok()) << result.status();
  size_t i = 0;
  for (int fold = 0; fold < 3; ++fold) {
    const FoldResult& f = result->folds[fold];
    double best = std::numeric_limits<double>::infinity();
    for (int round = 0; round < f.rounds_trained; ++round, ++i) {
      ASSERT_LT(i, events.size());
      EXPECT_EQ(events[i].phase, TrainProgress::Phase::kFoldRound);
      EXPECT_EQ(events[i].fold, fold);
      EXPECT_EQ(events[i].folds, 3);
      EXPECT_EQ(events[i].round, round);
      EXPECT_EQ(events[i].metric_name, "weighted_logloss");
      EXPECT_TRUE(std::isfinite(events[i].metric));
      best = std::min(best, events[i].metric);
    }
    ASSERT_LT(i, events.size());
    EXPECT_EQ(events[i].phase, TrainProgress::Phase::kFoldDone);
    EXPECT_EQ(events[i].best_round, f.best_iteration);
    EXPECT_EQ(events[i].auc, f.auc);
    EXPECT_EQ(events[i].logloss, f.logloss);
    EXPECT_EQ(events[i].metric, best);
    ++i;
  }
  for (int round = 0; round < result->rounds; ++round, ++i) {
    ASSERT_LT(i, events.size());
    EXPECT_EQ(events[i].phase, TrainProgress::Phase::kFinalRound);
    EXPECT_EQ(events[i].fold, 3);
    EXPECT_EQ(events[i].round, round);
    EXPECT_EQ(events[i].max_rounds, result->rounds);
  }
  EXPECT_EQ(i, events.size());
}

TEST(TrainModelTest, RecordsTheParamsItUsed) {
  TrainingData data = MakeData(1000, 3, true, 11);
  auto result = TrainModel(data, QuickOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& p = result->params;
  EXPECT_EQ(p.at("objective"), "binary:logistic");
  EXPECT_EQ(p.at("tree_method"), "hist");
  EXPECT_EQ(p.at("max_depth"), "3");
  EXPECT_EQ(p.at("eta"), "0.3");
  EXPECT_EQ(p.at("seed"), "11");
  EXPECT_EQ(p.at("nthread"), "1");
  EXPECT_EQ(p.at("folds"), "5");
  EXPECT_EQ(p.at("max_rounds"), "60");
  EXPECT_EQ(p.at("early_stopping_rounds"), "10");
  EXPECT_EQ(p.at("early_stopping_metric"), "weighted_logloss");
  // Default scale_pos_weight: negatives / positives.
  const double negatives = result->metrics.at("negatives");
  const double positives = result->metrics.at("positives");
  EXPECT_NEAR(std::stod(p.at("scale_pos_weight")), negatives / positives, 1e-7);
  EXPECT_EQ(result->metrics.at("scale_pos_weight"), negatives / positives);

  TrainOptions given = QuickOptions();
  given.scale_pos_weight = 1.5;
  result = TrainModel(data, given);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->params.at("scale_pos_weight"), "1.5");
}

TEST(TrainModelTest, AcceptsTheLargestSeed) {
  TrainOptions options = QuickOptions();
  options.rounds = 2;
  options.seed = std::numeric_limits<int64_t>::max();
  auto result = TrainModel(MakeData(200, 3, true, 14), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->params.at("seed"), "9223372036854775807");
}

TEST(TrainModelTest, FeatureStatisticsCoverEveryColumn) {
  const TrainingData data = MakeData(1300, 3, true, 12);
  auto result = TrainModel(data, QuickOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->feature_statistics.size(), 3u);
  const FeatureStatistics& s = result->feature_statistics[2];
  EXPECT_EQ(s.feature, "f_2");
  EXPECT_EQ(s.count, 1300);
  EXPECT_EQ(s.missing, 100);  // every 13th row
  EXPECT_EQ(s.bin_edges.size(), 11u);
  int64_t binned = 0;
  for (int64_t c : s.bin_counts) binned += c;
  EXPECT_EQ(binned, 1200);
  EXPECT_NEAR(s.mean, 0.5, 0.05);
}

struct BadInput {
  std::string name;
  std::function<void(TrainingData&, TrainOptions&)> mutate;
  std::string message;
};

TEST(TrainModelTest, RefusesBadInputNamingTheProblem) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<BadInput> cases = {
      {"no features", [](auto& d, auto&) { d.feature_names.clear(); }, "has no features"},
      {"no rows",
       [](auto& d, auto&) {
         d.labels.clear();
         d.values.clear();
       },
       "has no rows"},
      {"shape", [](auto& d, auto&) { d.values.pop_back(); },
       "has 599 feature values, not 200 rows x 3 features"},
      {"empty name", [](auto& d, auto&) { d.feature_names[1] = ""; },
       "feature 1 has an empty name"},
      {"duplicate name", [](auto& d, auto&) { d.feature_names[2] = "f_0"; },
       "feature f_0 appears twice (columns 0 and 2)"},
      {"bad name", [](auto& d, auto&) { d.feature_names[2] = "a b"; },
       "feature name 'a b' (column 2) contains whitespace"},
      {"label 2", [](auto& d, auto&) { d.labels[17] = 2; },
       "label of row 17 is 2: labels must be 0 or 1"},
      {"label 0.5", [](auto& d, auto&) { d.labels[3] = 0.5f; }, "label of row 3 is 0.5"},
      {"label NaN", [](auto& d, auto&) { d.labels[4] = std::nanf(""); }, "label of row 4 is nan"},
      {"inf value", [&](auto& d, auto&) { d.values[5 * 3 + 1] = -inf; },
       "row 5: feature f_1 is -inf"},
      {"one class", [](auto& d, auto&) { std::fill(d.labels.begin(), d.labels.end(), 0.0f); },
       "labels hold one class only (0 positives, 200 negatives)"},
      {"few positives",
       [](auto& d, auto&) {
         std::fill(d.labels.begin(), d.labels.end(), 0.0f);
         d.labels[0] = d.labels[1] = d.labels[2] = 1;
       },
       "3 positive rows cannot fill 5 cross-validation folds"},
      {"few negatives",
       [](auto& d, auto&) {
         std::fill(d.labels.begin(), d.labels.end(), 1.0f);
         d.labels[0] = 0;
       },
       "1 negative rows cannot fill 5 cross-validation folds"},
      {"folds", [](auto&, auto& o) { o.folds = 1; }, "folds is 1"},
      {"rounds", [](auto&, auto& o) { o.rounds = 0; }, "rounds is 0"},
      {"patience", [](auto&, auto& o) { o.early_stopping_rounds = -1; },
       "early_stopping_rounds is -1"},
      {"depth", [](auto&, auto& o) { o.max_depth = 0; }, "max_depth is 0"},
      {"eta", [](auto&, auto& o) { o.eta = 0; }, "eta is 0"},
      {"eta nan", [](auto&, auto& o) { o.eta = std::nan(""); }, "eta is nan"},
      {"seed", [](auto&, auto& o) { o.seed = -3; }, "seed is -3"},
      {"scale_pos_weight", [](auto&, auto& o) { o.scale_pos_weight = -1; },
       "scale_pos_weight is -1"},
      {"nthread", [](auto&, auto& o) { o.nthread = -2; }, "nthread is -2"},
      {"bins", [](auto&, auto& o) { o.histogram_bins = 0; }, "histogram_bins is 0"},
      {"bucket rate",
       [](auto&, auto& o) {
         o.risk_buckets = {{"high", 1.5}};
       },
       "risk bucket high: alert rate 1.5 must be in (0, 1]"},
      {"bucket zero",
       [](auto&, auto& o) {
         o.risk_buckets = {{"high", 0}};
       },
       "alert rate 0 must be"},
      {"bucket name",
       [](auto&, auto& o) {
         o.risk_buckets = {{"", 0.1}};
       },
       "a risk bucket has an empty name"},
      {"bucket twice",
       [](auto&, auto& o) {
         o.risk_buckets = {{"a", 0.1}, {"a", 0.2}};
       },
       "risk bucket a appears more than once"},
  };
  const TrainingData good = MakeData(200, 3, true, 13);
  for (const BadInput& c : cases) {
    TrainingData data = good;
    TrainOptions options = QuickOptions();
    c.mutate(data, options);
    auto result = TrainModel(data, options);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(result.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(AssignStratifiedFoldsTest, BalancesEachClassAcrossFoldsDeterministically) {
  std::vector<float> labels(103, 0.0f);
  for (size_t i = 0; i < labels.size(); i += 4) labels[i] = 1.0f;  // 26 positives
  const std::vector<int> folds = AssignStratifiedFolds(labels, 5, 42);
  ASSERT_EQ(folds.size(), 103u);
  std::vector<int> sizes(5, 0), positives(5, 0);
  for (size_t r = 0; r < labels.size(); ++r) {
    ASSERT_GE(folds[r], 0);
    ASSERT_LT(folds[r], 5);
    ++sizes[folds[r]];
    positives[folds[r]] += labels[r] == 1.0f ? 1 : 0;
  }
  EXPECT_EQ(
      *std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()),
      1);  // 103 = 5 * 20 + 3
  EXPECT_LE(*std::max_element(positives.begin(), positives.end()) -
                *std::min_element(positives.begin(), positives.end()),
            1);
  EXPECT_EQ(AssignStratifiedFolds(labels, 5, 42), folds);
  EXPECT_NE(AssignStratifiedFolds(labels, 5, 43), folds);
}

TEST(AssignStratifiedFoldsTest, IsPinnedForASeed) {
  // mt19937_64 and the Fisher-Yates here are fully specified: this
  // assignment is the same with every compiler and standard library.
  const std::vector<float> labels = {1, 0, 0, 1, 0, 0, 1, 0, 0, 0};
  EXPECT_THAT(AssignStratifiedFolds(labels, 3, 7), ElementsAre(2, 2, 0, 0, 1, 2, 1, 0, 0, 1));
}

TEST(ChooseRiskThresholdsTest, TopKScoresWithoutTies) {
  std::vector<float> scores;
  for (int i = 1; i <= 200; ++i) scores.push_back(static_cast<float>(i) / 256.0f);
  const auto t = ChooseRiskThresholds(scores, {{"low", 1.0}, {"medium", 0.05}, {"high", 0.01}});
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].bucket, "low");
  EXPECT_EQ(t[0].min_score, 0);
  EXPECT_EQ(t[1].bucket, "medium");
  EXPECT_EQ(t[1].min_score, 191.0 / 256);  // the 10th highest of 200
  EXPECT_EQ(t[2].bucket, "high");
  EXPECT_EQ(t[2].min_score, 199.0 / 256);  // the 2nd highest
}

TEST(ChooseRiskThresholdsTest, TiesAtTheThresholdAlertTogether) {
  // Top 10% of 10 rows is 1 row, but the two best scores tie: both alert.
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.9f, 0.9f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
  const auto t = ChooseRiskThresholds(scores, {{"high", 0.1}, {"top", 0.15}});
  ASSERT_EQ(t.size(), 2u);
  // Equal min_scores: the larger alert rate comes first.
  EXPECT_EQ(t[0].bucket, "top");
  EXPECT_EQ(t[1].bucket, "high");
  EXPECT_EQ(t[0].min_score, 0.9f);
  EXPECT_EQ(t[1].min_score, 0.9f);
}

TEST(ChooseRiskThresholdsTest, RoundsTheAlertCountUpAndKeepsAtLeastOneRow) {
  const std::vector<float> scores = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  // 0.3 * 5 = 1.5 -> 2 rows; 0.01 * 5 = 0.05 -> 1 row.
  const auto t = ChooseRiskThresholds(scores, {{"a", 0.3}, {"b", 0.01}});
  EXPECT_EQ(t[0].min_score, 0.4f);
  EXPECT_EQ(t[1].min_score, 0.5f);
}

TEST(ComputeFeatureStatisticsTest, MatchesNumpyReference) {
  // Column 1 of a 2-column matrix; column 0 is a decoy. Reference (numpy
  // 1.24): q = np.quantile(v, np.linspace(0, 1, 11), method="lower"),
  // edges = np.unique(q), np.histogram(v, bins=edges), v.mean(), v.std().
  const std::vector<float> column = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2,
                                     3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5, 0, 2,
                                     8, 8, 4, 1, 9, 7, 1, 6, 9, 3, 9, 9, 3, 7, 5, 1};
  std::vector<float> values;
  for (float v : column) {
    values.push_back(-100);
    values.push_back(v);
  }
  values.push_back(-100);
  values.push_back(std::nanf(""));  // one missing row
  const FeatureStatistics s = ComputeFeatureStatistics(values, 2, 1, "amount", 10);
  EXPECT_EQ(s.feature, "amount");
  EXPECT_EQ(s.count, 51);
  EXPECT_EQ(s.missing, 1);
  EXPECT_THAT(s.mean, DoubleNear(4.94, 1e-12));
  EXPECT_THAT(s.stddev, DoubleNear(2.7670200577516604, 1e-12));
  EXPECT_EQ(s.min, 0);
  EXPECT_EQ(s.max, 9);
  EXPECT_THAT(s.bin_edges, ElementsAre(0, 1, 2, 3, 5, 6, 7, 8, 9));
  EXPECT_THAT(s.bin_counts, ElementsAre(1, 5, 5, 13, 5, 4, 4, 13));
}

TEST(ComputeFeatureStatisticsTest, HandComputedEdgesAndClosedLastBin) {
  // m = 10 sorted values 1..10, 4 bins: ranks floor(j * 9 / 4) = 0, 2, 4, 6, 9.
  std::vector<float> values = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  const FeatureStatistics s = ComputeFeatureStatistics(values, 1, 0, "x", 4);
  EXPECT_THAT(s.bin_edges, ElementsAre(1, 3, 5, 7, 10));
  EXPECT_THAT(s.bin_counts, ElementsAre(2, 2, 2, 4));  // 10 lands in the last bin
  EXPECT_THAT(s.stddev, DoubleNear(std::sqrt(8.25), 1e-12));
}

TEST(ComputeFeatureStatisticsTest, ConstantAndAllMissingColumns) {
  const FeatureStatistics constant = ComputeFeatureStatistics({2, 2, 2}, 1, 0, "c", 10);
  EXPECT_THAT(constant.bin_edges, ElementsAre(2, 2));
  EXPECT_THAT(constant.bin_counts, ElementsAre(3));
  EXPECT_EQ(constant.stddev, 0);

  const float nan = std::nanf("");
  const FeatureStatistics missing = ComputeFeatureStatistics({nan, nan}, 1, 0, "m", 10);
  EXPECT_EQ(missing.count, 2);
  EXPECT_EQ(missing.missing, 2);
  EXPECT_EQ(missing.mean, 0);
  EXPECT_TRUE(missing.bin_edges.empty());
  EXPECT_TRUE(missing.bin_counts.empty());
}

}  // namespace
}  // namespace fstore
