#include "serving/features_in_use.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "registry/stage.h"

namespace fstore {

absl::Status CheckFeaturesNotInUse(const ModelRegistry& registry,
                                   const std::vector<FeatureChange>& changed) {
  // Per changed feature, the versions in use that bind it: "fraud:3 (Production)".
  std::vector<std::vector<std::string>> users(changed.size());
  for (const RegisteredModel& model : registry.ListModels()) {
    absl::StatusOr<std::vector<ModelVersion>> versions = registry.ListVersions(model.name);
    if (!versions.ok()) return versions.status();
    for (const ModelVersion& v : *versions) {
      if (v.stage != Stage::kStaging && v.stage != Stage::kProduction) continue;
      const std::vector<std::string>& inputs = v.binding.feature_names;
      for (size_t i = 0; i < changed.size(); ++i) {
        if (std::find(inputs.begin(), inputs.end(), changed[i].feature) != inputs.end()) {
          users[i].push_back(absl::StrCat(v.model, ":", v.version, " (", StageName(v.stage), ")"));
        }
      }
    }
  }
  std::vector<std::string> refusals;
  for (size_t i = 0; i < changed.size(); ++i) {
    if (users[i].empty()) continue;
    refusals.push_back(absl::StrCat(changed[i].feature, " (", changed[i].change,
                                    ") is an input of ", absl::StrJoin(users[i], ", ")));
  }
  if (refusals.empty()) return absl::OkStatus();
  constexpr size_t kMostListed = 10;
  std::string listed = absl::StrJoin(
      refusals.begin(), refusals.begin() + std::min(refusals.size(), kMostListed), "; ");
  if (refusals.size() > kMostListed) {
    absl::StrAppend(&listed, "; and ", refusals.size() - kMostListed, " more features");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "this apply changes features that model versions in Staging or Production use, which "
      "would change what they are fed: ",
      listed,
      ". Add the changed feature under a new name (and train a version on it), or archive "
      "those versions first"));
}

FeatureChangeGuard FeaturesInUseGuard(const ModelRegistry* registry) {
  return [registry](const std::vector<FeatureChange>& changed) {
    return CheckFeaturesNotInUse(*registry, changed);
  };
}

}  // namespace fstore
