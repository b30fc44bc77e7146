// DefinitionsYaml (definitions.h): a set of definitions written back as a
// definitions file, in the layout of examples/fraud/features.yaml: one
// block per source, view and service, one flow map per entity, column,
// feature and request field.
//
// It must read back to the same Definitions (ParseDefinitions), so that
// applying it changes nothing; definitions_yaml_test.cc checks that on the
// repository's definitions files and on values that YAML would misread
// written plain. Three choices make that hold:
//   - every scalar is written as a string and yaml-cpp's emitter quotes the
//     ones that would read back as something else (null, "", "a: b", "#x");
//     the parser reads numbers and booleans from a scalar's text, quoted or
//     not;
//   - numbers print in their shortest round-trip form (std::to_chars), so
//     min: 0.1 reads back as the same double;
//   - durations print with FormatDuration, which ParseDuration reads back.
// Optional fields are left out when they hold their default, as in the
// canonical form (definitions_canonical.cc).
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"

namespace fstore {
namespace {

constexpr char kDefaultEpochUnit[] = "us";

std::string NumberText(double value) {
  char buffer[64];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, r.ptr);
}

void Field(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value << value;
}

void FieldIfNotEmpty(YAML::Emitter& out, const char* key, const std::string& value) {
  if (!value.empty()) Field(out, key, value);
}

void StringList(YAML::Emitter& out, const char* key, const std::vector<std::string>& values,
                bool flow) {
  out << YAML::Key << key << YAML::Value;
  if (flow) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const std::string& v : values) out << v;
  out << YAML::EndSeq;
}

void WriteEntity(YAML::Emitter& out, const Entity& e) {
  out << YAML::Flow << YAML::BeginMap;
  Field(out, "name", e.name);
  Field(out, "join_key", e.join_key);
  FieldIfNotEmpty(out, "description", e.description);
  out << YAML::EndMap;
}

void WriteColumn(YAML::Emitter& out, const Column& c) {
  out << YAML::Flow << YAML::BeginMap;
  Field(out, "name", c.name);
  Field(out, "type", std::string(ColumnTypeName(c.type)));
  if (c.nullable) Field(out, "nullable", "true");
  if (c.min.has_value()) Field(out, "min", NumberText(*c.min));
  if (c.max.has_value()) Field(out, "max", NumberText(*c.max));
  if (!c.allowed.empty()) StringList(out, "allowed", c.allowed, /*flow=*/true);
  if (c.epoch_unit != kDefaultEpochUnit) Field(out, "epoch_unit", c.epoch_unit);
  out << YAML::EndMap;
}

void WriteSource(YAML::Emitter& out, const Source& s) {
  out << YAML::BeginMap;
  Field(out, "name", s.name);
  FieldIfNotEmpty(out, "description", s.description);
  Field(out, "timestamp_column", s.timestamp_column);
  FieldIfNotEmpty(out, "event_id_column", s.event_id_column);
  out << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
  for (const Column& c : s.columns) WriteColumn(out, c);
  out << YAML::EndSeq << YAML::EndMap;
}

void WriteFeature(YAML::Emitter& out, const Feature& f) {
  out << YAML::Flow << YAML::BeginMap;
  Field(out, "name", f.name);
  Field(out, "function", std::string(AggregateFunctionName(f.function)));
  FieldIfNotEmpty(out, "column", f.column);
  if (f.window != 0) Field(out, "window", FormatDuration(f.window));
  if (f.ttl != 0) Field(out, "ttl", FormatDuration(f.ttl));
  if (f.where.has_value()) {
    out << YAML::Key << "where" << YAML::Value << YAML::Flow << YAML::BeginMap;
    Field(out, "column", f.where->column);
    Field(out, "equals", f.where->equals);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void WriteView(YAML::Emitter& out, const FeatureView& v) {
  out << YAML::BeginMap;
  Field(out, "name", v.name);
  FieldIfNotEmpty(out, "description", v.description);
  StringList(out, "entities", v.entities, /*flow=*/true);
  Field(out, "source", v.source);
  out << YAML::Key << "features" << YAML::Value << YAML::BeginSeq;
  for (const Feature& f : v.features) WriteFeature(out, f);
  out << YAML::EndSeq << YAML::EndMap;
}

void WriteService(YAML::Emitter& out, const FeatureService& s) {
  out << YAML::BeginMap;
  Field(out, "name", s.name);
  FieldIfNotEmpty(out, "description", s.description);
  StringList(out, "features", s.features, /*flow=*/s.features.empty());
  if (!s.request_fields.empty()) {
    out << YAML::Key << "request_fields" << YAML::Value << YAML::BeginSeq;
    for (const RequestField& r : s.request_fields) {
      out << YAML::Flow << YAML::BeginMap;
      Field(out, "name", r.name);
      Field(out, "type", std::string(ColumnTypeName(r.type)));
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

template <typename T, typename Write>
void Section(YAML::Emitter& out, const char* key, const std::vector<T>& objects, Write write) {
  if (objects.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const T& object : objects) write(out, object);
  out << YAML::EndSeq;
}

}  // namespace

absl::StatusOr<std::string> DefinitionsYaml(const Definitions& definitions) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out << YAML::BeginMap;
  Section(out, "entities", definitions.entities, WriteEntity);
  Section(out, "sources", definitions.sources, WriteSource);
  Section(out, "feature_views", definitions.feature_views, WriteView);
  Section(out, "feature_services", definitions.feature_services, WriteService);
  out << YAML::EndMap;
  if (!out.good()) {
    return absl::InternalError(
        absl::StrCat("cannot write definitions as YAML: ", out.GetLastError()));
  }
  // An empty set is an empty map ("{}"), which applies as nothing.
  return absl::StrCat(out.c_str(), "\n");
}

}  // namespace fstore
