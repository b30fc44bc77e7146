// LiveMetrics: how a model version does on labelled traffic (issue 8): the
// requests it served in a window that have a label (FeedbackStore), with
//   auc: ROC AUC of the served scores (registry/classification_metrics.h),
//     when both classes are present;
//   the high-risk bucket: the version's risk threshold with the largest
//     min_score (the last of those tied); alerts are labelled requests
//     scoring >= it;
//   precision_at_high: positives among alerts (when there are alerts);
//   recall_at_high: alerts among positives (when there are positives).
// A version without risk thresholds has no high bucket and no precision or
// recall. Scores are the ones served, not recomputed.
// Thread-compatible: a pure function over the store's records.
#ifndef FSTORE_SERVING_LIVE_METRICS_H_
#define FSTORE_SERVING_LIVE_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/time_util.h"
#include "registry/model_registry.h"
#include "serving/feedback_store.h"

namespace fstore {

struct LiveMetrics {
  std::string model;
  int64_t version = 0;
  TimestampUs since = 0;
  TimestampUs until = 0;
  int64_t labelled = 0;
  int64_t positives = 0;
  std::optional<double> auc;
  std::string high_bucket;  // empty without risk thresholds
  double high_min_score = 0;
  int64_t alerts = 0;       // labelled requests scoring >= high_min_score
  int64_t true_alerts = 0;  // alerts labelled 1
  std::optional<double> precision_at_high;
  std::optional<double> recall_at_high;
};

// Over the requests `version` served in [since, until) that have a label.
absl::StatusOr<LiveMetrics> ComputeLiveMetrics(const FeedbackStore& feedback,
                                               const ModelVersion& version, TimestampUs since,
                                               TimestampUs until);

}  // namespace fstore

#endif  // FSTORE_SERVING_LIVE_METRICS_H_
