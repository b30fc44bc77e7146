#include "client/quality_command.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr int64_t kHour = 3600LL * 1000000;

void SetCounts(int64_t accepted, int64_t rejected,
               std::vector<std::pair<std::string, int64_t>> rules, std::vector<int64_t> nulls,
               v1::SourceQualityCounts* c) {
  c->set_accepted(accepted);
  c->set_rejected(rejected);
  for (const auto& [rule, rows] : rules) {
    auto* r = c->add_rejected_by_rule();
    r->set_rule(rule);
    r->set_rows(rows);
  }
  const char* names[] = {"id", "note"};
  for (size_t i = 0; i < nulls.size(); ++i) {
    auto* n = c->add_nulls();
    n->set_column(names[i]);
    n->set_nulls(nulls[i]);
  }
}

// Three hours; rows in the first and the last; note is null in 1 of 4 rows
// at 10:00 and 2 of 2 at 12:00.
v1::GetSourceQualityResponse Response() {
  v1::GetSourceQualityResponse r;
  r.set_source("txns");
  r.set_since_us(kT0);
  r.set_until_us(kT0 + 3 * kHour);
  r.set_bucket_us(kHour);
  auto* first = r.add_buckets();
  first->set_start_us(kT0);
  SetCounts(4, 3, {{"min", 2}, {"not_null", 1}}, {0, 1}, first->mutable_counts());
  auto* last = r.add_buckets();
  last->set_start_us(kT0 + 2 * kHour);
  SetCounts(2, 0, {}, {0, 2}, last->mutable_counts());
  SetCounts(6, 3, {{"min", 2}, {"not_null", 1}}, {0, 3}, r.mutable_total());
  return r;
}

TEST(QualityCommandTest, TableListsBucketsTotalAndWorstBucket) {
  std::ostringstream os;
  PrintQualityTable(Response(), os);
  const std::string out = os.str();
  EXPECT_THAT(out, HasSubstr("txns: rows by ingest time from 2026-01-05T10:00:00Z to "
                             "2026-01-05T13:00:00Z in 1h buckets"));
  EXPECT_THAT(
      out, HasSubstr("2026-01-05T10:00:00Z  4         3         0           min=2 not_null=1\n"));
  EXPECT_THAT(out, HasSubstr("2026-01-05T12:00:00Z  2         0         0           -\n"));
  EXPECT_THAT(
      out, HasSubstr("TOTAL                 6         3         0           min=2 not_null=1\n"));
  EXPECT_THAT(out, HasSubstr("(1 buckets without rows not shown)"));
  EXPECT_THAT(out, HasSubstr("note    3      50.00%     100.00% at 2026-01-05T12:00:00Z\n"));
  EXPECT_THAT(out, HasSubstr("id      0      0.00%      0.00%\n"));
}

TEST(QualityCommandTest, JsonHoldsEverythingWithNullRatesAsNumbers) {
  const std::string json = QualityJson(Response());
  EXPECT_THAT(json, HasSubstr("\"source\":\"txns\",\"since\":\"2026-01-05T10:00:00Z\","
                              "\"until\":\"2026-01-05T13:00:00Z\",\"bucket\":\"1h\""));
  EXPECT_THAT(json, HasSubstr("\"total\":{\"accepted\":6,\"rejected\":3,\"duplicates\":0,"
                              "\"rejected_by_rule\":{\"min\":2,\"not_null\":1},"
                              "\"nulls\":{\"id\":0,\"note\":3}}"));
  EXPECT_THAT(json, HasSubstr("{\"column\":\"note\",\"nulls\":3,\"null_rate\":0.5,"
                              "\"worst_bucket_null_rate\":1,"
                              "\"worst_bucket\":\"2026-01-05T12:00:00Z\"}"));
  EXPECT_THAT(json, HasSubstr("\"buckets\":[{\"start\":\"2026-01-05T10:00:00Z\",\"accepted\":4,"));
}

TEST(QualityCommandTest, NoRowsMeansNoRatesAndAPlainSentence) {
  v1::GetSourceQualityResponse r;
  r.set_source("txns");
  r.set_since_us(kT0);
  r.set_until_us(kT0 + kHour);
  r.set_bucket_us(kHour);
  SetCounts(0, 0, {}, {0, 0}, r.mutable_total());
  std::ostringstream os;
  PrintQualityTable(r, os);
  EXPECT_THAT(os.str(), HasSubstr("No rows were ingested into txns in this window."));
  EXPECT_THAT(os.str(), Not(HasSubstr("TOTAL")));
  EXPECT_THAT(QualityJson(r), HasSubstr("{\"column\":\"id\",\"nulls\":0,\"null_rate\":null,"
                                        "\"worst_bucket_null_rate\":null,\"worst_bucket\":null}"));
}

}  // namespace
}  // namespace fstore::cli
