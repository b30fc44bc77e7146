#include "common/build_info.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::MatchesRegex;

TEST(BuildInfoTest, NamesTheVersionAndTheCommit) {
  EXPECT_THAT(std::string(BuildVersion()), MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  if (std::filesystem::exists(FSTORE_SOURCE_DIR "/.git")) {
    EXPECT_THAT(std::string(BuildCommit()), MatchesRegex("[0-9a-f]{12}(-dirty)?"));
  } else {
    EXPECT_EQ(BuildCommit(), "unknown");
  }
  EXPECT_EQ(VersionLine("fsd"),
            "fsd " + std::string(BuildVersion()) + " (commit " + std::string(BuildCommit()) + ")");
}

}  // namespace
}  // namespace fstore
