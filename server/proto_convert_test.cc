#include "server/proto_convert.h"

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ProtoConvertTest, ValuesRoundTripIncludingNull) {
  for (const Value& v :
       {Value(), Value(int64_t{-3}), Value(2.5), Value(std::string("x")), Value(true)}) {
    v1::Value p;
    ToProto(v, &p);
    EXPECT_EQ(FromProto(p), v);
  }
  v1::Value unset;
  EXPECT_TRUE(IsNull(FromProto(unset)));
}

TEST(ProtoConvertTest, SelectorNeedsATarget) {
  v1::FeatureSelector empty;
  EXPECT_EQ(FromProto(empty).status().code(), absl::StatusCode::kInvalidArgument);
  v1::FeatureSelector refs;
  refs.mutable_refs()->add_refs("acct:n_1h");
  auto s = FromProto(refs);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, FeatureSelector::Kind::kRefs);
  EXPECT_EQ(s->refs, std::vector<std::string>{"acct:n_1h"});
  v1::FeatureSelector service;
  service.set_feature_service("acct_svc");
  EXPECT_EQ(FromProto(service)->kind, FeatureSelector::Kind::kService);
}

TEST(ProtoConvertTest, DefinitionsCarryDurationsInMicrosAndSourceKeys) {
  Definitions d;
  d.entities.push_back({"account", "account_id", ""});
  Source s;
  s.name = "txns";
  s.timestamp_column = "ts";
  s.columns.resize(2);
  s.columns[0].name = "account_id";
  s.columns[0].type = ColumnType::kString;
  s.columns[1].name = "ts";
  s.columns[1].type = ColumnType::kTimestamp;
  d.sources.push_back(s);
  FeatureView v;
  v.name = "acct";
  v.entities = {"account"};
  v.source = "txns";
  Feature f;
  f.name = "n_1h";
  f.window = 3600 * kMicrosPerSecond;
  v.features.push_back(f);
  d.feature_views.push_back(v);
  v1::Definitions p;
  ToProto(d, &p);
  ASSERT_EQ(p.feature_views_size(), 1);
  EXPECT_EQ(p.feature_views(0).features(0).window_us(), 3600LL * 1000000);
  EXPECT_EQ(p.feature_views(0).features(0).function(), v1::AGGREGATE_FUNCTION_COUNT);
  ASSERT_EQ(p.sources(0).entity_columns_size(), 1);
  EXPECT_EQ(p.sources(0).entity_columns(0), "account_id");
  EXPECT_EQ(p.sources(0).columns(1).type(), v1::COLUMN_TYPE_TIMESTAMP);

  // A source listed without its views still carries its entity columns.
  Definitions only_source;
  only_source.sources = d.sources;
  v1::Definitions selected;
  ToProto(only_source, d, &selected);
  EXPECT_EQ(selected.feature_views_size(), 0);
  ASSERT_EQ(selected.sources_size(), 1);
  ASSERT_EQ(selected.sources(0).entity_columns_size(), 1);
  EXPECT_EQ(selected.sources(0).entity_columns(0), "account_id");
}

TEST(ProtoConvertTest, IngestSummaryAndRejections) {
  IngestSummary s;
  s.accepted = 5;
  s.rejected = 1;
  s.duplicates = 2;
  s.rejections.push_back(
      {12, "amount", "-5", "min", "txns row 12: column amount: -5 is below min 0"});
  s.ingest_id = "ingest-1";
  s.rejected_by_rule = {{"type", 1}, {"min", 3}};
  v1::IngestResponse r;
  ToProto(s, &r);
  EXPECT_EQ(r.accepted(), 5);
  EXPECT_EQ(r.duplicates(), 2);
  ASSERT_EQ(r.rejections_size(), 1);
  EXPECT_EQ(r.rejections(0).row_number(), 12);
  EXPECT_EQ(r.rejections(0).rule(), "min");
  EXPECT_EQ(r.ingest_id(), "ingest-1");
  ASSERT_EQ(r.rejected_by_rule_size(), 2);
  EXPECT_EQ(r.rejected_by_rule(0).rule(), "min");  // sorted by rule
  EXPECT_EQ(r.rejected_by_rule(0).rows(), 3);
  EXPECT_EQ(r.rejected_by_rule(1).rule(), "type");
}

TEST(ProtoConvertTest, DeadLettersNameTheirIngest) {
  DeadLetterPage page;
  DeadLetter& d = page.dead_letters.emplace_back();
  d.source = "txns";
  d.ingest_id = "ingest-2";
  d.origin = "day1.csv";
  d.rejection.rule = "min";
  v1::ListDeadLettersResponse r;
  ToProto(page, &r);
  ASSERT_EQ(r.dead_letters_size(), 1);
  EXPECT_EQ(r.dead_letters(0).ingest_id(), "ingest-2");
  EXPECT_EQ(r.dead_letters(0).origin(), "day1.csv");
}

TEST(ProtoConvertTest, SourceQualityNamesEveryColumnAndSortsRules) {
  SourceQualityReport report;
  report.source = "txns";
  report.columns = {"id", "amount", "note"};
  report.since = 3600;
  report.until = 7200;
  report.bucket = 60 * kMicrosPerSecond;
  SourceQualityBucket bucket;
  bucket.start = 3600;
  bucket.counts.accepted = 4;
  bucket.counts.rejected = 3;
  bucket.counts.duplicates = 1;
  bucket.counts.rejected_by_rule = {{"not_null", 1}, {"min", 2}};
  bucket.counts.nulls = {0, 1};  // shorter than the columns: the rest are 0
  report.buckets.push_back(bucket);
  report.total = bucket.counts;
  v1::GetSourceQualityResponse p;
  ToProto(report, &p);
  EXPECT_EQ(p.source(), "txns");
  EXPECT_EQ(p.since_us(), 3600);
  EXPECT_EQ(p.until_us(), 7200);
  EXPECT_EQ(p.bucket_us(), 60 * kMicrosPerSecond);
  ASSERT_EQ(p.buckets_size(), 1);
  EXPECT_EQ(p.buckets(0).start_us(), 3600);
  const v1::SourceQualityCounts& c = p.buckets(0).counts();
  EXPECT_EQ(c.accepted(), 4);
  EXPECT_EQ(c.rejected(), 3);
  EXPECT_EQ(c.duplicates(), 1);
  ASSERT_EQ(c.rejected_by_rule_size(), 2);
  EXPECT_EQ(c.rejected_by_rule(0).rule(), "min");
  EXPECT_EQ(c.rejected_by_rule(0).rows(), 2);
  EXPECT_EQ(c.rejected_by_rule(1).rule(), "not_null");
  ASSERT_EQ(c.nulls_size(), 3);
  EXPECT_EQ(c.nulls(1).column(), "amount");
  EXPECT_EQ(c.nulls(1).nulls(), 1);
  EXPECT_EQ(c.nulls(2).column(), "note");
  EXPECT_EQ(c.nulls(2).nulls(), 0);
  EXPECT_EQ(p.total().SerializeAsString(), c.SerializeAsString());
}

}  // namespace
}  // namespace fstore
