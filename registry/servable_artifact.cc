#include "registry/servable_artifact.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

// Enough rows to take each threshold of a small model from both sides, few
// enough that XGBoost's per-call cost dominates; and a bound on the floats
// they hold for wide models.
constexpr int kMaxProbeRows = 33;
constexpr int kMaxProbeCells = 1 << 20;

absl::Status Unservable(const absl::Status& reason) {
  return absl::InvalidArgumentError(absl::StrCat("serving cannot run it: ", reason.message()));
}

// The serving evaluator's reading of model JSON, or why it cannot serve it.
absl::StatusOr<TreeEnsemble> ReadServable(absl::string_view json) {
  absl::StatusOr<TreeEnsemble> ensemble = TreeEnsemble::FromXgboostJson(json);
  if (!ensemble.ok()) return Unservable(ensemble.status());
  if (ensemble->num_features() > kMaxServableFeatures) {
    return Unservable(absl::InvalidArgumentError(
        absl::StrCat("it has ", ensemble->num_features(),
                     " input features, more than the limit of ", kMaxServableFeatures)));
  }
  return ensemble;
}

}  // namespace

std::vector<float> ProbeRows(const TreeEnsemble& ensemble, int max_rows) {
  const size_t width = static_cast<size_t>(ensemble.num_features());
  const std::vector<std::vector<float>> thresholds = ensemble.SplitThresholds();
  size_t most = 0;
  for (const std::vector<float>& t : thresholds) most = std::max(most, t.size());
  // Row 0 is all missing; row r >= 1 takes, for each feature, threshold
  // (r - 1) / 2 (cycled) itself on even r and the float just below it on odd
  // r: the two sides of the split.
  const size_t rows = std::min<size_t>(static_cast<size_t>(std::max(max_rows, 1)), 1 + 2 * most);
  std::vector<float> out(rows * width, 0.0f);
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(width),
            std::numeric_limits<float>::quiet_NaN());
  for (size_t r = 1; r < rows; ++r) {
    for (size_t f = 0; f < width; ++f) {
      const std::vector<float>& t = thresholds[f];
      if (t.empty()) continue;
      const float on = t[((r - 1) / 2 + f) % t.size()];
      out[r * width + f] = r % 2 == 0 ? on : std::nextafter(on, -std::numeric_limits<float>::max());
    }
  }
  return out;
}

absl::Status CheckParity(const TreeEnsemble& ensemble, const XgboostBooster& booster,
                         const std::vector<float>& rows, int num_rows) {
  const int width = ensemble.num_features();
  FSTORE_ASSIGN_OR_RETURN(const std::vector<float> reference,
                          booster.Predict(rows, num_rows, width));
  for (int r = 0; r < num_rows; ++r) {
    const double served = ensemble.Predict(rows.data() + static_cast<size_t>(r) * width);
    const double expected = reference[static_cast<size_t>(r)];
    const bool same =
        (std::isnan(served) && std::isnan(expected)) ||
        std::abs(served - expected) <= kParityTolerance * std::max(1.0, std::abs(expected));
    if (!same) {
      return absl::InvalidArgumentError(
          absl::StrCat("serving predicts ", served, " for probe row ", r,
                       " where XGBoost predicts ", expected, " (tolerance ", kParityTolerance,
                       "): the model uses something the serving evaluator "
                       "reads differently"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ServableArtifact> CheckServableArtifact(absl::string_view bytes) {
  ServableArtifact artifact;
  FSTORE_ASSIGN_OR_RETURN(artifact.format, DetectModelFormat(bytes));
  std::optional<TreeEnsemble> ensemble;
  if (artifact.format == "json") {
    FSTORE_ASSIGN_OR_RETURN(ensemble, ReadServable(bytes));
  }
  FSTORE_ASSIGN_OR_RETURN(const XgboostBooster booster, XgboostBooster::Load(bytes));
  if (!ensemble.has_value()) {
    FSTORE_ASSIGN_OR_RETURN(const std::string json, booster.Save("json"));
    FSTORE_ASSIGN_OR_RETURN(ensemble, ReadServable(json));
  }
  const int width = ensemble->num_features();
  if (booster.NumFeatures() != width) {
    return absl::InvalidArgumentError(absl::StrCat("XGBoost reads ", booster.NumFeatures(),
                                                   " input features where serving reads ", width));
  }
  const int max_rows = std::clamp(kMaxProbeCells / width, 1, kMaxProbeRows);
  const std::vector<float> rows = ProbeRows(*ensemble, max_rows);
  FSTORE_RETURN_IF_ERROR(
      CheckParity(*ensemble, booster, rows, static_cast<int>(rows.size()) / width));
  artifact.num_features = booster.NumFeatures();
  FSTORE_ASSIGN_OR_RETURN(artifact.feature_names, booster.FeatureNames());
  return artifact;
}

}  // namespace fstore
