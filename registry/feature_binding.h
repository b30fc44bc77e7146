// The binding of a model to a feature service: the model's input columns, in
// order, are the service's features ("view:feature" refs, in the order the
// service lists them) followed by its request fields (in their order). The
// binding records the service's content version, so a model can tell when
// the service it was trained on has since changed. Training (fsctl train),
// registration (fsd) and serving all lay inputs out through this one rule.
#ifndef FSTORE_REGISTRY_FEATURE_BINDING_H_
#define FSTORE_REGISTRY_FEATURE_BINDING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "featurestore/definitions.h"
#include "registry/model_registry.h"

namespace fstore {

FeatureBinding BindFeatureService(const FeatureService& service);

// The binding of the service named `service` in `definitions`: what a new
// version is bound to. NotFound naming the service when it is not defined.
absl::StatusOr<FeatureBinding> BindFeatureService(const Definitions& definitions,
                                                  absl::string_view service);

// The join keys a binding's features need (those of every entity of every
// view they come from), sorted, without duplicates. FailedPrecondition
// naming the view or entity when the definitions no longer hold it.
absl::StatusOr<std::vector<std::string>> JoinKeysOf(const FeatureBinding& binding,
                                                    const Definitions& definitions);

// Checks the input names a model carries (an XGBoost booster's
// feature_names) against the binding, position by position: input i must be
// binding.feature_names[i], spelled "view:feature" or "view__feature" (the
// historical-retrieval column name); request fields by their name.
// FailedPrecondition naming the first differing position (its index, the
// name expected and the name found), or the counts when they differ.
// `names` empty (a model without names) is accepted: the caller warns.
absl::Status CheckInputNames(const std::vector<std::string>& names, const FeatureBinding& binding);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_FEATURE_BINDING_H_
