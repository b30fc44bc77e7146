// Binary classification metrics over scores and 0/1 labels, computed exactly
// (every distinct score is a threshold; no binning or sampling).
//
//   RocAuc: the area under the ROC curve, i.e. the probability that a random
//     positive scores above a random negative, ties counting one half
//     (Mann-Whitney U / (P * N) with tied scores given their average rank).
//     Equals sklearn.metrics.roc_auc_score.
//   AveragePrecision (PR-AUC): sum over thresholds t (each distinct score,
//     from highest to lowest, tied scores entering together) of
//     (recall(t) - recall(previous t)) * precision(t), where precision(t) and
//     recall(t) count the rows scoring >= t. No interpolation: equals
//     sklearn.metrics.average_precision_score, not the trapezoidal area.
//   LogLoss: -mean(y ln p + (1 - y) ln(1 - p)) with p clipped to
//     [kLogLossEpsilon, 1 - kLogLossEpsilon]. With positive_weight w != 1,
//     the weighted mean where each positive row weighs w and each negative 1
//     (sum of w_i * loss_i / sum of w_i): the loss XGBoost minimizes with
//     scale_pos_weight = w. w must be finite and > 0.
//
// Inputs: `scores` and `labels` of equal, non-zero length; labels exactly 0
// or 1; scores not NaN (LogLoss also wants them in [0, 1]). RocAuc and
// AveragePrecision need both classes present. Any violation is
// InvalidArgument naming the row (or the missing class). Sums are in double.
// Thread-compatible: pure functions.
#ifndef FSTORE_REGISTRY_CLASSIFICATION_METRICS_H_
#define FSTORE_REGISTRY_CLASSIFICATION_METRICS_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fstore {

inline constexpr double kLogLossEpsilon = 1e-15;

absl::StatusOr<double> RocAuc(absl::Span<const float> scores, absl::Span<const float> labels);

absl::StatusOr<double> AveragePrecision(absl::Span<const float> scores,
                                        absl::Span<const float> labels);

absl::StatusOr<double> LogLoss(absl::Span<const float> scores, absl::Span<const float> labels,
                               double positive_weight = 1.0);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_CLASSIFICATION_METRICS_H_
