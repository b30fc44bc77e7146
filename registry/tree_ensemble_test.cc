#include "registry/tree_ensemble.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// `num_rows` rows of `num_features`, uniform over a little more than the
// training range [0, 1), with `missing_fraction` of the cells NaN.
std::vector<float> RandomRows(int num_features, int num_rows, uint64_t seed,
                              double missing_fraction) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(-0.1f, 1.1f);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<float> rows(static_cast<size_t>(num_features) * num_rows);
  for (float& cell : rows) cell = coin(rng) < missing_fraction ? kNaN : value(rng);
  return rows;
}

// Every number in the model's "split_conditions" arrays: thresholds (and
// leaf values), to put rows exactly on split boundaries.
std::vector<float> SplitConditions(const std::string& json) {
  std::vector<float> out;
  const std::string key = "\"split_conditions\":[";
  for (size_t pos = json.find(key); pos != std::string::npos; pos = json.find(key, pos)) {
    pos += key.size();
    const size_t end = json.find(']', pos);
    const std::string list = json.substr(pos, end - pos);
    const char* p = list.c_str();
    while (*p != '\0') {
      char* next = nullptr;
      const float value = std::strtof(p, &next);
      if (next == p) break;
      out.push_back(value);
      p = *next == ',' ? next + 1 : next;
    }
  }
  return out;
}

// A trained model, its XGBoost reference and its native ensemble.
struct Models {
  std::string json;
  XgboostBooster booster;
  TreeEnsemble ensemble;
};

absl::StatusOr<Models> Build(const TestBoosterSpec& spec) {
  FSTORE_ASSIGN_OR_RETURN(const std::string bytes, TrainBoosterForTesting(spec));
  FSTORE_ASSIGN_OR_RETURN(XgboostBooster booster, XgboostBooster::Load(bytes));
  // An UBJSON artifact reaches the ensemble as the booster's JSON.
  std::string json = bytes;
  if (spec.format != "json") {
    FSTORE_ASSIGN_OR_RETURN(json, booster.Save("json"));
  }
  FSTORE_ASSIGN_OR_RETURN(TreeEnsemble ensemble, TreeEnsemble::FromXgboostJson(json));
  return Models{std::move(json), std::move(booster), std::move(ensemble)};
}

struct Diffs {
  double margin = 0;
  double prediction = 0;
  double fast = 0;  // FAST vs XGBoost approx_contribs
  // Sums of contributions vs the margin, relative to max(1, |margin|): both
  // sides are float sums over every tree, rounded differently.
  double fast_sum = 0;
  double exact = 0;  // EXACT vs XGBoost TreeSHAP
  double exact_sum = 0;
};

// Compares the ensemble with XGBoost on `rows`; EXACT on the first
// `exact_rows` rows only (TreeSHAP is slow in XGBoost).
Diffs Compare(const Models& m, const std::vector<float>& rows, int exact_rows) {
  const int nf = m.ensemble.num_features();
  const int num_rows = static_cast<int>(rows.size() / nf);
  Diffs d;
  auto margins = m.booster.PredictMargin(rows, num_rows, nf);
  auto predictions = m.booster.Predict(rows, num_rows, nf);
  auto approx = m.booster.PredictContributions(rows, num_rows, nf, /*approximate=*/true);
  std::vector<float> exact_input(rows.begin(), rows.begin() + static_cast<size_t>(exact_rows) * nf);
  auto shap = m.booster.PredictContributions(exact_input, exact_rows, nf, /*approximate=*/false);
  if (!margins.ok() || !predictions.ok() || !approx.ok() || !shap.ok()) {
    ADD_FAILURE() << "XGBoost failed: " << margins.status() << predictions.status()
                  << approx.status() << shap.status();
    return d;
  }
  std::vector<float> contributions(nf + 1);
  for (int r = 0; r < num_rows; ++r) {
    const float* row = &rows[static_cast<size_t>(r) * nf];
    const double margin = m.ensemble.PredictMargin(row);
    d.margin = std::max(d.margin, std::abs(margin - (*margins)[r]));
    const double prediction = m.ensemble.Predict(row);
    d.prediction = std::max(d.prediction, std::abs(prediction - (*predictions)[r]));

    EXPECT_EQ(m.ensemble.PredictWithFastContributions(row, contributions.data()), prediction);
    double sum = 0;
    for (int c = 0; c <= nf; ++c) {
      sum += contributions[c];
      d.fast = std::max(
          d.fast, static_cast<double>(std::abs(contributions[c] -
                                               (*approx)[static_cast<size_t>(r) * (nf + 1) + c])));
    }
    d.fast_sum = std::max(d.fast_sum, std::abs(sum - margin) / std::max(1.0, std::abs(margin)));

    if (r < exact_rows) {
      EXPECT_EQ(m.ensemble.PredictWithExactContributions(row, contributions.data()), prediction);
      sum = 0;
      for (int c = 0; c <= nf; ++c) {
        sum += contributions[c];
        d.exact = std::max(
            d.exact, static_cast<double>(std::abs(contributions[c] -
                                                  (*shap)[static_cast<size_t>(r) * (nf + 1) + c])));
      }
      d.exact_sum = std::max(d.exact_sum, std::abs(sum - margin) / std::max(1.0, std::abs(margin)));
    }
  }
  return d;
}

