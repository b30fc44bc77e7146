#include "serving/serving_log.h"

#include <cmath>

#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

class ServingLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-servinglog-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    db_ = temp_->db();
  }
  static ServedRequest Request(const std::string& id, TimestampUs at) {
    ServedRequest r;
    r.request_id = id;
    r.at = at;
    r.model = "fraud";
    r.version = 2;
    r.entity = {{"account_id", "A-1"}};
    r.inputs = {1.5f, NAN, 3};
    r.score = 0.25;
    return r;
  }
  std::vector<ServedRequest> ScanAll(const ServingLog& log) {
    std::vector<ServedRequest> out;
    EXPECT_TRUE(log.Scan(0, std::numeric_limits<int64_t>::max(),
                         [&](const ServedRequest& r) {
                           out.push_back(r);
                           return absl::OkStatus();
                         })
                    .ok());
    return out;
  }

  std::unique_ptr<TempDatabase> temp_;
  Database* db_ = nullptr;
};

TEST_F(ServingLogTest, RecordsRoundTripInTimeOrder) {
  ServingLog::Options options;
  options.clock = [] { return TimestampUs{5000}; };
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("b", 2000));
  log->Append(Request("a", 1000));
  ASSERT_TRUE(log->Flush().ok());
  std::vector<ServedRequest> all = ScanAll(*log);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].request_id, "a");
  EXPECT_EQ(all[1].model, "fraud");
  EXPECT_EQ(all[1].version, 2);
  EXPECT_EQ(all[1].entity.at("account_id"), "A-1");
  ASSERT_EQ(all[1].inputs.size(), 3u);
  EXPECT_EQ(all[1].inputs[0], 1.5f);
  EXPECT_TRUE(std::isnan(all[1].inputs[1]));
  EXPECT_DOUBLE_EQ(all[1].score, 0.25);
  EXPECT_EQ(log->written(), 2);
  // A range [since, until) sees only its records.
  int n = 0;
  ASSERT_TRUE(log->Scan(1500, 2000,
                        [&](const ServedRequest&) {
                          ++n;
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(n, 0);
}

TEST_F(ServingLogTest, TheWriterFlushesInTheBackgroundAndOnDestruction) {
  ServingLog::Options options;
  options.flush_interval = absl::Milliseconds(10);
  {
    auto log = ServingLog::Start(db_, options);
    log->Append(Request("a", NowUs()));
    for (int i = 0; i < 500 && log->written() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(log->written(), 1);
    log->Append(Request("b", NowUs()));
  }
  auto reopened = ServingLog::Start(db_, options);
  EXPECT_EQ(ScanAll(*reopened).size(), 2u);
}

TEST_F(ServingLogTest, RecordsOlderThanTheRetentionAreDeleted) {
  TimestampUs now = 100 * kMicrosPerSecond;
  ServingLog::Options options;
  options.retention = 10 * kMicrosPerSecond;
  options.clock = [&] { return now; };
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("old", 50 * kMicrosPerSecond));
  log->Append(Request("new", 95 * kMicrosPerSecond));
  ASSERT_TRUE(log->Flush().ok());
  std::vector<ServedRequest> kept = ScanAll(*log);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].request_id, "new");
}

TEST_F(ServingLogTest, FindReadsARecordByRequestIdOnceFlushed) {
  ServingLog::Options options;
  options.clock = [] { return TimestampUs{5000}; };
  options.flush_interval = absl::Hours(1);
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("req-7", 2000));
  absl::StatusOr<ServedRequest> queued = log->Find("req-7");
  EXPECT_TRUE(absl::IsNotFound(queued.status())) << queued.status();  // not yet written
  ASSERT_TRUE(log->Flush().ok());
  absl::StatusOr<ServedRequest> found = log->Find("req-7");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->at, 2000);
  EXPECT_EQ(found->inputs.size(), 3u);
  absl::StatusOr<ServedRequest> unknown = log->Find("nope");
  ASSERT_TRUE(absl::IsNotFound(unknown.status()));
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos)
      << unknown.status().message();
}

