#include "storage/database.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/rocks_status.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-db-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(DatabaseTest, CreatesEveryColumnFamilyAndKeepsDataAcrossReopen) {
  const std::string path = dir_ + "/data";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put(ColumnFamily::kModels, "k", "v").ok());
  }
  {
    // On-disk names: every family is there under its stable name.
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    for (size_t i = 0; i < kColumnFamilyCount; ++i) {
      const std::string name(ColumnFamilyName(static_cast<ColumnFamily>(i)));
      EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    }
  }
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::optional<std::string>> value = (*db)->Get(ColumnFamily::kModels, "k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "v");
  // Column families keep records apart.
  value = (*db)->Get(ColumnFamily::kOnline, "k");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, std::nullopt);
}

TEST_F(DatabaseTest, OnDiskNamesAreStable) {
  // Existing data directories open only if these never change.
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kMeta), "meta");
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kEventIds), "event_ids");
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kDeadLetters), "dead_letters");
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kModelVersions), "model_versions");
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kServingLogIndex), "serving_log_index");
  EXPECT_EQ(ColumnFamilyName(ColumnFamily::kSourceQuality), "source_quality");
}

TEST_F(DatabaseTest, ColumnFamilyNamesAreDistinct) {
  std::set<std::string> names;
  for (size_t i = 0; i < kColumnFamilyCount; ++i) {
    names.insert(std::string(ColumnFamilyName(static_cast<ColumnFamily>(i))));
  }
  EXPECT_EQ(names.size(), kColumnFamilyCount);
}

TEST_F(DatabaseTest, PathThatIsAFileIsRefusedNamingIt) {
  const std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  auto db = Database::Open(file);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(db.status().message()), HasSubstr(file));
}

TEST_F(DatabaseTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto first = Database::Open(dir_ + "/data");
  ASSERT_TRUE(first.ok());
  auto second = Database::Open(dir_ + "/data");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another process"));
}

TEST_F(DatabaseTest, MissingDirectoryWithoutCreateIsNotFound) {
  DatabaseOptions options;
  options.create_if_missing = false;
  auto db = Database::Open(dir_ + "/absent", options);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
}

TEST(FromRocksStatusTest, MapsCodesAndKeepsContext) {
  EXPECT_TRUE(FromRocksStatus(rocksdb::Status::OK(), "x").ok());
  absl::Status s = FromRocksStatus(rocksdb::Status::Corruption("bad block"), "reading acct");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("reading acct"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("bad block"));
  EXPECT_EQ(FromRocksStatus(rocksdb::Status::NotFound(), "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocksStatus(rocksdb::Status::IOError("disk"), "x").code(),
            absl::StatusCode::kInternal);
}

class OpenDatabaseTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    auto db = Database::Open(dir_ + "/data");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    DatabaseTest::TearDown();
  }
  // Every key and value of `cf`, in order.
  std::vector<std::pair<std::string, std::string>> All(ColumnFamily cf) {
    std::vector<std::pair<std::string, std::string>> out;
    Iterator it = db_->NewIterator(cf);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      out.emplace_back(std::string(it.key()), std::string(it.value()));
    }
    EXPECT_TRUE(it.status("scanning").ok());
    return out;
  }
  std::unique_ptr<Database> db_;
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

TEST_F(OpenDatabaseTest, DeleteRemovesAKeyAndGetOfAnAbsentKeyIsNullopt) {
  ASSERT_TRUE(db_->Put(ColumnFamily::kMeta, "k", "v").ok());
  ASSERT_TRUE(db_->Delete(ColumnFamily::kMeta, "k", WriteOptions{.sync = true}).ok());
  auto value = db_->Get(ColumnFamily::kMeta, "k");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(value->has_value());
}

