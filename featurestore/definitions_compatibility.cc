// CheckCompatible (definitions.h): which changes to a stored definition
// would leave its stored events or aggregates meaning something else.
// FailedPrecondition naming the object and the change.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "featurestore/definitions.h"

namespace fstore {

absl::Status CheckCompatible(const Source& before, const Source& after) {
  const std::string where = absl::StrCat("source ", before.name);
  for (const Column& column : before.columns) {
    const int index = after.ColumnIndex(column.name);
    if (index < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": column ", column.name, " is removed; stored events depend on it"));
    }
    const ColumnType new_type = after.columns[index].type;
    if (new_type != column.type) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": column ", column.name, " changes type ", ColumnTypeName(column.type), " -> ",
          ColumnTypeName(new_type), "; stored events depend on it"));
    }
  }
  auto or_none = [](const std::string& name) { return name.empty() ? "(none)" : name; };
  if (before.timestamp_column != after.timestamp_column) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": timestamp_column changes ", or_none(before.timestamp_column), " -> ",
                     or_none(after.timestamp_column), "; stored events depend on it"));
  }
  if (before.event_id_column != after.event_id_column) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": event_id_column changes ", or_none(before.event_id_column), " -> ",
                     or_none(after.event_id_column), "; stored events depend on it"));
  }
  return absl::OkStatus();
}

absl::Status CheckCompatible(const FeatureView& before, const FeatureView& after) {
  const std::string where = absl::StrCat("feature view ", before.name);
  if (before.entities != after.entities) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": entities change [", absl::StrJoin(before.entities, ", "), "] -> [",
        absl::StrJoin(after.entities, ", "), "]; stored aggregates are keyed by them"));
  }
  if (before.source != after.source) {
    return absl::FailedPreconditionError(absl::StrCat(where, ": source changes ", before.source,
                                                      " -> ", after.source,
                                                      "; stored aggregates were computed from it"));
  }
  return absl::OkStatus();
}

absl::Status CheckCompatible(const Entity& before, const Entity& after) {
  if (before.join_key != after.join_key) {
    return absl::FailedPreconditionError(absl::StrCat("entity ", before.name, ": join_key changes ",
                                                      before.join_key, " -> ", after.join_key,
                                                      "; stored aggregates are keyed by it"));
  }
  return absl::OkStatus();
}

}  // namespace fstore
