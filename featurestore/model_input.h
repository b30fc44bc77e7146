// ModelInput: the one rule that turns a stored value into a model input.
// Training (training/training_set.h) and serving (serving/scorer.h) both
// call it, so a value enters a model the same way in both:
//   INT64 (and TIMESTAMP, stored as int64)  its value as a float;
//   DOUBLE                                  its value as a float, or missing
//                                           when not finite;
//   BOOL                                    1 for true, 0 for false;
//   STRING                                  missing: text is not a number,
//                                           even when it looks like one ("42");
//   null                                    missing.
// Missing is NaN, XGBoost's missing value (the tree's default direction).
//
// FeatureValueType names the type a feature's values have, so that a
// training set read back from text (CSV) is typed exactly as the store
// typed it: COUNT and DISTINCT_COUNT are INT64; SUM, MEAN, MIN and MAX are
// DOUBLE; LAST keeps its column's type.
//
// Thread-safety: pure functions.
#ifndef FSTORE_FEATURESTORE_MODEL_INPUT_H_
#define FSTORE_FEATURESTORE_MODEL_INPUT_H_

#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"

namespace fstore {

// The missing model input.
inline constexpr float kMissingInput = std::numeric_limits<float>::quiet_NaN();

float ModelInput(const Value& value);

// The type of the values of `ref` ("view:feature"). NotFound naming the
// view, feature or source when the definitions do not hold it.
absl::StatusOr<ColumnType> FeatureValueType(const Definitions& definitions, absl::string_view ref);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_MODEL_INPUT_H_
