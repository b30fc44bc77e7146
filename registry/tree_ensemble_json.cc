// TreeEnsemble::FromXgboostJson (tree_ensemble.h): XGBoost's model JSON ->
// the flat node arrays TreeEnsemble walks, with the checks, the refusals and
// the tables precomputed for explanations.
//
// The document is read by nlohmann::basic_json with float as its number
// type: its lexer turns a number's text into a float with one rounding
// (strtof), as XGBoost's own reader does, so thresholds and leaf values are
// bit-exact (tree_ensemble_test.cc checks predictions against XGBoost's).
// Parameters that XGBoost stores as strings ("base_score": "5E-1") are read
// with std::from_chars<float>, also one rounding. Never throws.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "registry/tree_ensemble.h"

namespace fstore {
namespace {

// Numbers parse to float directly (see the comment at the top).
using ModelJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t,
                                       std::uint64_t, float>;

// XGBoost writes non-finite floats as the bare words NaN, Infinity and
// -Infinity, which JSON lacks. They are quoted before parsing (so that a
// document without them is parsed as it is) and read back by ToFloat.
constexpr absl::string_view kNonFinite[] = {"NaN", "-Infinity", "Infinity"};

std::string QuoteNonFiniteNumbers(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    bool quoted = false;
    for (absl::string_view word : kNonFinite) {
      if (text.substr(i, word.size()) == word) {
        absl::StrAppend(&out, "\"", word, "\"");
        i += word.size() - 1;
        quoted = true;
        break;
      }
    }
    if (!quoted) out.push_back(c);
  }
  return out;
}

bool HasNonFiniteNumbers(absl::string_view text) {
  return text.find("NaN") != absl::string_view::npos ||
         text.find("Infinity") != absl::string_view::npos;
}

absl::StatusOr<ModelJson> ParseModelJson(absl::string_view text) {
  std::string quoted;
  absl::string_view input = text;
  if (HasNonFiniteNumbers(text)) {
    quoted = QuoteNonFiniteNumbers(text);
    input = quoted;
  }
  try {
    return ModelJson::parse(input.begin(), input.end());
  } catch (const ModelJson::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1,
    // column 3: syntax error ..."; the byte offset replaces the position.
    absl::string_view what = e.what();
    const size_t colon = what.find(": ");
    if (colon != absl::string_view::npos) what.remove_prefix(colon + 2);
    const size_t offset = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, input.size());
    return absl::InvalidArgumentError(
        absl::StrCat("model JSON is malformed at byte ", offset, " of ", input.size(), ": ", what));
  } catch (const ModelJson::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("model JSON is malformed: ", e.what()));
  }
}

// ---------------------------------------------------------------------------
// Typed access to the model document. `where` names the place in the model
// ("learner.gradient_booster.model.trees[3]") for error messages.
// ---------------------------------------------------------------------------

absl::Status ModelError(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("XGBoost model JSON: ", where, ": ", what));
}

absl::StatusOr<const ModelJson*> AsObject(const ModelJson& value, absl::string_view where) {
  if (value.is_object()) return &value;
  return ModelError(where, "expected an object");
}

const ModelJson* FindMember(const ModelJson& object, absl::string_view key) {
  const auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

absl::StatusOr<const ModelJson*> Member(const ModelJson& object, absl::string_view key,
                                        absl::string_view where) {
  if (const ModelJson* value = FindMember(object, key)) return value;
  return ModelError(where, absl::StrCat("missing \"", key, "\""));
}

absl::StatusOr<const ModelJson*> ObjectMember(const ModelJson& object, absl::string_view key,
                                              absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* value, Member(object, key, where));
  return AsObject(*value, absl::StrCat(where, ".", key));
}

absl::StatusOr<const ModelJson*> ArrayMember(const ModelJson& object, absl::string_view key,
                                             absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* value, Member(object, key, where));
  if (value->is_array()) return value;
  return ModelError(absl::StrCat(where, ".", key), "expected an array");
}

absl::StatusOr<std::string> StringMember(const ModelJson& object, absl::string_view key,
                                         absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* value, Member(object, key, where));
  if (value->is_string()) return value->get<std::string>();
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

// A number, or one of XGBoost's non-finite words (see QuoteNonFiniteNumbers).
// An integer converts to the nearest float, which is what reading its text
// as a float gives.
absl::StatusOr<float> ToFloat(const ModelJson& value, absl::string_view where) {
  if (value.is_number_float()) return value.get<float>();
  if (value.is_number_integer()) {  // signed or unsigned
    return value.is_number_unsigned() ? static_cast<float>(value.get<uint64_t>())
                                      : static_cast<float>(value.get<int64_t>());
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "NaN") return std::numeric_limits<float>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<float>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<float>::infinity();
  }
  return ModelError(where, "expected a number");
}

// An integer, or a boolean as 0/1 (XGBoost writes default_left either way).
absl::StatusOr<int64_t> ToInt(const ModelJson& value, absl::string_view where) {
  if (value.is_number_unsigned()) {
    const uint64_t n = value.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return ModelError(where, absl::StrCat("'", n, "' is not an integer"));
    }
    return static_cast<int64_t>(n);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    return ModelError(where, absl::StrCat("'", value.dump(), "' is not an integer"));
  }
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  return ModelError(where, "expected an integer");
}

// XGBoost stores parameters as strings ("num_feature": "40",
// "base_score": "5E-1"). An absent optional parameter reads as `fallback`.
absl::StatusOr<int64_t> IntParam(const ModelJson& object, absl::string_view key,
                                 absl::string_view where, std::optional<int64_t> fallback) {
  const ModelJson* value = FindMember(object, key);
  if (value == nullptr) {
    if (fallback.has_value()) return *fallback;
    return ModelError(where, absl::StrCat("missing \"", key, "\""));
  }
  const std::string place = absl::StrCat(where, ".", key);
  if (value->is_string()) return TextToInt(value->get_ref<const std::string&>(), place);
  return ToInt(*value, place);
}

