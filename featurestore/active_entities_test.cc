#include "featurestore/active_entities.h"

#include "featurestore/feature_store.h"
#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

constexpr char kDefinitions[] = R"yaml(
entities:
  - {name: account, join_key: account_id}
  - {name: device, join_key: device_id}
sources:
  - name: txns
    timestamp_column: ts
    columns:
      - {name: account_id, type: STRING}
      - {name: device_id, type: STRING, nullable: true}
      - {name: ts, type: TIMESTAMP}
  - name: logins
    timestamp_column: ts
    columns:
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
)yaml";

class ActiveEntitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-active-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    db_ = temp_->db();
    auto store = FeatureStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto applied = store_->Apply(kDefinitions, "yaml", false);
    ASSERT_TRUE(applied.ok()) << applied.status();
    Ingest("txns", {"account_id", "device_id", "ts"},
           {{"A-1", "D-1", FormatIsoTime(kT0)},
            {"A-1", "D-2", FormatIsoTime(kT0 + kMinute)},
            {"A-2", "D-1", FormatIsoTime(kT0 + 2 * kMinute)},
            {"A-1", "D-1", FormatIsoTime(kT0 + 3 * kMinute)},  // the same pair again
            {"A-3", "", FormatIsoTime(kT0 + 4 * kMinute)}});   // no device
    Ingest("logins", {"account_id", "ts"}, {{"A-9", FormatIsoTime(kT0 + 5 * kMinute)}});
  }
  void TearDown() override { store_.reset(); }
  void Ingest(const std::string& source, const std::vector<std::string>& columns,
              const std::vector<std::vector<std::string>>& rows) {
    auto writer = store_->StartIngest(source, columns);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->WriteText(rows, 0).ok());
    ASSERT_EQ((*writer)->summary().accepted, static_cast<int64_t>(rows.size()));
  }
  absl::StatusOr<std::vector<std::map<std::string, std::string>>> Active(
      const std::vector<std::string>& keys, TimestampUs since, TimestampUs until) {
    return ActiveEntities(*db_, store_->GetDefinitions(), keys, since, until);
  }

  std::unique_ptr<TempDatabase> temp_;
  Database* db_ = nullptr;
  std::unique_ptr<FeatureStore> store_;
};

using Entities = std::vector<std::map<std::string, std::string>>;

TEST_F(ActiveEntitiesTest, DistinctKeysFromEverySourceThatCarriesThem) {
  auto accounts = Active({"account_id"}, kT0, kT0 + 10 * kMinute);
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_EQ(*accounts, (Entities{{{"account_id", "A-1"}},
                                 {{"account_id", "A-2"}},
                                 {{"account_id", "A-3"}},
                                 {{"account_id", "A-9"}}}));
}

TEST_F(ActiveEntitiesTest, CompositeKeysArePairsSeenOnOneEventNullsSkipped) {
  auto pairs = Active({"account_id", "device_id"}, kT0, kT0 + 10 * kMinute);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  EXPECT_EQ(*pairs, (Entities{{{"account_id", "A-1"}, {"device_id", "D-1"}},
                              {{"account_id", "A-1"}, {"device_id", "D-2"}},
                              {{"account_id", "A-2"}, {"device_id", "D-1"}}}));
}

TEST_F(ActiveEntitiesTest, TheRangeIncludesSinceAndExcludesUntil) {
  auto window = Active({"account_id"}, kT0 + kMinute, kT0 + 2 * kMinute);
  ASSERT_TRUE(window.ok());
  EXPECT_EQ(*window, (Entities{{{"account_id", "A-1"}}}));
  EXPECT_TRUE(Active({"account_id"}, kT0 + 6 * kMinute, kT0 + 9 * kMinute)->empty());
}

TEST_F(ActiveEntitiesTest, KeysNoSourceCarriesAreRefused) {
  auto none = Active({"merchant_id"}, kT0, kT0 + kMinute);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("merchant_id"), absl::string_view::npos);
  EXPECT_EQ(Active({}, kT0, kT0 + kMinute).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fstore
