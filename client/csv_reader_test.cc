#include "client/csv_reader.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::ElementsAre;

std::vector<std::vector<std::string>> ReadAll(const std::string& text,
                                              std::vector<int64_t>* lines = nullptr) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> cells;
  absl::Status error;
  while (reader.Next(&cells, &error)) {
    EXPECT_TRUE(error.ok()) << error;
    records.push_back(cells);
    if (lines != nullptr) lines->push_back(reader.record_line());
  }
  return records;
}

TEST(CsvReaderTest, PlainRecordsWithLfAndCrlf) {
  auto r = ReadAll("a,b,c\r\n1,,3\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0], ElementsAre("a", "b", "c"));
  EXPECT_THAT(r[1], ElementsAre("1", "", "3"));
}

TEST(CsvReaderTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  std::vector<int64_t> lines;
  auto r = ReadAll("h1,h2\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,y", &lines);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_THAT(r[1], ElementsAre("a,b", "say \"hi\""));
  EXPECT_THAT(r[2], ElementsAre("two\nlines", "x"));
  EXPECT_THAT(r[3], ElementsAre("last", "y"));
  EXPECT_THAT(lines, ElementsAre(1, 2, 3, 5));
}

TEST(CsvReaderTest, SkipsUtf8ByteOrderMark) {
  auto r = ReadAll("\xef\xbb\xbfts,id\n1,2\n");
  EXPECT_THAT(r[0], ElementsAre("ts", "id"));
}

TEST(CsvReaderTest, UnclosedQuoteIsReportedWithItsLine) {
  std::istringstream in("a\nb\n\"open,x\n");
  CsvReader reader(in);
  std::vector<std::string> cells;
  absl::Status error;
  ASSERT_TRUE(reader.Next(&cells, &error));
  ASSERT_TRUE(reader.Next(&cells, &error));
  ASSERT_TRUE(reader.Next(&cells, &error));
  EXPECT_FALSE(error.ok());
  EXPECT_THAT(std::string(error.message()), ::testing::HasSubstr("line 3"));
  EXPECT_FALSE(reader.Next(&cells, &error));
}

}  // namespace
}  // namespace fstore::cli
