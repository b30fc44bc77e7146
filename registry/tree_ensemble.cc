#include "registry/tree_ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

// ---------------------------------------------------------------------------
// A small JSON reader for XGBoost's model JSON. No JSON library is among
// fstore's Debian dependencies, and reading numbers straight to float (as
// XGBoost's own reader does) keeps thresholds and leaf values bit-exact.
// Numbers stay as their text until read as float or integer. Never throws;
// nesting is bounded.
// ---------------------------------------------------------------------------

struct JsonValue;
using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<std::pair<std::string, JsonValue>>;
struct JsonNumber {
  absl::string_view text;  // points into the parsed document
};

struct JsonValue {
  std::variant<std::monostate, bool, JsonNumber, std::string, JsonArray, JsonObject> data;
};

constexpr int kMaxJsonNesting = 64;

class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    JsonValue root;
    FSTORE_RETURN_IF_ERROR(ParseValue(&root, 0));
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected text after the end of the document");
    return root;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("model JSON is malformed at byte ", pos_, " of ", text_.size(), ": ", what));
  }

  void SkipWhitespace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  absl::Status ParseValue(JsonValue* out, int depth) {
    if (depth > kMaxJsonNesting) return Error("nested deeper than 64 levels");
    SkipWhitespace();
    if (pos_ >= text_.size()) return Error("unexpected end of input, expected a value");
    const char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      std::string s;
      FSTORE_RETURN_IF_ERROR(ParseString(&s));
      out->data = std::move(s);
      return absl::OkStatus();
    }
    if (Consume("true")) {
      out->data = true;
      return absl::OkStatus();
    }
    if (Consume("false")) {
      out->data = false;
      return absl::OkStatus();
    }
    if (Consume("null")) {
      out->data = std::monostate();
      return absl::OkStatus();
    }
    return ParseNumber(out);
  }

  absl::Status ParseObject(JsonValue* out, int depth) {
    ++pos_;  // '{'
    JsonObject members;
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out->data = std::move(members);
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a string key");
      std::string key;
      FSTORE_RETURN_IF_ERROR(ParseString(&key));
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':' after a key");
      ++pos_;
      JsonValue value;
      FSTORE_RETURN_IF_ERROR(ParseValue(&value, depth + 1));
      members.emplace_back(std::move(key), std::move(value));
      SkipWhitespace();
      if (pos_ >= text_.size()) return Error("unexpected end of input in an object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        out->data = std::move(members);
        return absl::OkStatus();
      }
      return Error("expected ',' or '}' in an object");
    }
  }

  absl::Status ParseArray(JsonValue* out, int depth) {
    ++pos_;  // '['
    JsonArray items;
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out->data = std::move(items);
      return absl::OkStatus();
    }
    while (true) {
      JsonValue item;
      FSTORE_RETURN_IF_ERROR(ParseValue(&item, depth + 1));
      items.push_back(std::move(item));
      SkipWhitespace();
      if (pos_ >= text_.size()) return Error("unexpected end of input in an array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        out->data = std::move(items);
        return absl::OkStatus();
      }
      return Error("expected ',' or ']' in an array");
    }
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits of a \u escape at pos_.
  absl::Status ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Error("truncated \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexDigit(text_[pos_ + i]);
      if (digit < 0) return Error("bad hex digit in a \\u escape");
      value = value * 16 + static_cast<uint32_t>(digit);
    }
    pos_ += 4;
    *out = value;
    return absl::OkStatus();
  }

  static void AppendUtf8(uint32_t code_point, std::string* out) {
    if (code_point < 0x80) {
      out->push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return Error("unterminated escape");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out->push_back(escape);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t code_point = 0;
          FSTORE_RETURN_IF_ERROR(ParseHex4(&code_point));
          if (code_point >= 0xD800 && code_point <= 0xDBFF) {
            uint32_t low = 0;
            if (!Consume("\\u")) return Error("unpaired surrogate in a \\u escape");
            FSTORE_RETURN_IF_ERROR(ParseHex4(&low));
            if (low < 0xDC00 || low > 0xDFFF) return Error("bad low surrogate in a \\u escape");
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          } else if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
            return Error("unpaired surrogate in a \\u escape");
          }
          AppendUtf8(code_point, out);
          break;
        }
        default:
          return Error(absl::StrCat("unknown escape '\\", std::string(1, escape), "'"));
      }
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // JSON's number grammar, plus NaN, Infinity and -Infinity, which XGBoost's
  // writer emits for non-finite values.
  absl::Status ParseNumber(JsonValue* out) {
    const size_t start = pos_;
    if (Consume("NaN") || Consume("Infinity") || Consume("-Infinity")) {
      out->data = JsonNumber{text_.substr(start, pos_ - start)};
      return absl::OkStatus();
    }
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
      pos_ = start;
      return Error("expected a value");
    }
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Error("expected a digit after '.'");
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
        return Error("expected a digit in an exponent");
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    out->data = JsonNumber{text_.substr(start, pos_ - start)};
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Typed access to the model document. `where` names the place in the model
// ("learner.gradient_booster.model.trees[3]") for error messages.
// ---------------------------------------------------------------------------

