#include "featurestore/definitions.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "featurestore/value.h"
#include "storage/sha256.h"

namespace fstore {
namespace {

constexpr ColumnType kAllColumnTypes[] = {ColumnType::kInt64, ColumnType::kDouble,
                                          ColumnType::kString, ColumnType::kBool,
                                          ColumnType::kTimestamp};
constexpr AggregateFunction kAllFunctions[] = {
    AggregateFunction::kCount, AggregateFunction::kSum, AggregateFunction::kMean,
    AggregateFunction::kMin,   AggregateFunction::kMax, AggregateFunction::kDistinctCount,
    AggregateFunction::kLast};

constexpr size_t kMaxNameLength = 128;
constexpr absl::string_view kDefaultEpochUnit = "us";

// Shortest text that reads back as the same double ("0", "10", "0.1",
// "1e+20"). Part of the canonical form, so spelled out here rather than
// borrowed from ValueToText.
std::string NumberText(double d) {
  char buf[64];
  const std::to_chars_result result = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, result.ptr);
}

// ---------------------------------------------------------------------------
// Parsing: YAML nodes -> plain types. Every error names the object path
// ("feature_views[0] (acct) features[2] (amt_max_7d)") and the field.

// " (line 18, column 7)" for a node read from text, "" when it has no mark.
std::string AtLine(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return "";
  return absl::StrCat(" (line ", mark.line + 1, ", column ", mark.column + 1, ")");
}

absl::Status ParseError(absl::string_view path, const YAML::Node& at, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message, AtLine(at)));
}

// What a node is, for "expected a list, got a map".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return absl::StrCat("'", node.Scalar(), "'");
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

// Absent and null (`key:` with no value) both mean "not given".
bool IsGiven(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

// `node` must be a map whose keys are distinct scalars from `allowed`.
absl::Status CheckKeys(const YAML::Node& node, absl::string_view path,
                       std::initializer_list<absl::string_view> allowed) {
  if (!node.IsMap()) {
    return ParseError(path, node, absl::StrCat("expected a map, got ", Describe(node)));
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy: `it->first` lives in a proxy that dies with the expression.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      return ParseError(path, key, absl::StrCat("keys must be strings, got ", Describe(key)));
    }
    const std::string& name = key.Scalar();
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == name;
    if (!known) {
      return ParseError(
          path, key,
          absl::StrCat("unknown key '", name, "'; expected one of ", absl::StrJoin(allowed, ", ")));
    }
    if (!seen.insert(name).second) {
      return ParseError(path, key, absl::StrCat("key '", name, "' is given twice"));
    }
  }
  return absl::OkStatus();
}

// "sources[1]" plus " (txns)" when the object has a readable name.
std::string ItemPath(absl::string_view parent, absl::string_view list, size_t index,
                     const YAML::Node& item) {
  std::string path = parent.empty() ? absl::StrCat(list, "[", index, "]")
                                    : absl::StrCat(parent, " ", list, "[", index, "]");
  if (item.IsMap()) {
    const YAML::Node name = item["name"];
    if (name.IsDefined() && name.IsScalar()) absl::StrAppend(&path, " (", name.Scalar(), ")");
  }
  return path;
}

absl::Status MissingField(absl::string_view path, const YAML::Node& map, absl::string_view key) {
  return ParseError(path, map, absl::StrCat("missing required field '", key, "'"));
}

// The text of a scalar field; a map or list is an error.
absl::StatusOr<std::string> ScalarText(const YAML::Node& value, absl::string_view path,
                                       absl::string_view key) {
  if (!value.IsScalar()) {
    return ParseError(path, value,
                      absl::StrCat("field '", key, "': expected a string, got ", Describe(value)));
  }
  return value.Scalar();
}

absl::Status ReadString(const YAML::Node& map, absl::string_view key, absl::string_view path,
                        bool required, std::string* out) {
  const YAML::Node value = map[std::string(key)];
  if (!IsGiven(value)) return required ? MissingField(path, map, key) : absl::OkStatus();
  FSTORE_ASSIGN_OR_RETURN(*out, ScalarText(value, path, key));
  return absl::OkStatus();
}

absl::Status ReadStringList(const YAML::Node& map, absl::string_view key, absl::string_view path,
                            bool required, std::vector<std::string>* out) {
  const YAML::Node value = map[std::string(key)];
  if (!IsGiven(value)) return required ? MissingField(path, map, key) : absl::OkStatus();
  if (!value.IsSequence()) {
    return ParseError(path, value,
                      absl::StrCat("field '", key, "': expected a list, got ", Describe(value)));
  }
  out->clear();
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    if (!item.IsScalar()) {
      return ParseError(
          path, item,
          absl::StrCat("field '", key, "' item ", i, ": expected a string, got ", Describe(item)));
    }
    out->push_back(item.Scalar());
  }
  return absl::OkStatus();
}

