#include "server/serving_convert.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ServingConvertTest, ScoreRequestCarriesEntityFieldsExplainAndTime) {
  v1::ScoreRequest in;
  in.set_model_ref("fraud@Production");
  (*in.mutable_entity()->mutable_values())["account_id"] = "A-1";
  (*in.mutable_request_fields())["amount"].set_double_value(12.5);
  in.set_explain(v1::EXPLAIN_EXACT);
  in.set_at_us(42);
  in.set_request_id("r-1");
  const ScoreRequest out = FromProto(in);
  EXPECT_EQ(out.model_ref, "fraud@Production");
  EXPECT_EQ(out.entity.at("account_id"), "A-1");
  EXPECT_EQ(out.request_fields.at("amount"), Value(12.5));
  EXPECT_EQ(out.explain, Explain::kExact);
  EXPECT_EQ(out.at, 42);
  EXPECT_EQ(FromProto(v1::EXPLAIN_FAST), Explain::kFast);
  EXPECT_EQ(FromProto(v1::Explain{}), Explain::kNone);
}

TEST(ServingConvertTest, ServedScoreCarriesTheRequestIdAndContributions) {
  ServedScore served;
  served.request_id = "123-4";
  served.result.score = 0.75;
  served.result.risk_bucket = "high";
  served.result.model = "fraud";
  served.result.version = 3;
  served.result.contributions = {{"acct:n_1h", Value(int64_t{4}), 0.5}};
  served.result.missing_features = {"acct:last_amt"};
  served.result.bias = -1.5;
  v1::ScoreResponse out;
  ToProto(served, &out);
  EXPECT_EQ(out.request_id(), "123-4");
  EXPECT_EQ(out.score(), 0.75);
  EXPECT_EQ(out.risk_bucket(), "high");
  EXPECT_EQ(out.model_version(), 3);
  ASSERT_EQ(out.contributions_size(), 1);
  EXPECT_EQ(out.contributions(0).feature(), "acct:n_1h");
  EXPECT_EQ(out.contributions(0).value().int64_value(), 4);
  EXPECT_EQ(out.missing_features(0), "acct:last_amt");
  EXPECT_EQ(out.bias(), -1.5);
}

TEST(ServingConvertTest, BatchRequestAndSummary) {
  v1::BatchScoreRequest in;
  in.set_model_ref("fraud:2");
  in.set_lookback_us(3600);
  (*in.add_entities()->mutable_values())["account_id"] = "A-1";
  (*in.mutable_request_fields())["amount"].set_double_value(1);
  const BatchScoreRequest out = FromProto(in);
  EXPECT_EQ(out.model_ref, "fraud:2");
  EXPECT_EQ(out.lookback, 3600);
  ASSERT_EQ(out.entities.size(), 1u);
  EXPECT_EQ(out.entities[0].at("account_id"), "A-1");
  EXPECT_EQ(out.request_fields.at("amount"), Value(1.0));

  BatchScoreSummary summary{2, "fraud", 2, 99, "b-1", {{"high", 1}, {"low", 1}}};
  v1::BatchScoreResponse response;
  ToProto(summary, &response);
  EXPECT_EQ(response.scored(), 2);
  EXPECT_EQ(response.batch_id(), "b-1");
  EXPECT_EQ(response.scored_at_us(), 99);
  EXPECT_EQ(response.buckets().at("high"), 1);
}

TEST(ServingConvertTest, ListScoresFilterAndRecord) {
  v1::ListScoresRequest in;
  in.set_model("fraud");
  in.set_batch_id("b-1");
  in.set_limit(10);
  const ScoreTable::Filter filter = FromProto(in);
  EXPECT_EQ(filter.model, "fraud");
  EXPECT_EQ(filter.batch_id, "b-1");
  EXPECT_EQ(filter.limit, 10);
  ScoreRecord r;
  r.entity = {{"account_id", "A-1"}};
  r.fraud_score = 0.5;
  r.risk_bucket = "medium";
  r.model = "fraud";
  r.model_version = 2;
  r.scored_at = 7;
  r.batch_id = "b-1";
  v1::ScoreRecord out;
  ToProto(r, &out);
  EXPECT_EQ(out.entity().values().at("account_id"), "A-1");
  EXPECT_EQ(out.fraud_score(), 0.5);
  EXPECT_EQ(out.scored_at_us(), 7);
  EXPECT_EQ(out.batch_id(), "b-1");
}

