#include "server/monitoring_service.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "registry/feature_binding.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "serving/drift_report.h"
#include "serving/live_metrics.h"

namespace fstore {
namespace {

constexpr DurationUs kDay = 86400 * kMicrosPerSecond;
constexpr DurationUs kDefaultDriftWindow = kDay;
constexpr DurationUs kDefaultLiveWindow = 30 * kDay;
constexpr int kExportRowsPerMessage = 1000;

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

// InvalidArgument when a request's window is negative.
absl::Status CheckWindow(int64_t window_us) {
  if (window_us >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("window ", window_us, " us is negative"));
}

// [now - window, now) with `fallback` for 0.
absl::StatusOr<std::pair<TimestampUs, TimestampUs>> Window(int64_t window_us, DurationUs fallback) {
  FSTORE_RETURN_IF_ERROR(CheckWindow(window_us));
  const TimestampUs until = NowUs();
  return std::make_pair(until - (window_us == 0 ? fallback : window_us), until);
}

}  // namespace

void MonitoringService::PublishDrift(const ModelVersion& version, const DriftReport& report) {
  if (metrics_ == nullptr || version.stage != Stage::kProduction) return;
  const std::string v = absl::StrCat(version.version);
  for (const FeatureDrift& d : report.features) {
    if (d.status == "ok" || d.status == "warn" || d.status == "drift") {
      metrics_->drift_psi()->WithLabels({version.model, v, d.feature})->Set(d.psi);
    } else {  // no traffic (or no training statistics): no PSI to show
      metrics_->drift_psi()->Remove({version.model, v, d.feature});
    }
  }
}

grpc::Status MonitoringService::GetDrift(grpc::ServerContext*, const v1::GetDriftRequest* request,
                                         v1::GetDriftResponse* response) {
  absl::StatusOr<std::pair<TimestampUs, TimestampUs>> window =
      Window(request->window_us(), kDefaultDriftWindow);
  if (!window.ok()) return ToGrpcStatus(window.status());
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request->model_ref());
  if (!version.ok()) return ToGrpcStatus(version.status());
  // Everything served so far is in the log before the report reads it.
  if (absl::Status s = log_->Flush(); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<DriftReport> report =
      ComputeDriftReport(*log_, *version, window->first, window->second);
  if (!report.ok()) return ToGrpcStatus(report.status());
  response->set_model(version->model);
  response->set_model_version(version->version);
  response->set_since_us(report->since);
  response->set_until_us(report->until);
  response->set_requests(report->requests);
  for (const FeatureDrift& d : report->features) ToProto(d, response->add_features());
  PublishDrift(*version, *report);
  if (report->prediction) ToProto(*report->prediction, response->mutable_prediction());
  return grpc::Status::OK;
}

grpc::Status MonitoringService::Feedback(grpc::ServerContext*,
                                         grpc::ServerReader<v1::FeedbackRequest>* reader,
                                         v1::FeedbackResponse* response) {
  std::vector<FeedbackLabel> labels;
  FeedbackStore::RecordOptions options;
  v1::FeedbackRequest request;
  for (bool first = true; reader->Read(&request); first = false) {
    if (first) {
      options.skip_unknown = request.skip_unknown();
      if (request.match_within_us() != 0) options.match_within = request.match_within_us();
    }
    for (const v1::FeedbackLabel& in : request.labels()) {
      FeedbackLabel& l = labels.emplace_back();
      l.row = in.row() != 0 ? in.row() : static_cast<int64_t>(labels.size());
      l.request_id = in.request_id();
      l.entity = FromProto(in.entity());
      l.at = in.at_us();
      l.model = in.model();
      l.label = in.label();
    }
  }
  if (labels.empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("the feedback stream held no labels"));
  }
  absl::StatusOr<FeedbackSummary> summary = feedback_->Record(labels, options);
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  response->set_labels(summary->labels);
  response->set_labelled(summary->labelled);
  response->set_relabelled(summary->relabelled);
  response->set_unknown(summary->unknown);
  for (const std::string& e : summary->unknown_examples) response->add_unknown_examples(e);
  for (const auto& [model, number] : summary->versions) {
    absl::StatusOr<ModelVersion> version = registry_->GetVersion(model, number);
    if (!version.ok()) continue;  // deleted since it served: its labels stay
    absl::StatusOr<LiveMetrics> live =
        ComputeLiveMetrics(*feedback_, *version, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max());
    if (!live.ok()) return ToGrpcStatus(live.status());
    ToProto(*live, response->add_live());
  }
  return grpc::Status::OK;
}

grpc::Status MonitoringService::GetLiveMetrics(grpc::ServerContext*,
                                               const v1::GetLiveMetricsRequest* request,
                                               v1::GetLiveMetricsResponse* response) {
  absl::StatusOr<std::pair<TimestampUs, TimestampUs>> window =
      Window(request->window_us(), kDefaultLiveWindow);
  if (!window.ok()) return ToGrpcStatus(window.status());
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request->model_ref());
  if (!version.ok()) return ToGrpcStatus(version.status());
  absl::StatusOr<LiveMetrics> live =
      ComputeLiveMetrics(*feedback_, *version, window->first, window->second);
  if (!live.ok()) return ToGrpcStatus(live.status());
  if (metrics_ != nullptr && version->stage == Stage::kProduction) metrics_->PublishLive(*live);
  ToProto(*live, response->mutable_metrics());
  return grpc::Status::OK;
}