void ExpectParity(const Diffs& d, absl::string_view label) {
  std::printf(
      "[parity] %-44s margin %.3g  prob %.3g  fast %.3g (sum %.3g)  exact %.3g (sum %.3g)\n",
      std::string(label).c_str(), d.margin, d.prediction, d.fast, d.fast_sum, d.exact, d.exact_sum);
  EXPECT_LE(d.margin, 1e-6) << label;
  EXPECT_LE(d.prediction, 1e-6) << label;
  EXPECT_LE(d.fast, 1e-5) << label;
  EXPECT_LE(d.fast_sum, 1e-5) << label;
  EXPECT_LE(d.exact, 1e-5) << label;
  EXPECT_LE(d.exact_sum, 1e-5) << label;
}

// ---------------------------------------------------------------------------
// Parity with XGBoost's own predictions.
// ---------------------------------------------------------------------------

struct ParityCase {
  int max_depth;
  int rounds;
  const char* format;
};

void PrintTo(const ParityCase& c, std::ostream* os) {
  *os << "depth " << c.max_depth << ", " << c.rounds << " trees, " << c.format;
}

class TreeEnsembleParityTest : public ::testing::TestWithParam<ParityCase> {};

TEST_P(TreeEnsembleParityTest, MatchesXgboostOnRandomRowsWithMissingValues) {
  const ParityCase& c = GetParam();
  TestBoosterSpec spec;
  spec.num_features = 12;
  spec.num_rows = 3000;
  spec.rounds = c.rounds;
  spec.max_depth = c.max_depth;
  spec.missing_fraction = 0.1;
  spec.seed = static_cast<uint64_t>(c.max_depth * 1000 + c.rounds);
  spec.format = c.format;
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  ASSERT_EQ(m.ensemble.num_trees(), c.rounds);
  const std::vector<float> rows = RandomRows(12, 3000, spec.seed + 1, 0.15);
  ExpectParity(Compare(m, rows, c.rounds >= 200 ? 200 : 1000),
               absl::StrCat("depth ", c.max_depth, ", ", c.rounds, " trees, ", c.format));
}

INSTANTIATE_TEST_SUITE_P(DepthsTreeCountsAndFormats, TreeEnsembleParityTest,
                         ::testing::Values(ParityCase{1, 1, "json"}, ParityCase{1, 10, "ubjson"},
                                           ParityCase{1, 200, "json"}, ParityCase{3, 1, "ubjson"},
                                           ParityCase{3, 10, "json"}, ParityCase{3, 200, "ubjson"},
                                           ParityCase{6, 1, "json"}, ParityCase{6, 10, "ubjson"},
                                           ParityCase{6, 200, "json"}, ParityCase{8, 1, "ubjson"},
                                           ParityCase{8, 10, "json"}, ParityCase{8, 200, "ubjson"}),
                         [](const ::testing::TestParamInfo<ParityCase>& info) {
                           return absl::StrCat("Depth", info.param.max_depth, "Trees",
                                               info.param.rounds, info.param.format);
                         });