absl::Status ReadBool(const YAML::Node& map, absl::string_view key, absl::string_view path,
                      bool* out) {
  const YAML::Node value = map[std::string(key)];
  if (!IsGiven(value)) return absl::OkStatus();
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, *out)) {
    return ParseError(
        path, value,
        absl::StrCat("field '", key, "': expected true or false, got ", Describe(value)));
  }
  return absl::OkStatus();
}

absl::Status ReadNumber(const YAML::Node& map, absl::string_view key, absl::string_view path,
                        std::optional<double>* out) {
  const YAML::Node value = map[std::string(key)];
  if (!IsGiven(value)) return absl::OkStatus();
  double number = 0;
  if (!value.IsScalar() || !absl::SimpleAtod(value.Scalar(), &number) || !std::isfinite(number)) {
    return ParseError(
        path, value,
        absl::StrCat("field '", key, "': expected a finite number, got ", Describe(value)));
  }
  *out = number;
  return absl::OkStatus();
}

// ParseDuration plus a leading '-', so that a negative TTL reaches
// ValidateDefinitions (which names the rule) and CanonicalJson's output of
// any duration parses back.
absl::StatusOr<DurationUs> ParseSignedDuration(absl::string_view text) {
  if (absl::ConsumePrefix(&text, "-")) {
    FSTORE_ASSIGN_OR_RETURN(DurationUs d, ParseDuration(text));
    return -d;
  }
  return ParseDuration(text);
}

absl::Status ReadDuration(const YAML::Node& map, absl::string_view key, absl::string_view path,
                          DurationUs* out) {
  const YAML::Node value = map[std::string(key)];
  if (!IsGiven(value)) return absl::OkStatus();
  FSTORE_ASSIGN_OR_RETURN(std::string text, ScalarText(value, path, key));
  absl::StatusOr<DurationUs> d = ParseSignedDuration(text);
  if (!d.ok()) return ParseError(path, value, absl::StrCat(key, ": ", d.status().message()));
  *out = *d;
  return absl::OkStatus();
}

absl::Status ReadColumnType(const YAML::Node& map, absl::string_view path, ColumnType* out) {
  std::string text;
  FSTORE_RETURN_IF_ERROR(ReadString(map, "type", path, /*required=*/true, &text));
  absl::StatusOr<ColumnType> type = ParseColumnType(text);
  if (!type.ok()) return ParseError(path, map["type"], type.status().message());
  *out = *type;
  return absl::OkStatus();
}

// Calls `parse_item(item, item_path)` for each entry of the list `key`.
template <typename ParseItem>
absl::Status ForEachItem(const YAML::Node& map, absl::string_view key, absl::string_view path,
                         bool required, ParseItem parse_item) {
  const YAML::Node list = map[std::string(key)];
  if (!IsGiven(list)) return required ? MissingField(path, map, key) : absl::OkStatus();
  if (!list.IsSequence()) {
    return ParseError(path, list,
                      absl::StrCat("field '", key, "': expected a list, got ", Describe(list)));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    FSTORE_RETURN_IF_ERROR(parse_item(item, ItemPath(path, key, i, item)));
  }
  return absl::OkStatus();
}

