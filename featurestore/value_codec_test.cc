#include "featurestore/value_codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fstore::codec {
namespace {

TEST(ValueCodecTest, ValuesRoundTripEveryType) {
  const std::vector<Value> values = {
      std::monostate(), int64_t{-42}, 3.25, std::string("a\0b", 3), true, false, std::string()};
  std::string bytes;
  PutValues(&bytes, values);
  std::vector<Value> back;
  ASSERT_TRUE(GetValues(bytes, &back));
  EXPECT_EQ(back, values);
}

TEST(ValueCodecTest, TruncatedValuesAreRejected) {
  std::string bytes;
  PutValue(&bytes, std::string("hello"));
  std::vector<Value> back;
  EXPECT_FALSE(GetValues(absl::string_view(bytes).substr(0, bytes.size() - 1), &back));
  EXPECT_FALSE(GetValues(std::string(1, '\x09'), &back));  // unknown tag
}

}  // namespace
}  // namespace fstore::codec