absl::Status ModelError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("XGBoost model JSON: ", where, ": ", what));
}

absl::StatusOr<const JsonObject*> AsObject(const JsonValue& value, absl::string_view where) {
  if (const auto* object = std::get_if<JsonObject>(&value.data)) return object;
  return ModelError(where, "expected an object");
}

const JsonValue* FindMember(const JsonObject& object, absl::string_view key) {
  for (const auto& [name, value] : object) {
    if (name == key) return &value;
  }
  return nullptr;
}

absl::StatusOr<const JsonValue*> Member(const JsonObject& object, absl::string_view key,
                                        absl::string_view where) {
  if (const JsonValue* value = FindMember(object, key)) return value;
  return ModelError(where, absl::StrCat("missing \"", key, "\""));
}

absl::StatusOr<const JsonObject*> ObjectMember(const JsonObject& object, absl::string_view key,
                                               absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const JsonValue* value, Member(object, key, where));
  return AsObject(*value, absl::StrCat(where, ".", key));
}

absl::StatusOr<const JsonArray*> ArrayMember(const JsonObject& object, absl::string_view key,
                                             absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const JsonValue* value, Member(object, key, where));
  if (const auto* array = std::get_if<JsonArray>(&value->data)) return array;
  return ModelError(absl::StrCat(where, ".", key), "expected an array");
}

absl::StatusOr<std::string> StringMember(const JsonObject& object, absl::string_view key,
                                         absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const JsonValue* value, Member(object, key, where));
  if (const auto* s = std::get_if<std::string>(&value->data)) return *s;
  return ModelError(absl::StrCat(where, ".", key), "expected a string");
}

// Text to float, rounded once (as XGBoost's reader does).
absl::StatusOr<float> TextToFloat(absl::string_view text, absl::string_view where) {
  float value = 0.0f;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return ModelError(where, absl::StrCat("'", text, "' is not a float"));
  }
  return value;
}

absl::StatusOr<int64_t> TextToInt(absl::string_view text, absl::string_view where) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return ModelError(where, absl::StrCat("'", text, "' is not an integer"));
  }
  return value;
}

absl::StatusOr<float> ToFloat(const JsonValue& value, absl::string_view where) {
  if (const auto* number = std::get_if<JsonNumber>(&value.data)) {
    return TextToFloat(number->text, where);
  }
  return ModelError(where, "expected a number");
}

// An integer, or a boolean as 0/1 (XGBoost writes default_left either way).
absl::StatusOr<int64_t> ToInt(const JsonValue& value, absl::string_view where) {
  if (const auto* number = std::get_if<JsonNumber>(&value.data)) {
    return TextToInt(number->text, where);
  }
  if (const auto* boolean = std::get_if<bool>(&value.data)) return *boolean ? 1 : 0;
  return ModelError(where, "expected an integer");
}

// XGBoost stores parameters as strings ("num_feature": "40",
// "base_score": "5E-1"). An absent optional parameter reads as `fallback`.
absl::StatusOr<int64_t> IntParam(const JsonObject& object, absl::string_view key,
                                 absl::string_view where, std::optional<int64_t> fallback) {
  const JsonValue* value = FindMember(object, key);
  if (value == nullptr) {
    if (fallback.has_value()) return *fallback;
    return ModelError(where, absl::StrCat("missing \"", key, "\""));
  }
  const std::string place = absl::StrCat(where, ".", key);
  if (const auto* s = std::get_if<std::string>(&value->data)) return TextToInt(*s, place);
  return ToInt(*value, place);
}

absl::StatusOr<float> FloatParam(const JsonObject& object, absl::string_view key,
                                 absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const JsonValue* value, Member(object, key, where));
  const std::string place = absl::StrCat(where, ".", key);
  if (const auto* s = std::get_if<std::string>(&value->data)) return TextToFloat(*s, place);
  return ToFloat(*value, place);
}

