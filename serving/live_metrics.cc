#include "serving/live_metrics.h"

#include <vector>

#include "common/status_macros.h"
#include "registry/classification_metrics.h"

namespace fstore {

absl::StatusOr<LiveMetrics> ComputeLiveMetrics(const FeedbackStore& feedback,
                                               const ModelVersion& version, TimestampUs since,
                                               TimestampUs until) {
  LiveMetrics m;
  m.model = version.model;
  m.version = version.version;
  m.since = since;
  m.until = until;
  const RiskThreshold* high = nullptr;
  // Equal thresholds: the last one, the narrowest bucket as train orders
  // them (medium and high tie when few rows score apart).
  for (const RiskThreshold& t : version.risk_thresholds) {
    if (high == nullptr || t.min_score >= high->min_score) high = &t;
  }
  if (high != nullptr) {
    m.high_bucket = high->bucket;
    m.high_min_score = high->min_score;
  }
  std::vector<float> scores;
  std::vector<float> labels;
  FSTORE_RETURN_IF_ERROR(feedback.Scan(version.model, since, until, [&](const LabelledRequest& l) {
    if (l.served.version != version.version) return absl::OkStatus();
    scores.push_back(static_cast<float>(l.served.score));
    labels.push_back(static_cast<float>(l.label));
    m.positives += l.label;
    if (high != nullptr && l.served.score >= high->min_score) {
      ++m.alerts;
      m.true_alerts += l.label;
    }
    return absl::OkStatus();
  }));
  m.labelled = static_cast<int64_t>(labels.size());
  if (m.positives > 0 && m.positives < m.labelled) {
    FSTORE_ASSIGN_OR_RETURN(m.auc, RocAuc(scores, labels));
  }
  if (high != nullptr && m.alerts > 0) {
    m.precision_at_high = static_cast<double>(m.true_alerts) / static_cast<double>(m.alerts);
  }
  if (high != nullptr && m.positives > 0) {
    m.recall_at_high = static_cast<double>(m.true_alerts) / static_cast<double>(m.positives);
  }
  return m;
}

}  // namespace fstore
