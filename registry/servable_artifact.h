// ServableArtifact: what registration checks before it accepts model bytes:
// that serving can run them, and runs them as XGBoost does.
//
// CheckServableArtifact loads the bytes twice, the way serving will
// (TreeEnsemble, serving/scorer.cc) and the way XGBoost does (the reference),
// and predicts a few probe rows with both:
//   - JSON is read by the serving evaluator first, so that a document it
//     refuses (gblinear or dart boosters, objectives other than the four it
//     serves, multi-class or multi-target models, categorical splits, a
//     child index out of range, a split on a feature the model lacks, a
//     base_score that is not finite, more than kMaxServableFeatures
//     inputs) is refused with that reason before XGBoost's loader sees it. UBJSON is loaded by
//     XGBoost and converted to JSON first, as serving does.
//   - The probe rows (ProbeRows) put every split feature just below and on
//     its thresholds, plus an all-missing row; any prediction that differs
//     from XGBoost's by more than kParityTolerance refuses the artifact,
//     naming the row and both predictions.
//
// Errors: InvalidArgument naming the reason ("serving cannot run it: ...",
// "XGBoost refused ...", "serving predicts ... where XGBoost predicts ...").
// Thread-safety: pure functions, safe from any thread.
#ifndef FSTORE_REGISTRY_SERVABLE_ARTIFACT_H_
#define FSTORE_REGISTRY_SERVABLE_ARTIFACT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/tree_ensemble.h"
#include "registry/xgboost_booster.h"

namespace fstore {

// What registration learns from an artifact it accepts.
struct ServableArtifact {
  std::string format;  // "json" | "ubjson"
  int64_t num_features = 0;
  // The booster's feature names in input order; empty when it has none.
  std::vector<std::string> feature_names;
};

// Serving and XGBoost agree to the bit on every supported model
// (tree_ensemble_test.cc); the tolerance only absorbs the last float ulp.
inline constexpr double kParityTolerance = 1e-6;

// The widest model registration accepts (a feature service binds far fewer
// inputs; the bound keeps the probe rows small).
inline constexpr int kMaxServableFeatures = 1 << 16;

// The checks above. Error messages do not name the artifact; callers do.
absl::StatusOr<ServableArtifact> CheckServableArtifact(absl::string_view bytes);

// Rows (row-major, ensemble.num_features() floats each) that walk many
// branches of `ensemble`: one all-missing row, then rows that set each split
// feature on and just below its thresholds, cycling through them; features
// no split uses are 0. At most `max_rows` rows (>= 1).
std::vector<float> ProbeRows(const TreeEnsemble& ensemble, int max_rows);

// OK when `booster` and `ensemble` predict the same for each of `num_rows`
// rows in `rows`; else InvalidArgument naming the first differing row, the
// two predictions and the tolerance.
absl::Status CheckParity(const TreeEnsemble& ensemble, const XgboostBooster& booster,
                         const std::vector<float>& rows, int num_rows);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_SERVABLE_ARTIFACT_H_
