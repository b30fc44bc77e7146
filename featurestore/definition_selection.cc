#include "featurestore/definition_selection.h"

#include "absl/strings/str_cat.h"

namespace fstore {

absl::StatusOr<Definitions> SelectDefinitions(const Definitions& all, absl::string_view type,
                                              absl::string_view name) {
  if (!type.empty() && type != "entity" && type != "source" && type != "feature_view" &&
      type != "feature_service") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown object type '", type,
                     "': expected entity, source, feature_view or feature_service"));
  }
  auto keep = [&](absl::string_view t, const std::string& n) {
    return (type.empty() || type == t) && (name.empty() || name == n);
  };
  Definitions selected;
  for (const Entity& e : all.entities) {
    if (keep("entity", e.name)) selected.entities.push_back(e);
  }
  for (const Source& s : all.sources) {
    if (keep("source", s.name)) selected.sources.push_back(s);
  }
  for (const FeatureView& v : all.feature_views) {
    if (keep("feature_view", v.name)) selected.feature_views.push_back(v);
  }
  for (const FeatureService& s : all.feature_services) {
    if (keep("feature_service", s.name)) selected.feature_services.push_back(s);
  }
  return selected;
}

}  // namespace fstore