template <typename T, typename Convert>
absl::StatusOr<std::vector<T>> ReadArray(const JsonObject& tree, absl::string_view key,
                                         absl::string_view where, size_t expected_size,
                                         Convert convert) {
  FSTORE_ASSIGN_OR_RETURN(const JsonArray* array, ArrayMember(tree, key, where));
  if (array->size() != expected_size) {
    return ModelError(absl::StrCat(where, ".", key),
                      absl::StrCat(array->size(), " entries for ", expected_size, " nodes"));
  }
  std::vector<T> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    auto value = convert((*array)[i], /*where=*/"");
    if (!value.ok()) {  // convert again to name the place only when it failed
      return convert((*array)[i], absl::StrCat(where, ".", key, "[", i, "]")).status();
    }
    out.push_back(static_cast<T>(*value));
  }
  return out;
}

// One tree as XGBoost stores it: parallel arrays indexed by node id.
struct XgboostTree {
  std::vector<int64_t> left;
  std::vector<int64_t> right;
  std::vector<int64_t> split_index;
  std::vector<float> split_condition;  // the leaf value for leaves
  std::vector<int64_t> default_left;
  std::vector<float> sum_hessian;
};

// Trees deeper than this are refused: explanations recurse and allocate per
// level, and XGBoost's trees stay far shallower in practice.
constexpr int kMaxTreeDepth = 128;

// XGBoost's float sigmoid (common::Sigmoid in 1.7).
float Sigmoid(float x) {
  constexpr float kEps = 1e-16f;  // avoids dividing by zero
  x = std::min(-x, 88.7f);
  const float denominator = std::exp(x) + 1.0f + kEps;
  return 1.0f / denominator;
}

// The three TreeSHAP helpers below are XGBoost 1.7's (src/tree/tree_model.cc),
// kept operation for operation so that the float results match. PathElement
// is TreeEnsemble::PathElement.

// Extends the decision path with a fraction of one and zero extensions.
template <typename PathElement>
void ExtendPath(PathElement* unique_path, unsigned unique_depth, float zero_fraction,
                float one_fraction, int feature_index) {
  unique_path[unique_depth].feature_index = feature_index;
  unique_path[unique_depth].zero_fraction = zero_fraction;
  unique_path[unique_depth].one_fraction = one_fraction;
  unique_path[unique_depth].pweight = (unique_depth == 0 ? 1.0f : 0.0f);
  for (int i = static_cast<int>(unique_depth) - 1; i >= 0; i--) {
    unique_path[i + 1].pweight +=
        one_fraction * unique_path[i].pweight * (i + 1) / static_cast<float>(unique_depth + 1);
    unique_path[i].pweight = zero_fraction * unique_path[i].pweight * (unique_depth - i) /
                             static_cast<float>(unique_depth + 1);
  }
}

// Undoes a previous extension of the decision path.
template <typename PathElement>
void UnwindPath(PathElement* unique_path, unsigned unique_depth, unsigned path_index) {
  const float one_fraction = unique_path[path_index].one_fraction;
  const float zero_fraction = unique_path[path_index].zero_fraction;
  float next_one_portion = unique_path[unique_depth].pweight;
  for (int i = static_cast<int>(unique_depth) - 1; i >= 0; --i) {
    if (one_fraction != 0) {
      const float tmp = unique_path[i].pweight;
      unique_path[i].pweight =
          next_one_portion * (unique_depth + 1) / static_cast<float>((i + 1) * one_fraction);
      next_one_portion = tmp - unique_path[i].pweight * zero_fraction * (unique_depth - i) /
                                   static_cast<float>(unique_depth + 1);
    } else {
      unique_path[i].pweight = (unique_path[i].pweight * (unique_depth + 1)) /
                               static_cast<float>(zero_fraction * (unique_depth - i));
    }
  }
  for (auto i = path_index; i < unique_depth; ++i) {
    unique_path[i].feature_index = unique_path[i + 1].feature_index;
    unique_path[i].zero_fraction = unique_path[i + 1].zero_fraction;
    unique_path[i].one_fraction = unique_path[i + 1].one_fraction;
  }
}

// The total permutation weight if a previous extension were unwound.
template <typename PathElement>
float UnwoundPathSum(const PathElement* unique_path, unsigned unique_depth, unsigned path_index) {
  const float one_fraction = unique_path[path_index].one_fraction;
  const float zero_fraction = unique_path[path_index].zero_fraction;
  float next_one_portion = unique_path[unique_depth].pweight;
  float total = 0;
  for (int i = static_cast<int>(unique_depth) - 1; i >= 0; --i) {
    if (one_fraction != 0) {
      const float tmp =
          next_one_portion * (unique_depth + 1) / static_cast<float>((i + 1) * one_fraction);
      total += tmp;
      next_one_portion =
          unique_path[i].pweight -
          tmp * zero_fraction * ((unique_depth - i) / static_cast<float>(unique_depth + 1));
    } else if (zero_fraction != 0) {
      total += (unique_path[i].pweight / zero_fraction) /
               ((unique_depth - i) / static_cast<float>(unique_depth + 1));
    }
  }
  return total;
}

}  // namespace

