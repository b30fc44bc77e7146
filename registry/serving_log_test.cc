#include "registry/serving_log.h"

#include <cmath>
#include <filesystem>

#include "gtest/gtest.h"

namespace fstore {
namespace {

class ServingLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-servinglog-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto db = Database::Open(dir_ + "/data");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
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
    EXPECT_TRUE(log.Scan(0, std::numeric_limits<int64_t>::max(), [&](const ServedRequest& r) {
      out.push_back(r);
      return absl::OkStatus();
    }).ok());
    return out;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ServingLogTest, RecordsRoundTripInTimeOrder) {
  ServingLog::Options options;
  options.clock = [] { return TimestampUs{5000}; };
  auto log = ServingLog::Start(db_.get(), options);
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
  ASSERT_TRUE(log->Scan(1500, 2000, [&](const ServedRequest&) {
    ++n;
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(ServingLogTest, TheWriterFlushesInTheBackgroundAndOnDestruction) {
  ServingLog::Options options;
  options.flush_interval = absl::Milliseconds(10);
  {
    auto log = ServingLog::Start(db_.get(), options);
    log->Append(Request("a", NowUs()));
    for (int i = 0; i < 500 && log->written() == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
    EXPECT_EQ(log->written(), 1);
    log->Append(Request("b", NowUs()));
  }
  auto reopened = ServingLog::Start(db_.get(), options);
  EXPECT_EQ(ScanAll(*reopened).size(), 2u);
}

TEST_F(ServingLogTest, RecordsOlderThanTheRetentionAreDeleted) {
  TimestampUs now = 100 * kMicrosPerSecond;
  ServingLog::Options options;
  options.retention = 10 * kMicrosPerSecond;
  options.clock = [&] { return now; };
  auto log = ServingLog::Start(db_.get(), options);
  log->Append(Request("old", 50 * kMicrosPerSecond));
  log->Append(Request("new", 95 * kMicrosPerSecond));
  ASSERT_TRUE(log->Flush().ok());
  std::vector<ServedRequest> kept = ScanAll(*log);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].request_id, "new");
}

TEST_F(ServingLogTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  ServingLog::Options options;
  options.max_pending = 3;
  options.flush_interval = absl::Hours(1);
  auto log = ServingLog::Start(db_.get(), options);
  const TimestampUs now = NowUs();
  for (int i = 0; i < 5; ++i) log->Append(Request(std::to_string(i), now + i));
  EXPECT_EQ(log->dropped(), 2);
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ScanAll(*log).size(), 3u);
}

}  // namespace
}  // namespace fstore