absl::Status ParseEntity(const YAML::Node& node, absl::string_view path, Entity* out) {
  FSTORE_RETURN_IF_ERROR(CheckKeys(node, path, {"name", "join_key", "description"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "join_key", path, true, &out->join_key));
  return ReadString(node, "description", path, false, &out->description);
}

absl::Status ParseColumn(const YAML::Node& node, absl::string_view path, Column* out) {
  FSTORE_RETURN_IF_ERROR(
      CheckKeys(node, path, {"name", "type", "nullable", "min", "max", "allowed", "epoch_unit"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  FSTORE_RETURN_IF_ERROR(ReadColumnType(node, path, &out->type));
  FSTORE_RETURN_IF_ERROR(ReadBool(node, "nullable", path, &out->nullable));
  FSTORE_RETURN_IF_ERROR(ReadNumber(node, "min", path, &out->min));
  FSTORE_RETURN_IF_ERROR(ReadNumber(node, "max", path, &out->max));
  FSTORE_RETURN_IF_ERROR(ReadStringList(node, "allowed", path, false, &out->allowed));
  return ReadString(node, "epoch_unit", path, false, &out->epoch_unit);
}

absl::Status ParseSource(const YAML::Node& node, absl::string_view path, Source* out) {
  FSTORE_RETURN_IF_ERROR(CheckKeys(
      node, path, {"name", "timestamp_column", "event_id_column", "columns", "description"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "timestamp_column", path, true, &out->timestamp_column));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "event_id_column", path, false, &out->event_id_column));
  FSTORE_RETURN_IF_ERROR(ForEachItem(node, "columns", path, true,
                                     [&](const YAML::Node& item, const std::string& item_path) {
                                       out->columns.emplace_back();
                                       return ParseColumn(item, item_path, &out->columns.back());
                                     }));
  return ReadString(node, "description", path, false, &out->description);
}

absl::Status ParseWhere(const YAML::Node& node, absl::string_view path, EqualsFilter* out) {
  FSTORE_RETURN_IF_ERROR(CheckKeys(node, path, {"column", "equals"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "column", path, true, &out->column));
  const YAML::Node equals = node["equals"];
  if (!equals.IsDefined()) return MissingField(path, node, "equals");
  // Any scalar keeps its text (`equals: 5` is "5"); a YAML null is the empty
  // text, which is how a missing value prints (ValueToText).
  if (equals.IsNull()) {
    out->equals.clear();
    return absl::OkStatus();
  }
  FSTORE_ASSIGN_OR_RETURN(out->equals, ScalarText(equals, path, "equals"));
  return absl::OkStatus();
}

absl::Status ParseFeature(const YAML::Node& node, absl::string_view path, Feature* out) {
  FSTORE_RETURN_IF_ERROR(
      CheckKeys(node, path, {"name", "function", "column", "window", "ttl", "where"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  std::string function;
  FSTORE_RETURN_IF_ERROR(ReadString(node, "function", path, true, &function));
  absl::StatusOr<AggregateFunction> parsed = ParseAggregateFunction(function);
  if (!parsed.ok()) return ParseError(path, node["function"], parsed.status().message());
  out->function = *parsed;
  FSTORE_RETURN_IF_ERROR(ReadString(node, "column", path, false, &out->column));
  FSTORE_RETURN_IF_ERROR(ReadDuration(node, "window", path, &out->window));
  FSTORE_RETURN_IF_ERROR(ReadDuration(node, "ttl", path, &out->ttl));
  const YAML::Node where = node["where"];
  if (IsGiven(where)) {
    out->where.emplace();
    FSTORE_RETURN_IF_ERROR(ParseWhere(where, absl::StrCat(path, " where"), &*out->where));
  }
  return absl::OkStatus();
}

absl::Status ParseView(const YAML::Node& node, absl::string_view path, FeatureView* out) {
  FSTORE_RETURN_IF_ERROR(
      CheckKeys(node, path, {"name", "entities", "entity", "source", "features", "description"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  const bool has_entities = IsGiven(node["entities"]);
  const bool has_entity = IsGiven(node["entity"]);
  if (has_entities && has_entity) {
    return ParseError(path, node["entity"],
                      "give either 'entity' (one entity) or 'entities' (a list), not both");
  }
  if (has_entity) {
    std::string entity;
    FSTORE_RETURN_IF_ERROR(ReadString(node, "entity", path, true, &entity));
    out->entities = {entity};
  } else {
    FSTORE_RETURN_IF_ERROR(ReadStringList(node, "entities", path, true, &out->entities));
  }
  FSTORE_RETURN_IF_ERROR(ReadString(node, "source", path, true, &out->source));
  FSTORE_RETURN_IF_ERROR(ForEachItem(node, "features", path, true,
                                     [&](const YAML::Node& item, const std::string& item_path) {
                                       out->features.emplace_back();
                                       return ParseFeature(item, item_path, &out->features.back());
                                     }));
  return ReadString(node, "description", path, false, &out->description);
}

absl::Status ParseRequestField(const YAML::Node& node, absl::string_view path, RequestField* out) {
  FSTORE_RETURN_IF_ERROR(CheckKeys(node, path, {"name", "type"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  return ReadColumnType(node, path, &out->type);
}

absl::Status ParseService(const YAML::Node& node, absl::string_view path, FeatureService* out) {
  FSTORE_RETURN_IF_ERROR(
      CheckKeys(node, path, {"name", "features", "request_fields", "description"}));
  FSTORE_RETURN_IF_ERROR(ReadString(node, "name", path, true, &out->name));
  FSTORE_RETURN_IF_ERROR(ReadStringList(node, "features", path, true, &out->features));
  FSTORE_RETURN_IF_ERROR(ForEachItem(node, "request_fields", path, false,
                                     [&](const YAML::Node& item, const std::string& item_path) {
                                       out->request_fields.emplace_back();
                                       return ParseRequestField(item, item_path,
                                                                &out->request_fields.back());
                                     }));
  return ReadString(node, "description", path, false, &out->description);
}

// Parses one top-level list with `parse` and rejects a name given twice.
template <typename T, typename Parse>
absl::Status ParseList(const YAML::Node& root, absl::string_view key, Parse parse,
                       std::vector<T>* out) {
  std::vector<std::string> paths;
  return ForEachItem(root, key, "", false,
                     [&](const YAML::Node& item, const std::string& item_path) -> absl::Status {
                       T object;
                       FSTORE_RETURN_IF_ERROR(parse(item, item_path, &object));
                       for (size_t i = 0; i < out->size(); ++i) {
                         if ((*out)[i].name == object.name) {
                           return ParseError(item_path, item,
                                             absl::StrCat("name '", object.name,
                                                          "' is already used by ", paths[i]));
                         }
                       }
                       out->push_back(std::move(object));
                       paths.push_back(item_path);
                       return absl::OkStatus();
                     });
}

absl::Status ParseRoot(const YAML::Node& root, Definitions* out) {
  if (!IsGiven(root)) return absl::OkStatus();
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat("definitions: expected a map with entities, sources, feature_views and "
                     "feature_services, got ",
                     Describe(root), AtLine(root)));
  }
  FSTORE_RETURN_IF_ERROR(
      CheckKeys(root, "definitions", {"entities", "sources", "feature_views", "feature_services"}));
  FSTORE_RETURN_IF_ERROR(ParseList(root, "entities", ParseEntity, &out->entities));
  FSTORE_RETURN_IF_ERROR(ParseList(root, "sources", ParseSource, &out->sources));
  FSTORE_RETURN_IF_ERROR(ParseList(root, "feature_views", ParseView, &out->feature_views));
  return ParseList(root, "feature_services", ParseService, &out->feature_services);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of "\uXXXX" at text[pos], or -1.
int EscapedCodeUnit(absl::string_view text, size_t pos) {
  if (pos + 6 > text.size() || text[pos] != '\\' || text[pos + 1] != 'u') return -1;
  int unit = 0;
  for (size_t i = pos + 2; i < pos + 6; ++i) {
    const int digit = HexDigit(text[i]);
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

// JSON writes characters outside the BMP as UTF-16 surrogate pairs
// ("\ud83d\ude00", Python's json.dumps does by default); YAML, and so
// yaml-cpp, wants one "\U0001f600". Outside strings valid JSON has no
// backslashes, so a plain scan that skips escaped characters is enough.
std::string JoinSurrogatePairs(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const int high = EscapedCodeUnit(text, i);
    const int low = EscapedCodeUnit(text, i + 6);
    if (high >= 0xD800 && high <= 0xDBFF && low >= 0xDC00 && low <= 0xDFFF) {
      const int code_point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
      char buf[11];
      std::snprintf(buf, sizeof(buf), "\\U%08x", code_point);
      out += buf;
      i += 11;
      continue;
    }
    out.push_back(text[i]);
    if (i + 1 < text.size()) out.push_back(text[++i]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Canonical JSON.

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[7];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          out->push_back(c);  // UTF-8 passes through unchanged
        }
    }
  }
  out->push_back('"');
}

std::string JsonString(absl::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(items[i], &out);
  }
  out.push_back(']');
  return out;
}

template <typename T, typename ToJson>
std::string JsonArray(const std::vector<T>& items, ToJson to_json) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += to_json(items[i]);
  }
  out.push_back(']');
  return out;
}

// Builds {"k":v,...} in the order fields are added.
class JsonObject {
 public:
  JsonObject& Raw(absl::string_view key, absl::string_view json) {
    body_.push_back(body_.empty() ? '{' : ',');
    AppendJsonString(key, &body_);
    body_.push_back(':');
    absl::StrAppend(&body_, json);
    return *this;
  }
  JsonObject& String(absl::string_view key, absl::string_view value) {
    return Raw(key, JsonString(value));
  }
  JsonObject& StringIfNotEmpty(absl::string_view key, absl::string_view value) {
    return value.empty() ? *this : String(key, value);
  }
  std::string Build() const { return body_.empty() ? "{}" : absl::StrCat(body_, "}"); }

 private:
  std::string body_;
};

std::string ColumnJson(const Column& column) {
  JsonObject json;
  json.String("name", column.name).String("type", ColumnTypeName(column.type));
  if (column.nullable) json.Raw("nullable", "true");
  if (column.min.has_value()) json.Raw("min", NumberText(*column.min));
  if (column.max.has_value()) json.Raw("max", NumberText(*column.max));
  if (!column.allowed.empty()) json.Raw("allowed", JsonStringArray(column.allowed));
  if (column.epoch_unit != kDefaultEpochUnit) json.String("epoch_unit", column.epoch_unit);
  return json.Build();
}

std::string FeatureJson(const Feature& feature) {
  JsonObject json;
  json.String("name", feature.name)
      .String("function", AggregateFunctionName(feature.function))
      .StringIfNotEmpty("column", feature.column);
  if (feature.window != 0) json.String("window", FormatDuration(feature.window));
  if (feature.ttl != 0) json.String("ttl", FormatDuration(feature.ttl));
  if (feature.where.has_value()) {
    json.Raw("where", JsonObject()
                          .String("column", feature.where->column)
                          .String("equals", feature.where->equals)
                          .Build());
  }
  return json.Build();
}

std::string RequestFieldJson(const RequestField& field) {
  return JsonObject().String("name", field.name).String("type", ColumnTypeName(field.type)).Build();
}

// ---------------------------------------------------------------------------
// Validation.

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

absl::StatusOr<Definitions> ParseDefinitions(absl::string_view text, absl::string_view format) {
  bool json;
  if (format.empty()) {
    const absl::string_view body = absl::StripLeadingAsciiWhitespace(text);
    json = !body.empty() && body[0] == '{';
  } else if (absl::EqualsIgnoreCase(format, "json")) {
    json = true;
  } else if (absl::EqualsIgnoreCase(format, "yaml") || absl::EqualsIgnoreCase(format, "yml")) {
    json = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown definitions format '", format, "'; expected yaml or json"));
  }
  // JSON is YAML flow syntax; one parser reads both.
  const std::string input = json ? JoinSurrogatePairs(text) : std::string(text);
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(input);
    Definitions definitions;
    if (documents.size() > 1) {
      if (json) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid JSON: text after the top-level object", AtLine(documents[1])));
      }
      return absl::InvalidArgumentError(absl::StrCat("definitions file holds ", documents.size(),
                                                     " YAML documents; expected one"));
    }
    if (!documents.empty()) FSTORE_RETURN_IF_ERROR(ParseRoot(documents[0], &definitions));
    return definitions;
  } catch (const YAML::Exception& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = absl::StrCat(" at line ", e.mark.line + 1, ", column ", e.mark.column + 1);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", json ? "JSON" : "YAML", where, ": ", e.msg));
  }
}

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

Definitions MergeDefinitions(const Definitions& base, const Definitions& update) {
  Definitions merged = base;
  MergeByName(update.entities, &merged.entities);
  MergeByName(update.sources, &merged.sources);
  MergeByName(update.feature_views, &merged.feature_views);
  MergeByName(update.feature_services, &merged.feature_services);
  return merged;
}

std::string CanonicalJson(const Entity& entity) {
  return JsonObject()
      .String("name", entity.name)
      .String("join_key", entity.join_key)
      .StringIfNotEmpty("description", entity.description)
      .Build();
}

std::string CanonicalJson(const Source& source) {
  return JsonObject()
      .String("name", source.name)
      .String("timestamp_column", source.timestamp_column)
      .StringIfNotEmpty("event_id_column", source.event_id_column)
      .Raw("columns", JsonArray(source.columns, ColumnJson))
      .StringIfNotEmpty("description", source.description)
      .Build();
}

std::string CanonicalJson(const FeatureView& view) {
  return JsonObject()
      .String("name", view.name)
      .Raw("entities", JsonStringArray(view.entities))
      .String("source", view.source)
      .Raw("features", JsonArray(view.features, FeatureJson))
      .StringIfNotEmpty("description", view.description)
      .Build();
}

std::string CanonicalJson(const FeatureService& service) {
  JsonObject json;
  json.String("name", service.name).Raw("features", JsonStringArray(service.features));
  if (!service.request_fields.empty()) {
    json.Raw("request_fields", JsonArray(service.request_fields, RequestFieldJson));
  }
  return json.StringIfNotEmpty("description", service.description).Build();
}

template <typename T>
std::string ContentHash(const T& object) {
  return Sha256::Hex(CanonicalJson(object)).substr(0, 16);
}

template std::string ContentHash<Entity>(const Entity&);
template std::string ContentHash<Source>(const Source&);
template std::string ContentHash<FeatureView>(const FeatureView&);
template std::string ContentHash<FeatureService>(const FeatureService&);

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
