#include "training/training_set.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "featurestore/model_input.h"

namespace fstore {

absl::StatusOr<std::vector<ColumnType>> InputTypes(const FeatureBinding& binding,
                                                   const Definitions& definitions) {
  std::vector<ColumnType> types;
  types.reserve(binding.feature_names.size());
  for (const std::string& name : binding.feature_names) {
    bool is_field = false;
    for (const RequestField& field : binding.request_fields) {
      if (field.name == name) {
        types.push_back(field.type);
        is_field = true;
        break;
      }
    }
    if (is_field) continue;
    absl::StatusOr<ColumnType> type = FeatureValueType(definitions, name);
    if (!type.ok()) return type.status();
    types.push_back(*type);
  }
  return types;
}

absl::StatusOr<Value> ValueFromText(absl::string_view text, ColumnType type) {
  if (text.empty()) return Value();
  auto wrong = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(QuotedValue(text), " is not ", ColumnTypeName(type)));
  };
  switch (type) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      int64_t i = 0;
      if (!absl::SimpleAtoi(text, &i)) return wrong();
      return Value(i);
    }
    case ColumnType::kDouble: {
      double d = 0;
      if (!absl::SimpleAtod(text, &d)) return wrong();
      return Value(d);
    }
    case ColumnType::kBool:
      if (text == "true" || text == "1") return Value(true);
      if (text == "false" || text == "0") return Value(false);
      return wrong();
    case ColumnType::kString:
      return Value(std::string(text));
  }
  return wrong();
}

TrainingSetBuilder::TrainingSetBuilder(std::vector<std::string> feature_names) {
  data_.feature_names = std::move(feature_names);
}

absl::Status TrainingSetBuilder::AddRow(absl::Span<const Value> inputs, float label) {
  if (inputs.size() != data_.feature_names.size()) {
    return absl::InvalidArgumentError(absl::StrCat("training row ", rows() + 1, " has ",
                                                   inputs.size(), " inputs, not ",
                                                   data_.feature_names.size()));
  }
  if (label != 0 && label != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("training row ", rows() + 1, ": label ", label, " is not 0 or 1"));
  }
  for (const Value& v : inputs) data_.values.push_back(ModelInput(v));
  data_.labels.push_back(label);
  return absl::OkStatus();
}

}  // namespace fstore
