// Which features an apply changes: what a model trained on a feature would
// be fed differently afterwards. A feature ("view:feature") changes when
// it is removed from its view, when its own definition changes (function,
// column, window, TTL, filter), or when its view's entities or source
// change. Descriptions change nothing; new features and views change no
// existing feature.
#ifndef FSTORE_FEATURESTORE_FEATURE_CHANGES_H_
#define FSTORE_FEATURESTORE_FEATURE_CHANGES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "featurestore/definitions.h"

namespace fstore {

struct FeatureChange {
  std::string feature;  // "view:feature"
  std::string change;   // "removed", or what changed: "window 1h -> 30d"
  bool operator==(const FeatureChange&) const = default;
};

// The features of `before` that `after` changes, in `before`'s order.
std::vector<FeatureChange> ChangedFeatures(const Definitions& before, const Definitions& after);

// Asked by FeatureStore::Apply (also in a dry run) before an apply that
// changes features is stored; a non-OK status refuses the apply with it.
using FeatureChangeGuard = std::function<absl::Status(const std::vector<FeatureChange>&)>;

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_FEATURE_CHANGES_H_
