#include "common/nearest_name.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(NearestNameTest, SuggestsOnlyTypos) {
  const std::vector<std::string> names = {"list", "show", "history", "delete", "create"};
  EXPECT_EQ(NearestName("lst", names), "list");
  EXPECT_EQ(NearestName("hsitory", names), "history");  // a transposition
  EXPECT_EQ(NearestName("deletee", names), "delete");
  EXPECT_EQ(NearestName("xyz", names), "");
  EXPECT_EQ(NearestName("sh", names), "");  // too short to guess from
  EXPECT_EQ(NearestName("list", names), "");
}

}  // namespace
}  // namespace fstore
