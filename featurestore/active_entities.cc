#include "featurestore/active_entities.h"

#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "featurestore/event_log.h"

namespace fstore {

absl::StatusOr<std::vector<std::vector<std::string>>> KeyCombinationsSeen(
    const Database& db, absl::Span<const Source> sources, const std::vector<std::string>& join_keys,
    uint64_t high_water_mark, TimestampUs since, TimestampUs until) {
  std::set<std::vector<std::string>> seen;
  bool any_source = false;
  for (const Source& source : sources) {
    std::vector<int> columns;
    for (const std::string& key : join_keys) {
      if (const int c = source.ColumnIndex(key); c >= 0) columns.push_back(c);
    }
    if (columns.size() != join_keys.size()) continue;
    any_source = true;
    std::vector<std::string> tuple(join_keys.size());
    FSTORE_RETURN_IF_ERROR(
        ScanEvents(db, source, high_water_mark,
                   [&](TimestampUs ts, uint64_t, const std::vector<Value>& values) {
                     if (ts < since || ts >= until) return absl::OkStatus();
                     for (size_t i = 0; i < columns.size(); ++i) {
                       const Value& v = values[columns[i]];
                       if (IsNull(v)) return absl::OkStatus();
                       tuple[i] = ValueToText(v);
                     }
                     seen.insert(tuple);
                     return absl::OkStatus();
                   }));
  }
  if (!any_source) {
    return absl::NotFoundError(
        absl::StrCat("no source carries every one of ", absl::StrJoin(join_keys, ", ")));
  }
  return std::vector<std::vector<std::string>>(seen.begin(), seen.end());
}

absl::StatusOr<std::vector<std::map<std::string, std::string>>> ActiveEntities(
    const Database& db, const Definitions& definitions, const std::vector<std::string>& join_keys,
    TimestampUs since, TimestampUs until) {
  if (join_keys.empty()) {
    return absl::InvalidArgumentError("active entities need at least one join key");
  }
  absl::StatusOr<std::vector<std::vector<std::string>>> seen = KeyCombinationsSeen(
      db, definitions.sources, join_keys, std::numeric_limits<uint64_t>::max(), since, until);
  if (absl::IsNotFound(seen.status())) {
    return absl::FailedPreconditionError(absl::StrCat("no source carries every join key of ",
                                                      absl::StrJoin(join_keys, ", "),
                                                      ", so no event names such an entity"));
  }
  if (!seen.ok()) return seen.status();
  std::vector<std::map<std::string, std::string>> out;
  out.reserve(seen->size());
  for (const std::vector<std::string>& tuple : *seen) {
    std::map<std::string, std::string>& entity = out.emplace_back();
    for (size_t i = 0; i < join_keys.size(); ++i) entity[join_keys[i]] = tuple[i];
  }
  return out;
}

}  // namespace fstore
