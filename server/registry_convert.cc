#include "server/registry_convert.h"

#include "absl/strings/str_cat.h"
#include "server/proto_convert.h"

namespace fstore {

v1::Stage ToProto(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return v1::STAGE_NONE;
    case Stage::kStaging:
      return v1::STAGE_STAGING;
    case Stage::kProduction:
      return v1::STAGE_PRODUCTION;
    case Stage::kArchived:
      return v1::STAGE_ARCHIVED;
  }
  return v1::STAGE_UNSPECIFIED;
}

absl::StatusOr<Stage> FromProto(v1::Stage stage) {
  switch (stage) {
    case v1::STAGE_NONE:
      return Stage::kNone;
    case v1::STAGE_STAGING:
      return Stage::kStaging;
    case v1::STAGE_PRODUCTION:
      return Stage::kProduction;
    case v1::STAGE_ARCHIVED:
      return Stage::kArchived;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "stage ", static_cast<int>(stage), " is not one of None, Staging, Production, Archived"));
  }
}

void ToProto(const RegisteredModel& model, v1::Model* out) {
  out->set_name(model.name);
  out->set_description(model.description);
  out->mutable_tags()->insert(model.tags.begin(), model.tags.end());
  out->set_created_at_us(model.created_at);
  out->set_updated_at_us(model.updated_at);
  out->set_latest_version(model.latest_version);
  out->mutable_production_gate()->insert(model.production_gate.begin(),
                                         model.production_gate.end());
  out->mutable_production_gate_max()->insert(model.production_gate_max.begin(),
                                             model.production_gate_max.end());
}

void ToProto(const ModelVersion& version, v1::ModelVersion* out) {
  out->set_model(version.model);
  out->set_version(version.version);
  out->set_stage(ToProto(version.stage));
  for (const std::string& alias : version.aliases) out->add_aliases(alias);
  out->set_artifact_sha256(version.artifact_sha256);
  out->set_artifact_size(version.artifact_size);
  out->set_artifact_format(version.artifact_format);
  out->set_feature_service(version.binding.service);
  out->set_feature_service_version(version.binding.service_version);
  for (const std::string& name : version.binding.feature_names) out->add_feature_names(name);
  for (const RequestField& field : version.binding.request_fields) {
    v1::RequestField* f = out->add_request_fields();
    f->set_name(field.name);
    f->set_type(ToProto(field.type));
  }
  out->set_training_snapshot(version.training_snapshot);
  out->set_dataset_fingerprint(version.dataset_fingerprint);
  out->mutable_params()->insert(version.params.begin(), version.params.end());
  out->mutable_metrics()->insert(version.metrics.begin(), version.metrics.end());
  for (const FeatureStatistics& s : version.feature_statistics) {
    v1::FeatureStatistics* p = out->add_feature_statistics();
    p->set_feature(s.feature);
    p->set_count(s.count);
    p->set_missing(s.missing);
    p->set_mean(s.mean);
    p->set_stddev(s.stddev);
    p->set_min(s.min);
    p->set_max(s.max);
    p->mutable_bin_edges()->Add(s.bin_edges.begin(), s.bin_edges.end());
    p->mutable_bin_counts()->Add(s.bin_counts.begin(), s.bin_counts.end());
  }
  for (const RiskThreshold& t : version.risk_thresholds) {
    v1::RiskThreshold* p = out->add_risk_thresholds();
    p->set_bucket(t.bucket);
    p->set_min_score(t.min_score);
  }
  out->set_description(version.description);
  out->set_created_by(version.created_by);
  out->set_created_at_us(version.created_at);
  out->set_updated_at_us(version.updated_at);
  for (const std::string& warning : version.warnings) out->add_warnings(warning);
}

void ToProto(const Transition& transition, v1::StageTransition* out) {
  out->set_model(transition.model);
  out->set_version(transition.version);
  out->set_kind(transition.kind);
  out->set_alias(transition.alias);
  out->set_from(transition.from);
  out->set_to(transition.to);
  out->set_actor(transition.actor);
  out->set_comment(transition.comment);
  out->set_at_us(transition.at);
}

void ToProto(const ModelStateAt& state, v1::GetModelHistoryResponse* out) {
  out->mutable_stages_at()->insert(state.stages.begin(), state.stages.end());
  out->mutable_aliases_at()->insert(state.aliases.begin(), state.aliases.end());
  for (const auto& [version, stage] : state.version_stages) {
    (*out->mutable_version_stages_at())[version] = ToProto(stage);
  }
}

RegisteredModel FromProto(const v1::CreateModelRequest& request) {
  RegisteredModel model;
  model.name = request.name();
  model.description = request.description();
  model.tags.insert(request.tags().begin(), request.tags().end());
  model.production_gate.insert(request.production_gate().begin(), request.production_gate().end());
  model.production_gate_max.insert(request.production_gate_max().begin(),
                                   request.production_gate_max().end());
  return model;
}

ModelUpdate FromProto(const v1::UpdateModelRequest& request) {
  ModelUpdate update;
  update.model = request.name();
  if (request.has_description()) update.description = request.description();
  update.set_gate = request.set_gate();
  update.production_gate.insert(request.production_gate().begin(), request.production_gate().end());
  update.production_gate_max.insert(request.production_gate_max().begin(),
                                    request.production_gate_max().end());
  return update;
}

FeatureStatistics FromProto(const v1::FeatureStatistics& statistics) {
  FeatureStatistics s;
  s.feature = statistics.feature();
  s.count = statistics.count();
  s.missing = statistics.missing();
  s.mean = statistics.mean();
  s.stddev = statistics.stddev();
  s.min = statistics.min();
  s.max = statistics.max();
  s.bin_edges.assign(statistics.bin_edges().begin(), statistics.bin_edges().end());
  s.bin_counts.assign(statistics.bin_counts().begin(), statistics.bin_counts().end());
  return s;
}

RiskThreshold FromProto(const v1::RiskThreshold& threshold) {
  return RiskThreshold{threshold.bucket(), threshold.min_score()};
}

absl::StatusOr<StageTransitionRequest> FromProto(const v1::TransitionStageRequest& request) {
  StageTransitionRequest out;
  out.model = request.model();
  out.version = request.version();
  absl::StatusOr<Stage> stage = FromProto(request.stage());
  if (!stage.ok()) return stage.status();
  out.stage = *stage;
  out.archive_existing = request.archive_existing();
  out.comment = request.comment();
  for (const v1::MetricRequirement& r : request.require()) {
    out.requirements.push_back(r.has_max() ? MetricRequirement{r.metric(), r.max(), true}
                                           : MetricRequirement{r.metric(), r.min(), false});
  }
  return out;
}

CreateVersionRequest FromProto(const v1::CreateModelVersionRequest& request) {
  CreateVersionRequest create;
  create.model = request.model();
  create.artifact_sha256 = request.artifact_sha256();
  create.training_snapshot = request.training_snapshot();
  create.dataset_fingerprint = request.dataset_fingerprint();
  create.params.insert(request.params().begin(), request.params().end());
  create.metrics.insert(request.metrics().begin(), request.metrics().end());
  for (const v1::FeatureStatistics& s : request.feature_statistics()) {
    create.feature_statistics.push_back(FromProto(s));
  }
  for (const v1::RiskThreshold& t : request.risk_thresholds()) {
    create.risk_thresholds.push_back(FromProto(t));
  }
  create.description = request.description();
  return create;
}

}  // namespace fstore