TEST(TreeEnsembleTest, MatchesXgboostWithHistogramSplitsAndMissingTraining) {
  TestBoosterSpec spec;
  spec.num_features = 40;
  spec.num_rows = 4000;
  spec.rounds = 50;
  spec.max_depth = 6;
  spec.missing_fraction = 0.2;
  spec.params = {{"tree_method", "hist"}};
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  ExpectParity(Compare(m, RandomRows(40, 2000, 5, 0.2), 300), "hist, 40 features, depth 6");
}

TEST(TreeEnsembleTest, RowsExactlyOnThresholdsGoRightLikeXgboost) {
  TestBoosterSpec spec;
  spec.num_features = 6;
  spec.rounds = 20;
  spec.max_depth = 4;
  spec.params = {{"tree_method", "hist"}};
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  const std::vector<float> conditions = SplitConditions(m.json);
  ASSERT_FALSE(conditions.empty());
  std::mt19937_64 rng(3);
  std::vector<float> rows(6 * 3000);
  for (float& cell : rows) {
    const float t = conditions[rng() % conditions.size()];
    switch (rng() % 4) {
      case 0:
        cell = t;
        break;
      case 1:
        cell = std::nextafter(t, -1e30f);
        break;
      case 2:
        cell = std::nextafter(t, 1e30f);
        break;
      default:
        cell = kNaN;
        break;
    }
  }
  ExpectParity(Compare(m, rows, 500), "rows on thresholds");
}

TEST(TreeEnsembleTest, ObjectivesAndBaseScoresMatchXgboost) {
  struct Case {
    std::string objective;
    std::string base_score;  // empty: XGBoost's default
  };
  for (const Case& c :
       {Case{"binary:logistic", "0.3"}, Case{"binary:logistic", "0.91"}, Case{"reg:logistic", ""},
        Case{"binary:logitraw", ""}, Case{"binary:logitraw", "0.2"}, Case{"reg:squarederror", ""},
        Case{"reg:squarederror", "2.5"}}) {
    TestBoosterSpec spec;
    spec.num_features = 8;
    spec.rounds = 30;
    spec.max_depth = 4;
    spec.missing_fraction = 0.1;
    spec.objective = c.objective;
    if (!c.base_score.empty()) spec.params = {{"base_score", c.base_score}};
    auto built = Build(spec);
    ASSERT_TRUE(built.ok()) << built.status();
    const Models& m = *built;
    EXPECT_EQ(m.ensemble.objective(), c.objective);
    ExpectParity(Compare(m, RandomRows(8, 1000, 9, 0.1), 300),
                 absl::StrCat(c.objective, " base_score ", c.base_score));
  }
}

TEST(TreeEnsembleTest, ParallelTreesAreSummedLikeBoostedOnes) {
  TestBoosterSpec spec;
  spec.num_features = 8;
  spec.rounds = 5;
  spec.max_depth = 5;
  spec.params = {{"num_parallel_tree", "4"}, {"subsample", "0.8"}, {"colsample_bynode", "0.7"}};
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  EXPECT_EQ(m.ensemble.num_trees(), 20);
  ExpectParity(Compare(m, RandomRows(8, 1000, 4, 0.1), 300), "num_parallel_tree 4");
}

TEST(TreeEnsembleTest, AllMissingRowTakesDefaultPaths) {
  TestBoosterSpec spec;
  spec.num_features = 5;
  spec.rounds = 10;
  spec.missing_fraction = 0.3;
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  const std::vector<float> row(5, kNaN);
  ExpectParity(Compare(m, row, 1), "all missing");
}

TEST(TreeEnsembleTest, ReportsShapeObjectiveAndBaseMargin) {
  TestBoosterSpec spec;
  spec.num_features = 7;
  spec.rounds = 3;
  spec.params = {{"base_score", "0.25"}};
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  EXPECT_EQ(m.ensemble.num_features(), 7);
  EXPECT_EQ(m.ensemble.num_trees(), 3);
  EXPECT_EQ(m.ensemble.objective(), "binary:logistic");
  EXPECT_NEAR(m.ensemble.base_margin(), std::log(0.25 / 0.75), 1e-6);
}