TEST(ServingConvertTest, DriftCarriesVersionWindowAndPrediction) {
  VersionDrift drift;
  drift.version.model = "fraud";
  drift.version.version = 3;
  drift.report.since = 1;
  drift.report.until = 2;
  drift.report.requests = 10;
  FeatureDrift f;
  f.feature = "acct:n_1h";
  f.psi = 0.3;
  f.status = "drift";
  drift.report.features = {f};
  f.feature = "__prediction__";
  drift.report.prediction = f;
  v1::GetDriftResponse out;
  ToProto(drift, &out);
  EXPECT_EQ(out.model(), "fraud");
  EXPECT_EQ(out.model_version(), 3);
  EXPECT_EQ(out.requests(), 10);
  ASSERT_EQ(out.features_size(), 1);
  EXPECT_EQ(out.features(0).status(), "drift");
  EXPECT_EQ(out.prediction().feature(), "__prediction__");
}

TEST(ServingConvertTest, LiveMetricsLeaveUnknownRatiosUnset) {
  LiveMetrics m;
  m.model = "fraud";
  m.version = 1;
  m.labelled = 3;
  m.auc = 0.8;
  v1::LiveMetrics out;
  ToProto(m, &out);
  EXPECT_EQ(out.labelled(), 3);
  EXPECT_TRUE(out.has_auc());
  EXPECT_EQ(out.auc(), 0.8);
  EXPECT_FALSE(out.has_precision_at_high());
}

TEST(ServingConvertTest, FeedbackLabelsNumberRowsAndOptionsComeFromTheFirstMessage) {
  v1::FeedbackLabel in;
  in.set_request_id("r-1");
  in.set_label(1);
  EXPECT_EQ(FromProto(in, 7).row, 7);
  in.set_row(3);
  const FeedbackLabel l = FromProto(in, 7);
  EXPECT_EQ(l.row, 3);
  EXPECT_EQ(l.request_id, "r-1");
  EXPECT_EQ(l.label, 1);
  v1::FeedbackRequest first;
  EXPECT_EQ(RecordOptionsFromProto(first).match_within,
            FeedbackStore::RecordOptions().match_within);
  first.set_skip_unknown(true);
  first.set_match_within_us(5);
  EXPECT_TRUE(RecordOptionsFromProto(first).skip_unknown);
  EXPECT_EQ(RecordOptionsFromProto(first).match_within, 5);

  FeedbackResult result;
  result.summary.labels = 2;
  result.summary.unknown = 1;
  result.summary.unknown_examples = {"row 2: no request"};
  result.live.emplace_back().model = "fraud";
  v1::FeedbackResponse response;
  ToProto(result, &response);
  EXPECT_EQ(response.labels(), 2);
  EXPECT_EQ(response.unknown_examples(0), "row 2: no request");
  ASSERT_EQ(response.live_size(), 1);
  EXPECT_EQ(response.live(0).model(), "fraud");
}

TEST(ServingConvertTest, LabelledExportHeaderAndRowKeepMissingInputs) {
  LabelledExportHeader header{"fraud", 3, "svc", "abc", {"acct:n_1h", "amount"}, {2, 3}};
  v1::LabelledHeader h;
  ToProto(header, &h);
  EXPECT_EQ(h.model_version(), 3);
  EXPECT_EQ(h.inputs_size(), 2);
  EXPECT_EQ(h.versions(0), 2);
  LabelledRequest l;
  l.served.request_id = "r-1";
  l.served.at = 5;
  l.served.version = 3;
  l.served.inputs = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  l.served.score = 0.25;
  l.label = 1;
  v1::LabelledRow row;
  ToProto(l, &row);
  EXPECT_EQ(row.request_id(), "r-1");
  ASSERT_EQ(row.inputs_size(), 2);
  EXPECT_TRUE(std::isnan(row.inputs(1)));
  EXPECT_EQ(row.label(), 1);
}

}  // namespace
}  // namespace fstore
