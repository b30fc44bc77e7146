#include "server/registry_service.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "registry/feature_binding.h"
#include "registry/model_ref.h"
#include "registry/stage.h"
#include "server/grpc_status.h"
#include "server/registry_convert.h"

namespace fstore {
namespace {

constexpr size_t kArtifactChunkBytes = 1 << 20;
constexpr int64_t kMaxArtifactBytes = int64_t{1} << 30;
// A watcher this far behind is cut off rather than buffering without bound.
constexpr size_t kMaxPendingEvents = 10000;

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, auto* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  ToProto(*result, response);
  return grpc::Status::OK;
}

}  // namespace

absl::Status AppendUploadChunk(absl::string_view chunk, int64_t index, int64_t max_artifact_bytes,
                               std::string* artifact) {
  if (chunk.size() > kMaxUploadChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload chunk ", index, " is ", chunk.size(), " bytes, more than the limit of ",
        kMaxUploadChunkBytes, " bytes per UploadArtifactRequest"));
  }
  if (static_cast<int64_t>(artifact->size() + chunk.size()) > max_artifact_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact is larger than ", max_artifact_bytes, " bytes"));
  }
  artifact->append(chunk.data(), chunk.size());
  return absl::OkStatus();
}

grpc::Status RegistryService::CreateModel(grpc::ServerContext*,
                                          const v1::CreateModelRequest* request,
                                          v1::Model* response) {
  return Reply(registry_->CreateModel(FromProto(*request)), response);
}

grpc::Status RegistryService::GetModel(grpc::ServerContext*, const v1::GetModelRequest* request,
                                       v1::Model* response) {
  return Reply(registry_->GetModel(request->name()), response);
}

grpc::Status RegistryService::UpdateModel(grpc::ServerContext* context,
                                          const v1::UpdateModelRequest* request,
                                          v1::Model* response) {
  ModelUpdate update = FromProto(*request);
  update.actor = access_->CallerOf(*context).name;
  return Reply(registry_->UpdateModel(update), response);
}

grpc::Status RegistryService::ListModels(grpc::ServerContext*, const v1::ListModelsRequest*,
                                         v1::ListModelsResponse* response) {
  for (const RegisteredModel& model : registry_->ListModels()) {
    ToProto(model, response->add_models());
  }
  return grpc::Status::OK;
}

grpc::Status RegistryService::UploadArtifact(grpc::ServerContext* context,
                                             grpc::ServerReader<v1::UploadArtifactRequest>* reader,
                                             v1::UploadArtifactResponse* response) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Registry/UploadArtifact");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  std::string bytes;
  v1::UploadArtifactRequest chunk;
  for (int64_t index = 1; reader->Read(&chunk); ++index) {
    const absl::Status appended =
        AppendUploadChunk(chunk.chunk(), index, kMaxArtifactBytes, &bytes);
    if (!appended.ok()) return ToGrpcStatus(appended);
  }
  absl::StatusOr<std::string> sha = registry_->PutArtifact(bytes);
  if (!sha.ok()) return ToGrpcStatus(sha.status());
  response->set_sha256(*sha);
  response->set_size(static_cast<int64_t>(bytes.size()));
  return grpc::Status::OK;
}

grpc::Status RegistryService::DownloadArtifact(
    grpc::ServerContext* context, const v1::DownloadArtifactRequest* request,
    grpc::ServerWriter<v1::DownloadArtifactResponse>* writer) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Registry/DownloadArtifact");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  absl::StatusOr<ModelRef> ref = ParseModelRef(request->model_ref());
  if (!ref.ok()) return ToGrpcStatus(ref.status());
  absl::StatusOr<ModelVersion> version = registry_->Resolve(*ref);
  if (!version.ok()) return ToGrpcStatus(version.status());
  absl::StatusOr<std::string> bytes = registry_->GetArtifact(version->artifact_sha256);
  if (!bytes.ok()) return ToGrpcStatus(bytes.status());
  v1::DownloadArtifactResponse chunk;
  for (size_t at = 0; at < bytes->size(); at += kArtifactChunkBytes) {
    chunk.set_chunk(bytes->substr(at, kArtifactChunkBytes));
    if (!writer->Write(chunk)) break;  // the client went away
  }
  return grpc::Status::OK;
}

