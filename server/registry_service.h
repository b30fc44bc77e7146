// RegistryService: the fstore.v1.Registry gRPC service over a ModelRegistry.
// Thin: each RPC converts the request (registry_convert), calls the
// registry, converts the status (grpc_status) and the reply. Two RPCs do a
// little more:
//   - CreateModelVersion binds the version to the named feature service as
//     it is defined now (registry/feature_binding.h), so callers name the
//     service and the server records its features, request fields and
//     content version;
//   - WatchModels streams the registry's change notifications until the
//     client cancels or the server shuts down.
// UploadArtifact refuses a chunk over kMaxUploadChunkBytes (the proto's
// stated 1 MiB) with INVALID_ARGUMENT naming its size. Every change
// (UpdateModel included) records its caller's principal
// (server/access_control.h);
// moving a version to or from Production, and setting or deleting an alias
// that reaches a Production version, need the admin role (server/rpc_roles.h).
// Safe for concurrent calls.
#ifndef FSTORE_SERVER_REGISTRY_SERVICE_H_
#define FSTORE_SERVER_REGISTRY_SERVICE_H_

#include <atomic>

#include "featurestore/feature_store.h"
#include "fstore/v1/registry.grpc.pb.h"
#include "registry/model_registry.h"
#include "server/access_control.h"

namespace fstore {

// The largest UploadArtifactRequest.chunk accepted (registry.proto).
inline constexpr size_t kMaxUploadChunkBytes = 1 << 20;

// Appends upload chunk number `index` (from 1) to `artifact`: InvalidArgument
// naming the chunk's size when it is over kMaxUploadChunkBytes, or when the
// artifact would grow over `max_artifact_bytes`.
absl::Status AppendUploadChunk(absl::string_view chunk, int64_t index, int64_t max_artifact_bytes,
                               std::string* artifact);

class RegistryService final : public v1::Registry::Service {
 public:
  // All must outlive the service.
  RegistryService(ModelRegistry* registry, FeatureStore* store, AccessControl* access)
      : registry_(registry), store_(store), access_(access) {}

  grpc::Status CreateModel(grpc::ServerContext* context, const v1::CreateModelRequest* request,
                           v1::Model* response) override;
  grpc::Status GetModel(grpc::ServerContext* context, const v1::GetModelRequest* request,
                        v1::Model* response) override;
  grpc::Status UpdateModel(grpc::ServerContext* context, const v1::UpdateModelRequest* request,
                           v1::Model* response) override;
  grpc::Status ListModels(grpc::ServerContext* context, const v1::ListModelsRequest* request,
                          v1::ListModelsResponse* response) override;
  grpc::Status UploadArtifact(grpc::ServerContext* context,
                              grpc::ServerReader<v1::UploadArtifactRequest>* reader,
                              v1::UploadArtifactResponse* response) override;
  grpc::Status DownloadArtifact(grpc::ServerContext* context,
                                const v1::DownloadArtifactRequest* request,
                                grpc::ServerWriter<v1::DownloadArtifactResponse>* writer) override;
  grpc::Status CreateModelVersion(grpc::ServerContext* context,
                                  const v1::CreateModelVersionRequest* request,
                                  v1::ModelVersion* response) override;
  grpc::Status GetModelVersion(grpc::ServerContext* context,
                               const v1::GetModelVersionRequest* request,
                               v1::ModelVersion* response) override;
  grpc::Status ListModelVersions(grpc::ServerContext* context,
                                 const v1::ListModelVersionsRequest* request,
                                 v1::ListModelVersionsResponse* response) override;
  grpc::Status DeleteModelVersion(grpc::ServerContext* context,
                                  const v1::DeleteModelVersionRequest* request,
                                  v1::DeleteModelVersionResponse* response) override;
  grpc::Status ResolveModelRef(grpc::ServerContext* context,
                               const v1::ResolveModelRefRequest* request,
                               v1::ModelVersion* response) override;
  grpc::Status TransitionStage(grpc::ServerContext* context,
                               const v1::TransitionStageRequest* request,
                               v1::ModelVersion* response) override;
  grpc::Status SetAlias(grpc::ServerContext* context, const v1::SetAliasRequest* request,
                        v1::ModelVersion* response) override;
  grpc::Status DeleteAlias(grpc::ServerContext* context, const v1::DeleteAliasRequest* request,
                           v1::DeleteAliasResponse* response) override;
  grpc::Status GetModelHistory(grpc::ServerContext* context,
                               const v1::GetModelHistoryRequest* request,
                               v1::GetModelHistoryResponse* response) override;
  // PermissionDenied unless the caller may change alias `alias` of `model`
  // to `version` (0: delete it): admin when either end is in Production.
  absl::Status CheckAliasChange(const grpc::ServerContext& context, absl::string_view method,
                                const std::string& model, const std::string& alias,
                                int64_t version) const;

  grpc::Status WatchModels(grpc::ServerContext* context, const v1::WatchModelsRequest* request,
                           grpc::ServerWriter<v1::ModelEvent>* writer) override;

  // Ends every WatchModels stream (they return OK) and refuses new ones with
  // UNAVAILABLE, so a shutting-down server does not wait on watchers.
  void Stop();

 private:
  ModelRegistry* const registry_;
  FeatureStore* const store_;
  AccessControl* const access_;
  std::atomic<bool> stopping_{false};
};

}  // namespace fstore

#endif  // FSTORE_SERVER_REGISTRY_SERVICE_H_
