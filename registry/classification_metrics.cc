#include "registry/classification_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

struct ClassCounts {
  int64_t positives = 0;
  int64_t negatives = 0;
};

absl::StatusOr<ClassCounts> CheckInputs(absl::Span<const float> scores,
                                        absl::Span<const float> labels, absl::string_view metric,
                                        bool need_both_classes) {
  if (scores.size() != labels.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(metric, ": ", scores.size(), " scores for ", labels.size(), " labels"));
  }
  if (scores.empty()) return absl::InvalidArgumentError(absl::StrCat(metric, ": no rows"));
  ClassCounts counts;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 1.0f) {
      ++counts.positives;
    } else if (labels[i] == 0.0f) {
      ++counts.negatives;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(metric, ": label of row ", i, " is ", labels[i], ", not 0 or 1"));
    }
    if (std::isnan(scores[i])) {
      return absl::InvalidArgumentError(absl::StrCat(metric, ": score of row ", i, " is NaN"));
    }
  }
  if (need_both_classes && (counts.positives == 0 || counts.negatives == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(metric, " is undefined without both classes: ", counts.positives,
                     " positives and ", counts.negatives, " negatives"));
  }
  return counts;
}

// Row indices ordered by score, descending (ties in index order).
std::vector<size_t> OrderByScoreDescending(absl::Span<const float> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&scores](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

absl::StatusOr<double> RocAuc(absl::Span<const float> scores, absl::Span<const float> labels) {
  FSTORE_ASSIGN_OR_RETURN(const ClassCounts counts, CheckInputs(scores, labels, "AUC", true));
  const std::vector<size_t> order = OrderByScoreDescending(scores);
  // Walk tie groups from the top: a positive beats every negative in later
  // (lower) groups and ties with the negatives of its own group.
  double wins = 0;  // (positive, negative) pairs ranked correctly; ties count 1/2
  int64_t negatives_below = counts.negatives;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    int64_t group_positives = 0;
    int64_t group_negatives = 0;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) {
      (labels[order[end]] == 1.0f ? group_positives : group_negatives) += 1;
      ++end;
    }
    negatives_below -= group_negatives;
    wins += static_cast<double>(group_positives) *
            (static_cast<double>(negatives_below) + 0.5 * static_cast<double>(group_negatives));
    begin = end;
  }
  return wins / (static_cast<double>(counts.positives) * static_cast<double>(counts.negatives));
}

absl::StatusOr<double> AveragePrecision(absl::Span<const float> scores,
                                        absl::Span<const float> labels) {
  FSTORE_ASSIGN_OR_RETURN(const ClassCounts counts,
                          CheckInputs(scores, labels, "average precision", true));
  const std::vector<size_t> order = OrderByScoreDescending(scores);
  double sum = 0;
  int64_t true_positives = 0;
  int64_t predicted_positives = 0;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    int64_t group_positives = 0;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) {
      if (labels[order[end]] == 1.0f) ++group_positives;
      ++end;
    }
    true_positives += group_positives;
    predicted_positives += static_cast<int64_t>(end - begin);
    // recall rises by group_positives / P at precision TP / predicted.
    sum += static_cast<double>(group_positives) * static_cast<double>(true_positives) /
           static_cast<double>(predicted_positives);
    begin = end;
  }
  return sum / static_cast<double>(counts.positives);
}

absl::StatusOr<double> LogLoss(absl::Span<const float> scores, absl::Span<const float> labels,
                               double positive_weight) {
  if (!(std::isfinite(positive_weight) && positive_weight > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("logloss: positive weight ", positive_weight, " is not a finite number > 0"));
  }
  FSTORE_ASSIGN_OR_RETURN(const ClassCounts counts, CheckInputs(scores, labels, "logloss", false));
  double positive_loss = 0;
  double negative_loss = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] < 0.0f || scores[i] > 1.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat("logloss: score of row ", i, " is ", scores[i], ", not a probability"));
    }
    const double p =
        std::clamp(static_cast<double>(scores[i]), kLogLossEpsilon, 1.0 - kLogLossEpsilon);
    if (labels[i] == 1.0f) {
      positive_loss -= std::log(p);
    } else {
      negative_loss -= std::log1p(-p);
    }
  }
  if (positive_weight == 1.0) {
    return (positive_loss + negative_loss) / static_cast<double>(scores.size());
  }
  return (positive_weight * positive_loss + negative_loss) /
         (positive_weight * static_cast<double>(counts.positives) +
          static_cast<double>(counts.negatives));
}

}  // namespace fstore
