#include "server/monitoring_service.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "server/grpc_status.h"
#include "server/serving_convert.h"

namespace fstore {
namespace {

constexpr int kExportRowsPerMessage = 1000;

}  // namespace

void MonitoringService::PublishDrift(const ModelVersion& version, const DriftReport& report) {
  if (metrics_ == nullptr || version.stage != Stage::kProduction) return;
  const std::string v = absl::StrCat(version.version);
  for (const FeatureDrift& d : report.features) {
    // Few values still give a PSI: published, with the report's status
    // saying how little it rests on.
    if (DriftAssessed(d.status) || d.status == "insufficient_data") {
      metrics_->drift_psi()->WithLabels({version.model, v, d.feature})->Set(d.psi);
    } else {  // no traffic (or no training statistics): no PSI to show
      metrics_->drift_psi()->Remove({version.model, v, d.feature});
    }
  }
}

grpc::Status MonitoringService::GetDrift(grpc::ServerContext*, const v1::GetDriftRequest* request,
                                         v1::GetDriftResponse* response) {
  absl::StatusOr<VersionDrift> drift =
      core_->Drift(request->model_ref(), request->window_us(), request->min_serving_values());
  if (!drift.ok()) return ToGrpcStatus(drift.status());
  PublishDrift(drift->version, drift->report);
  ToProto(*drift, response);
  return grpc::Status::OK;
}

grpc::Status MonitoringService::Feedback(grpc::ServerContext* context,
                                         grpc::ServerReader<v1::FeedbackRequest>* reader,
                                         v1::FeedbackResponse* response) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Monitoring/Feedback");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  std::vector<FeedbackLabel> labels;
  FeedbackStore::RecordOptions options;
  v1::FeedbackRequest request;
  for (bool first = true; reader->Read(&request); first = false) {
    if (first) options = RecordOptionsFromProto(request);
    if (absl::Status n = access_->CheckRows(request.labels_size(), "feedback message"); !n.ok()) {
      return ToGrpcStatus(n);
    }
    for (const v1::FeedbackLabel& label : request.labels()) {
      labels.push_back(FromProto(label, static_cast<int64_t>(labels.size()) + 1));
    }
  }
  absl::StatusOr<FeedbackResult> result = core_->Feedback(labels, options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  ToProto(*result, response);
  return grpc::Status::OK;
}

grpc::Status MonitoringService::GetLiveMetrics(grpc::ServerContext*,
                                               const v1::GetLiveMetricsRequest* request,
                                               v1::GetLiveMetricsResponse* response) {
  absl::StatusOr<VersionLiveMetrics> live =
      core_->LiveMetricsOf(request->model_ref(), request->window_us());
  if (!live.ok()) return ToGrpcStatus(live.status());
  if (metrics_ != nullptr && live->version.stage == Stage::kProduction) {
    metrics_->PublishLive(live->metrics);
  }
  ToProto(live->metrics, response->mutable_metrics());
  return grpc::Status::OK;
}

grpc::Status MonitoringService::GetServerInfo(grpc::ServerContext*, const v1::GetServerInfoRequest*,
                                              v1::ServerInfo* response) {
  response->set_version(std::string(BuildVersion()));
  response->set_commit(std::string(BuildCommit()));
  response->set_started_at_us(started_at_us_);
  return grpc::Status::OK;
}

grpc::Status MonitoringService::ExportLabelled(
    grpc::ServerContext* context, const v1::ExportLabelledRequest* request,
    grpc::ServerWriter<v1::ExportLabelledResponse>* writer) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Monitoring/ExportLabelled");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  v1::ExportLabelledResponse message;
  absl::Status status = core_->ExportLabelled(
      request->model_ref(), request->window_us(),
      [&](const LabelledExportHeader& header) {
        ToProto(header, message.mutable_header());
        return absl::OkStatus();
      },
      [&](const LabelledRequest& labelled) {
        ToProto(labelled, message.add_rows());
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
  ProductionMonitoring monitoring = core_->MonitorProduction();
  absl::Status first_error = monitoring.flush;
  std::set<std::pair<std::string, std::string>> production;
  for (const ProductionHealth& health : monitoring.versions) {
    production.emplace(health.version.model, absl::StrCat(health.version.version));
    if (health.drift.ok()) {
      PublishDrift(health.version, *health.drift);
    } else if (first_error.ok()) {
      first_error = health.drift.status();
    }
    if (health.live.ok()) {
      metrics_->PublishLive(*health.live);
    } else if (first_error.ok()) {
      first_error = health.live.status();
    }
  }
  metrics_->RetainVersions([&](const std::string& model, const std::string& version) {
    return production.contains({model, version});
  });
  return first_error;
}

}  // namespace fstore
