// ValidateDefinitions (definitions.h): the rules a complete set of
// definitions must satisfy before it is applied. Every error is
// InvalidArgument and names the object, the field and the rule.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"

namespace fstore {
namespace {

constexpr size_t kMaxNameLength = 128;

// A bound as it reads back ("0.1", "1e+20"), for messages.
std::string NumberText(double d) {
  char buf[64];
  const std::to_chars_result result = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, result.ptr);
}

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (!absl::ascii_isalpha(name[0]) && name[0] != '_') return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (IsValidName(name)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " '", name, "': invalid name; names match [A-Za-z_][A-Za-z0-9_]* and ",
                   "have at most ", kMaxNameLength, " characters"));
}

// Each object of `objects` has a valid, unique name.
template <typename T>
absl::Status CheckNames(absl::string_view kind, const std::vector<T>& objects) {
  std::set<std::string> seen;
  for (const T& object : objects) {
    FSTORE_RETURN_IF_ERROR(CheckName(kind, object.name));
    if (!seen.insert(object.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind, " ", object.name, " is defined more than once"));
    }
  }
  return absl::OkStatus();
}

bool IsNumeric(ColumnType type) {
  return type == ColumnType::kInt64 || type == ColumnType::kDouble ||
         type == ColumnType::kTimestamp;
}

bool IsKeyType(ColumnType type) {
  return type == ColumnType::kString || type == ColumnType::kInt64;
}

absl::Status ValidateColumn(absl::string_view where, const Column& column) {
  if (column.min.has_value() || column.max.has_value()) {
    if (!IsNumeric(column.type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": min/max only apply to INT64, DOUBLE or TIMESTAMP columns, not ",
                       ColumnTypeName(column.type)));
    }
    for (const std::optional<double>& bound : {column.min, column.max}) {
      if (bound.has_value() && !std::isfinite(*bound)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": bound ", NumberText(*bound), " is not a finite number"));
      }
    }
    if (column.min.has_value() && column.max.has_value() && *column.min > *column.max) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": min ", NumberText(*column.min),
                                                     " is greater than max ",
                                                     NumberText(*column.max)));
    }
  }
  if (!column.allowed.empty() && column.type != ColumnType::kString) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": allowed values only apply to STRING columns, not ", ColumnTypeName(column.type)));
  }
  if (column.epoch_unit != "s" && column.epoch_unit != "ms" && column.epoch_unit != "us") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": epoch_unit '", column.epoch_unit, "' is not one of s, ms, us"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSource(const Source& source) {
  const std::string where = absl::StrCat("source ", source.name);
  if (source.columns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": has no columns; a source needs at least one"));
  }
  std::set<std::string> seen;
  for (const Column& column : source.columns) {
    FSTORE_RETURN_IF_ERROR(CheckName(absl::StrCat(where, ": column"), column.name));
    if (!seen.insert(column.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": column ", column.name, " is defined more than once"));
    }
    FSTORE_RETURN_IF_ERROR(ValidateColumn(absl::StrCat(where, ": column ", column.name), column));
  }
  const int ts = source.ColumnIndex(source.timestamp_column);
  if (ts < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": timestamp_column '", source.timestamp_column, "' is not a column"));
  }
  if (source.columns[ts].type != ColumnType::kTimestamp) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": timestamp_column ", source.timestamp_column, " has type ",
                     ColumnTypeName(source.columns[ts].type), "; expected TIMESTAMP"));
  }
  if (!source.event_id_column.empty()) {
    const int id = source.ColumnIndex(source.event_id_column);
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": event_id_column '", source.event_id_column, "' is not a column"));
    }
    if (!IsKeyType(source.columns[id].type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": event_id_column ", source.event_id_column, " has type ",
                       ColumnTypeName(source.columns[id].type), "; expected STRING or INT64"));
    }
  }
  return absl::OkStatus();
}

// A `where` value that no value of the column prints as (ValueToText) would
// silently filter out every event; "" (a missing value) is always possible.
absl::Status CheckWhereValue(absl::string_view where, const Column& column,
                             absl::string_view equals) {
  if (equals.empty()) return absl::OkStatus();
  bool possible = true;
  std::string expected;
  switch (column.type) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      int64_t n = 0;
      possible = absl::SimpleAtoi(equals, &n) && ValueToText(Value(n)) == equals;
      expected = "an integer such as 42";
      break;
    }
    case ColumnType::kDouble: {
      double d = 0;
      possible = absl::SimpleAtod(equals, &d) &&
                 ValueToText(Value(std::in_place_type<double>, d)) == equals;
      expected = "a number in shortest form such as 0.5 or 3";
      break;
    }
    case ColumnType::kBool:
      possible = equals == "true" || equals == "false";
      expected = "true or false";
      break;
    case ColumnType::kString:
      possible = column.allowed.empty() || std::find(column.allowed.begin(), column.allowed.end(),
                                                     equals) != column.allowed.end();
      expected = absl::StrCat("one of the allowed values ", absl::StrJoin(column.allowed, ", "));
      break;
  }
  if (possible) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": where ", column.name, " equals '", equals, "' can never match a ",
                   ColumnTypeName(column.type), " value; expected ", expected));
}

