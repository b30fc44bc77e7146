#include "storage/record_codec.h"

#include <limits>
#include <map>
#include <string>

#include "gtest/gtest.h"

namespace fstore::codec {
namespace {

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

TEST(RecordCodecTest, PrefixEndIsTheFirstKeyPastThePrefix) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), "");
}

TEST(RecordCodecTest, RecordFieldsRoundTripWithTheirFormat) {
  std::string bytes = "kept";  // the writer appends
  RecordWriter w(&bytes);
  w.Format(1);
  w.Str("name");
  w.Int(-7);
  w.Double(0.1);
  w.StrMap({{"a", "x"}, {"b", ""}});
  w.DoubleMap({{"auc", 0.75}});
  ASSERT_EQ(bytes.substr(0, 4), "kept");
  RecordReader r(absl::string_view(bytes).substr(4));
  r.Format(1);
  EXPECT_EQ(r.Str(), "name");
  EXPECT_EQ(r.Int(), -7);
  EXPECT_EQ(r.Double(), 0.1);
  EXPECT_EQ(r.StrMap(), (std::map<std::string, std::string>{{"a", "x"}, {"b", ""}}));
  EXPECT_EQ(r.DoubleMap(), (std::map<std::string, double>{{"auc", 0.75}}));
  EXPECT_TRUE(r.AtEnd());
  EXPECT_TRUE(r.ok());
}

TEST(RecordCodecTest, ReaderFailsOnWrongFormatTruncationOrLeftovers) {
  std::string bytes;
  RecordWriter w(&bytes);
  w.Format(1);
  w.Str("name");
  {
    RecordReader r(bytes);
    r.Format(2);
    EXPECT_EQ(r.Str(), "");
    EXPECT_FALSE(r.ok());
  }
  {
    RecordReader r(absl::string_view(bytes).substr(0, bytes.size() - 1));
    r.Format(1);
    r.Str();
    EXPECT_FALSE(r.ok());
  }
  {
    RecordReader r(bytes + "x");
    r.Format(1);
    EXPECT_EQ(r.Str(), "name");
    EXPECT_FALSE(r.ok());  // a byte left over
  }
}

TEST(RecordCodecTest, ACorruptCountAllocatesNothing) {
  std::string bytes;
  PutInt64(&bytes, int64_t{1} << 40);
  RecordReader r(bytes);
  EXPECT_TRUE(r.StrMap().empty());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace fstore::codec
