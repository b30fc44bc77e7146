#include "server/metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "server/rpc_roles.h"

namespace fstore {
namespace {

std::vector<GaugeSample<1>> OnlineEntities(const FeatureStore& store) {
  std::vector<GaugeSample<1>> samples;
  for (const auto& [view, entities] : store.OnlineEntityCounts()) {
    samples.push_back({{view}, static_cast<double>(entities)});
  }
  return samples;
}

std::vector<GaugeSample<3>> ModelStages(const ModelRegistry& registry) {
  std::vector<GaugeSample<3>> samples;
  for (const RegisteredModel& model : registry.ListModels()) {
    absl::StatusOr<std::vector<ModelVersion>> versions = registry.ListVersions(model.name);
    if (!versions.ok()) continue;  // deleted since ListModels
    for (const ModelVersion& v : *versions) {
      samples.push_back(
          {{model.name, std::string(StageName(v.stage)), absl::StrCat(v.version)}, 1.0});
    }
  }
  return samples;
}

}  // namespace

std::vector<std::string> FsdRpcMethods(absl::Span<const char* const> services) {
  std::vector<std::string> paths;
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<std::string> names(services.begin(), services.end());
  names.push_back("grpc.reflection.v1alpha.ServerReflection");
  for (const std::string& name : names) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      paths.push_back(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
    }
  }
  // gRPC's default health service is not built from the C++ protobuf.
  paths.push_back("/grpc.health.v1.Health/Check");
  paths.push_back("/grpc.health.v1.Health/Watch");
  return paths;
}

absl::StatusOr<std::unique_ptr<FsdMetrics>> FsdMetrics::Create(
    const FeatureStore* store, const ModelRegistry* registry,
    const std::vector<std::string>& rpc_methods) {
  std::unique_ptr<FsdMetrics> m(new FsdMetrics());
  MetricsRegistry& r = m->registry_;
  FSTORE_ASSIGN_OR_RETURN(m->rpc_, RpcMetrics::Create(&r, rpc_methods));
  FSTORE_ASSIGN_OR_RETURN(
      m->denied_,
      r.AddCounter("fstore_rpc_denied_total",
                   "Calls refused by access control, by method and reason: unauthenticated (no "
                   "or unknown token), permission_denied (role missing), rate_limited or "
                   "stream_limit.",
                   {"method", "reason"}));
  FSTORE_ASSIGN_OR_RETURN(
      m->ingest_rows_,
      r.AddCounter("fstore_ingest_rows_total",
                   "Rows ingested, by source and result: accepted (stored), rejected (failed "
                   "validation, kept as a dead letter) or duplicate (event id seen before).",
                   {"source", "result"}));
  FSTORE_RETURN_IF_ERROR(r.AddGaugeCallback<1>(
      "fstore_online_entities", "Entities holding online feature state, by feature view.", {"view"},
      [store] { return OnlineEntities(*store); }));
  FSTORE_RETURN_IF_ERROR(r.AddGaugeCallback<3>(
      "fstore_model_stage_info",
      "1 for every live model version, labelled with its stage (None, Staging, Production, "
      "Archived).",
      {"model", "stage", "version"}, [registry] { return ModelStages(*registry); }));
  FSTORE_ASSIGN_OR_RETURN(
      m->drift_psi_,
      r.AddGauge("fstore_feature_drift_psi",
                 "Population stability index of a Production model's input feature: serving "
                 "traffic against the version's training statistics.",
                 {"model", "version", "feature"}));
  FSTORE_ASSIGN_OR_RETURN(
      m->labelled_,
      r.AddGauge("fstore_model_labelled_requests",
                 "Requests a model version served that have a label (feedback), in the live "
                 "metrics window.",
                 {"model", "version"}));
  FSTORE_ASSIGN_OR_RETURN(
      m->live_auc_,
      r.AddGauge("fstore_model_live_auc",
                 "ROC AUC of a model version's served scores over its labelled traffic.",
                 {"model", "version"}));
  FSTORE_ASSIGN_OR_RETURN(
      m->live_precision_,
      r.AddGauge("fstore_model_live_precision_at_high",
                 "Share of a model version's labelled requests in its highest risk bucket that "
                 "were labelled positive.",
                 {"model", "version"}));
  return m;
}

void FsdMetrics::PublishLive(const LiveMetrics& m) {
  const GaugeFamily<2>::Labels labels = {m.model, absl::StrCat(m.version)};
  labelled_->WithLabels(labels)->Set(static_cast<double>(m.labelled));
  if (m.auc) {
    live_auc_->WithLabels(labels)->Set(*m.auc);
  } else {
    live_auc_->Remove(labels);
  }
  if (m.precision_at_high) {
    live_precision_->WithLabels(labels)->Set(*m.precision_at_high);
  } else {
    live_precision_->Remove(labels);
  }
}

void FsdMetrics::RetainVersions(
    const std::function<bool(const std::string&, const std::string&)>& keep) {
  drift_psi_->RetainIf([&](const GaugeFamily<3>::Labels& l) { return keep(l[0], l[1]); });
  for (GaugeFamily<2>* family : {labelled_, live_auc_, live_precision_}) {
    family->RetainIf([&](const GaugeFamily<2>::Labels& l) { return keep(l[0], l[1]); });
  }
}

void FsdMetrics::RecordDenied(absl::string_view method, absl::string_view reason) {
  std::string label = "other";
  if (FindRpcRule(method) != nullptr) label = std::string(absl::StripPrefix(method, "/"));
  denied_->WithLabels({label, std::string(reason)})->Increment();
}

void FsdMetrics::RecordIngest(absl::string_view source, int64_t accepted, int64_t rejected,
                              int64_t duplicates) {
  // All three series exist once a source is ingested, so rates start at 0.
  const std::string s(source);
  const std::pair<const char*, int64_t> counts[] = {
      {"accepted", accepted}, {"rejected", rejected}, {"duplicate", duplicates}};
  for (const auto& [result, n] : counts) {
    ingest_rows_->WithLabels({s, result})->Increment(n > 0 ? static_cast<uint64_t>(n) : 0);
  }
}

}  // namespace fstore