// XGBoost's TreeShap path element (tree_model.cc).
struct TreeEnsemble::PathElement {
  int feature_index;
  float zero_fraction;
  float one_fraction;
  float pweight;
};

// Reads XGBoost's model JSON into a TreeEnsemble: the checks, the refusals,
// the flattening and the tables precomputed for explanations.
class TreeEnsembleBuilder {
 public:
  static absl::StatusOr<TreeEnsemble> Build(absl::string_view model_json) {
    TreeEnsembleBuilder builder;
    FSTORE_RETURN_IF_ERROR(builder.Read(model_json));
    return std::move(builder.ensemble_);
  }

 private:
  using Node = TreeEnsemble::Node;
  using LeafPath = TreeEnsemble::LeafPath;

  absl::Status Read(absl::string_view model_json);
  // num_feature, num_class, num_target, the objective and base_score.
  absl::Status ReadLearnerParams(const JsonObject& learner);
  absl::Status ReadTrees(const JsonObject& learner);
  absl::StatusOr<XgboostTree> ReadTree(const JsonObject& tree, size_t t,
                                       absl::string_view where) const;
  // Appends `tree` to the node arrays, breadth-first from its root.
  absl::Status AddTree(const XgboostTree& tree, absl::string_view where);
  // Groups the trees kLanes at a time for the walk.
  void GroupTrees();

  TreeEnsemble ensemble_;
  std::vector<int> tree_depths_;
};

absl::Status TreeEnsembleBuilder::Read(absl::string_view model_json) {
  FSTORE_ASSIGN_OR_RETURN(const JsonValue document, JsonParser(model_json).ParseDocument());
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* root, AsObject(document, "document"));
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* learner, ObjectMember(*root, "learner", "document"));
  FSTORE_RETURN_IF_ERROR(ReadLearnerParams(*learner));
  FSTORE_RETURN_IF_ERROR(ReadTrees(*learner));
  GroupTrees();
  return absl::OkStatus();
}

absl::Status TreeEnsembleBuilder::ReadLearnerParams(const JsonObject& learner) {
  constexpr absl::string_view kWhere = "learner.learner_model_param";
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* params,
                          ObjectMember(learner, "learner_model_param", "learner"));
  FSTORE_ASSIGN_OR_RETURN(const int64_t num_features,
                          IntParam(*params, "num_feature", kWhere, std::nullopt));
  if (num_features < 1 || num_features > (int64_t{1} << 30)) {
    return ModelError(kWhere, absl::StrCat("num_feature ", num_features, " is out of range"));
  }
  ensemble_.num_features_ = static_cast<int>(num_features);

  FSTORE_ASSIGN_OR_RETURN(const JsonObject* objective_json,
                          ObjectMember(learner, "objective", "learner"));
  FSTORE_ASSIGN_OR_RETURN(ensemble_.objective_,
                          StringMember(*objective_json, "name", "learner.objective"));
  const std::string& objective = ensemble_.objective_;
  FSTORE_ASSIGN_OR_RETURN(const int64_t num_class,
                          IntParam(*params, "num_class", kWhere, int64_t{0}));
  if (num_class > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("multi-class models are not supported for serving: num_class is ", num_class,
                     " (objective ", objective, "); train a binary:logistic model"));
  }
  FSTORE_ASSIGN_OR_RETURN(const int64_t num_target,
                          IntParam(*params, "num_target", kWhere, int64_t{1}));
  if (num_target > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "multi-target models are not supported for serving: num_target is ", num_target));
  }

  // base_score is stored as the user gave it (a probability for logistic
  // objectives); XGBoost 1.7 turns it into a margin in float with the
  // objective's ProbToMargin: the logit for binary:logistic and reg:logistic,
  // the identity for binary:logitraw and reg:squarederror.
  FSTORE_ASSIGN_OR_RETURN(const float base_score, FloatParam(*params, "base_score", kWhere));
  if (objective == "binary:logistic" || objective == "reg:logistic") {
    if (!(base_score > 0.0f && base_score < 1.0f)) {
      return ModelError(
          kWhere, absl::StrCat("base_score ", base_score, " must be in (0, 1) for ", objective));
    }
    ensemble_.base_margin_ = -std::log(1.0f / base_score - 1.0f);
    ensemble_.link_ = TreeEnsemble::Link::kSigmoid;
  } else if (objective == "binary:logitraw" || objective == "reg:squarederror") {
    ensemble_.base_margin_ = base_score;
    ensemble_.link_ = TreeEnsemble::Link::kIdentity;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("objective '", objective,
                     "' is not supported for serving: expected binary:logistic, reg:logistic, "
                     "binary:logitraw or reg:squarederror"));
  }

  // XGBoost 1.7 keeps feature types with the data, but a model saved with
  // them declares them here.
  if (const JsonValue* types = FindMember(learner, "feature_types")) {
    if (const auto* array = std::get_if<JsonArray>(&types->data)) {
      for (size_t i = 0; i < array->size(); ++i) {
        const auto* type = std::get_if<std::string>(&(*array)[i].data);
        if (type != nullptr && *type == "c") {
          return absl::InvalidArgumentError(
              absl::StrCat("categorical features are not supported for serving: feature ", i,
                           " has type \"c\""));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TreeEnsembleBuilder::ReadTrees(const JsonObject& learner) {
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* booster,
                          ObjectMember(learner, "gradient_booster", "learner"));
  FSTORE_ASSIGN_OR_RETURN(const std::string booster_name,
                          StringMember(*booster, "name", "learner.gradient_booster"));
  if (booster_name != "gbtree") {
    return absl::InvalidArgumentError(
        absl::StrCat("booster '", booster_name, "' is not supported for serving: only gbtree"));
  }
  constexpr absl::string_view kWhere = "learner.gradient_booster.model";
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* gbtree,
                          ObjectMember(*booster, "model", "learner.gradient_booster"));
  FSTORE_ASSIGN_OR_RETURN(const JsonArray* trees, ArrayMember(*gbtree, "trees", kWhere));
  FSTORE_ASSIGN_OR_RETURN(const JsonArray* tree_info, ArrayMember(*gbtree, "tree_info", kWhere));
  if (tree_info->size() != trees->size()) {
    return ModelError(kWhere, absl::StrCat(tree_info->size(), " tree_info entries for ",
                                           trees->size(), " trees"));
  }
  for (size_t t = 0; t < tree_info->size(); ++t) {
    FSTORE_ASSIGN_OR_RETURN(const int64_t group,
                            ToInt((*tree_info)[t], absl::StrCat(kWhere, ".tree_info")));
    if (group != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "multi-output models are not supported for serving: tree ", t, " is for output ", group));
    }
  }
  if (trees->empty()) return ModelError(kWhere, "the model has no trees");
  for (size_t t = 0; t < trees->size(); ++t) {
    const std::string where = absl::StrCat(kWhere, ".trees[", t, "]");
    FSTORE_ASSIGN_OR_RETURN(const JsonObject* tree, AsObject((*trees)[t], where));
    FSTORE_ASSIGN_OR_RETURN(const XgboostTree raw, ReadTree(*tree, t, where));
    FSTORE_RETURN_IF_ERROR(AddTree(raw, where));
  }
  return absl::OkStatus();
}

