#include "featurestore/entity_set.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(EntitySetTest, IdsFollowTheFirstAddAndTimeSpansWiden) {
  EntitySet set;
  EXPECT_EQ(set.Find("A", EntitySet::Hash("A")), EntitySet::kAbsent);
  EXPECT_EQ(set.Add("B", 50), 0u);
  EXPECT_EQ(set.Add("A", 70), 1u);
  EXPECT_EQ(set.Add("B", 10), 0u);
  EXPECT_EQ(set.Add("B", 30), 0u);
  EXPECT_EQ(set.Add("", 5), 2u);  // the empty key is a key
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(set.key(0), "B");
  EXPECT_EQ(set.earliest(0), 10);
  EXPECT_EQ(set.latest(0), 50);
  EXPECT_EQ(set.earliest(1), 70);
  EXPECT_EQ(set.latest(1), 70);
  EXPECT_EQ(set.Find("A", EntitySet::Hash("A")), 1u);
  EXPECT_EQ(set.Find("", EntitySet::Hash("")), 2u);
  EXPECT_EQ(set.Find("C", EntitySet::Hash("C")), EntitySet::kAbsent);
}

TEST(EntitySetTest, ManyKeysIncludingLongOnesThatShareTheirFirstBytes) {
  EntitySet set;
  std::vector<std::string> keys;
  for (int i = 0; i < 50000; ++i) {
    // Short keys, and keys longer than a slot holds whose first 16+ bytes
    // are the same for all of them; some with bytes a C string would end.
    keys.push_back(i % 3 == 0   ? absl::StrCat("A-", i)
                   : i % 3 == 1 ? absl::StrCat("a-rather-long-common-prefix/", i)
                                : absl::StrCat(std::string("\0x", 2), i, std::string(20, '\0')));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(set.Add(keys[i], static_cast<TimestampUs>(i)), i) << keys[i];
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(set.Find(keys[i], EntitySet::Hash(keys[i])), i);
    ASSERT_EQ(set.Add(keys[i], -1), i);
    ASSERT_EQ(set.key(static_cast<uint32_t>(i)), keys[i]);
    EXPECT_EQ(set.earliest(static_cast<uint32_t>(i)), -1);
    EXPECT_EQ(set.latest(static_cast<uint32_t>(i)), static_cast<TimestampUs>(i));
  }
  for (const std::string& absent : {std::string("A-1"), std::string("a-rather-long-common-prefix/"),
                                    std::string("a-rather-long-common-prefix/50000")}) {
    EXPECT_EQ(set.Find(absent, EntitySet::Hash(absent)), EntitySet::kAbsent) << absent;
  }
}

}  // namespace
}  // namespace fstore
