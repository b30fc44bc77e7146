// Conversions between the Registry wire types (fstore.v1 registry.proto) and
// the registry library's types. Pure functions, tested without a network.
#ifndef FSTORE_SERVER_REGISTRY_CONVERT_H_
#define FSTORE_SERVER_REGISTRY_CONVERT_H_

#include "absl/status/statusor.h"
#include "fstore/v1/registry.pb.h"
#include "registry/model_registry.h"
#include "registry/stage.h"

namespace fstore {

v1::Stage ToProto(Stage stage);
// InvalidArgument for STAGE_UNSPECIFIED or an unknown number.
absl::StatusOr<Stage> FromProto(v1::Stage stage);

void ToProto(const RegisteredModel& model, v1::Model* out);
void ToProto(const ModelVersion& version, v1::ModelVersion* out);
void ToProto(const Transition& transition, v1::StageTransition* out);
void ToProto(const ModelStateAt& state, v1::GetModelHistoryResponse* out);

RegisteredModel FromProto(const v1::CreateModelRequest& request);
// Everything but the actor.
ModelUpdate FromProto(const v1::UpdateModelRequest& request);
FeatureStatistics FromProto(const v1::FeatureStatistics& statistics);
RiskThreshold FromProto(const v1::RiskThreshold& threshold);
// Everything but the binding (the server binds the named feature service as
// defined now) and created_by.
CreateVersionRequest FromProto(const v1::CreateModelVersionRequest& request);
// InvalidArgument for an unspecified stage.
absl::StatusOr<StageTransitionRequest> FromProto(const v1::TransitionStageRequest& request);

}  // namespace fstore

#endif  // FSTORE_SERVER_REGISTRY_CONVERT_H_
