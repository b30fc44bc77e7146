#include "featurestore/feature_changes.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/time_util.h"

namespace fstore {
namespace {

std::string FilterText(const std::optional<EqualsFilter>& where) {
  return where.has_value() ? absl::StrCat(where->column, "=", where->equals) : "none";
}

// What differs between two definitions of one feature, e.g.
// "window 1h -> 30d"; empty when nothing that changes its values does.
std::string FeatureDifference(const Feature& a, const Feature& b) {
  std::vector<std::string> parts;
  if (a.function != b.function) {
    parts.push_back(absl::StrCat("function ", AggregateFunctionName(a.function), " -> ",
                                 AggregateFunctionName(b.function)));
  }
  if (a.column != b.column) parts.push_back(absl::StrCat("column ", a.column, " -> ", b.column));
  if (a.window != b.window) {
    parts.push_back(
        absl::StrCat("window ", FormatDuration(a.window), " -> ", FormatDuration(b.window)));
  }
  if (a.ttl != b.ttl) {
    parts.push_back(absl::StrCat("ttl ", FormatDuration(a.ttl), " -> ", FormatDuration(b.ttl)));
  }
  if (a.where != b.where) {
    parts.push_back(absl::StrCat("where ", FilterText(a.where), " -> ", FilterText(b.where)));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::vector<FeatureChange> ChangedFeatures(const Definitions& before, const Definitions& after) {
  std::vector<FeatureChange> changes;
  for (const FeatureView& old_view : before.feature_views) {
    const FeatureView* new_view = after.FindView(old_view.name);
    std::string view_change;
    if (new_view == nullptr) {
      view_change = "removed";
    } else if (new_view->entities != old_view.entities) {
      view_change = absl::StrCat("view entities ", absl::StrJoin(old_view.entities, ","), " -> ",
                                 absl::StrJoin(new_view->entities, ","));
    } else if (new_view->source != old_view.source) {
      view_change = absl::StrCat("view source ", old_view.source, " -> ", new_view->source);
    }
    for (const Feature& old_feature : old_view.features) {
      const std::string ref = absl::StrCat(old_view.name, ":", old_feature.name);
      if (!view_change.empty()) {
        changes.push_back({ref, view_change});
        continue;
      }
      const Feature* new_feature = nullptr;
      for (const Feature& f : new_view->features) {
        if (f.name == old_feature.name) new_feature = &f;
      }
      if (new_feature == nullptr) {
        changes.push_back({ref, "removed"});
      } else if (std::string d = FeatureDifference(old_feature, *new_feature); !d.empty()) {
        changes.push_back({ref, std::move(d)});
      }
    }
  }
  return changes;
}

}  // namespace fstore