TEST(TreeEnsembleTest, FastContributionsCreditOnlyFeaturesOnThePath) {
  TestBoosterSpec spec;
  spec.num_features = 4;
  spec.rounds = 1;
  spec.max_depth = 1;  // one split: one feature gets all the credit
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const Models& m = *built;
  const std::vector<float> row = {0.9f, 0.9f, 0.9f, 0.9f};
  std::vector<float> contributions(5, 123.0f);  // overwritten
  const double p = m.ensemble.PredictWithFastContributions(row.data(), contributions.data());
  EXPECT_EQ(p, m.ensemble.Predict(row.data()));
  int credited = 0;
  for (int c = 0; c < 4; ++c) credited += contributions[c] != 0.0f ? 1 : 0;
  EXPECT_EQ(credited, 1);
}

TEST(TreeEnsembleTest, ConcurrentCallersGetTheSameAnswers) {
  TestBoosterSpec spec;
  spec.num_features = 10;
  spec.rounds = 40;
  spec.max_depth = 5;
  spec.missing_fraction = 0.1;
  auto built = Build(spec);
  ASSERT_TRUE(built.ok()) << built.status();
  const TreeEnsemble& ensemble = built->ensemble;
  const std::vector<float> rows = RandomRows(10, 500, 8, 0.1);
  std::vector<float> expected(500 * 11);
  for (int r = 0; r < 500; ++r) {
    ensemble.PredictWithFastContributions(&rows[r * 10], &expected[r * 11]);
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> contributions(11);
      for (int pass = 0; pass < 5; ++pass) {
        for (int r = 0; r < 500; ++r) {
          ensemble.PredictWithFastContributions(&rows[r * 10], contributions.data());
          if (!std::equal(contributions.begin(), contributions.end(), &expected[r * 11])) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// ---------------------------------------------------------------------------
// Refusals: each unsupported model is named.
// ---------------------------------------------------------------------------

void ExpectInvalid(absl::string_view json, absl::string_view fragment) {
  auto ensemble = TreeEnsemble::FromXgboostJson(json);
  ASSERT_FALSE(ensemble.ok()) << json.substr(0, 200);
  EXPECT_EQ(ensemble.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ensemble.status().message()), HasSubstr(std::string(fragment)));
}

void ExpectRefused(const TestBoosterSpec& spec, absl::string_view reason) {
  auto bytes = TrainBoosterForTesting(spec);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto ensemble = TreeEnsemble::FromXgboostJson(*bytes);
  ASSERT_FALSE(ensemble.ok()) << reason;
  EXPECT_EQ(ensemble.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ensemble.status().message()), HasSubstr(std::string(reason)));
}

TEST(TreeEnsembleTest, RefusesMultiClassModels) {
  TestBoosterSpec spec;
  spec.objective = "multi:softprob";
  ExpectRefused(spec, "multi-class models are not supported");
  spec.objective = "multi:softmax";
  ExpectRefused(spec, "num_class is 3");
}

TEST(TreeEnsembleTest, RefusesDart) {
  TestBoosterSpec spec;
  spec.params = {{"booster", "dart"}, {"rate_drop", "0.1"}};
  ExpectRefused(spec, "booster 'dart' is not supported");
}

TEST(TreeEnsembleTest, RefusesLinearBoosters) {
  TestBoosterSpec spec;
  spec.params = {{"booster", "gblinear"}};
  ExpectRefused(spec, "booster 'gblinear' is not supported");
}

TEST(TreeEnsembleTest, RefusesCategoricalSplits) {
  TestBoosterSpec spec;
  spec.num_features = 4;
  spec.num_categorical = 2;
  spec.rounds = 5;
  ExpectRefused(spec, "categorical splits are not supported for serving: tree 0 node 0");
}

TEST(TreeEnsembleTest, RefusesModelsThatDeclareCategoricalFeatures) {
  // XGBoost 1.7 keeps feature types with the data, not the model, but a
  // model saved from Python with them declared names them.
  TestBoosterSpec spec;
  spec.num_features = 3;
  auto bytes = TrainBoosterForTesting(spec);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string json = absl::StrReplaceAll(
      *bytes, {{"\"feature_types\":[]", "\"feature_types\":[\"q\",\"c\",\"q\"]"}});
  ASSERT_NE(json, *bytes);
  ExpectInvalid(json, "categorical features are not supported for serving: feature 1");
}

TEST(TreeEnsembleTest, RefusesOtherObjectivesByName) {
  TestBoosterSpec spec;
  spec.objective = "count:poisson";
  ExpectRefused(spec, "objective 'count:poisson' is not supported");
  spec.objective = "reg:pseudohubererror";
  ExpectRefused(spec, "objective 'reg:pseudohubererror' is not supported");
}

// ---------------------------------------------------------------------------
// Malformed input: a clear InvalidArgument, never a crash.
// ---------------------------------------------------------------------------

std::string SmallModelJson() {
  TestBoosterSpec spec;
  spec.num_features = 3;
  spec.rounds = 2;
  spec.max_depth = 2;
  return *TrainBoosterForTesting(spec);
}

TEST(TreeEnsembleTest, MalformedJsonIsInvalidArgumentWithTheByteOffset) {
  ExpectInvalid("", "malformed at byte 0 of 0: ");
  ExpectInvalid("", "unexpected end of input");
  ExpectInvalid("{", "malformed at byte 1 of 1");
  ExpectInvalid("{\"learner\": }", "malformed at byte 12");
  ExpectInvalid("{\"a\": 1} x", "expected end of input");
  ExpectInvalid("{\"a\": \"\\q\"}", "forbidden character after backslash");
  ExpectInvalid("{\"a\": 01}", "malformed at byte 7");
  ExpectInvalid("{\"a\": -}", "malformed at byte 7");
  ExpectInvalid("{\"a\": 1.}", "malformed at byte 8");
  ExpectInvalid("{\"a\": \"\\ud800\"}", "surrogate");
  ExpectInvalid(std::string(100000, '['), "malformed at byte 100000 of 100000");
  ExpectInvalid(std::string("{\"a\": \"\x01\"}"), "control character");
}

// A stump over one feature: values below `threshold` score -1, others 2.
std::string StumpJson(absl::string_view threshold, absl::string_view loss_change) {
  return absl::StrCat(
      R"({"learner":{"learner_model_param":{"num_feature":"1","base_score":"0E0"},)",
      R"("objective":{"name":"reg:squarederror"},"gradient_booster":{"name":"gbtree",)",
      R"("model":{"tree_info":[0],"trees":[{"tree_param":{"num_nodes":"3"},)",
      R"("left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],)",
      R"("split_conditions":[)", threshold, R"(,-1E0,2E0],"default_left":[0,0,0],)",
      R"("sum_hessian":[2E0,1E0,1E0],"loss_changes":[)", loss_change, R"(,0,0]}]}}}})");
}

