#include "common/quoted_value.h"

#include <string>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(QuotedValueTest, ShortValuesAreQuotedWhole) {
  EXPECT_EQ(QuotedValue("fraud"), "'fraud'");
  EXPECT_EQ(QuotedValue(""), "''");
  const std::string limit(kMaxQuotedBytes, 'a');
  EXPECT_EQ(QuotedValue(limit), "'" + limit + "'");
  EXPECT_EQ(ShortenedValue(limit), limit);
}

TEST(QuotedValueTest, LongValuesAreCutAndGiveTheirLength) {
  const std::string mb(1 << 20, 'a');
  const std::string quoted = QuotedValue(mb);
  EXPECT_EQ(quoted, "'" + std::string(kMaxQuotedBytes, 'a') + "...' (1048576 bytes)");
  EXPECT_LT(quoted.size(), 300u);
  EXPECT_EQ(ShortenedValue(mb), std::string(kMaxQuotedBytes, 'a') + "... (1048576 bytes)");
}

TEST(QuotedValueTest, ACutNeverSplitsAUtf8Character) {
  // "é" is two bytes; the limit falls inside the last whole one.
  std::string value(kMaxQuotedBytes - 1, 'a');
  for (int i = 0; i < 10; ++i) value += "\xC3\xA9";
  const std::string quoted = QuotedValue(value);
  EXPECT_EQ(quoted, "'" + std::string(kMaxQuotedBytes - 1, 'a') + "...' (" +
                        std::to_string(value.size()) + " bytes)");
}

}  // namespace
}  // namespace fstore
