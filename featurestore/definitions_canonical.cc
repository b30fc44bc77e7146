// CanonicalJson and ContentHash (definitions.h): the stored form of a
// definition, and its version.
//
// Each object is built as an nlohmann::ordered_json (fields in a fixed order,
// optional fields left out when they hold their default) and written by
// WriteCanonical below, not by ordered_json::dump(): dump() prints a double
// holding an integer as "10.0" where the stored form has "10" (the shortest
// text that reads back, std::to_chars), and refuses strings that are not
// UTF-8, which the stored form passes through byte for byte. Stored
// definitions are versioned by the hash of these bytes, so they must never
// change; definitions_canonical_test.cc pins them.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/json_text.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "nlohmann/json.hpp"
#include "storage/sha256.h"

namespace fstore {
namespace {

using Json = nlohmann::ordered_json;

constexpr absl::string_view kDefaultEpochUnit = "us";

std::string Canonical(const Json& value) { return JsonText(value); }

template <typename T, typename ToJson>
Json ArrayOf(const std::vector<T>& items, ToJson to_json) {
  Json array = Json::array();
  for (const T& item : items) array.push_back(to_json(item));
  return array;
}

Json ColumnJson(const Column& column) {
  Json json = {{"name", column.name}, {"type", std::string(ColumnTypeName(column.type))}};
  if (column.nullable) json["nullable"] = true;
  if (column.min.has_value()) json["min"] = *column.min;
  if (column.max.has_value()) json["max"] = *column.max;
  if (!column.allowed.empty()) json["allowed"] = column.allowed;
  if (column.epoch_unit != kDefaultEpochUnit) json["epoch_unit"] = column.epoch_unit;
  return json;
}

Json FeatureJson(const Feature& feature) {
  Json json = {{"name", feature.name},
               {"function", std::string(AggregateFunctionName(feature.function))}};
  if (!feature.column.empty()) json["column"] = feature.column;
  if (feature.window != 0) json["window"] = FormatDuration(feature.window);
  if (feature.ttl != 0) json["ttl"] = FormatDuration(feature.ttl);
  if (feature.where.has_value()) {
    json["where"] = {{"column", feature.where->column}, {"equals", feature.where->equals}};
  }
  return json;
}

Json RequestFieldJson(const RequestField& field) {
  return {{"name", field.name}, {"type", std::string(ColumnTypeName(field.type))}};
}

void AddIfNotEmpty(const char* key, const std::string& value, Json* json) {
  if (!value.empty()) (*json)[key] = value;
}

}  // namespace

std::string CanonicalJson(const Entity& entity) {
  Json json = {{"name", entity.name}, {"join_key", entity.join_key}};
  AddIfNotEmpty("description", entity.description, &json);
  return Canonical(json);
}

std::string CanonicalJson(const Source& source) {
  Json json = {{"name", source.name}, {"timestamp_column", source.timestamp_column}};
  AddIfNotEmpty("event_id_column", source.event_id_column, &json);
  json["columns"] = ArrayOf(source.columns, ColumnJson);
  AddIfNotEmpty("description", source.description, &json);
  return Canonical(json);
}

std::string CanonicalJson(const FeatureView& view) {
  Json json = {{"name", view.name}, {"entities", view.entities}, {"source", view.source}};
  json["features"] = ArrayOf(view.features, FeatureJson);
  AddIfNotEmpty("description", view.description, &json);
  return Canonical(json);
}

std::string CanonicalJson(const FeatureService& service) {
  Json json = {{"name", service.name}, {"features", service.features}};
  if (!service.request_fields.empty()) {
    json["request_fields"] = ArrayOf(service.request_fields, RequestFieldJson);
  }
  AddIfNotEmpty("description", service.description, &json);
  return Canonical(json);
}

template <typename T>
std::string ContentHash(const T& object) {
  return Sha256::Hex(CanonicalJson(object)).substr(0, 16);
}

template std::string ContentHash<Entity>(const Entity&);
template std::string ContentHash<Source>(const Source&);
template std::string ContentHash<FeatureView>(const FeatureView&);
template std::string ContentHash<FeatureService>(const FeatureService&);

}  // namespace fstore
