#include "serving/drift.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace fstore {
namespace {

// Training statistics of uniform [0, 10) in 10 unit bins, 1000 values.
FeatureStatistics Uniform() {
  FeatureStatistics s;
  s.feature = "f";
  s.count = 1100;
  s.missing = 100;
  for (int i = 0; i <= 10; ++i) s.bin_edges.push_back(i);
  s.bin_counts.assign(10, 100);
  return s;
}

std::vector<float> Sample(int n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<float> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<float>(u(rng)));
  return out;
}

TEST(DriftTest, TheSameDistributionIsStable) {
  FeatureDrift d = CompareToTraining(Uniform(), Sample(5000, 0, 10, 1));
  EXPECT_LT(d.psi, 0.01);
  EXPECT_LT(d.ks_d, 0.03);
  EXPECT_GT(d.ks_p_value, 0.01);
  EXPECT_EQ(d.status, "ok");
  EXPECT_NEAR(d.training_missing_rate, 100.0 / 1100, 1e-12);
}

TEST(DriftTest, AShiftedDistributionDrifts) {
  FeatureDrift d = CompareToTraining(Uniform(), Sample(5000, 5, 15, 2));
  EXPECT_GT(d.psi, 0.2);
  EXPECT_NEAR(d.ks_d, 0.5, 0.03);
  EXPECT_LT(d.ks_p_value, 1e-6);
  EXPECT_EQ(d.status, "drift");
}

TEST(DriftTest, PsiMatchesTheFormulaOnAHandExample) {
  FeatureStatistics s;
  s.feature = "f";
  s.count = 4;
  s.bin_edges = {0, 1, 2};
  s.bin_counts = {2, 2};
  // Serving: 3 in the first bin, 1 in the second (2 is the closed last edge).
  FeatureDrift d = CompareToTraining(s, {0.5f, 0.1f, -3.0f, 2.0f});
  const double expected = (0.75 - 0.5) * std::log(0.75 / 0.5) + (0.25 - 0.5) * std::log(0.25 / 0.5);
  EXPECT_NEAR(d.psi, expected, 1e-12);
  EXPECT_NEAR(d.ks_d, 0.25, 1e-12);
}

TEST(DriftTest, MissingValuesAndEmptySamples) {
  FeatureDrift none = CompareToTraining(Uniform(), {});
  EXPECT_EQ(none.status, "no_data");
  FeatureDrift all_missing = CompareToTraining(Uniform(), {NAN, NAN});
  EXPECT_EQ(all_missing.status, "no_data");
  EXPECT_DOUBLE_EQ(all_missing.serving_missing_rate, 1.0);
  FeatureStatistics no_bins;
  no_bins.feature = "g";
  DriftThresholds one_value;
  one_value.min_serving_values = 1;
  FeatureDrift d = CompareToTraining(no_bins, {1.0f}, one_value);
  EXPECT_EQ(d.psi, 0);
  EXPECT_EQ(d.status, "ok");
}

TEST(DriftTest, FewerServedValuesThanTheMinimumAreInsufficientDataNotDrift) {
  // Two requests far off training: a PSI far above the drift threshold,
  // resting on two values.
  FeatureDrift two = CompareToTraining(Uniform(), {25.0f, 30.0f});
  EXPECT_GT(two.psi, 0.2);
  EXPECT_EQ(two.status, "insufficient_data");
  EXPECT_EQ(two.serving_count, 2);
  // Missing values do not count towards the minimum.
  std::vector<float> mostly_missing(150, NAN);
  const std::vector<float> shifted = Sample(99, 5, 15, 3);
  std::copy(shifted.begin(), shifted.end(), mostly_missing.begin());
  EXPECT_EQ(CompareToTraining(Uniform(), mostly_missing).status, "insufficient_data");
  mostly_missing.push_back(14.0f);  // the 100th served value
  EXPECT_EQ(CompareToTraining(Uniform(), mostly_missing).status, "drift");
  // The minimum is the caller's.
  DriftThresholds two_values;
  two_values.min_serving_values = 2;
  EXPECT_EQ(CompareToTraining(Uniform(), {25.0f, 30.0f}, two_values).status, "drift");
  EXPECT_TRUE(DriftAssessed("drift"));
  EXPECT_FALSE(DriftAssessed("insufficient_data"));
}

TEST(DriftTest, KsPValueMatchesKnownValues) {
  // Q_KS(lambda) for lambda = 1.36 is about 0.05; 1.63 about 0.01.
  const int64_t n = 1000000;  // effective size 500000; lambda ~ sqrt(ne) * d
  EXPECT_NEAR(KsPValue(1.36 / std::sqrt(500000.0), n, n), 0.049, 0.003);
  EXPECT_NEAR(KsPValue(1.63 / std::sqrt(500000.0), n, n), 0.0098, 0.001);
  EXPECT_DOUBLE_EQ(KsPValue(0, 10, 10), 1.0);
}

}  // namespace
}  // namespace fstore
