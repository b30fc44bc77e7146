// The rule that keeps a served model fed what it was trained on: an apply
// may not change a feature (featurestore/feature_changes.h) that a model
// version in Staging or Production takes as an input. The refusal names
// each changed feature, what changed and the versions using it, and says
// what to do instead: add the feature under a new name, or archive those
// versions first. fsd installs it with FeatureStore::SetFeatureChangeGuard.
#ifndef FSTORE_SERVING_FEATURES_IN_USE_H_
#define FSTORE_SERVING_FEATURES_IN_USE_H_

#include <vector>

#include "absl/status/status.h"
#include "featurestore/feature_changes.h"
#include "registry/model_registry.h"

namespace fstore {

// OK, or FailedPrecondition when a Staging or Production version of any
// model in `registry` binds one of `changed`.
absl::Status CheckFeaturesNotInUse(const ModelRegistry& registry,
                                   const std::vector<FeatureChange>& changed);

// A guard calling CheckFeaturesNotInUse; `registry` must outlive its use.
FeatureChangeGuard FeaturesInUseGuard(const ModelRegistry* registry);

}  // namespace fstore

#endif  // FSTORE_SERVING_FEATURES_IN_USE_H_
