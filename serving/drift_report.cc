#include "serving/drift_report.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {

absl::StatusOr<DriftReport> ComputeDriftReport(const ServingLog& log, const ModelVersion& version,
                                               TimestampUs since, TimestampUs until,
                                               const DriftThresholds& thresholds) {
  if (since >= until) {
    return absl::InvalidArgumentError("the drift window is empty");
  }
  if (thresholds.min_serving_values < 1) {
    return absl::InvalidArgumentError(absl::StrCat("the minimum of served values per feature (",
                                                   thresholds.min_serving_values,
                                                   ") must be at least 1"));
  }
  const TimestampUs kept_since = log.options().clock() - log.options().retention;
  if (since < kept_since) {
    return absl::InvalidArgumentError(
        absl::StrCat("the window starts ", FormatDuration(kept_since - since),
                     " before the oldest serving traffic kept (retention ",
                     FormatDuration(log.options().retention), "); use a shorter window"));
  }
  const size_t n = version.binding.feature_names.size();
  std::vector<std::vector<float>> columns(n);
  std::vector<float> scores;
  DriftReport report;
  report.since = since;
  report.until = until;
  report.min_serving_values = thresholds.min_serving_values;
  FSTORE_RETURN_IF_ERROR(log.Scan(since, until, [&](const ServedRequest& r) {
    if (r.model != version.model || r.version != version.version || r.inputs.size() != n) {
      return absl::OkStatus();
    }
    ++report.requests;
    for (size_t i = 0; i < n; ++i) columns[i].push_back(r.inputs[i]);
    scores.push_back(static_cast<float>(r.score));
    return absl::OkStatus();
  }));
  auto statistics_of = [&](absl::string_view name) -> const FeatureStatistics* {
    for (const FeatureStatistics& s : version.feature_statistics) {
      if (s.feature == name) return &s;
    }
    return nullptr;
  };
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = version.binding.feature_names[i];
    if (const FeatureStatistics* s = statistics_of(name)) {
      report.features.push_back(CompareToTraining(*s, columns[i], thresholds));
    } else {
      FeatureDrift d;
      d.feature = name;
      d.serving_count = static_cast<int64_t>(columns[i].size());
      d.status = "no_training_stats";
      report.features.push_back(d);
    }
  }
  if (const FeatureStatistics* s = statistics_of(kPredictionStatistics)) {
    report.prediction = CompareToTraining(*s, scores, thresholds);
  }
  return report;
}

}  // namespace fstore
