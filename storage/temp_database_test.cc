#include "storage/temp_database.h"

#include <filesystem>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(TempDatabaseTest, KeepsDataAcrossReopenAndRemovesItsDirectory) {
  std::string dir;
  {
    absl::StatusOr<std::unique_ptr<TempDatabase>> temp = TempDatabase::Create("fstore-tempdb-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    dir = (*temp)->dir();
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    ASSERT_TRUE((*temp)->db()->Put(ColumnFamily::kMeta, "k", "v").ok());
    (*temp)->Close();
    EXPECT_EQ((*temp)->db(), nullptr);
    ASSERT_TRUE((*temp)->Reopen().ok());
    absl::StatusOr<std::optional<std::string>> value = (*temp)->db()->Get(ColumnFamily::kMeta, "k");
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, "v");
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(TempDatabaseTest, ABadNameIsReportedNamingThePath) {
  absl::StatusOr<std::unique_ptr<TempDatabase>> temp = TempDatabase::Create("no/such/dir/x");
  ASSERT_FALSE(temp.ok());
  EXPECT_NE(temp.status().message().find("/tmp/no/such/dir/x-XXXXXX"), std::string::npos)
      << temp.status();
}

}  // namespace
}  // namespace fstore
