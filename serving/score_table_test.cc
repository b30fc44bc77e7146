#include "serving/score_table.h"

#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

class ScoreTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-scores-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    table_ = std::make_unique<ScoreTable>(temp_->db());
  }

  static std::vector<ScoreRecord> Batch(const std::string& id, TimestampUs at,
                                        const std::string& model, int n) {
    std::vector<ScoreRecord> out;
    for (int i = 0; i < n; ++i) {
      ScoreRecord r;
      r.entity = {{"account_id", "A-" + std::to_string(i)}, {"device_id", "D"}};
      r.fraud_score = 0.1 * i;
      r.risk_bucket = i == 0 ? "low" : "high";
      r.model = model;
      r.model_version = 3;
      r.scored_at = at;
      r.batch_id = id;
      out.push_back(r);
    }
    return out;
  }

  std::vector<ScoreRecord> Scan(const ScoreTable::Filter& filter) {
    std::vector<ScoreRecord> out;
    EXPECT_TRUE(table_
                    ->Scan(filter,
                           [&](const ScoreRecord& r) {
                             out.push_back(r);
                             return absl::OkStatus();
                           })
                    .ok());
    return out;
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<ScoreTable> table_;
};

TEST_F(ScoreTableTest, RecordsRoundTripInBatchThenRowOrder) {
  // The later batch is appended first; listing is by time.
  ASSERT_TRUE(table_->Append(Batch("b2", 2000, "fraud", 2), 0, false).ok());
  const auto b1 = Batch("b1", 1000, "fraud", 3);
  ASSERT_TRUE(table_->Append(absl::MakeConstSpan(b1).subspan(0, 2), 0, false).ok());
  ASSERT_TRUE(table_->Append(absl::MakeConstSpan(b1).subspan(2, 1), 2, true).ok());
  std::vector<ScoreRecord> all = Scan({});
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].batch_id, "b1");
  EXPECT_EQ(all[2].entity.at("account_id"), "A-2");
  EXPECT_EQ(all[3].batch_id, "b2");
  EXPECT_DOUBLE_EQ(all[2].fraud_score, 0.2);
  EXPECT_EQ(all[2].risk_bucket, "high");
  EXPECT_EQ(all[2].model_version, 3);
  EXPECT_EQ(all[2].entity.at("device_id"), "D");
}

TEST_F(ScoreTableTest, FiltersByModelBatchAndLimit) {
  ASSERT_TRUE(table_->Append(Batch("b1", 1000, "fraud", 3), 0, false).ok());
  ASSERT_TRUE(table_->Append(Batch("b2", 2000, "abuse", 2), 0, false).ok());
  EXPECT_EQ(Scan({"abuse", "", 0}).size(), 2u);
  EXPECT_EQ(Scan({"", "b1", 0}).size(), 3u);
  EXPECT_EQ(Scan({"", "", 4}).size(), 4u);
  EXPECT_EQ(Scan({"fraud", "b2", 0}).size(), 0u);
}

TEST_F(ScoreTableTest, OneAppendHoldsOneBatch) {
  std::vector<ScoreRecord> mixed = Batch("b1", 1000, "fraud", 1);
  mixed.push_back(Batch("b2", 1000, "fraud", 1)[0]);
  absl::Status s = table_->Append(mixed, 0, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Scan({}).empty());
}

TEST_F(ScoreTableTest, AnUndecodableRecordIsDataLoss) {
  ASSERT_TRUE(temp_->db()->Put(ColumnFamily::kScores, "k", "garbage").ok());
  absl::Status s = table_->Scan({}, [](const ScoreRecord&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace fstore
