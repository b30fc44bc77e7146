// Definitions: what a feature store knows about its data (docs/design.md §3).
//
//   Entity          a name and its join key ("account" keyed by "account_id")
//   Source          a typed event table with a timestamp column
//   FeatureView     features of one entity (or composite key) from one source
//   FeatureService  ordered "view:feature" refs plus request-time fields
//
// This header holds the plain types and the pure functions over them:
// parsing a YAML/JSON definitions file, validating a whole set, canonical
// serialization (the stored form), content hashes and change detection.
// Nothing here touches storage.
#ifndef FSTORE_FEATURESTORE_DEFINITIONS_H_
#define FSTORE_FEATURESTORE_DEFINITIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore {

enum class ColumnType { kInt64, kDouble, kString, kBool, kTimestamp };
enum class AggregateFunction { kCount, kSum, kMean, kMin, kMax, kDistinctCount, kLast };

// "INT64", "DOUBLE", "STRING", "BOOL", "TIMESTAMP".
absl::string_view ColumnTypeName(ColumnType type);
// Case-insensitive; InvalidArgument naming the text and the valid names.
absl::StatusOr<ColumnType> ParseColumnType(absl::string_view text);
// "COUNT", "SUM", "MEAN", "MIN", "MAX", "DISTINCT_COUNT", "LAST".
absl::string_view AggregateFunctionName(AggregateFunction function);
absl::StatusOr<AggregateFunction> ParseAggregateFunction(absl::string_view text);

struct Entity {
  std::string name;
  std::string join_key;
  std::string description;
  bool operator==(const Entity&) const = default;
};

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  bool nullable = false;             // false: a missing value is rejected
  std::optional<double> min;         // numeric columns only
  std::optional<double> max;         // numeric columns only
  std::vector<std::string> allowed;  // STRING only; empty = any value
  // TIMESTAMP columns given as integers: "s", "ms" or "us". Default "us".
  std::string epoch_unit = "us";
  bool operator==(const Column&) const = default;
};

struct Source {
  std::string name;
  std::vector<Column> columns;
  std::string timestamp_column;  // required; a TIMESTAMP column
  std::string event_id_column;   // optional; STRING or INT64 column
  std::string description;
  bool operator==(const Source&) const = default;

  // Index of the named column, or -1.
  int ColumnIndex(absl::string_view name) const;
};

struct EqualsFilter {
  std::string column;
  std::string equals;  // compared with ValueToText(column value)
  bool operator==(const EqualsFilter&) const = default;
};

struct Feature {
  std::string name;
  AggregateFunction function = AggregateFunction::kCount;
  std::string column;     // empty only for COUNT
  DurationUs window = 0;  // aggregations: > 0; LAST: 0
  DurationUs ttl = 0;     // LAST only: older values are missing; 0 = no TTL
  std::optional<EqualsFilter> where;
  bool operator==(const Feature&) const = default;
};

struct FeatureView {
  std::string name;
  std::vector<std::string> entities;  // entity names; several = composite key
  std::string source;
  std::vector<Feature> features;
  std::string description;
  bool operator==(const FeatureView&) const = default;
};

struct RequestField {
  std::string name;
  ColumnType type = ColumnType::kDouble;
  bool operator==(const RequestField&) const = default;
};

struct FeatureService {
  std::string name;
  std::vector<std::string> features;  // "view:feature", in model input order
  std::vector<RequestField> request_fields;
  std::string description;
  bool operator==(const FeatureService&) const = default;
};

struct Definitions {
  std::vector<Entity> entities;
  std::vector<Source> sources;
  std::vector<FeatureView> feature_views;
  std::vector<FeatureService> feature_services;
  bool operator==(const Definitions&) const = default;

  // Lookups by name; nullptr when absent.
  const Entity* FindEntity(absl::string_view name) const;
  const Source* FindSource(absl::string_view name) const;
  const FeatureView* FindView(absl::string_view name) const;
  const FeatureService* FindService(absl::string_view name) const;
};

// Parses a definitions file. `format` is "yaml", "json" or "" (detect: JSON
// when the first non-space character is '{'). Any subset of the four lists
// may be present; unknown keys are errors. Windows and TTLs are durations
// such as "10m", "1h", "7d" (common/time_util.h). Errors are InvalidArgument
// and name the object and field: "feature_views[0] (acct) features[2]
// (amt_max_7d): unknown function 'MAXX'; expected one of COUNT, ...".
absl::StatusOr<Definitions> ParseDefinitions(absl::string_view text, absl::string_view format = "");

// Checks a complete set (stored definitions merged with a new file): names
// are [A-Za-z_][A-Za-z0-9_]* and unique per kind; every reference resolves
// (view -> source and entities, entity join keys are columns of the view's
// source, feature columns and `where` columns exist, service refs name
// existing view features); function/column types agree (SUM/MEAN/MIN/MAX
// need INT64, DOUBLE or BOOL; aggregations need a window > 0, LAST none; TTL
// >= 0); the timestamp column exists and is TIMESTAMP; min/max only on
// numeric columns, allowed only on STRING. InvalidArgument naming the object.
absl::Status ValidateDefinitions(const Definitions& definitions);

// `base` with every object of `update` added or replacing the one of the
// same kind and name. Order: base's order, new objects appended.
Definitions MergeDefinitions(const Definitions& base, const Definitions& update);

// Canonical JSON of one object (keys in a fixed order, no whitespace); the
// stored form. ParseDefinitions of {"entities":[<this>]} etc. gives it back.
std::string CanonicalJson(const Entity& entity);
std::string CanonicalJson(const Source& source);
std::string CanonicalJson(const FeatureView& view);
std::string CanonicalJson(const FeatureService& service);

// `definitions` as a YAML definitions file (the layout of
// examples/fraud/features.yaml) that ParseDefinitions reads back to the
// same Definitions, so applying it changes nothing. Internal only if the
// emitter fails (it does not for valid UTF-8 text).
absl::StatusOr<std::string> DefinitionsYaml(const Definitions& definitions);

// First 16 hex digits of the sha256 of the canonical JSON: the version of a
// definition's content.
template <typename T>
std::string ContentHash(const T& object);

// Why changing `before` into `after` would break stored data, or OK: a
// source column's type changed or a column was removed, the timestamp or
// event id column changed; a view's entities or source changed; an entity's
// join key changed. FailedPrecondition naming the object and the change.
absl::Status CheckCompatible(const Source& before, const Source& after);
absl::Status CheckCompatible(const FeatureView& before, const FeatureView& after);
absl::Status CheckCompatible(const Entity& before, const Entity& after);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_DEFINITIONS_H_
