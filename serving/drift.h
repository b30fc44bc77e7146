// Drift: how far serving inputs have moved from what a model was trained on,
// per feature, against the FeatureStatistics stored on the model version.
//
//   PSI (population stability index) over the training histogram's bins:
//     sum_i (q_i - p_i) * ln(q_i / p_i), p_i / q_i the training / serving
//     share of non-missing values in bin i (bins as in FeatureStatistics;
//     serving values below the first edge count in the first bin, above the
//     last edge in the last), each share floored at 1e-4 so an empty bin
//     stays finite. Rule of thumb: < 0.1 stable, 0.1-0.2 moving, > 0.2
//     shifted.
//   KS: the two-sample Kolmogorov-Smirnov statistic D, evaluated at the
//     training histogram's bin edges (the training sample itself is not
//     stored, so D is a lower bound of the exact statistic), with the
//     asymptotic p-value for effective size n1*n2/(n1+n2).
//   Missing rates of both sides.
//
// A feature is "no_data" without served (non-missing) values;
// "insufficient_data" with fewer than min_serving_values of them (PSI and
// KS are still computed, but on so few values they say nothing: 2 requests
// can give PSI 2.4); else "drift" when PSI >= psi_drift, or when the KS
// p-value is below ks_p_value and D >= ks_min_d (large samples make any
// difference significant, so an effect size is required too); "warn" when
// PSI >= psi_warn; else "ok".
#ifndef FSTORE_SERVING_DRIFT_H_
#define FSTORE_SERVING_DRIFT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "registry/model_registry.h"

namespace fstore {

inline constexpr int64_t kDefaultMinServingValues = 100;

struct DriftThresholds {
  double psi_warn = 0.1;
  double psi_drift = 0.2;
  double ks_p_value = 0.01;
  double ks_min_d = 0.1;
  // Served (non-missing) values a feature needs to be assessed at all.
  // Default: 100.
  int64_t min_serving_values = kDefaultMinServingValues;
};

struct FeatureDrift {
  std::string feature;
  int64_t serving_count = 0;    // values seen, missing included
  int64_t serving_missing = 0;  // NaN values
  double psi = 0;
  double ks_d = 0;
  double ks_p_value = 1;
  double training_missing_rate = 0;
  double serving_missing_rate = 0;
  // "ok", "warn", "drift", "insufficient_data", "no_data" (and, from
  // drift_report.h, "no_training_stats").
  std::string status;
};

// Whether `status` is a verdict on the feature ("ok", "warn", "drift"), as
// opposed to a reason it could not be assessed.
bool DriftAssessed(absl::string_view status);

// `serving` holds one value per scored request; NaN is missing. Training
// statistics without bins give PSI 0 and KS D 0 (nothing to compare).
FeatureDrift CompareToTraining(const FeatureStatistics& training, absl::Span<const float> serving,
                               const DriftThresholds& thresholds = {});

// The asymptotic Kolmogorov-Smirnov p-value of statistic `d` for samples of
// n1 and n2 values (Numerical Recipes' probks with the Stephens correction).
double KsPValue(double d, int64_t n1, int64_t n2);

}  // namespace fstore

#endif  // FSTORE_SERVING_DRIFT_H_
