#include "featurestore/csv_writer.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fstore {
namespace {

std::string Csv(const Value& v) {
  std::string out = "x";  // appends, never replaces
  AppendCsvValue(&out, v);
  return out.substr(1);
}

TEST(CsvWriterTest, NumbersAndBoolsAreWrittenAsValueToTextHasThem) {
  const int64_t ints[] = {
      0, 1, -1, 42, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  for (int64_t i : ints) EXPECT_EQ(Csv(i), ValueToText(i)) << i;
  const double doubles[] = {0.0,
                            -0.0,
                            0.1,
                            1.5,
                            10.0,
                            1e5,
                            123456.0,
                            1e21,
                            1e22,
                            1e-7,
                            5e-324,
                            1.7976931348623157e308,
                            -2.25,
                            100.01,
                            3.14159,
                            1.0 / 3,
                            std::numeric_limits<double>::infinity(),
                            -std::numeric_limits<double>::infinity()};
  for (double d : doubles) EXPECT_EQ(Csv(d), ValueToText(d)) << d;
  EXPECT_EQ(Csv(true), "true");
  EXPECT_EQ(Csv(false), "false");
}

TEST(CsvWriterTest, RandomDoublesAreWrittenAsValueToTextHasThem) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    double d = std::bit_cast<double>(rng());
    if (i % 2 == 0) d = static_cast<double>(rng() % 10000000) / 100.0;  // cents, as amounts
    if (std::isnan(d)) continue;
    ASSERT_EQ(Csv(d), ValueToText(d)) << i;
  }
}

// Whole numbers of hundredths take a fast path (sums and maxima of
// amounts in cents); it must write what std::to_chars writes.
TEST(CsvWriterTest, HundredthsAreWrittenAsValueToTextHasThem) {
  for (int64_t k = -200000; k <= 200000; ++k) {
    const double d = static_cast<double>(k) / 100.0;
    ASSERT_EQ(Csv(d), ValueToText(d)) << k;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    // Magnitudes up to and past the fast path's 1e13, and multiples of
    // powers of ten (where scientific notation gets shorter).
    const int64_t k = static_cast<int64_t>(rng() % 2000000000000000ull) - 1000000000000000ll;
    const int64_t tens[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
    const int64_t m = k / tens[i % 8] * tens[i % 8];
    for (double d : {static_cast<double>(m) / 100.0, static_cast<double>(m),
                     static_cast<double>(m % 100000000) / 100.0}) {
      ASSERT_EQ(Csv(d), ValueToText(d)) << m;
    }
  }
  // Sums and means of amounts, as double arithmetic leaves them.
  for (int i = 0; i < 50000; ++i) {
    double sum = 0;
    const int count = 1 + static_cast<int>(rng() % 30);
    for (int j = 0; j < count; ++j) sum += static_cast<double>(100 + rng() % 49900) / 100.0;
    ASSERT_EQ(Csv(sum), ValueToText(sum)) << i;
    ASSERT_EQ(Csv(sum / count), ValueToText(sum / count)) << i;
    ASSERT_EQ(Csv(-sum), ValueToText(-sum)) << i;
  }
  for (double d : {0.01, -0.01, 0.05, 0.1, 0.5, 1e5, 1e6, 123e5, 1e12, 9999999999999.99,
                   1e13 - 0.01, 1e13, 1e13 + 0.02, 1e15, 100000.01, 0.0, -0.0}) {
    EXPECT_EQ(Csv(d), ValueToText(d)) << d;
  }
}

TEST(CsvWriterTest, ValuesAreTheirFieldsJoinedByCommas) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 300; ++round) {
    // Up to 200 values: enough numbers to overflow the local buffer.
    std::vector<Value> values(rng() % 200);
    for (Value& v : values) {
      switch (rng() % 6) {
        case 0:
          v = Value();
          break;
        case 1:
          v = static_cast<int64_t>(rng());
          break;
        case 2:
          v = std::bit_cast<double>(rng() & ~(uint64_t{0x7ff} << 52));  // finite
          break;
        case 3:
          v = static_cast<double>(rng() % 100000) / 100.0;
          break;
        case 4:
          v = rng() % 2 == 0;
          break;
        default:
          v = std::string(rng() % 40, rng() % 2 == 0 ? 'x' : ',');
      }
    }
    std::string want = "prefix";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) want.push_back(',');
      AppendCsvValue(&want, values[i]);
    }
    std::vector<const Value*> pointers;
    for (const Value& v : values) pointers.push_back(&v);
    std::string got = "prefix";
    AppendCsvValues(&got, pointers);
    ASSERT_EQ(got, want) << round;
  }
}

TEST(CsvWriterTest, NullIsAnEmptyField) { EXPECT_EQ(Csv(Value()), ""); }

TEST(CsvWriterTest, StringsAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(Csv(std::string("plain text")), "plain text");
  EXPECT_EQ(Csv(std::string("a,b")), "\"a,b\"");
  EXPECT_EQ(Csv(std::string("say \"hi\"")), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Csv(std::string("two\nlines")), "\"two\nlines\"");
  EXPECT_EQ(Csv(std::string("cr\r")), "\"cr\r\"");
  EXPECT_EQ(Csv(std::string("")), "");
}

TEST(CsvWriterTest, LineQuotesEachFieldAndEndsWithLf) {
  std::string out;
  AppendCsvLine(&out, {"a", "b,c", ""});
  EXPECT_EQ(out, "a,\"b,c\",\n");
}

}  // namespace
}  // namespace fstore
