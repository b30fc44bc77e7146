// TrainingSetBuilder: a training set (model_trainer.h's TrainingData)
// assembled from typed values, in the order of a model's binding
// (registry/feature_binding.h). Each value enters the matrix through
// ModelInput (featurestore/model_input.h), the rule serving applies to the
// same stored values, so a STRING "42" is missing in training as it is when
// served, and a BOOL is 1/0 in both.
//
// The historical retrieval renders its rows as text (CSV, one cell per
// value, ValueToText's form); InputTypes and ValueFromText read such a row
// back into the values the store held, typed as the definitions type them.
//
// Errors: InvalidArgument naming the row and column, or the input, at fault.
// Thread-safety: a builder is not thread-safe; the functions are pure.
#ifndef FSTORE_TRAINING_TRAINING_SET_H_
#define FSTORE_TRAINING_TRAINING_SET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"
#include "registry/model_registry.h"
#include "training/model_trainer.h"

namespace fstore {

// The type of each input of `binding`, in binding order: a feature's value
// type (FeatureValueType), a request field's declared type. NotFound when a
// bound feature is no longer defined.
absl::StatusOr<std::vector<ColumnType>> InputTypes(const FeatureBinding& binding,
                                                   const Definitions& definitions);

// `text` (ValueToText's form; "" is null) as a value of `type`: INT64 and
// TIMESTAMP as decimal integers, DOUBLE as a number, BOOL as true/false (or
// 1/0), STRING as is. InvalidArgument when the text is not of the type.
absl::StatusOr<Value> ValueFromText(absl::string_view text, ColumnType type);

class TrainingSetBuilder {
 public:
  // `feature_names`: the model's inputs, in order (FeatureBinding::
  // feature_names).
  explicit TrainingSetBuilder(std::vector<std::string> feature_names);

  // One row: a value per input, in feature_names order, and its label, 0 or
  // 1. InvalidArgument when the row's width or the label is wrong.
  absl::Status AddRow(absl::Span<const Value> inputs, float label);

  int64_t rows() const { return static_cast<int64_t>(data_.labels.size()); }
  const TrainingData& data() const { return data_; }
  TrainingData Release() && { return std::move(data_); }

 private:
  TrainingData data_;
};

}  // namespace fstore

#endif  // FSTORE_TRAINING_TRAINING_SET_H_
