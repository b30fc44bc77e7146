// The names of column types and functions, lookups by name, and
// MergeDefinitions (definitions.h). Parsing, canonical form, validation and
// compatibility live in definitions_parser.cc, definitions_canonical.cc,
// definitions_validation.cc and definitions_compatibility.cc.
#include "featurestore/definitions.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace fstore {
namespace {

constexpr ColumnType kAllColumnTypes[] = {ColumnType::kInt64, ColumnType::kDouble,
                                          ColumnType::kString, ColumnType::kBool,
                                          ColumnType::kTimestamp};
constexpr AggregateFunction kAllFunctions[] = {
    AggregateFunction::kCount, AggregateFunction::kSum, AggregateFunction::kMean,
    AggregateFunction::kMin,   AggregateFunction::kMax, AggregateFunction::kDistinctCount,
    AggregateFunction::kLast};

template <typename T>
const T* FindByName(const std::vector<T>& objects, absl::string_view name) {
  for (const T& object : objects) {
    if (object.name == name) return &object;
  }
  return nullptr;
}

template <typename T>
void MergeByName(const std::vector<T>& update, std::vector<T>* out) {
  for (const T& object : update) {
    bool replaced = false;
    for (T& existing : *out) {
      if (existing.name == object.name) {
        existing = object;
        replaced = true;
        break;
      }
    }
    if (!replaced) out->push_back(object);
  }
}

}  // namespace

absl::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return "INT64";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kString:
      return "STRING";
    case ColumnType::kBool:
      return "BOOL";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
  }
  return "UNKNOWN";
}

absl::StatusOr<ColumnType> ParseColumnType(absl::string_view text) {
  std::vector<absl::string_view> names;
  for (const ColumnType type : kAllColumnTypes) {
    if (absl::EqualsIgnoreCase(text, ColumnTypeName(type))) return type;
    names.push_back(ColumnTypeName(type));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown column type '", text, "'; expected one of ", absl::StrJoin(names, ", ")));
}

absl::string_view AggregateFunctionName(AggregateFunction function) {
  switch (function) {
    case AggregateFunction::kCount:
      return "COUNT";
    case AggregateFunction::kSum:
      return "SUM";
    case AggregateFunction::kMean:
      return "MEAN";
    case AggregateFunction::kMin:
      return "MIN";
    case AggregateFunction::kMax:
      return "MAX";
    case AggregateFunction::kDistinctCount:
      return "DISTINCT_COUNT";
    case AggregateFunction::kLast:
      return "LAST";
  }
  return "UNKNOWN";
}

absl::StatusOr<AggregateFunction> ParseAggregateFunction(absl::string_view text) {
  std::vector<absl::string_view> names;
  for (const AggregateFunction function : kAllFunctions) {
    if (absl::EqualsIgnoreCase(text, AggregateFunctionName(function))) return function;
    names.push_back(AggregateFunctionName(function));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown function '", text, "'; expected one of ", absl::StrJoin(names, ", ")));
}

int Source::ColumnIndex(absl::string_view column_name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column_name) return static_cast<int>(i);
  }
  return -1;
}

const Entity* Definitions::FindEntity(absl::string_view name) const {
  return FindByName(entities, name);
}
const Source* Definitions::FindSource(absl::string_view name) const {
  return FindByName(sources, name);
}
const FeatureView* Definitions::FindView(absl::string_view name) const {
  return FindByName(feature_views, name);
}
const FeatureService* Definitions::FindService(absl::string_view name) const {
  return FindByName(feature_services, name);
}

Definitions MergeDefinitions(const Definitions& base, const Definitions& update) {
  Definitions merged = base;
  MergeByName(update.entities, &merged.entities);
  MergeByName(update.sources, &merged.sources);
  MergeByName(update.feature_views, &merged.feature_views);
  MergeByName(update.feature_services, &merged.feature_services);
  return merged;
}

}  // namespace fstore
