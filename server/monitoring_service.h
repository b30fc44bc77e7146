// MonitoringService: the fstore.v1.Monitoring gRPC service. GetDrift
// resolves the model ref and compares the version's serving log in the
// window with its training statistics (registry/drift_report.h). For a
// Production version it also publishes each feature's PSI on /metrics
// (fstore_feature_drift_psi), so the gauges show the latest drift computed.
// Thin and stateless beyond its pointers; safe for concurrent calls.
#ifndef FSTORE_SERVER_MONITORING_SERVICE_H_
#define FSTORE_SERVER_MONITORING_SERVICE_H_

#include "fstore/v1/monitoring.grpc.pb.h"
#include "registry/scorer.h"
#include "registry/serving_log.h"
#include "server/metrics.h"

namespace fstore {

class MonitoringService final : public v1::Monitoring::Service {
 public:
  // All must outlive the service; `metrics` may be null (metrics off).
  MonitoringService(const Scorer* scorer, ServingLog* log, FsdMetrics* metrics)
      : scorer_(scorer), log_(log), metrics_(metrics) {}

  grpc::Status GetDrift(grpc::ServerContext* context, const v1::GetDriftRequest* request,
                        v1::GetDriftResponse* response) override;

 private:
  const Scorer* const scorer_;
  ServingLog* const log_;
  FsdMetrics* const metrics_;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_MONITORING_SERVICE_H_