absl::StatusOr<XgboostTree> TreeEnsembleBuilder::ReadTree(const JsonObject& tree, size_t t,
                                                          absl::string_view where) const {
  FSTORE_ASSIGN_OR_RETURN(const JsonObject* tree_param, ObjectMember(tree, "tree_param", where));
  const std::string param_where = absl::StrCat(where, ".tree_param");
  FSTORE_ASSIGN_OR_RETURN(const int64_t num_nodes,
                          IntParam(*tree_param, "num_nodes", param_where, std::nullopt));
  if (num_nodes < 1 || num_nodes > (int64_t{1} << 24)) {
    return ModelError(param_where, absl::StrCat("num_nodes ", num_nodes, " is out of range"));
  }
  FSTORE_ASSIGN_OR_RETURN(const int64_t leaf_vector,
                          IntParam(*tree_param, "size_leaf_vector", param_where, int64_t{0}));
  if (leaf_vector > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("vector-leaf (multi-target) trees are not supported for serving: tree ", t,
                     " has size_leaf_vector ", leaf_vector));
  }
  if (const JsonValue* split_type = FindMember(tree, "split_type")) {
    if (const auto* types = std::get_if<JsonArray>(&split_type->data)) {
      for (size_t i = 0; i < types->size(); ++i) {
        FSTORE_ASSIGN_OR_RETURN(const int64_t type,
                                ToInt((*types)[i], absl::StrCat(where, ".split_type")));
        if (type != 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("categorical splits are not supported for serving: tree ", t, " node ",
                           i, " splits on categories"));
        }
      }
    }
  }
  if (const JsonValue* categories = FindMember(tree, "categories_nodes")) {
    const auto* nodes = std::get_if<JsonArray>(&categories->data);
    if (nodes != nullptr && !nodes->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("categorical splits are not supported for serving: tree ", t, " has ",
                       nodes->size(), " categorical nodes"));
    }
  }
  const size_t n = static_cast<size_t>(num_nodes);
  XgboostTree raw;
  FSTORE_ASSIGN_OR_RETURN(raw.left, ReadArray<int64_t>(tree, "left_children", where, n, ToInt));
  FSTORE_ASSIGN_OR_RETURN(raw.right, ReadArray<int64_t>(tree, "right_children", where, n, ToInt));
  FSTORE_ASSIGN_OR_RETURN(raw.split_index,
                          ReadArray<int64_t>(tree, "split_indices", where, n, ToInt));
  FSTORE_ASSIGN_OR_RETURN(raw.split_condition,
                          ReadArray<float>(tree, "split_conditions", where, n, ToFloat));
  FSTORE_ASSIGN_OR_RETURN(raw.default_left,
                          ReadArray<int64_t>(tree, "default_left", where, n, ToInt));
  FSTORE_ASSIGN_OR_RETURN(raw.sum_hessian,
                          ReadArray<float>(tree, "sum_hessian", where, n, ToFloat));
  return raw;
}

