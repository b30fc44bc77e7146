// MonitoringService: the fstore.v1.Monitoring gRPC service.
//
//   GetDrift        the version's serving log in a window against its
//                   training statistics (serving/drift_report.h).
//   Feedback        labels for served requests (serving/feedback_store.h),
//                   all or nothing over the whole stream; answers with each
//                   labelled version's live metrics over all its labels.
//   GetLiveMetrics  AUC and precision at the high bucket over a version's
//                   labelled traffic in a window (serving/live_metrics.h).
//   ExportLabelled  the labelled vectors of every version of the model whose
//                   inputs equal the ref's, for training on feedback; refused
//                   when the feature service changed since (the vectors would
//                   no longer match what a new version is bound to).
//
// With metrics on, RefreshMetrics() recomputes drift (last 24h) and live
// metrics (last 30 days) of every Production version into the gauges and
// removes the series of versions no longer in Production; fsd calls it on a
// schedule (MonitorLoop). GetDrift, Feedback and GetLiveMetrics also update
// the gauges of Production versions they compute.
// Thin and stateless beyond its pointers; safe for concurrent calls.
#ifndef FSTORE_SERVER_MONITORING_SERVICE_H_
#define FSTORE_SERVER_MONITORING_SERVICE_H_

#include "absl/status/status.h"
#include "featurestore/feature_store.h"
#include "fstore/v1/monitoring.grpc.pb.h"
#include "registry/model_registry.h"
#include "server/metrics.h"
#include "serving/feedback_store.h"
#include "serving/scorer.h"
#include "serving/serving_log.h"

namespace fstore {

class MonitoringService final : public v1::Monitoring::Service {
 public:
  // All must outlive the service; `metrics` may be null (metrics off).
  MonitoringService(const Scorer* scorer, const ModelRegistry* registry, const FeatureStore* store,
                    ServingLog* log, FeedbackStore* feedback, FsdMetrics* metrics)
      : scorer_(scorer),
        registry_(registry),
        store_(store),
        log_(log),
        feedback_(feedback),
        metrics_(metrics) {}

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

  // See the file comment. A no-op with metrics off. The first error is
  // returned after every version was tried.
  absl::Status RefreshMetrics();

 private:
  void PublishDrift(const ModelVersion& version, const struct DriftReport& report);

  const Scorer* const scorer_;
  const ModelRegistry* const registry_;
  const FeatureStore* const store_;
  ServingLog* const log_;
  FeedbackStore* const feedback_;
  FsdMetrics* const metrics_;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_MONITORING_SERVICE_H_
