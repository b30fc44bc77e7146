#include "server/serving_convert.h"

#include <string>
#include <utility>

#include "server/proto_convert.h"

namespace fstore {

Explain FromProto(v1::Explain explain) {
  switch (explain) {
    case v1::EXPLAIN_FAST:
      return Explain::kFast;
    case v1::EXPLAIN_EXACT:
      return Explain::kExact;
    default:
      return Explain::kNone;
  }
}

ScoreRequest FromProto(const v1::ScoreRequest& request) {
  ScoreRequest score;
  score.model_ref = request.model_ref();
  score.entity = FromProto(request.entity());
  for (const auto& [name, value] : request.request_fields()) {
    score.request_fields.emplace(name, FromProto(value));
  }
  score.explain = FromProto(request.explain());
  score.at = request.at_us();
  return score;
}

void ToProto(const ServedScore& served, v1::ScoreResponse* out) {
  const ScoreResult& result = served.result;
  out->set_score(result.score);
  out->set_risk_bucket(result.risk_bucket);
  out->set_model(result.model);
  out->set_model_version(result.version);
  for (const FeatureContribution& c : result.contributions) {
    v1::Contribution* contribution = out->add_contributions();
    contribution->set_feature(c.feature);
    ToProto(c.value, contribution->mutable_value());
    contribution->set_contribution(c.contribution);
  }
  for (const std::string& f : result.missing_features) out->add_missing_features(f);
  out->set_bias(result.bias);
  out->set_request_id(served.request_id);
  out->set_served_from(std::string(ServedFromName(result.served_from)));
}

BatchScoreRequest FromProto(const v1::BatchScoreRequest& request) {
  BatchScoreRequest batch;
  batch.model_ref = request.model_ref();
  batch.lookback = request.lookback_us();
  for (const auto& [name, value] : request.request_fields()) {
    batch.request_fields.emplace(name, FromProto(value));
  }
  for (const v1::EntityKey& key : request.entities()) batch.entities.push_back(FromProto(key));
  return batch;
}

void ToProto(const BatchScoreSummary& summary, v1::BatchScoreResponse* out) {
  out->set_scored(summary.scored);
  out->set_model(summary.model);
  out->set_model_version(summary.model_version);
  out->set_scored_at_us(summary.scored_at);
  out->set_batch_id(summary.batch_id);
  out->mutable_buckets()->insert(summary.buckets.begin(), summary.buckets.end());
}

ScoreTable::Filter FromProto(const v1::ListScoresRequest& request) {
  ScoreTable::Filter filter;
  filter.model = request.model();
  filter.batch_id = request.batch_id();
  filter.limit = request.limit();
  return filter;
}

void ToProto(const ScoreRecord& r, v1::ScoreRecord* out) {
  out->mutable_entity()->mutable_values()->insert(r.entity.begin(), r.entity.end());
  out->set_fraud_score(r.fraud_score);
  out->set_risk_bucket(r.risk_bucket);
  out->set_model(r.model);
  out->set_model_version(r.model_version);
  out->set_scored_at_us(r.scored_at);
  out->set_batch_id(r.batch_id);
}

void ToProto(const FeatureDrift& d, v1::FeatureDrift* out) {
  out->set_feature(d.feature);
  out->set_serving_count(d.serving_count);
  out->set_serving_missing(d.serving_missing);
  out->set_psi(d.psi);
  out->set_ks_d(d.ks_d);
  out->set_ks_p_value(d.ks_p_value);
  out->set_training_missing_rate(d.training_missing_rate);
  out->set_serving_missing_rate(d.serving_missing_rate);
  out->set_status(d.status);
}

void ToProto(const VersionDrift& drift, v1::GetDriftResponse* out) {
  const DriftReport& report = drift.report;
  out->set_model(drift.version.model);
  out->set_model_version(drift.version.version);
  out->set_since_us(report.since);
  out->set_until_us(report.until);
  out->set_requests(report.requests);
  out->set_min_serving_values(report.min_serving_values);
  for (const FeatureDrift& d : report.features) ToProto(d, out->add_features());
  if (report.prediction) ToProto(*report.prediction, out->mutable_prediction());
}

void ToProto(const LiveMetrics& m, v1::LiveMetrics* out) {
  out->set_model(m.model);
  out->set_model_version(m.version);
  out->set_since_us(m.since);
  out->set_until_us(m.until);
  out->set_labelled(m.labelled);
  out->set_positives(m.positives);
  if (m.auc) out->set_auc(*m.auc);
  out->set_high_bucket(m.high_bucket);
  out->set_high_min_score(m.high_min_score);
  out->set_alerts(m.alerts);
  out->set_true_alerts(m.true_alerts);
  if (m.precision_at_high) out->set_precision_at_high(*m.precision_at_high);
  if (m.recall_at_high) out->set_recall_at_high(*m.recall_at_high);
}

FeedbackLabel FromProto(const v1::FeedbackLabel& in, int64_t index) {
  FeedbackLabel l;
  l.row = in.row() != 0 ? in.row() : index;
  l.request_id = in.request_id();
  l.entity = FromProto(in.entity());
  l.at = in.at_us();
  l.model = in.model();
  l.label = in.label();
  return l;
}

FeedbackStore::RecordOptions RecordOptionsFromProto(const v1::FeedbackRequest& first) {
  FeedbackStore::RecordOptions options;
  options.skip_unknown = first.skip_unknown();
  if (first.match_within_us() != 0) options.match_within = first.match_within_us();
  return options;
}

void ToProto(const FeedbackResult& result, v1::FeedbackResponse* out) {
  const FeedbackSummary& summary = result.summary;
  out->set_labels(summary.labels);
  out->set_labelled(summary.labelled);
  out->set_relabelled(summary.relabelled);
  out->set_unknown(summary.unknown);
  for (const std::string& e : summary.unknown_examples) out->add_unknown_examples(e);
  for (const LiveMetrics& live : result.live) ToProto(live, out->add_live());
}

void ToProto(const LabelledExportHeader& header, v1::LabelledHeader* out) {
  out->set_model(header.model);
  out->set_model_version(header.model_version);
  out->set_feature_service(header.feature_service);
  out->set_service_version(header.service_version);
  for (const std::string& name : header.inputs) out->add_inputs(name);
  for (int64_t v : header.versions) out->add_versions(v);
}

void ToProto(const LabelledRequest& l, v1::LabelledRow* out) {
  out->set_request_id(l.served.request_id);
  out->set_at_us(l.served.at);
  out->set_model_version(l.served.version);
  out->mutable_inputs()->Add(l.served.inputs.begin(), l.served.inputs.end());
  out->set_score(l.served.score);
  out->set_label(l.label);
}

}  // namespace fstore