absl::Status TreeEnsembleBuilder::AddTree(const XgboostTree& raw, absl::string_view where) {
  TreeEnsemble& e = ensemble_;
  const int64_t num_nodes = static_cast<int64_t>(raw.left.size());
  if (e.nodes_.size() + raw.left.size() > (size_t{1} << 30)) {
    return ModelError(where, "the model has too many nodes to serve");
  }
  // Breadth-first from the root; nodes the root does not reach (XGBoost's
  // deleted nodes) are dropped. `order[k]` is the XGBoost id of flat node
  // base + k; `parent[k]` is the flat index of its parent.
  const uint32_t base = static_cast<uint32_t>(e.nodes_.size());
  std::vector<int64_t> order = {0};
  std::vector<uint32_t> parent = {base};
  std::vector<int> depth = {0};
  std::vector<bool> seen(raw.left.size(), false);
  seen[0] = true;
  int tree_depth = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const int64_t id = order[k];
    const uint32_t flat = base + static_cast<uint32_t>(k);
    Node node{TreeEnsemble::kLeafBit, raw.split_condition[id], flat};
    if (raw.left[id] != -1) {  // XGBoost's IsLeaf: no left child
      const int64_t left = raw.left[id];
      const int64_t right = raw.right[id];
      if (left < 0 || left >= num_nodes || right < 0 || right >= num_nodes || seen[left] ||
          seen[right] || left == right) {
        return ModelError(where, absl::StrCat("node ", id, " has children ", left, " and ", right,
                                              ", which do not form a tree"));
      }
      const int64_t feature = raw.split_index[id];
      if (feature < 0 || feature >= e.num_features_) {
        return ModelError(where, absl::StrCat("node ", id, " splits on feature ", feature, " of ",
                                              e.num_features_));
      }
      if (depth[k] + 1 > kMaxTreeDepth) {
        return ModelError(where,
                          absl::StrCat("the tree is deeper than ", kMaxTreeDepth, " levels"));
      }
      seen[left] = seen[right] = true;
      node.bits = static_cast<uint32_t>(feature) |
                  (raw.default_left[id] != 0 ? TreeEnsemble::kDefaultLeftBit : 0u);
      node.left = base + static_cast<uint32_t>(order.size());
      for (const int64_t child : {left, right}) {
        order.push_back(child);
        parent.push_back(flat);
        depth.push_back(depth[k] + 1);
      }
      tree_depth = std::max(tree_depth, depth[k] + 1);
    }
    e.nodes_.push_back(node);
    e.covers_.push_back(raw.sum_hessian[id]);
  }

  // Subtree mean values bottom-up (children follow their parent in the flat
  // order), in XGBoost's float operations (FillNodeMeanValue).
  std::vector<float> means(order.size());
  for (size_t k = order.size(); k-- > 0;) {
    const Node& node = e.nodes_[base + k];
    float mean = node.value;
    if ((node.bits & TreeEnsemble::kLeafBit) == 0) {
      const uint32_t l = node.left - base;
      mean = means[l] * e.covers_[base + l];
      mean += means[l + 1] * e.covers_[base + l + 1];
      mean /= e.covers_[base + k];
    }
    means[k] = mean;
  }

  // FAST credits per leaf, as XGBoost's CalculateContributionsApprox sums
  // them for one tree: each step from a node to its child credits the node's
  // feature with the child's mean minus the node's (the last step, to the
  // leaf's own value, credits 0), summed per feature in path order from 0.
  e.leaf_paths_.resize(e.nodes_.size(), LeafPath{0, 0});
  std::vector<uint32_t> path;
  for (size_t k = 0; k < order.size(); ++k) {
    const uint32_t leaf = base + static_cast<uint32_t>(k);
    if ((e.nodes_[leaf].bits & TreeEnsemble::kLeafBit) == 0) continue;
    path.clear();
    for (uint32_t at = leaf; at != base; at = parent[at - base]) path.push_back(at);
    const uint32_t begin = static_cast<uint32_t>(e.path_credits_.size());
    for (size_t step = path.size(); step-- > 0;) {
      const uint32_t child = path[step];
      const uint32_t node = parent[child - base];
      const uint32_t feature = e.nodes_[node].bits & TreeEnsemble::kFeatureMask;
      const float credit = means[child - base] - means[node - base];
      auto credited = e.path_credits_.begin() + begin;
      while (credited != e.path_credits_.end() && credited->feature != feature) ++credited;
      if (credited == e.path_credits_.end()) {
        e.path_credits_.push_back({feature, 0.0f + credit});
      } else {
        credited->credit += credit;
      }
    }
    if (e.path_credits_.size() > (size_t{1} << 28)) {
      return ModelError(where, "the model has too many paths to serve");
    }
    e.leaf_paths_[leaf] = {begin, static_cast<uint32_t>(e.path_credits_.size())};
  }

  // The bias of both explanations sums the trees' root means in tree order.
  e.tree_mean_sum_ += means[0];
  e.tree_roots_.push_back(base);
  tree_depths_.push_back(tree_depth);
  e.max_depth_ = std::max(e.max_depth_, tree_depth);
  return absl::OkStatus();
}

