#include "client/feature_store_commands.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An ingest reply with `n` rejected rows (rule min, except every third: type).
v1::IngestResponse ReplyWithRejections(int n) {
  v1::IngestResponse r;
  r.set_accepted(10);
  r.set_rejected(n);
  r.set_ingest_id("ingest-20260105T100000.000000Z-1");
  for (int i = 0; i < n; ++i) {
    v1::Rejection* rejection = r.add_rejections();
    rejection->set_row_number(i + 2);
    rejection->set_rule(i % 3 == 2 ? "type" : "min");
    rejection->set_reason("txns row " + std::to_string(i + 2) + ": bad");
  }
  v1::SourceQualityCounts::RuleCount* min = r.add_rejected_by_rule();
  min->set_rule("min");
  min->set_rows(n - n / 3);
  v1::SourceQualityCounts::RuleCount* type = r.add_rejected_by_rule();
  type->set_rule("type");
  type->set_rows(n / 3);
  return r;
}

TEST(PrintIngestSummaryTest, OnATerminalCountsByRuleAndShowsTheFirstFewRows) {
  std::ostringstream out;
  PrintIngestSummary(out, "txns", "day1.csv", 40, ReplyWithRejections(30), /*brief=*/true);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("40 rows, 10 accepted, 30 rejected, 0 duplicates "
                              "(ingest-20260105T100000.000000Z-1)"));
  EXPECT_THAT(text, HasSubstr("rejected by rule: min 20, type 10\n"));
  EXPECT_THAT(text, HasSubstr("first 5 of 30 rejected rows (row = line in day1.csv):\n"));
  EXPECT_THAT(text, HasSubstr("txns row 6: bad [min]"));
  EXPECT_THAT(text, Not(HasSubstr("txns row 7:")));
  EXPECT_THAT(text, HasSubstr("fsctl deadletters txns --ingest ingest-20260105T100000.000000Z-1"));
}

TEST(PrintIngestSummaryTest, ElsewhereShowsEveryRowTheServerReported) {
  std::ostringstream out;
  PrintIngestSummary(out, "txns", "day1.csv", 40, ReplyWithRejections(30), /*brief=*/false);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("rejected by rule: min 20, type 10\n"));
  EXPECT_THAT(text, HasSubstr("30 rejected rows (row = line in day1.csv):\n"));
  EXPECT_THAT(text, Not(HasSubstr("first ")));
  EXPECT_THAT(text, HasSubstr("txns row 31: bad [type]"));
}

TEST(PrintIngestSummaryTest, NoRejectionsNoRejectionLines) {
  std::ostringstream out;
  PrintIngestSummary(out, "txns", "day1.csv", 10, ReplyWithRejections(0), /*brief=*/true);
  EXPECT_THAT(out.str(), Not(HasSubstr("rejected by rule")));
  EXPECT_THAT(out.str(), HasSubstr("10 accepted, 0 rejected"));
}

}  // namespace
}  // namespace fstore::cli