TEST(TreeEnsembleTest, ThresholdsAreRoundedOnceFromTheirText) {
  // 1.0000000596046448 lies just above the midpoint between 1.0f and the next
  // float, 1 + 2^-24. Rounded once to float it is 1.0000001f, so a row value
  // of 1.0f goes left; rounded to double first (to the midpoint exactly) and
  // then to float (ties to even) it would be 1.0f, and 1.0f would go right.
  auto stump = TreeEnsemble::FromXgboostJson(StumpJson("1.0000000596046448", "1E0"));
  ASSERT_TRUE(stump.ok()) << stump.status();
  const float one = 1.0f;
  EXPECT_EQ(stump->PredictMargin(&one), -1.0);
  const float above = std::nextafter(1.0f, 2.0f);
  EXPECT_EQ(stump->PredictMargin(&above), 2.0);
}

TEST(TreeEnsembleTest, NonFiniteNumbersAsXgboostWritesThemAreRead) {
  for (absl::string_view word : {"NaN", "Infinity", "-Infinity"}) {
    auto stump = TreeEnsemble::FromXgboostJson(StumpJson("5E-1", word));
    ASSERT_TRUE(stump.ok()) << word << ": " << stump.status();
    const float low = 0.25f;
    EXPECT_EQ(stump->PredictMargin(&low), -1.0);
  }
  auto infinite = TreeEnsemble::FromXgboostJson(StumpJson("Infinity", "0"));
  ASSERT_TRUE(infinite.ok()) << infinite.status();
  const float huge = 3e38f;
  EXPECT_EQ(infinite->PredictMargin(&huge), -1.0);
}