absl::StatusOr<float> FloatParam(const ModelJson& object, absl::string_view key,
                                 absl::string_view where) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* value, Member(object, key, where));
  const std::string place = absl::StrCat(where, ".", key);
  if (value->is_string()) return TextToFloat(value->get_ref<const std::string&>(), place);
  return ToFloat(*value, place);
}

template <typename T, typename Convert>
absl::StatusOr<std::vector<T>> ReadArray(const ModelJson& tree, absl::string_view key,
                                         absl::string_view where, size_t expected_size,
                                         Convert convert) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* array, ArrayMember(tree, key, where));
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

}  // namespace

// Reads XGBoost's model JSON into a TreeEnsemble (a friend): the checks, the
// refusals, the flattening and the tables precomputed for explanations.
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
  absl::Status ReadLearnerParams(const ModelJson& learner);
  absl::Status ReadTrees(const ModelJson& learner);
  absl::StatusOr<XgboostTree> ReadTree(const ModelJson& tree, size_t t,
                                       absl::string_view where) const;
  // Appends `tree` to the node arrays, breadth-first from its root.
  absl::Status AddTree(const XgboostTree& tree, absl::string_view where);
  // Groups the trees kLanes at a time for the walk.
  void GroupTrees();

  TreeEnsemble ensemble_;
  std::vector<int> tree_depths_;
};

absl::Status TreeEnsembleBuilder::Read(absl::string_view model_json) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson document, ParseModelJson(model_json));
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* root, AsObject(document, "document"));
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* learner, ObjectMember(*root, "learner", "document"));
  FSTORE_RETURN_IF_ERROR(ReadLearnerParams(*learner));
  FSTORE_RETURN_IF_ERROR(ReadTrees(*learner));
  GroupTrees();
  return absl::OkStatus();
}

absl::Status TreeEnsembleBuilder::ReadLearnerParams(const ModelJson& learner) {
  constexpr absl::string_view kWhere = "learner.learner_model_param";
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* params,
                          ObjectMember(learner, "learner_model_param", "learner"));
  FSTORE_ASSIGN_OR_RETURN(const int64_t num_features,
                          IntParam(*params, "num_feature", kWhere, std::nullopt));
  if (num_features < 1 || num_features > (int64_t{1} << 30)) {
    return ModelError(kWhere, absl::StrCat("num_feature ", num_features, " is out of range"));
  }
  ensemble_.num_features_ = static_cast<int>(num_features);

  FSTORE_ASSIGN_OR_RETURN(const ModelJson* objective_json,
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
  if (!std::isfinite(base_score)) {
    return ModelError(kWhere, absl::StrCat("base_score ", base_score, " is not a finite number"));
  }
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
  if (const ModelJson* types = FindMember(learner, "feature_types")) {
    if (types->is_array()) {
      for (size_t i = 0; i < types->size(); ++i) {
        const ModelJson& type = (*types)[i];
        if (type.is_string() && type.get_ref<const std::string&>() == "c") {
          return absl::InvalidArgumentError(
              absl::StrCat("categorical features are not supported for serving: feature ", i,
                           " has type \"c\""));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TreeEnsembleBuilder::ReadTrees(const ModelJson& learner) {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* booster,
                          ObjectMember(learner, "gradient_booster", "learner"));
  FSTORE_ASSIGN_OR_RETURN(const std::string booster_name,
                          StringMember(*booster, "name", "learner.gradient_booster"));
  if (booster_name != "gbtree") {
    return absl::InvalidArgumentError(
        absl::StrCat("booster '", booster_name, "' is not supported for serving: only gbtree"));
  }
  constexpr absl::string_view kWhere = "learner.gradient_booster.model";
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* gbtree,
                          ObjectMember(*booster, "model", "learner.gradient_booster"));
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* trees, ArrayMember(*gbtree, "trees", kWhere));
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* tree_info, ArrayMember(*gbtree, "tree_info", kWhere));
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
    FSTORE_ASSIGN_OR_RETURN(const ModelJson* tree, AsObject((*trees)[t], where));
    FSTORE_ASSIGN_OR_RETURN(const XgboostTree raw, ReadTree(*tree, t, where));
    FSTORE_RETURN_IF_ERROR(AddTree(raw, where));
  }
  return absl::OkStatus();
}

absl::StatusOr<XgboostTree> TreeEnsembleBuilder::ReadTree(const ModelJson& tree, size_t t,
                                                          absl::string_view where) const {
  FSTORE_ASSIGN_OR_RETURN(const ModelJson* tree_param, ObjectMember(tree, "tree_param", where));
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
  if (const ModelJson* types = FindMember(tree, "split_type")) {
    if (types->is_array()) {
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
  if (const ModelJson* nodes = FindMember(tree, "categories_nodes")) {
    if (nodes->is_array() && !nodes->empty()) {
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

std::vector<std::vector<float>> TreeEnsemble::SplitThresholds() const {
  std::vector<std::vector<float>> thresholds(static_cast<size_t>(num_features_));
  for (const Node& node : nodes_) {
    if ((node.bits & kLeafBit) != 0 || std::isnan(node.value)) continue;
    thresholds[node.bits & kFeatureMask].push_back(node.value);
  }
  for (std::vector<float>& feature : thresholds) {
    std::sort(feature.begin(), feature.end());
    feature.erase(std::unique(feature.begin(), feature.end()), feature.end());
  }
  return thresholds;
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

}  // namespace fstore
