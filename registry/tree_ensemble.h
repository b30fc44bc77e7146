// TreeEnsemble: an XGBoost tree ensemble flattened for serving (docs/design.md §4,
// §5). XGBoost's predictor costs 110-250 us per call; a TreeEnsemble walks
// contiguous node arrays instead and returns what XGBoost 1.7 returns for the
// same model and row: trees are summed in float, in model order, onto the
// base margin, and the link is XGBoost's float sigmoid.
//
// Supported: booster "gbtree" (any num_parallel_tree), one output, numerical
// splits; objectives binary:logistic and reg:logistic (Predict gives a
// probability), binary:logitraw and reg:squarederror (Predict gives the
// margin). Anything else is refused when the ensemble is built.
//
// A row is num_features() floats; NaN means missing and takes the split's
// default direction. Explanations are in margin space, num_features() + 1
// floats, the last being the bias (expected margin), and sum to the margin up
// to float rounding:
//   FAST  = Saabas path attribution, XGBoost's pred_contribs with
//           approx_contribs, computed on the prediction's own walk;
//   EXACT = TreeSHAP, XGBoost's pred_contribs.
//
// Thread-safety: immutable once built; every const method may be called from
// any number of threads at once.
#ifndef FSTORE_REGISTRY_TREE_ENSEMBLE_H_
#define FSTORE_REGISTRY_TREE_ENSEMBLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

class TreeEnsemble {
 public:
  // Builds the ensemble from the JSON that XGBoosterSaveModelToBuffer writes
  // with {"format":"json"} (convert an UBJSON artifact first with
  // XgboostBooster::Save("json")). InvalidArgument naming the cause when the
  // text is not JSON (with the byte offset), is not an XGBoost model, or uses
  // what serving does not support (dart or gblinear, multi-class or
  // multi-target, categorical splits, another objective), or is inconsistent
  // (a child index out of range, a split on a feature the model lacks, a
  // base_score that is not finite). Never throws.
  static absl::StatusOr<TreeEnsemble> FromXgboostJson(absl::string_view model_json);

  // Input width: the model's num_feature.
  int num_features() const { return num_features_; }
  int num_trees() const { return static_cast<int>(tree_roots_.size()); }
  // The XGBoost objective name, e.g. "binary:logistic".
  const std::string& objective() const { return objective_; }
  // The margin every prediction starts from (base_score through the
  // objective's ProbToMargin, e.g. logit(0.5) = 0).
  float base_margin() const { return base_margin_; }

  // For each input feature, the distinct thresholds its splits compare with,
  // ascending (empty for a feature no split uses): what a caller needs to
  // build rows that reach every branch (registry/servable_artifact.h).
  std::vector<std::vector<float>> SplitThresholds() const;

  // The margin (XGBoost's output_margin) for `row` (num_features() floats).
  double PredictMargin(const float* row) const;
  // The prediction after the objective's link (a probability for logistic
  // objectives), as XGBoost's Predict.
  double Predict(const float* row) const;

  // Predict(row), and FAST contributions written to `contributions`
  // (num_features() + 1 floats, owned by the caller; overwritten). Allocates
  // nothing.
  double PredictWithFastContributions(const float* row, float* contributions) const;
  // Predict(row), and EXACT (TreeSHAP) contributions written to
  // `contributions` (num_features() + 1 floats; overwritten). Allocates
  // scratch space.
  double PredictWithExactContributions(const float* row, float* contributions) const;

 private:
  // One tree node, 12 bytes; the two children of a split sit side by side
  // (right = left + 1). A tree's nodes are contiguous, in breadth-first order.
  struct Node {
    // Feature index in bits 0-29 (0 for leaves), kLeafBit for leaves,
    // kDefaultLeftBit for splits whose missing values go left.
    uint32_t bits;
    // Split: go left when the value is < threshold. Leaf: the leaf value.
    float value;
    // Split: index of the left child in nodes_. Leaf: its own index, so that
    // a walk of fixed length stays on the leaf once there.
    uint32_t left;
  };
  static constexpr uint32_t kFeatureMask = 0x3FFFFFFFu;
  static constexpr uint32_t kLeafBit = 0x40000000u;
  static constexpr uint32_t kDefaultLeftBit = 0x80000000u;
  // Trees walked side by side: independent walks overlap their memory
  // latency and their branch-free steps.
  static constexpr int kLanes = 8;

  enum class Link { kIdentity, kSigmoid };

  friend class TreeEnsembleBuilder;  // reads the model JSON (tree_ensemble_json.cc)

  // A leaf's FAST credits: path_credits_[begin, end).
  struct LeafPath {
    uint32_t begin;
    uint32_t end;
  };
  struct PathCredit {
    uint32_t feature;
    float credit;
  };

  TreeEnsemble() = default;

  // The node after `node` for `row` (`node` itself for a leaf); no branches.
  static uint32_t Next(const Node& node, const float* row);
  // The leaf reached from `root` for `row`.
  uint32_t FindLeaf(uint32_t root, const float* row) const;
  // Walks every tree for `row` and returns the margin; calls
  // on_leaves(const uint32_t* leaves, int count) with the leaves reached,
  // kLanes trees at a time, in tree order.
  template <typename OnLeaves>
  float Walk(const float* row, OnLeaves on_leaves) const;
  // The prediction after the link for a margin.
  double Transform(float margin) const;
  // Adds one tree's TreeSHAP values to `phi` (XGBoost's RegTree::TreeShap).
  struct PathElement;
  void TreeShap(const float* row, float* phi, uint32_t node, unsigned unique_depth,
                PathElement* parent_unique_path, float parent_zero_fraction,
                float parent_one_fraction, int parent_feature_index) const;

  int num_features_ = 0;
  std::string objective_;
  Link link_ = Link::kIdentity;
  float base_margin_ = 0.0f;
  int max_depth_ = 0;  // deepest tree, in edges from the root

  std::vector<uint32_t> tree_roots_;  // index of each tree's root in nodes_
  // tree_roots_ padded to a multiple of kLanes with the last root, and the
  // depth of the deepest tree of each group of kLanes trees.
  std::vector<uint32_t> lane_roots_;
  std::vector<int> group_depths_;
  std::vector<Node> nodes_;  // all trees, hot data for the walk
  // Read by explanations only. Parallel to nodes_: each node's cover (sum of
  // hessians) and, for leaves, its FAST credits: for each feature on the path
  // from the root, the change in subtree mean value along the path (XGBoost's
  // FillNodeMeanValues and CalculateContributionsApprox), summed per feature.
  std::vector<float> covers_;
  std::vector<LeafPath> leaf_paths_;
  std::vector<PathCredit> path_credits_;
  // The trees' root mean values summed in tree order: the bias before the
  // base margin.
  float tree_mean_sum_ = 0.0f;
};

}  // namespace fstore

#endif  // FSTORE_REGISTRY_TREE_ENSEMBLE_H_