absl::Status ValidateFeature(absl::string_view view_where, const Source& source,
                             const Feature& feature) {
  const std::string where = absl::StrCat(view_where, ": feature ", feature.name);
  const absl::string_view function = AggregateFunctionName(feature.function);
  const bool is_last = feature.function == AggregateFunction::kLast;
  if (feature.function == AggregateFunction::kCount) {
    if (!feature.column.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": COUNT counts events and takes no column; remove column '",
                       feature.column, "'"));
    }
  } else if (feature.column.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", function, " needs a column"));
  } else {
    const int index = source.ColumnIndex(feature.column);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": column '", feature.column,
                                                     "' is not a column of source ", source.name));
    }
    const ColumnType type = source.columns[index].type;
    const bool needs_number = feature.function == AggregateFunction::kSum ||
                              feature.function == AggregateFunction::kMean ||
                              feature.function == AggregateFunction::kMin ||
                              feature.function == AggregateFunction::kMax;
    if (needs_number && type != ColumnType::kInt64 && type != ColumnType::kDouble &&
        type != ColumnType::kBool) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", function,
                                                     " needs an INT64, DOUBLE or BOOL column; ",
                                                     feature.column, " is ", ColumnTypeName(type)));
    }
  }
  if (is_last) {
    if (feature.window != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": LAST takes no window (got ",
                                                     FormatDuration(feature.window),
                                                     "); use ttl to bound the age of the value"));
    }
    if (feature.ttl < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ttl ", FormatDuration(feature.ttl), " must be >= 0"));
    }
  } else {
    if (feature.window <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", function,
                                                     " needs a window > 0 such as 1h (got ",
                                                     FormatDuration(feature.window), ")"));
    }
    if (feature.ttl != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ttl ", FormatDuration(feature.ttl),
                                                     " only applies to LAST; ", function,
                                                     " is bounded by its window"));
    }
  }
  if (feature.where.has_value()) {
    const int index = source.ColumnIndex(feature.where->column);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": where column '",
                                                     feature.where->column,
                                                     "' is not a column of source ", source.name));
    }
    FSTORE_RETURN_IF_ERROR(CheckWhereValue(where, source.columns[index], feature.where->equals));
  }
  return absl::OkStatus();
}

absl::Status ValidateView(const Definitions& definitions, const FeatureView& view) {
  const std::string where = absl::StrCat("feature view ", view.name);
  const Source* source = definitions.FindSource(view.source);
  if (source == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": source '", view.source, "' is not defined"));
  }
  if (view.entities.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": has no entities; a view needs at least one"));
  }
  std::set<std::string> seen_entities;
  for (const std::string& name : view.entities) {
    const Entity* entity = definitions.FindEntity(name);
    if (entity == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": entity '", name, "' is not defined"));
    }
    if (!seen_entities.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": entity ", name, " is listed more than once"));
    }
    const int key = source->ColumnIndex(entity->join_key);
    if (key < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": join key '", entity->join_key,
                                                     "' of entity ", name,
                                                     " is not a column of source ", source->name));
    }
    if (!IsKeyType(source->columns[key].type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": join key ", entity->join_key, " of entity ", name, " has type ",
                       ColumnTypeName(source->columns[key].type), " in source ", source->name,
                       "; expected STRING or INT64"));
    }
  }
  if (view.features.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": has no features; a view needs at least one"));
  }
  std::set<std::string> seen_features;
  for (const Feature& feature : view.features) {
    FSTORE_RETURN_IF_ERROR(CheckName(absl::StrCat(where, ": feature"), feature.name));
    if (!seen_features.insert(feature.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": feature ", feature.name, " is defined more than once"));
    }
    FSTORE_RETURN_IF_ERROR(ValidateFeature(where, *source, feature));
  }
  return absl::OkStatus();
}

absl::Status ValidateService(const Definitions& definitions, const FeatureService& service) {
  const std::string where = absl::StrCat("feature service ", service.name);
  if (service.features.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": has no features; a service needs at least one"));
  }
  std::set<std::string> seen_refs;
  for (const std::string& ref : service.features) {
    const size_t colon = ref.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size() ||
        ref.find(':', colon + 1) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": feature ref '", ref, "' is not of the form view:feature"));
    }
    const std::string view_name = ref.substr(0, colon);
    const std::string feature_name = ref.substr(colon + 1);
    const FeatureView* view = definitions.FindView(view_name);
    if (view == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": feature ref '", ref, "': feature view ", view_name, " is not defined"));
    }
    bool found = false;
    for (const Feature& feature : view->features) found = found || feature.name == feature_name;
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": feature ref '", ref,
                                                     "': feature view ", view_name,
                                                     " has no feature ", feature_name));
    }
    if (!seen_refs.insert(ref).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": feature ref '", ref, "' is listed more than once"));
    }
  }
  std::set<std::string> seen_fields;
  for (const RequestField& field : service.request_fields) {
    FSTORE_RETURN_IF_ERROR(CheckName(absl::StrCat(where, ": request field"), field.name));
    if (!seen_fields.insert(field.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": request field ", field.name, " is listed more than once"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDefinitions(const Definitions& definitions) {
  FSTORE_RETURN_IF_ERROR(CheckNames("entity", definitions.entities));
  FSTORE_RETURN_IF_ERROR(CheckNames("source", definitions.sources));
  FSTORE_RETURN_IF_ERROR(CheckNames("feature view", definitions.feature_views));
  FSTORE_RETURN_IF_ERROR(CheckNames("feature service", definitions.feature_services));
  for (const Entity& entity : definitions.entities) {
    FSTORE_RETURN_IF_ERROR(
        CheckName(absl::StrCat("entity ", entity.name, ": join_key"), entity.join_key));
  }
  for (const Source& source : definitions.sources) {
    FSTORE_RETURN_IF_ERROR(ValidateSource(source));
  }
  for (const FeatureView& view : definitions.feature_views) {
    FSTORE_RETURN_IF_ERROR(ValidateView(definitions, view));
  }
  for (const FeatureService& service : definitions.feature_services) {
    FSTORE_RETURN_IF_ERROR(ValidateService(definitions, service));
  }
  return absl::OkStatus();
}

}  // namespace fstore
