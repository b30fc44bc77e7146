#include "featurestore/row_validator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

Column Col(std::string name, ColumnType type, bool nullable = false) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.nullable = nullable;
  return c;
}

Source Txns() {
  Source s;
  s.name = "txns";
  s.timestamp_column = "ts";
  s.event_id_column = "txn_id";
  Column amount = Col("amount", ColumnType::kDouble);
  amount.min = 0.0;
  amount.max = 1e6;
  Column kind = Col("kind", ColumnType::kString);
  kind.allowed = {"PAY", "XFER"};
  s.columns = {Col("txn_id", ColumnType::kString),
               Col("account_id", ColumnType::kString),
               Col("ts", ColumnType::kTimestamp),
               amount,
               kind,
               Col("n", ColumnType::kInt64, true),
               Col("flag", ColumnType::kBool, true)};
  return s;
}

class RowValidatorTest : public ::testing::Test {
 protected:
  RowValidatorTest() : source_(Txns()) {}

  RowValidator Make(std::vector<std::string> columns = {"txn_id", "account_id", "ts", "amount",
                                                        "kind", "n", "flag"},
                    RowValidator::Options options = {}) {
    auto v = RowValidator::Create(source_, columns, {"account_id"}, options);
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }

  // Validates text cells; returns the rejection (rule empty when accepted).
  Rejection Check(const RowValidator& v, std::vector<std::string> cells) {
    std::vector<absl::string_view> views(cells.begin(), cells.end());
    Rejection r;
    if (v.ValidateText(views, 7, &row_, &r)) return Rejection{};
    return r;
  }

  Source source_;
  ValidatedRow row_;
};

TEST_F(RowValidatorTest, GoodRowIsParsedToTypedValues) {
  RowValidator v = Make();
  Rejection r = Check(v, {"t1", "A-1", "2026-01-05T10:00:00Z", "12.5", "PAY", "3", "true"});
  ASSERT_EQ(r.rule, "") << r.reason;
  EXPECT_EQ(row_.ts, *ParseIsoTime("2026-01-05T10:00:00Z"));
  EXPECT_EQ(row_.values[3], Value(12.5));
  EXPECT_EQ(row_.values[5], Value(int64_t{3}));
  EXPECT_EQ(row_.values[6], Value(true));
}

TEST_F(RowValidatorTest, EmptyOptionalCellIsNull) {
  RowValidator v = Make();
  ASSERT_EQ(Check(v, {"t1", "A-1", "2026-01-05T10:00:00Z", "1", "PAY", "", ""}).rule, "");
  EXPECT_TRUE(IsNull(row_.values[5]));
}

TEST_F(RowValidatorTest, EachRuleNamesColumnValueAndRow) {
  RowValidator v = Make();
  struct Case {
    std::vector<std::string> cells;
    std::string rule, column, reason_part;
  } cases[] = {
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "-5", "PAY", "", ""},
       "min",
       "amount",
       "txns row 7: column amount: -5 is below min 0"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "2e6", "PAY", "", ""}, "max", "amount", "above max"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "abc", "PAY", "", ""},
       "type",
       "amount",
       "'abc' is not a DOUBLE"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "nan", "PAY", "", ""}, "finite", "amount", "nan"},
      {{"t1", "A-1", "yesterday", "1", "PAY", "", ""}, "type", "ts", "'yesterday'"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "1", "REFUND", "", ""},
       "allowed",
       "kind",
       "'REFUND' is not one of the allowed values (PAY, XFER)"},
      {{"t1", "", "2026-01-05T10:00:00Z", "1", "PAY", "", ""}, "not_null", "account_id", "missing"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "1", "PAY", "x", ""}, "type", "n", "not an INT64"},
      {{"t1", "A-1", "2026-01-05T10:00:00Z", "1", "PAY", "", "maybe"}, "type", "flag", "BOOL"},
      {{"t1", "A\xff", "2026-01-05T10:00:00Z", "1", "PAY", "", ""}, "utf8", "account_id", "A\\xff"},
      {{"t1", "A-1"}, "column_count", "", "row has 2 cells but the header has 7 columns"},
  };
  for (const Case& c : cases) {
    Rejection r = Check(v, c.cells);
    EXPECT_EQ(r.rule, c.rule) << c.reason_part;
    EXPECT_EQ(r.column, c.column) << c.reason_part;
    EXPECT_EQ(r.row_number, 7);
    EXPECT_THAT(r.reason, HasSubstr(c.reason_part));
  }
}

TEST_F(RowValidatorTest, OverlongStringIsRejectedAndShownShortened) {
  RowValidator v = Make();
  const std::string huge(10 << 20, 'x');
  Rejection r = Check(v, {"t1", huge, "2026-01-05T10:00:00Z", "1", "PAY", "", ""});
  EXPECT_EQ(r.rule, "max_length");
  EXPECT_LT(r.value.size(), 200u);
  EXPECT_THAT(r.value, HasSubstr("(10485760 bytes)"));
}

TEST_F(RowValidatorTest, EpochTimestampsUseTheColumnUnit) {
  source_.columns[2].epoch_unit = "s";
  RowValidator v = Make();
  ASSERT_EQ(Check(v, {"t1", "A-1", "1767607200", "1", "PAY", "", ""}).rule, "");
  EXPECT_EQ(row_.ts, 1767607200LL * 1000000);
}

TEST_F(RowValidatorTest, HeaderErrorsNameTheColumn) {
  auto unknown = RowValidator::Create(source_, {"txn_id", "acount_id"}, {}, {});
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("no column 'acount_id'"));
  auto twice = RowValidator::Create(source_, {"ts", "ts"}, {}, {});
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("'ts' appears twice"));
  auto missing =
      RowValidator::Create(source_, {"txn_id", "ts", "amount", "kind"}, {"account_id"}, {});
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("required column 'account_id' is missing"));
}

TEST_F(RowValidatorTest, TypedValuesAreCheckedLikeText) {
  RowValidator v = Make({"txn_id", "account_id", "ts", "amount", "kind"});
  Rejection r;
  std::vector<Value> good = {std::string("t1"), std::string("A-1"), int64_t{5}, int64_t{3},
                             std::string("XFER")};
  ASSERT_TRUE(v.ValidateValues(good, 1, &row_, &r)) << r.reason;
  EXPECT_EQ(row_.values[3], Value(3.0));  // int64 widened to DOUBLE
  std::vector<Value> bad = {std::string("t1"), std::string("A-1"), int64_t{5}, true,
                            std::string("XFER")};
  EXPECT_FALSE(v.ValidateValues(bad, 2, &row_, &r));
  EXPECT_EQ(r.rule, "type");
}

TEST(Utf8Test, AcceptsValidAndRejectsInvalidSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
}

}  // namespace
}  // namespace fstore