TEST_F(ServingLogTest, AReusedRequestIdFindsTheLastRecord) {
  ServingLog::Options options;
  options.clock = [] { return TimestampUs{5000}; };
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("dup", 1000));
  ASSERT_TRUE(log->Flush().ok());
  ServedRequest later = Request("dup", 3000);
  later.score = 0.75;
  log->Append(later);
  ASSERT_TRUE(log->Flush().ok());
  absl::StatusOr<ServedRequest> found = log->Find("dup");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->at, 3000);
  EXPECT_DOUBLE_EQ(found->score, 0.75);
}

TEST_F(ServingLogTest, RetentionRemovesIndexEntriesWithTheirRecords) {
  TimestampUs now = 100 * kMicrosPerSecond;
  ServingLog::Options options;
  options.retention = 10 * kMicrosPerSecond;
  options.clock = [&] { return now; };
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("old", 95 * kMicrosPerSecond));
  log->Append(Request("reused", 95 * kMicrosPerSecond));
  ASSERT_TRUE(log->Flush().ok());
  // Later "reused" is logged again, then the first records expire.
  now = 200 * kMicrosPerSecond;
  log->Append(Request("reused", 199 * kMicrosPerSecond));
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_TRUE(absl::IsNotFound(log->Find("old").status()));
  absl::StatusOr<ServedRequest> reused = log->Find("reused");
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(reused->at, 199 * kMicrosPerSecond);
  // The expired record's index entry is gone, the live one kept.
  EXPECT_EQ(*db_->Get(ColumnFamily::kServingLogIndex, "old"), std::nullopt);
  EXPECT_TRUE(db_->Get(ColumnFamily::kServingLogIndex, "reused")->has_value());
}

TEST_F(ServingLogTest, RetentionFailsWhenAnIndexEntryCannotBeRead) {
  TimestampUs now = 100 * kMicrosPerSecond;
  ServingLog::Options options;
  options.retention = 10 * kMicrosPerSecond;
  options.clock = [&] { return now; };
  auto log = ServingLog::Start(db_, options);
  log->Append(Request("old", 95 * kMicrosPerSecond));
  ASSERT_TRUE(log->Flush().ok());
  // A failed read is not "points elsewhere": the flush fails and keeps the
  // entry (it would otherwise outlive its record forever).
  db_->SetReadFaultForTesting([](ColumnFamily cf, absl::string_view) {
    return cf == ColumnFamily::kServingLogIndex ? absl::InternalError("injected I/O error")
                                                : absl::OkStatus();
  });
  now = 200 * kMicrosPerSecond;
  EXPECT_EQ(log->Flush().code(), absl::StatusCode::kInternal);
  log.reset();
  db_->SetReadFaultForTesting(nullptr);
  EXPECT_TRUE(db_->Get(ColumnFamily::kServingLogIndex, "old")->has_value());
}

TEST_F(ServingLogTest, EncodedRecordsRoundTripAndTruncationIsDetected) {
  const ServedRequest r = Request("x", 42);
  const std::string bytes = EncodeServedRequest(r);
  ServedRequest back;
  ASSERT_TRUE(DecodeServedRequest(bytes, &back));
  EXPECT_EQ(back.request_id, "x");
  EXPECT_EQ(back.at, 42);
  EXPECT_EQ(back.entity, r.entity);
  ServedRequest cut;
  EXPECT_FALSE(DecodeServedRequest(absl::string_view(bytes).substr(0, bytes.size() - 1), &cut));
}

TEST_F(ServingLogTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  ServingLog::Options options;
  options.max_pending = 3;
  options.flush_interval = absl::Hours(1);
  auto log = ServingLog::Start(db_, options);
  const TimestampUs now = NowUs();
  for (int i = 0; i < 5; ++i) log->Append(Request(std::to_string(i), now + i));
  EXPECT_EQ(log->dropped(), 2);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ScanAll(*log).size(), 3u);
}

}  // namespace
}  // namespace fstore
