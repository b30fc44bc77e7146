#include "registry/classification_metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

constexpr double kExact = 1e-12;

// 40 rows, scores on a 0.1 grid (so many ties), 15 positives. Expected values
// computed offline with numpy 1.24 (/usr/bin/python3): AUC by brute force
// over all 375 (positive, negative) pairs, ties counting 1/2; AP by walking
// the distinct scores from the top; logloss with p clipped to [1e-15,
// 1 - 1e-15].
const std::vector<float> kScores = {0.8f, 0.2f, 0.2f, 0.4f, 0.6f, 0.3f, 0.7f, 0.1f, 0.6f, 0.2f,
                                    0.2f, 0.8f, 0.5f, 0.1f, 0.2f, 0.1f, 0.7f, 0.6f, 0.8f, 0.7f,
                                    0.3f, 0.6f, 0.9f, 1.0f, 0.5f, 1.0f, 0.7f, 0.8f, 0.8f, 0.4f,
                                    0.5f, 0.7f, 0.6f, 1.0f, 0.9f, 0.5f, 0.5f, 1.0f, 0.2f, 0.1f};
const std::vector<float> kLabels = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1,
                                    0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0};

TEST(RocAucTest, MatchesNumpyReferenceWithManyTies) {
  EXPECT_THAT(*RocAuc(kScores, kLabels), DoubleNear(0.852, kExact));
}

TEST(AveragePrecisionTest, MatchesNumpyReferenceWithManyTies) {
  EXPECT_THAT(*AveragePrecision(kScores, kLabels), DoubleNear(0.7757242757242757, kExact));
}

TEST(LogLossTest, MatchesNumpyReference) {
  EXPECT_THAT(*LogLoss(kScores, kLabels), DoubleNear(0.5135538549723274, kExact));
}

TEST(RocAucTest, HandComputedSmallCase) {
  // Pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes: 3/4.
  EXPECT_THAT(*RocAuc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), DoubleNear(0.75, kExact));
}

TEST(RocAucTest, PerfectReversedAndAllTied) {
  EXPECT_THAT(*RocAuc({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), DoubleNear(1.0, kExact));
  EXPECT_THAT(*RocAuc({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}), DoubleNear(0.0, kExact));
  EXPECT_THAT(*RocAuc({0.5f, 0.5f, 0.5f}, {0, 1, 1}), DoubleNear(0.5, kExact));
}

TEST(RocAucTest, TieBetweenAPositiveAndANegativeCountsOneHalf) {
  // pos 0.5 vs neg 0.5: 1/2; pos 0.5 vs neg 0.1: 1; pos 0.9 beats both: 2.
  EXPECT_THAT(*RocAuc({0.5f, 0.5f, 0.1f, 0.9f}, {1, 0, 0, 1}), DoubleNear(3.5 / 4, kExact));
}

TEST(AveragePrecisionTest, HandComputedSmallCase) {
  // Thresholds 0.8 (P=1, R=1/2), 0.4 (P=1/2, R=1/2), 0.35 (P=2/3, R=1):
  // AP = 1/2 * 1 + 0 * 1/2 + 1/2 * 2/3 = 5/6.
  EXPECT_THAT(*AveragePrecision({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}),
              DoubleNear(5.0 / 6.0, kExact));
}

TEST(AveragePrecisionTest, TiedScoresEnterTogether) {
  // One threshold holding everything: precision = base rate, recall 0 -> 1.
  EXPECT_THAT(*AveragePrecision({0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 0, 0}), DoubleNear(0.25, kExact));
  // A positive tied with a negative at the top: P = 1/2 at recall 1/2, then
  // the second positive alone at 0.3: P = 2/3 at recall 1.
  EXPECT_THAT(*AveragePrecision({0.9f, 0.9f, 0.3f}, {1, 0, 1}),
              DoubleNear(0.5 * 0.5 + 0.5 * 2.0 / 3.0, kExact));
}

TEST(AveragePrecisionTest, PerfectRankingIsOne) {
  EXPECT_THAT(*AveragePrecision({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), DoubleNear(1.0, kExact));
}

TEST(LogLossTest, HandComputedAndClipped) {
  EXPECT_THAT(*LogLoss({0.5f, 0.5f}, {0, 1}), DoubleNear(std::log(2.0), kExact));
  EXPECT_THAT(*LogLoss({0.9f}, {1}), DoubleNear(-std::log(static_cast<double>(0.9f)), kExact));
  // A confident miss costs about -ln(1e-15) (34.54), not infinity: p = 1 is
  // clipped to the double nearest 1 - 1e-15.
  const double top = 1.0 - kLogLossEpsilon;
  EXPECT_THAT(*LogLoss({1.0f}, {0}), DoubleNear(-std::log1p(-top), kExact));
  EXPECT_THAT(*LogLoss({1.0f}, {0}), DoubleNear(34.54, 0.01));
  // Confident hits cost almost nothing, but not exactly 0.
  EXPECT_THAT(*LogLoss({0.0f, 1.0f}, {0, 1}),
              DoubleNear((-std::log1p(-kLogLossEpsilon) - std::log(top)) / 2, 1e-30));
}

TEST(LogLossTest, PositiveWeightCountsEachPositiveThatManyTimes) {
  // Losses: positive 0.8 -> -ln 0.8; negatives 0.4, 0.1 -> -ln 0.6, -ln 0.9.
  const double lp = -std::log(static_cast<double>(0.8f));
  const double ln =
      -std::log1p(-static_cast<double>(0.4f)) - std::log1p(-static_cast<double>(0.1f));
  EXPECT_THAT(*LogLoss({0.8f, 0.4f, 0.1f}, {1, 0, 0}, 3.0), DoubleNear((3 * lp + ln) / 5, kExact));
  EXPECT_THAT(*LogLoss({0.8f, 0.4f, 0.1f}, {1, 0, 0}, 1.0), DoubleNear((lp + ln) / 3, kExact));
  EXPECT_THAT(LogLoss({0.8f}, {1}, 0.0).status().message(),
              HasSubstr("positive weight 0 is not a finite number > 0"));
}

TEST(LogLossTest, OneClassIsFine) { EXPECT_TRUE(LogLoss({0.2f, 0.3f}, {0, 0}).ok()); }

TEST(ClassificationMetricsTest, RefusesBadInputsNamingTheProblem) {
  auto mismatch = RocAuc({0.1f, 0.2f}, {0});
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("2 scores for 1 labels"));

  EXPECT_THAT(AveragePrecision({}, {}).status().message(), HasSubstr("no rows"));

  auto bad_label = LogLoss({0.1f, 0.2f}, {0, 2});
  EXPECT_THAT(bad_label.status().message(), HasSubstr("label of row 1 is 2, not 0 or 1"));

  auto nan_score = RocAuc({0.1f, std::nanf("")}, {0, 1});
  EXPECT_THAT(nan_score.status().message(), HasSubstr("score of row 1 is NaN"));

  auto one_class = RocAuc({0.1f, 0.2f}, {1, 1});
  EXPECT_THAT(one_class.status().message(), HasSubstr("2 positives and 0 negatives"));
  EXPECT_FALSE(AveragePrecision({0.1f, 0.2f}, {0, 0}).ok());

  auto not_probability = LogLoss({0.1f, 1.5f}, {0, 1});
  EXPECT_THAT(not_probability.status().message(), HasSubstr("score of row 1 is 1.5"));
}

}  // namespace
}  // namespace fstore
