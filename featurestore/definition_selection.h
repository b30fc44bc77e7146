// SelectDefinitions: the objects of a definitions set that a listing asks
// for, by object type ("entity", "source", "feature_view",
// "feature_service"; empty = every type) and name (empty = every name), each
// list in the set's order. InvalidArgument naming an unknown type.
//
// Thread-safety: a pure function.
#ifndef FSTORE_FEATURESTORE_DEFINITION_SELECTION_H_
#define FSTORE_FEATURESTORE_DEFINITION_SELECTION_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "featurestore/definitions.h"

namespace fstore {

absl::StatusOr<Definitions> SelectDefinitions(const Definitions& all, absl::string_view type,
                                              absl::string_view name);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_DEFINITION_SELECTION_H_
