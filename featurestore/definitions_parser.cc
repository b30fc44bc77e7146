// ParseDefinitions (definitions.h): a YAML or JSON definitions file ->
// Definitions.
//
// YAML is read by yaml-cpp, JSON by nlohmann::json; both end up as the same
// tree of yaml-cpp nodes, which one set of field readers walks, so that the
// two formats accept the same fields and report the same errors. A JSON
// scalar becomes a node holding its text (a number as written, true/false),
// JSON null a null node, and a key given twice stays twice (so that the
// readers reject it). Nodes read from JSON carry no line marks, so field
// errors of a JSON file name the object path but not the line; syntax errors
// name the line and column.
//
// Every error names the object path ("feature_views[0] (acct) features[2]
// (amt_max_7d)") and the field.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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
#include "featurestore/definitions.h"
#include "nlohmann/json.hpp"

namespace fstore {
namespace {

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

// ---------------------------------------------------------------------------
// JSON text -> yaml-cpp nodes, through nlohmann's SAX parser.

// " (line 3, column 7)" for a byte offset into `text`.
std::string LineAndColumn(absl::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat(" at line ", line, ", column ", offset - line_start + 1);
}

// Receives nlohmann's SAX events and builds the node tree; on a syntax error
// keeps the error and stops.
class JsonToNodes {
 public:
  using Sax = nlohmann::json_sax<nlohmann::json>;

  explicit JsonToNodes(absl::string_view text) : text_(text) {}

  const YAML::Node& root() const { return root_; }
  const absl::Status& error() const { return error_; }

  bool null() { return Add(YAML::Node(YAML::NodeType::Null)); }
  bool boolean(bool value) { return Add(YAML::Node(value ? "true" : "false")); }
  bool number_integer(Sax::number_integer_t value) { return Add(YAML::Node(absl::StrCat(value))); }
  bool number_unsigned(Sax::number_unsigned_t value) {
    return Add(YAML::Node(absl::StrCat(value)));
  }
  // `text` is the number as written: "1e5" stays "1e5", as YAML reads it.
  bool number_float(Sax::number_float_t /*value*/, const Sax::string_t& text) {
    return Add(YAML::Node(text));
  }
  bool string(Sax::string_t& value) { return Add(YAML::Node(value)); }
  bool binary(Sax::binary_t& /*value*/) { return false; }  // not produced by the text parser
  bool start_object(std::size_t /*elements*/) {
    open_.push_back({YAML::Node(YAML::NodeType::Map), ""});
    return true;
  }
  bool key(Sax::string_t& key) {
    open_.back().key = key;
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t /*elements*/) {
    open_.push_back({YAML::Node(YAML::NodeType::Sequence), ""});
    return true;
  }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1,
    // column 3: syntax error while parsing ..."; keep the part after the
    // position, which LineAndColumn restates.
    absl::string_view what = e.what();
    const size_t colon = what.find(": ");
    if (colon != absl::string_view::npos) what.remove_prefix(colon + 2);
    const size_t offset = position > 0 ? position - 1 : 0;
    if (absl::StrContains(what, "; expected end of input")) {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          "invalid JSON: text after the top-level object", LineAndColumn(text_, offset)));
    } else {
      error_ = absl::InvalidArgumentError(
          absl::StrCat("invalid JSON", LineAndColumn(text_, offset), ": ", what));
    }
    return false;
  }

 private:
  struct Open {
    YAML::Node node;
    std::string key;  // maps: the key of the next value
  };

  bool Add(const YAML::Node& node) {
    if (open_.empty()) {
      root_ = node;
      return true;
    }
    Open& parent = open_.back();
    if (parent.node.IsMap()) {
      parent.node.force_insert(parent.key, node);
    } else {
      parent.node.push_back(node);
    }
    return true;
  }

  bool Close() {
    const YAML::Node done = open_.back().node;
    open_.pop_back();
    return Add(done);
  }

  absl::string_view text_;
  YAML::Node root_;
  std::vector<Open> open_;
  absl::Status error_;
};

absl::StatusOr<YAML::Node> ParseJson(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) return YAML::Node();  // no document
  JsonToNodes builder(text);
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &builder)) {
    if (builder.error().ok()) return absl::InvalidArgumentError("invalid JSON");
    return builder.error();
  }
  return builder.root();
}

}  // namespace

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
  Definitions definitions;
  try {
    if (json) {
      FSTORE_ASSIGN_OR_RETURN(const YAML::Node root, ParseJson(text));
      FSTORE_RETURN_IF_ERROR(ParseRoot(root, &definitions));
      return definitions;
    }
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
    if (documents.size() > 1) {
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

}  // namespace fstore