TEST_F(OpenDatabaseTest, BatchAppliesPutsDeletesAndRangesAcrossFamiliesAtOnce) {
  for (const char* k : {"a1", "a2", "b1", "c1"}) {
    ASSERT_TRUE(db_->Put(ColumnFamily::kEvents, k, "old").ok());
  }
  WriteBatch batch(*db_);
  batch.DeleteRange(ColumnFamily::kEvents, "a", "b");  // a1, a2
  batch.Delete(ColumnFamily::kEvents, "c1");
  batch.Put(ColumnFamily::kEvents, "b1", "new");
  batch.Put(ColumnFamily::kMeta, "next_seq", "7");
  EXPECT_EQ(batch.Count(), 4);
  EXPECT_EQ(All(ColumnFamily::kMeta), KeyValues{});  // nothing before Write
  ASSERT_TRUE(db_->Write(batch, "test batch").ok());
  EXPECT_EQ(All(ColumnFamily::kEvents), (KeyValues{{"b1", "new"}}));
  EXPECT_EQ(All(ColumnFamily::kMeta), (KeyValues{{"next_seq", "7"}}));
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0);
  batch.Put(ColumnFamily::kMeta, "x", "y");
  ASSERT_TRUE(db_->Write(batch, "test batch", WriteOptions{.sync = true}).ok());
  EXPECT_EQ(All(ColumnFamily::kMeta).size(), 2u);
}

TEST_F(OpenDatabaseTest, IteratorSeeksForwardBackwardAndStopsAtTheUpperBound) {
  for (const char* k : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(db_->Put(ColumnFamily::kOnline, k, std::string("v") + k).ok());
  }
  Iterator it = db_->NewIterator(ColumnFamily::kOnline, ReadOptions{.upper_bound = "c"});
  std::vector<std::string> keys;
  for (it.Seek("a"); it.Valid(); it.Next()) keys.emplace_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(it.status("x").ok());

  Iterator all = db_->NewIterator(ColumnFamily::kOnline);
  all.SeekForPrev("bz");
  ASSERT_TRUE(all.Valid());
  EXPECT_EQ(all.key(), "b");
  EXPECT_EQ(all.value(), "vb");
  all.Prev();
  ASSERT_TRUE(all.Valid());
  EXPECT_EQ(all.key(), "a");
  all.SeekToLast();
  ASSERT_TRUE(all.Valid());
  EXPECT_EQ(all.key(), "d");
  Iterator moved = std::move(all);
  moved.Next();
  EXPECT_FALSE(moved.Valid());
  EXPECT_TRUE(moved.status("x").ok());
}

TEST_F(OpenDatabaseTest, KeysMayHoldAnyBytes) {
  const std::string key("a\0\xff", 3);
  ASSERT_TRUE(db_->Put(ColumnFamily::kEventIds, key, std::string("\0", 1)).ok());
  auto value = db_->Get(ColumnFamily::kEventIds, key);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, std::string("\0", 1));
  EXPECT_FALSE(db_->Get(ColumnFamily::kEventIds, "a")->has_value());
}

TEST_F(OpenDatabaseTest, AnInjectedReadFaultFailsGetUntilCleared) {
  ASSERT_TRUE(db_->Put(ColumnFamily::kMeta, "k", "v").ok());
  db_->SetReadFaultForTesting([](ColumnFamily cf, absl::string_view key) {
    return cf == ColumnFamily::kMeta && key == "k" ? absl::InternalError("injected: disk")
                                                   : absl::OkStatus();
  });
  auto value = db_->Get(ColumnFamily::kMeta, "k");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInternal);
  // Named like a real read error: the family, the key, the directory.
  EXPECT_THAT(std::string(value.status().message()), HasSubstr("meta/'k'"));
  EXPECT_THAT(std::string(value.status().message()), HasSubstr(dir_));
  EXPECT_THAT(std::string(value.status().message()), HasSubstr("injected: disk"));
  EXPECT_TRUE(db_->Get(ColumnFamily::kMeta, "other").ok());
  db_->SetReadFaultForTesting(nullptr);
  EXPECT_EQ(*db_->Get(ColumnFamily::kMeta, "k"), "v");
}

TEST_F(OpenDatabaseTest, CompactAllKeepsTheData) {
  ASSERT_TRUE(db_->Put(ColumnFamily::kEvents, "k", "v").ok());
  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_TRUE(db_->CompactAll(ColumnFamily::kEvents).ok());
  EXPECT_EQ(*db_->Get(ColumnFamily::kEvents, "k"), "v");
}

}  // namespace
}  // namespace fstore