void TreeEnsembleBuilder::GroupTrees() {
  TreeEnsemble& e = ensemble_;
  constexpr size_t kLanes = TreeEnsemble::kLanes;
  for (size_t first = 0; first < tree_depths_.size(); first += kLanes) {
    int group_depth = 0;
    for (size_t t = first; t < first + kLanes; ++t) {
      const size_t tree = std::min(t, tree_depths_.size() - 1);
      e.lane_roots_.push_back(e.tree_roots_[tree]);
      group_depth = std::max(group_depth, tree_depths_[tree]);
    }
    e.group_depths_.push_back(group_depth);
  }
}

absl::StatusOr<TreeEnsemble> TreeEnsemble::FromXgboostJson(absl::string_view model_json) {
  return TreeEnsembleBuilder::Build(model_json);
}

inline uint32_t TreeEnsemble::Next(const Node& node, const float* row) {
  // Right when !(value < threshold), which holds for NaN too; a missing value
  // then flips to left when the default is left. A leaf steps by 0 onto
  // itself.
  const float value = row[node.bits & kFeatureMask];
  const uint32_t missing = std::isnan(value) ? 1u : 0u;
  const uint32_t right = (value < node.value ? 0u : 1u) ^ (missing & (node.bits >> 31));
  const uint32_t is_split = ((node.bits & kLeafBit) >> 30) ^ 1u;
  return node.left + (right & is_split);
}

uint32_t TreeEnsemble::FindLeaf(uint32_t root, const float* row) const {
  uint32_t node = root;
  while ((nodes_[node].bits & kLeafBit) == 0) node = Next(nodes_[node], row);
  return node;
}

double TreeEnsemble::Transform(float margin) const {
  return link_ == Link::kSigmoid ? Sigmoid(margin) : margin;
}

template <typename OnLeaves>
float TreeEnsemble::Walk(const float* row, OnLeaves on_leaves) const {
  // XGBoost starts each prediction at the base margin and adds the trees'
  // leaf values in model order, in float. Trees are walked kLanes at a time,
  // each group for as many steps as its deepest tree (a leaf steps onto
  // itself); the leaves are then taken in tree order.
  const Node* nodes = nodes_.data();
  const size_t num_trees = tree_roots_.size();
  float margin = base_margin_;
  for (size_t group = 0; group < group_depths_.size(); ++group) {
    const size_t first = group * kLanes;
    uint32_t at[kLanes];
    for (int k = 0; k < kLanes; ++k) at[k] = lane_roots_[first + k];
    for (int step = group_depths_[group]; step > 0; --step) {
#pragma GCC unroll 8
      for (int k = 0; k < kLanes; ++k) at[k] = Next(nodes[at[k]], row);
    }
    const int lanes = static_cast<int>(std::min<size_t>(kLanes, num_trees - first));
    for (int k = 0; k < lanes; ++k) margin += nodes[at[k]].value;
    on_leaves(at, lanes);
  }
  return margin;
}

double TreeEnsemble::PredictMargin(const float* row) const {
  return Walk(row, [](const uint32_t*, int) {});
}

double TreeEnsemble::Predict(const float* row) const {
  return Transform(Walk(row, [](const uint32_t*, int) {}));
}

