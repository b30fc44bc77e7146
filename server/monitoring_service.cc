#include "server/monitoring_service.h"

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "registry/drift_report.h"
#include "server/grpc_status.h"

namespace fstore {
namespace {

constexpr DurationUs kDefaultWindow = 86400 * kMicrosPerSecond;

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

}  // namespace

grpc::Status MonitoringService::GetDrift(grpc::ServerContext*, const v1::GetDriftRequest* request,
                                         v1::GetDriftResponse* response) {
  if (request->window_us() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("window ", request->window_us(), " us is negative")));
  }
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request->model_ref());
  if (!version.ok()) return ToGrpcStatus(version.status());
  // Everything served so far is in the log before the report reads it.
  if (absl::Status s = log_->Flush(); !s.ok()) return ToGrpcStatus(s);
  const TimestampUs until = NowUs();
  const DurationUs window = request->window_us() == 0 ? kDefaultWindow : request->window_us();
  absl::StatusOr<DriftReport> report =
      ComputeDriftReport(*log_, *version, until - window, until);
  if (!report.ok()) return ToGrpcStatus(report.status());
  response->set_model(version->model);
  response->set_model_version(version->version);
  response->set_since_us(report->since);
  response->set_until_us(report->until);
  response->set_requests(report->requests);
  for (const FeatureDrift& d : report->features) ToProto(d, response->add_features());
  if (metrics_ != nullptr && version->stage == Stage::kProduction) {
    const std::string v = absl::StrCat(version->version);
    for (const FeatureDrift& d : report->features) {
      if (d.status == "ok" || d.status == "warn" || d.status == "drift") {
        metrics_->drift_psi()->WithLabels({version->model, v, d.feature})->Set(d.psi);
      }
    }
  }
  if (report->prediction) ToProto(*report->prediction, response->mutable_prediction());
  return grpc::Status::OK;
}

}  // namespace fstore
