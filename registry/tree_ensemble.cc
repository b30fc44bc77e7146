// TreeEnsemble's walk, predictions and explanations (tree_ensemble.h). The
// model JSON is read in tree_ensemble_json.cc.
#include "registry/tree_ensemble.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace fstore {
namespace {

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
