// DriftReport: the drift of one model version's serving traffic in a time
// window (serving/drift.h per feature), read from the serving log.
//
// Features are the version's bound inputs in order, each compared with the
// training statistics recorded on the version under the same name; inputs
// without training statistics are reported with status "no_training_stats".
// The prediction is compared with the statistics named kPredictionStatistics
// (registry/model_registry.h; training records its out-of-fold predictions
// under that name).
#ifndef FSTORE_SERVING_DRIFT_REPORT_H_
#define FSTORE_SERVING_DRIFT_REPORT_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/model_registry.h"
#include "serving/drift.h"
#include "serving/serving_log.h"

namespace fstore {

struct DriftReport {
  TimestampUs since = 0;
  TimestampUs until = 0;
  int64_t requests = 0;
  int64_t min_serving_values = 0;  // the thresholds' minimum, as applied
  std::vector<FeatureDrift> features;
  std::optional<FeatureDrift> prediction;
};

// InvalidArgument when the window reaches further back than the log keeps
// (since < now - retention) or is empty, or when
// thresholds.min_serving_values is below 1.
absl::StatusOr<DriftReport> ComputeDriftReport(const ServingLog& log, const ModelVersion& version,
                                               TimestampUs since, TimestampUs until,
                                               const DriftThresholds& thresholds = {});

}  // namespace fstore

#endif  // FSTORE_SERVING_DRIFT_REPORT_H_
