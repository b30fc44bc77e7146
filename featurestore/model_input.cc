#include "featurestore/model_input.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"

namespace fstore {

float ModelInput(const Value& value) {
  if (const int64_t* i = std::get_if<int64_t>(&value)) return static_cast<float>(*i);
  if (const double* d = std::get_if<double>(&value)) {
    return std::isfinite(*d) ? static_cast<float>(*d) : kMissingInput;
  }
  if (const bool* b = std::get_if<bool>(&value)) return *b ? 1.0f : 0.0f;
  return kMissingInput;  // null or STRING
}

absl::StatusOr<ColumnType> FeatureValueType(const Definitions& definitions, absl::string_view ref) {
  const size_t colon = ref.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature ", QuotedValue(ref), " is not view:feature"));
  }
  const absl::string_view view_name = ref.substr(0, colon);
  const absl::string_view feature_name = ref.substr(colon + 1);
  const FeatureView* view = definitions.FindView(view_name);
  if (view == nullptr) {
    return absl::NotFoundError(absl::StrCat("feature ", ref, ": no view ", view_name));
  }
  for (const Feature& feature : view->features) {
    if (feature.name != feature_name) continue;
    switch (feature.function) {
      case AggregateFunction::kCount:
      case AggregateFunction::kDistinctCount:
        return ColumnType::kInt64;
      case AggregateFunction::kSum:
      case AggregateFunction::kMean:
      case AggregateFunction::kMin:
      case AggregateFunction::kMax:
        return ColumnType::kDouble;
      case AggregateFunction::kLast: {
        const Source* source = definitions.FindSource(view->source);
        if (source == nullptr) {
          return absl::NotFoundError(absl::StrCat("feature ", ref, ": view ", view_name,
                                                  " reads no source ", view->source));
        }
        const int column = source->ColumnIndex(feature.column);
        if (column < 0) {
          return absl::NotFoundError(absl::StrCat("feature ", ref, ": source ", source->name,
                                                  " has no column ", feature.column));
        }
        return source->columns[column].type;
      }
    }
  }
  return absl::NotFoundError(
      absl::StrCat("feature ", ref, ": view ", view_name, " has no feature ", feature_name));
}

}  // namespace fstore