double TreeEnsemble::PredictWithFastContributions(const float* row, float* contributions) const {
  // Each leaf reached adds its path's credits (XGBoost's per-tree sums,
  // precomputed) in tree order; the bias is the trees' mean values plus the
  // base margin, summed as XGBoost sums them.
  std::fill(contributions, contributions + num_features_, 0.0f);
  contributions[num_features_] = tree_mean_sum_ + base_margin_;
  const PathCredit* credits = path_credits_.data();
  const LeafPath* leaf_paths = leaf_paths_.data();
  const float margin = Walk(row, [&](const uint32_t* leaves, int lanes) {
    // The group's leaf paths are fetched together, so that their cache
    // misses overlap.
    LeafPath paths[kLanes];
    for (int k = 0; k < lanes; ++k) {
      paths[k] = leaf_paths[leaves[k]];
      __builtin_prefetch(credits + paths[k].begin);
    }
    for (int k = 0; k < lanes; ++k) {
      for (uint32_t i = paths[k].begin; i < paths[k].end; ++i) {
        contributions[credits[i].feature] += credits[i].credit;
      }
    }
  });
  return Transform(margin);
}

void TreeEnsemble::TreeShap(const float* row, float* phi, uint32_t node_index,
                            unsigned unique_depth, PathElement* parent_unique_path,
                            float parent_zero_fraction, float parent_one_fraction,
                            int parent_feature_index) const {
  // XGBoost's RegTree::TreeShap without the conditioning arguments (which
  // only interaction values use).
  const Node& node = nodes_[node_index];
  PathElement* unique_path = parent_unique_path + unique_depth + 1;
  std::copy(parent_unique_path, parent_unique_path + unique_depth + 1, unique_path);
  ExtendPath(unique_path, unique_depth, parent_zero_fraction, parent_one_fraction,
             parent_feature_index);

  if ((node.bits & kLeafBit) != 0) {
    for (unsigned i = 1; i <= unique_depth; ++i) {
      const float w = UnwoundPathSum(unique_path, unique_depth, i);
      const PathElement& el = unique_path[i];
      phi[el.feature_index] += w * (el.one_fraction - el.zero_fraction) * node.value;
    }
    return;
  }

  const uint32_t split_index = node.bits & kFeatureMask;
  const float value = row[split_index];
  uint32_t hot_index;
  if (std::isnan(value)) {
    hot_index = (node.bits & kDefaultLeftBit) != 0 ? node.left : node.left + 1;
  } else if (value < node.value) {
    hot_index = node.left;
  } else {
    hot_index = node.left + 1;
  }
  const uint32_t cold_index = hot_index == node.left ? node.left + 1 : node.left;
  const float w = covers_[node_index];
  const float hot_zero_fraction = covers_[hot_index] / w;
  const float cold_zero_fraction = covers_[cold_index] / w;
  float incoming_zero_fraction = 1;
  float incoming_one_fraction = 1;

  // If this feature was split on above, undo that split to redo it here.
  unsigned path_index = 0;
  for (; path_index <= unique_depth; ++path_index) {
    if (static_cast<uint32_t>(unique_path[path_index].feature_index) == split_index) break;
  }
  if (path_index != unique_depth + 1) {
    incoming_zero_fraction = unique_path[path_index].zero_fraction;
    incoming_one_fraction = unique_path[path_index].one_fraction;
    UnwindPath(unique_path, unique_depth, path_index);
    unique_depth -= 1;
  }

  TreeShap(row, phi, hot_index, unique_depth + 1, unique_path,
           hot_zero_fraction * incoming_zero_fraction, incoming_one_fraction,
           static_cast<int>(split_index));
  TreeShap(row, phi, cold_index, unique_depth + 1, unique_path,
           cold_zero_fraction * incoming_zero_fraction, 0, static_cast<int>(split_index));
}

double TreeEnsemble::PredictWithExactContributions(const float* row, float* contributions) const {
  // XGBoost's PredictContribution: each tree's values go to a zeroed buffer,
  // which is then added to the row's; the bias is the trees' mean values plus
  // the base margin.
  const size_t columns = static_cast<size_t>(num_features_) + 1;
  std::fill(contributions, contributions + columns - 1, 0.0f);
  contributions[columns - 1] = tree_mean_sum_ + base_margin_;
  const int max_path = max_depth_ + 2;
  std::vector<PathElement> unique_path(static_cast<size_t>(max_path * (max_path + 1) / 2));
  std::vector<float> tree_phi(columns);
  float margin = base_margin_;
  for (const uint32_t root : tree_roots_) {
    std::fill(tree_phi.begin(), tree_phi.end(), 0.0f);
    TreeShap(row, tree_phi.data(), root, 0, unique_path.data(), 1, 1, -1);
    for (size_t c = 0; c + 1 < columns; ++c) contributions[c] += tree_phi[c];
    margin += nodes_[FindLeaf(root, row)].value;
  }
  return Transform(margin);
}

}  // namespace fstore
