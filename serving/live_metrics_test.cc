#include "serving/live_metrics.h"

#include <limits>

#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

class LiveMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-livemetrics-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    ServingLog::Options options;
    options.clock = [] { return TimestampUs{1000000}; };
    log_ = ServingLog::Start(temp_->db(), options);
    store_ = std::make_unique<FeedbackStore>(temp_->db(), log_.get());
    version_.model = "fraud";
    version_.version = 2;
    version_.risk_thresholds = {{"low", 0}, {"high", 0.8}, {"medium", 0.5}};
  }
  // Serves and labels one request of `version`.
  void Labelled(int n, int64_t version, double score, int label) {
    ServedRequest r;
    r.request_id = "r" + std::to_string(n);
    r.at = 1000 + n;
    r.model = "fraud";
    r.version = version;
    r.inputs = {1};
    r.score = score;
    log_->Append(r);
    FeedbackLabel l;
    l.row = n;
    l.request_id = r.request_id;
    l.label = label;
    ASSERT_TRUE(store_->Record({l}, FeedbackStore::RecordOptions()).ok());
  }
  LiveMetrics All() {
    absl::StatusOr<LiveMetrics> m =
        ComputeLiveMetrics(*store_, version_, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max());
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : LiveMetrics();
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<ServingLog> log_;
  std::unique_ptr<FeedbackStore> store_;
  ModelVersion version_;
};

TEST_F(LiveMetricsTest, AucAndPrecisionAtTheHighestBucket) {
  // Scores 0.9 (1), 0.85 (0), 0.6 (1), 0.3 (0), 0.1 (0), and another
  // version's request that must not count.
  Labelled(1, 2, 0.9, 1);
  Labelled(2, 2, 0.85, 0);
  Labelled(3, 2, 0.6, 1);
  Labelled(4, 2, 0.3, 0);
  Labelled(5, 2, 0.1, 0);
  Labelled(6, 1, 0.99, 0);
  const LiveMetrics m = All();
  EXPECT_EQ(m.labelled, 5);
  EXPECT_EQ(m.positives, 2);
  // Positive/negative pairs ranked right: 0.9 beats all 3, 0.6 beats 2 of 3.
  ASSERT_TRUE(m.auc.has_value());
  EXPECT_DOUBLE_EQ(*m.auc, 5.0 / 6.0);
  EXPECT_EQ(m.high_bucket, "high");
  EXPECT_DOUBLE_EQ(m.high_min_score, 0.8);
  EXPECT_EQ(m.alerts, 2);
  EXPECT_EQ(m.true_alerts, 1);
  ASSERT_TRUE(m.precision_at_high.has_value());
  EXPECT_DOUBLE_EQ(*m.precision_at_high, 0.5);
  ASSERT_TRUE(m.recall_at_high.has_value());
  EXPECT_DOUBLE_EQ(*m.recall_at_high, 0.5);
}

TEST_F(LiveMetricsTest, UndefinedValuesAreAbsent) {
  Labelled(1, 2, 0.3, 0);
  LiveMetrics m = All();
  EXPECT_EQ(m.labelled, 1);
  EXPECT_FALSE(m.auc.has_value());                // one class only
  EXPECT_FALSE(m.precision_at_high.has_value());  // no alerts
  EXPECT_FALSE(m.recall_at_high.has_value());     // no positives
  version_.risk_thresholds.clear();
  Labelled(2, 2, 0.95, 1);
  m = All();
  EXPECT_TRUE(m.auc.has_value());
  EXPECT_EQ(m.high_bucket, "");
  EXPECT_EQ(m.alerts, 0);
  EXPECT_FALSE(m.precision_at_high.has_value());
  EXPECT_FALSE(m.recall_at_high.has_value());
}

TEST_F(LiveMetricsTest, TiedThresholdsNameTheLastBucket) {
  version_.risk_thresholds = {{"low", 0}, {"medium", 0.7}, {"high", 0.7}};
  Labelled(1, 2, 0.9, 1);
  const LiveMetrics m = All();
  EXPECT_EQ(m.high_bucket, "high");
  EXPECT_EQ(m.alerts, 1);
}

TEST_F(LiveMetricsTest, NoLabelsGiveZeroCounts) {
  const LiveMetrics m = All();
  EXPECT_EQ(m.model, "fraud");
  EXPECT_EQ(m.version, 2);
  EXPECT_EQ(m.labelled, 0);
  EXPECT_FALSE(m.auc.has_value());
}

}  // namespace
}  // namespace fstore