TEST(TreeEnsembleTest, TruncatedModelIsAlwaysRefused) {
  const std::string json = SmallModelJson();
  ASSERT_TRUE(TreeEnsemble::FromXgboostJson(json).ok());
  for (size_t cut = 0; cut < json.size(); cut += 7) {
    auto ensemble = TreeEnsemble::FromXgboostJson(absl::string_view(json).substr(0, cut));
    ASSERT_FALSE(ensemble.ok()) << "cut at " << cut;
    EXPECT_EQ(ensemble.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(TreeEnsembleTest, ValidJsonThatIsNotAModelNamesWhatIsMissing) {
  ExpectInvalid("[1, 2]", "document: expected an object");
  ExpectInvalid("{\"version\": [1, 7, 4]}", "document: missing \"learner\"");
  ExpectInvalid("{\"learner\": 3}", "learner: expected an object");
  ExpectInvalid("{\"learner\": {}}", "learner: missing \"learner_model_param\"");
}

TEST(TreeEnsembleTest, BrokenTreesAreRefusedWithTheirPlace) {
  const std::string json = SmallModelJson();
  // A child out of range.
  std::string bad = json;
  const size_t at = bad.find("\"left_children\":[1,");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 19, "\"left_children\":[99,");
  ExpectInvalid(bad, "trees[0]: node 0 has children 99");
  // A cycle: the root's left child is the root.
  bad = json;
  bad.replace(at, 19, "\"left_children\":[0,");
  ExpectInvalid(bad, "do not form a tree");
  // A feature the model does not have.
  bad = absl::StrReplaceAll(json, {{"\"num_feature\":\"3\"", "\"num_feature\":\"1\""}});
  ExpectInvalid(bad, "splits on feature");
  // A threshold that is not a number.
  bad = json;
  const size_t conditions = bad.find("\"split_conditions\":[") + 20;
  bad.replace(conditions, bad.find(',', conditions) - conditions, "\"x\"");
  ExpectInvalid(bad, "split_conditions[0]: expected a number");
  // An array of the wrong length.
  bad = json;
  const size_t hessians = bad.find("\"sum_hessian\":[") + 15;
  bad.insert(hessians, "1,");
  ExpectInvalid(bad, "sum_hessian: ");
  // A base_score outside (0, 1) for a logistic objective.
  bad = absl::StrReplaceAll(json, {{"\"base_score\":\"5E-1\"", "\"base_score\":\"1.5E0\""}});
  ASSERT_NE(bad, json);
  ExpectInvalid(bad, "base_score 1.5 must be in (0, 1)");
  // A base_score that is not a number, whatever the objective.
  ExpectInvalid(StumpJson("5E-1", "0").replace(StumpJson("5E-1", "0").find("0E0"), 3, "NaN"),
                "base_score nan is not a finite number");
}

TEST(TreeEnsembleTest, RandomlyCorruptedModelsNeverCrash) {
  const std::string json = SmallModelJson();
  std::mt19937_64 rng(17);
  const std::vector<float> row = {0.3f, kNaN, 0.7f};
  std::vector<float> contributions(4);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string corrupted = json;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      corrupted[rng() % corrupted.size()] =
          static_cast<char>("0123456789-,[]{}\":.eE \x7f"[rng() % 24]);
    }
    auto ensemble = TreeEnsemble::FromXgboostJson(corrupted);
    if (!ensemble.ok()) {
      EXPECT_EQ(ensemble.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++accepted;  // still a well-formed model: it must serve without crashing
    if (ensemble->num_features() > 3) continue;
    ensemble->Predict(row.data());
    ensemble->PredictWithFastContributions(row.data(), contributions.data());
    ensemble->PredictWithExactContributions(row.data(), contributions.data());
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace fstore