grpc::Status RegistryService::CreateModelVersion(grpc::ServerContext* context,
                                                 const v1::CreateModelVersionRequest* request,
                                                 v1::ModelVersion* response) {
  if (request->feature_service().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("a version of model ", request->model(),
                     " must name the feature service it was trained on (its signature)")));
  }
  CreateVersionRequest create = FromProto(*request);
  absl::StatusOr<FeatureBinding> binding =
      BindFeatureService(store_->GetDefinitions(), request->feature_service());
  if (!binding.ok()) return ToGrpcStatus(binding.status());
  create.binding = *std::move(binding);
  create.created_by = access_->CallerOf(*context).name;
  return Reply(registry_->CreateVersion(create), response);
}

grpc::Status RegistryService::GetModelVersion(grpc::ServerContext*,
                                              const v1::GetModelVersionRequest* request,
                                              v1::ModelVersion* response) {
  return Reply(registry_->GetVersion(request->model(), request->version()), response);
}

grpc::Status RegistryService::ListModelVersions(grpc::ServerContext*,
                                                const v1::ListModelVersionsRequest* request,
                                                v1::ListModelVersionsResponse* response) {
  absl::StatusOr<RegisteredModel> model = registry_->GetModel(request->model());
  if (!model.ok()) return ToGrpcStatus(model.status());
  absl::StatusOr<std::vector<ModelVersion>> versions = registry_->ListVersions(request->model());
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  ToProto(*model, response->mutable_model());
  for (const ModelVersion& v : *versions) ToProto(v, response->add_versions());
  return grpc::Status::OK;
}

grpc::Status RegistryService::DeleteModelVersion(grpc::ServerContext* context,
                                                 const v1::DeleteModelVersionRequest* request,
                                                 v1::DeleteModelVersionResponse*) {
  return ToGrpcStatus(registry_->DeleteVersion(request->model(), request->version(),
                                               access_->CallerOf(*context).name));
}

grpc::Status RegistryService::ResolveModelRef(grpc::ServerContext*,
                                              const v1::ResolveModelRefRequest* request,
                                              v1::ModelVersion* response) {
  absl::StatusOr<ModelRef> ref = ParseModelRef(request->model_ref());
  if (!ref.ok()) return ToGrpcStatus(ref.status());
  return Reply(registry_->Resolve(*ref), response);
}

grpc::Status RegistryService::TransitionStage(grpc::ServerContext* context,
                                              const v1::TransitionStageRequest* request,
                                              v1::ModelVersion* response) {
  absl::StatusOr<StageTransitionRequest> transition = FromProto(*request);
  if (!transition.ok()) return ToGrpcStatus(transition.status());
  absl::StatusOr<ModelVersion> current =
      registry_->GetVersion(request->model(), request->version());
  if (!current.ok()) return ToGrpcStatus(current.status());
  if (transition->stage == Stage::kProduction || current->stage == Stage::kProduction) {
    const absl::Status allowed = access_->Require(
        *context, "/fstore.v1.Registry/TransitionStage", Role::kAdmin,
        absl::StrCat("move ", request->model(), " version ", request->version(), " from ",
                     StageName(current->stage), " to ", StageName(transition->stage)));
    if (!allowed.ok()) return ToGrpcStatus(allowed);
  }
  transition->actor = access_->CallerOf(*context).name;
  return Reply(registry_->TransitionStage(*transition), response);
}

absl::Status RegistryService::CheckAliasChange(const grpc::ServerContext& context,
                                               absl::string_view method, const std::string& model,
                                               const std::string& alias, int64_t version) const {
  bool production = false;
  ModelRef ref;
  ref.model = model;
  ref.kind = ModelRef::Kind::kAlias;
  ref.alias = alias;
  if (absl::StatusOr<ModelVersion> now = registry_->Resolve(ref); now.ok()) {
    production = now->stage == Stage::kProduction;
  }
  if (version != 0) {
    if (absl::StatusOr<ModelVersion> next = registry_->GetVersion(model, version); next.ok()) {
      production = production || next->stage == Stage::kProduction;
    }
  }
  if (!production) return absl::OkStatus();
  return access_->Require(context, method, Role::kAdmin,
                          absl::StrCat(version != 0 ? "set" : "delete", " alias ", model, "@",
                                       alias, ", which reaches a Production version"));
}

