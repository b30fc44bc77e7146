// MonitoringService: the fstore.v1.Monitoring gRPC service over the serving
// core (serving/serving_core.h); translation only (server/serving_convert.h).
//
//   GetDrift        ServingCore::Drift.
//   Feedback        the whole stream's labels, then ServingCore::Feedback
//                   (all or nothing).
//   GetLiveMetrics  ServingCore::LiveMetricsOf.
//   ExportLabelled  ServingCore::ExportLabelled, streamed in messages of up
//                   to 1000 rows, the header with the first.
//
// With metrics on, RefreshMetrics() publishes ServingCore::MonitorProduction
// (drift and live metrics of every Production version) into the gauges and
// removes the series of versions no longer in Production; fsd calls it on a
// schedule. GetDrift, Feedback and GetLiveMetrics also update the gauges of
// Production versions they compute.
// Thin and stateless beyond its pointers; safe for concurrent calls.
#ifndef FSTORE_SERVER_MONITORING_SERVICE_H_
#define FSTORE_SERVER_MONITORING_SERVICE_H_

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fstore/v1/monitoring.grpc.pb.h"
#include "server/access_control.h"
#include "server/metrics.h"
#include "serving/serving_core.h"

namespace fstore {

class MonitoringService final : public v1::Monitoring::Service {
 public:
  // All must outlive the service; `metrics` may be null (metrics off).
  MonitoringService(ServingCore* core, AccessControl* access, FsdMetrics* metrics)
      : core_(core), access_(access), metrics_(metrics) {}

  grpc::Status GetDrift(grpc::ServerContext* context, const v1::GetDriftRequest* request,
                        v1::GetDriftResponse* response) override;
  grpc::Status Feedback(grpc::ServerContext* context,
                        grpc::ServerReader<v1::FeedbackRequest>* reader,
                        v1::FeedbackResponse* response) override;
  grpc::Status GetLiveMetrics(grpc::ServerContext* context,
                              const v1::GetLiveMetricsRequest* request,
                              v1::GetLiveMetricsResponse* response) override;
  grpc::Status ExportLabelled(grpc::ServerContext* context,
                              const v1::ExportLabelledRequest* request,
                              grpc::ServerWriter<v1::ExportLabelledResponse>* writer) override;
  grpc::Status GetServerInfo(grpc::ServerContext* context, const v1::GetServerInfoRequest* request,
                             v1::ServerInfo* response) override;

  // See the file comment. A no-op with metrics off. The first error is
  // returned after every version was tried.
  absl::Status RefreshMetrics();

 private:
  void PublishDrift(const ModelVersion& version, const DriftReport& report);

  ServingCore* const core_;
  AccessControl* const access_;
  FsdMetrics* const metrics_;
  const int64_t started_at_us_ = absl::ToUnixMicros(absl::Now());
};

}  // namespace fstore

#endif  // FSTORE_SERVER_MONITORING_SERVICE_H_