grpc::Status MonitoringService::ExportLabelled(
    grpc::ServerContext* context, const v1::ExportLabelledRequest* request,
    grpc::ServerWriter<v1::ExportLabelledResponse>* writer) {
  if (absl::Status s = CheckWindow(request->window_us()); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request->model_ref());
  if (!version.ok()) return ToGrpcStatus(version.status());
  const FeatureBinding& binding = version->binding;
  // A new version binds the service as defined now: only if that is what the
  // logged vectors were built from do they fit it.
  const Definitions definitions = store_->GetDefinitions();
  const FeatureService* service = definitions.FindService(binding.service);
  if (service == nullptr) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat("feature service ", binding.service, " of ", version->model, ":",
                     version->version, " no longer exists")));
  }
  const FeatureBinding current = BindFeatureService(*service);
  if (current.service_version != binding.service_version ||
      current.feature_names != binding.feature_names) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat("feature service ", binding.service, " changed since ", version->model, ":",
                     version->version, " was registered (version ", binding.service_version,
                     ", now ", current.service_version,
                     "): its logged vectors do not match the service's features; "
                     "train from the store instead")));
  }
  absl::StatusOr<std::vector<ModelVersion>> versions = registry_->ListVersions(version->model);
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  std::set<int64_t> same_inputs;
  v1::ExportLabelledResponse message;
  v1::LabelledHeader* header = message.mutable_header();
  header->set_model(version->model);
  header->set_model_version(version->version);
  header->set_feature_service(binding.service);
  header->set_service_version(binding.service_version);
  for (const std::string& name : binding.feature_names) header->add_inputs(name);
  for (const ModelVersion& v : *versions) {
    if (v.binding.feature_names == binding.feature_names) {
      same_inputs.insert(v.version);
      header->add_versions(v.version);
    }
  }
  const TimestampUs until = std::numeric_limits<int64_t>::max();
  const TimestampUs since = request->window_us() == 0 ? std::numeric_limits<int64_t>::min()
                                                      : NowUs() - request->window_us();
  const size_t width = binding.feature_names.size();
  absl::Status status =
      feedback_->Scan(version->model, since, until, [&](const LabelledRequest& l) -> absl::Status {
        if (!same_inputs.contains(l.served.version)) return absl::OkStatus();
        if (l.served.inputs.size() != width) {
          return absl::DataLossError(absl::StrCat("labelled request ", l.served.request_id, " has ",
                                                  l.served.inputs.size(), " inputs, its version ",
                                                  l.served.version, " has ", width));
        }
        v1::LabelledRow* row = message.add_rows();
        row->set_request_id(l.served.request_id);
        row->set_at_us(l.served.at);
        row->set_model_version(l.served.version);
        row->mutable_inputs()->Add(l.served.inputs.begin(), l.served.inputs.end());
        row->set_score(l.served.score);
        row->set_label(l.label);
        if (message.rows_size() >= kExportRowsPerMessage) {
          if (context->IsCancelled() || !writer->Write(message)) {
            return absl::CancelledError("the client went away");
          }
          message.Clear();
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  // The last rows, or the header alone when nothing is labelled.
  if ((message.rows_size() > 0 || message.has_header()) && !writer->Write(message)) {
    return ToGrpcStatus(absl::CancelledError("the client went away"));
  }
  return grpc::Status::OK;
}

absl::Status MonitoringService::RefreshMetrics() {
  if (metrics_ == nullptr) return absl::OkStatus();
  absl::Status first_error;
  std::set<std::pair<std::string, std::string>> production;
  if (absl::Status s = log_->Flush(); !s.ok()) first_error = s;
  const TimestampUs now = NowUs();
  for (const RegisteredModel& model : registry_->ListModels()) {
    ModelRef ref;
    ref.model = model.name;
    ref.kind = ModelRef::Kind::kStage;
    ref.stage = Stage::kProduction;
    absl::StatusOr<ModelVersion> version = registry_->Resolve(ref);
    if (!version.ok()) continue;  // no Production version
    production.emplace(version->model, absl::StrCat(version->version));
    const DurationUs drift_window = std::min(kDefaultDriftWindow, log_->options().retention);
    absl::StatusOr<DriftReport> report =
        ComputeDriftReport(*log_, *version, now - drift_window, now);
    if (report.ok()) {
      PublishDrift(*version, *report);
    } else if (first_error.ok()) {
      first_error = report.status();
    }
    absl::StatusOr<LiveMetrics> live =
        ComputeLiveMetrics(*feedback_, *version, now - kDefaultLiveWindow, now);
    if (live.ok()) {
      metrics_->PublishLive(*live);
    } else if (first_error.ok()) {
      first_error = live.status();
    }
  }
  metrics_->RetainVersions([&](const std::string& model, const std::string& version) {
    return production.contains({model, version});
  });
  return first_error;
}

}  // namespace fstore