grpc::Status RegistryService::SetAlias(grpc::ServerContext* context,
                                       const v1::SetAliasRequest* request,
                                       v1::ModelVersion* response) {
  if (absl::Status allowed =
          CheckAliasChange(*context, "/fstore.v1.Registry/SetAlias", request->model(),
                           request->alias(), request->version());
      !allowed.ok()) {
    return ToGrpcStatus(allowed);
  }
  absl::Status set = registry_->SetAlias(request->model(), request->alias(), request->version(),
                                         access_->CallerOf(*context).name);
  if (!set.ok()) return ToGrpcStatus(set);
  return Reply(registry_->GetVersion(request->model(), request->version()), response);
}

grpc::Status RegistryService::DeleteAlias(grpc::ServerContext* context,
                                          const v1::DeleteAliasRequest* request,
                                          v1::DeleteAliasResponse*) {
  if (absl::Status allowed = CheckAliasChange(*context, "/fstore.v1.Registry/DeleteAlias",
                                              request->model(), request->alias(), 0);
      !allowed.ok()) {
    return ToGrpcStatus(allowed);
  }
  return ToGrpcStatus(
      registry_->DeleteAlias(request->model(), request->alias(), access_->CallerOf(*context).name));
}

grpc::Status RegistryService::GetModelHistory(grpc::ServerContext*,
                                              const v1::GetModelHistoryRequest* request,
                                              v1::GetModelHistoryResponse* response) {
  absl::StatusOr<std::vector<Transition>> history = registry_->History(request->model());
  if (!history.ok()) return ToGrpcStatus(history.status());
  for (const Transition& t : *history) {
    if (request->at_us() != 0 && t.at > request->at_us()) break;
    ToProto(t, response->add_transitions());
  }
  if (request->at_us() != 0) {
    absl::StatusOr<ModelStateAt> state = registry_->StateAt(request->model(), request->at_us());
    if (!state.ok()) return ToGrpcStatus(state.status());
    ToProto(*state, response);
  }
  return grpc::Status::OK;
}

grpc::Status RegistryService::WatchModels(grpc::ServerContext* context,
                                          const v1::WatchModelsRequest* request,
                                          grpc::ServerWriter<v1::ModelEvent>* writer) {
  if (stopping_.load()) {
    return ToGrpcStatus(absl::UnavailableError("fsd is shutting down"));
  }
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Registry/WatchModels");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  if (!request->model().empty()) {
    absl::StatusOr<RegisteredModel> model = registry_->GetModel(request->model());
    if (!model.ok()) return ToGrpcStatus(model.status());
  }
  // Changes are queued by the registry's callback (on the thread that made
  // the change) and written here, so a slow watcher never delays a change.
  absl::Mutex mu;
  std::deque<v1::ModelEvent> pending;
  bool overflowed = false;
  const std::string only = request->model();
  ModelRegistry::Subscription subscription =
      registry_->Subscribe([&](const Transition& transition, const ModelVersion& version) {
        if (!only.empty() && transition.model != only) return;
        absl::MutexLock lock(&mu);
        if (pending.size() >= kMaxPendingEvents) {
          overflowed = true;
          return;
        }
        v1::ModelEvent& event = pending.emplace_back();
        ToProto(transition, event.mutable_transition());
        ToProto(version, event.mutable_version());
      });
  // Tells the client the subscription is live: changes made after it sees
  // the initial metadata are delivered.
  writer->SendInitialMetadata();
  while (true) {
    std::deque<v1::ModelEvent> batch;
    {
      absl::MutexLock lock(&mu);
      mu.AwaitWithTimeout(absl::Condition(
                              +[](std::deque<v1::ModelEvent>* p) { return !p->empty(); }, &pending),
                          absl::Milliseconds(100));
      if (overflowed) {
        return ToGrpcStatus(absl::ResourceExhaustedError(
            absl::StrCat("the watcher fell more than ", kMaxPendingEvents,
                         " changes behind; watch again and re-read the models")));
      }
      batch.swap(pending);
    }
    for (const v1::ModelEvent& event : batch) {
      if (!writer->Write(event)) return grpc::Status::OK;  // the client went away
    }
    if (context->IsCancelled() || stopping_.load()) return grpc::Status::OK;
  }
}

void RegistryService::Stop() { stopping_.store(true); }

}  // namespace fstore
