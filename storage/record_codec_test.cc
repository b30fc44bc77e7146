#include "featurestore/record_codec.h"

#include <limits>

#include "gtest/gtest.h"

namespace fstore::codec {
namespace {

TEST(RecordCodecTest, ValuesRoundTripEveryType) {
  const std::vector<Value> values = {std::monostate(), int64_t{-42}, 3.25, std::string("a\0b", 3),
                                     true, false, std::string()};
  std::string bytes;
  PutValues(&bytes, values);
  std::vector<Value> back;
  ASSERT_TRUE(GetValues(bytes, &back));
  EXPECT_EQ(back, values);
}

TEST(RecordCodecTest, TruncatedValuesAreRejected) {
  std::string bytes;
  PutValue(&bytes, std::string("hello"));
  std::vector<Value> back;
  EXPECT_FALSE(GetValues(absl::string_view(bytes).substr(0, bytes.size() - 1), &back));
  EXPECT_FALSE(GetValues(std::string(1, '\x09'), &back));  // unknown tag
}

TEST(RecordCodecTest, OrderedIntegersSortAsNumbers) {
  const int64_t values[] = {std::numeric_limits<int64_t>::min(), -5, -1, 0, 1, 7,
                            std::numeric_limits<int64_t>::max()};
  std::string previous;
  for (int64_t v : values) {
    std::string key;
    PutOrderedInt64(&key, v);
    if (!previous.empty()) {
      EXPECT_LT(previous, key) << v;
    }
    previous = key;
    absl::string_view in = key;
    int64_t back;
    ASSERT_TRUE(GetOrderedInt64(&in, &back));
    EXPECT_EQ(back, v);
  }
}

TEST(RecordCodecTest, ComponentsKeepArbitraryBytesApart) {
  std::string key;
  PutComponent(&key, absl::string_view("a\0b", 3));
  PutComponent(&key, "");
  PutComponent(&key, "c");
  absl::string_view in = key, a, b, c;
  ASSERT_TRUE(GetComponent(&in, &a));
  ASSERT_TRUE(GetComponent(&in, &b));
  ASSERT_TRUE(GetComponent(&in, &c));
  EXPECT_EQ(a, absl::string_view("a\0b", 3));
  EXPECT_EQ(b, "");
  EXPECT_EQ(c, "c");
  EXPECT_TRUE(in.empty());
}

}  // namespace
}  // namespace fstore::codec
