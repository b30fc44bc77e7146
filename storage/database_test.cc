#include "featurestore/database.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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
    for (size_t i = 0; i < kColumnFamilyCount; ++i) {
      auto cf = static_cast<ColumnFamily>(i);
      ASSERT_NE((*db)->handle(cf), nullptr) << ColumnFamilyName(cf);
      EXPECT_EQ((*db)->handle(cf)->GetName(), std::string(ColumnFamilyName(cf)));
    }
    ASSERT_TRUE((*db)->db()->Put(rocksdb::WriteOptions(), (*db)->handle(ColumnFamily::kModels),
                                 "k", "v").ok());
  }
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string value;
  ASSERT_TRUE((*db)->db()->Get(rocksdb::ReadOptions(), (*db)->handle(ColumnFamily::kModels),
                               "k", &value).ok());
  EXPECT_EQ(value, "v");
  // Column families keep records apart.
  EXPECT_TRUE((*db)->db()->Get(rocksdb::ReadOptions(), (*db)->handle(ColumnFamily::kOnline),
                               "k", &value).IsNotFound());
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
  EXPECT_EQ(FromRocksStatus(rocksdb::Status::IOError("disk"), "x").code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace fstore
