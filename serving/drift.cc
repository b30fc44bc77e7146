#include "serving/drift.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace fstore {
namespace {

constexpr double kMinShare = 1e-4;

}  // namespace

double KsPValue(double d, int64_t n1, int64_t n2) {
  if (n1 <= 0 || n2 <= 0 || d <= 0) return 1.0;
  const double ne =
      static_cast<double>(n1) * static_cast<double>(n2) / static_cast<double>(n1 + n2);
  const double root = std::sqrt(ne);
  const double lambda = (root + 0.12 + 0.11 / root) * d;
  // Q_KS(lambda) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2)
  double sum = 0, sign = 1, previous = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = sign * 2 * std::exp(-2.0 * k * k * lambda * lambda);
    sum += term;
    if (std::fabs(term) <= 1e-10 * std::fabs(previous) || std::fabs(term) <= 1e-12 * sum) {
      return std::clamp(sum, 0.0, 1.0);
    }
    sign = -sign;
    previous = term;
  }
  return 1.0;  // did not converge: lambda is tiny, the samples agree
}

bool DriftAssessed(absl::string_view status) {
  return status == "ok" || status == "warn" || status == "drift";
}

FeatureDrift CompareToTraining(const FeatureStatistics& training, absl::Span<const float> serving,
                               const DriftThresholds& thresholds) {
  FeatureDrift out;
  out.feature = training.feature;
  out.serving_count = static_cast<int64_t>(serving.size());
  std::vector<float> values;
  values.reserve(serving.size());
  for (float v : serving) {
    if (std::isnan(v)) {
      ++out.serving_missing;
    } else {
      values.push_back(v);
    }
  }
  out.training_missing_rate =
      training.count > 0 ? static_cast<double>(training.missing) / training.count : 0;
  out.serving_missing_rate =
      out.serving_count > 0 ? static_cast<double>(out.serving_missing) / out.serving_count : 0;
  if (out.serving_count == 0) {
    out.status = "no_data";
    return out;
  }
  const size_t bins = training.bin_counts.size();
  int64_t training_total = 0;
  for (int64_t c : training.bin_counts) training_total += c;
  if (bins > 0 && training_total > 0 && !values.empty()) {
    std::sort(values.begin(), values.end());
    // Serving counts per training bin: bin i is [edge i, edge i+1), the last
    // closed; values outside the edges fall into the end bins.
    std::vector<int64_t> counts(bins, 0);
    for (float v : values) {
      const auto upper = std::upper_bound(training.bin_edges.begin(), training.bin_edges.end(), v);
      int64_t bin = static_cast<int64_t>(upper - training.bin_edges.begin()) - 1;
      bin = std::clamp<int64_t>(bin, 0, static_cast<int64_t>(bins) - 1);
      ++counts[bin];
    }
    double psi = 0;
    for (size_t i = 0; i < bins; ++i) {
      const double p =
          std::max(kMinShare, static_cast<double>(training.bin_counts[i]) / training_total);
      const double q = std::max(kMinShare, static_cast<double>(counts[i]) / values.size());
      psi += (q - p) * std::log(q / p);
    }
    out.psi = psi;
    // KS at the inner edges: the share of each side below the edge.
    double below_training = 0, d = 0;
    for (size_t j = 1; j < bins; ++j) {
      below_training += static_cast<double>(training.bin_counts[j - 1]) / training_total;
      const double edge = training.bin_edges[j];
      const double below_serving =
          static_cast<double>(std::lower_bound(values.begin(), values.end(), edge) -
                              values.begin()) /
          values.size();
      d = std::max(d, std::fabs(below_training - below_serving));
    }
    out.ks_d = d;
    out.ks_p_value = KsPValue(d, training_total, static_cast<int64_t>(values.size()));
  }
  if (values.empty()) {
    out.status = "no_data";
  } else if (static_cast<int64_t>(values.size()) < thresholds.min_serving_values) {
    out.status = "insufficient_data";
  } else if (out.psi >= thresholds.psi_drift ||
             (out.ks_p_value < thresholds.ks_p_value && out.ks_d >= thresholds.ks_min_d)) {
    out.status = "drift";
  } else if (out.psi >= thresholds.psi_warn) {
    out.status = "warn";
  } else {
    out.status = "ok";
  }
  return out;
}

}  // namespace fstore
