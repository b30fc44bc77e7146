// FeatureStoreService: the fstore.v1.FeatureStore gRPC service. Thin: each
// RPC converts the request (proto_convert), calls the FeatureStore, converts
// the status (grpc_status) and the reply; ingests count their rows in the
// metrics (when given). Applies name their caller (server/access_control.h);
// streams hold a per-caller slot and messages are bounded in rows.
// Stateless beyond its pointers; safe for concurrent calls.
#ifndef FSTORE_SERVER_FEATURE_STORE_SERVICE_H_
#define FSTORE_SERVER_FEATURE_STORE_SERVICE_H_

#include "featurestore/feature_store.h"
#include "fstore/v1/feature_store.grpc.pb.h"
#include "server/access_control.h"

namespace fstore {

class FsdMetrics;

class FeatureStoreService final : public v1::FeatureStore::Service {
 public:
  // `store`, `access` and `metrics` (nullptr: none) must outlive the service.
  FeatureStoreService(FeatureStore* store, AccessControl* access, FsdMetrics* metrics = nullptr)
      : store_(store), access_(access), metrics_(metrics) {}

  grpc::Status ApplyDefinitions(grpc::ServerContext* context,
                                const v1::ApplyDefinitionsRequest* request,
                                v1::ApplyDefinitionsResponse* response) override;
  grpc::Status ListDefinitions(grpc::ServerContext* context,
                               const v1::ListDefinitionsRequest* request,
                               v1::ListDefinitionsResponse* response) override;
  grpc::Status GetDefinitionsHistory(grpc::ServerContext* context,
                                     const v1::GetDefinitionsHistoryRequest* request,
                                     v1::GetDefinitionsHistoryResponse* response) override;
  grpc::Status Ingest(grpc::ServerContext* context, const v1::IngestRequest* request,
                      v1::IngestResponse* response) override;
  grpc::Status IngestStream(grpc::ServerContext* context,
                            grpc::ServerReader<v1::IngestRequest>* reader,
                            v1::IngestResponse* response) override;
  grpc::Status ListDeadLetters(grpc::ServerContext* context,
                               const v1::ListDeadLettersRequest* request,
                               v1::ListDeadLettersResponse* response) override;
  grpc::Status GetSourceQuality(grpc::ServerContext* context,
                                const v1::GetSourceQualityRequest* request,
                                v1::GetSourceQualityResponse* response) override;
  grpc::Status GetOnlineFeatures(grpc::ServerContext* context,
                                 const v1::GetOnlineFeaturesRequest* request,
                                 v1::GetOnlineFeaturesResponse* response) override;
  grpc::Status CreateSnapshot(grpc::ServerContext* context,
                              const v1::CreateSnapshotRequest* request,
                              v1::Snapshot* response) override;
  grpc::Status ListSnapshots(grpc::ServerContext* context, const v1::ListSnapshotsRequest* request,
                             v1::ListSnapshotsResponse* response) override;
  grpc::Status DeleteSnapshot(grpc::ServerContext* context,
                              const v1::DeleteSnapshotRequest* request,
                              v1::DeleteSnapshotResponse* response) override;
  grpc::Status GetHistoricalFeatures(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::GetHistoricalFeaturesResponse, v1::GetHistoricalFeaturesRequest>*
          stream) override;
  grpc::Status ExportFeatures(grpc::ServerContext* context,
                              const v1::ExportFeaturesRequest* request,
                              grpc::ServerWriter<v1::ExportFeaturesResponse>* writer) override;

 private:
  FeatureStore* const store_;
  AccessControl* const access_;
  FsdMetrics* const metrics_;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_FEATURE_STORE_SERVICE_H_
