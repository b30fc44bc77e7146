// XgboostBooster: an owned XGBoost booster (BoosterHandle), loaded from model
// bytes. xgboost_booster.cc and xgboost_trainer.cc are the only places fstore
// talks to XGBoost's C API, through xgboost_c_api.h, where XGBoost's
// "-1 + XGBGetLastError()" becomes an absl::Status in exactly one function.
//
// Serving evaluates trees natively (docs/design.md §5); XGBoost stays the loader
// that validates artifacts at registration, the reference for parity tests,
// and the trainer.
//
// Thread-safety: Load, DetectModelFormat and the TrainBoosterForTesting overloads may be
// called from any thread. One XgboostBooster is not safe for concurrent use:
// give each thread its own, or synchronize externally.
#ifndef FSTORE_REGISTRY_XGBOOST_BOOSTER_H_
#define FSTORE_REGISTRY_XGBOOST_BOOSTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

// The serialization of a model: "json" (text JSON: '{' then '"', with any
// JSON whitespace before and between them, as a pretty-printed document has)
// or "ubjson" (Universal Binary JSON, '{' then a type marker), the two
// formats XGBoosterSaveModelToBuffer writes. Anything else (XGBoost's
// deprecated binary format included) is InvalidArgument: XGBoost's legacy
// loader trusts sizes read from the bytes, so unknown bytes never reach it.
absl::StatusOr<std::string> DetectModelFormat(absl::string_view bytes);

class XgboostBooster {
 public:
  // Loads a model from JSON (compact or indented) or UBJSON bytes (the bytes
  // are copied; the caller keeps ownership). Fails with InvalidArgument naming why: the format is
  // unknown, or XGBoost refused the bytes (its message is included).
  static absl::StatusOr<XgboostBooster> Load(absl::string_view bytes);

  XgboostBooster(XgboostBooster&& other) noexcept;
  XgboostBooster& operator=(XgboostBooster&& other) noexcept;
  XgboostBooster(const XgboostBooster&) = delete;
  XgboostBooster& operator=(const XgboostBooster&) = delete;
  // Frees the booster.
  ~XgboostBooster();

  // The number of input features the model was trained on (model input
  // columns, XGBoosterGetNumFeature).
  int64_t NumFeatures() const { return num_features_; }

  // The input names stored with the model (XGBoost's feature_names), in
  // input order; empty when the model carries none. Internal when XGBoost
  // fails.
  absl::StatusOr<std::vector<std::string>> FeatureNames() const;

  // Predictions (transformed by the objective, e.g. probabilities for
  // binary:logistic) for `num_rows` dense rows of `num_cols` features each,
  // row-major in `rows`; NaN means missing. InvalidArgument when the sizes
  // disagree with each other or with NumFeatures(); Internal when XGBoost
  // fails.
  absl::StatusOr<std::vector<float>> Predict(const std::vector<float>& rows, int num_rows,
                                             int num_cols) const;

  // Like Predict, but the untransformed margins (XGBoost's output_margin):
  // the sum of the trees' leaf values and the base margin.
  absl::StatusOr<std::vector<float>> PredictMargin(const std::vector<float>& rows, int num_rows,
                                                   int num_cols) const;

  // Per-feature contributions to the margin (XGBoost's pred_contribs), row
  // after row, NumFeatures() + 1 values per row, the last being the bias.
  // `approximate` selects Saabas path attribution (approx_contribs);
  // otherwise TreeSHAP. Same errors as Predict.
  absl::StatusOr<std::vector<float>> PredictContributions(const std::vector<float>& rows,
                                                          int num_rows, int num_cols,
                                                          bool approximate) const;

  // The model serialized as "json" or "ubjson" (e.g. to turn an UBJSON
  // artifact into the JSON that tree flattening reads).
  absl::StatusOr<std::string> Save(absl::string_view format) const;

 private:
  // `handle` is a BoosterHandle (void*), kept opaque so that this header does
  // not include <xgboost/c_api.h>.
  XgboostBooster(void* handle, int64_t num_features);

  // Predict with XGBoost's option_mask bits (1 margin, 4 contributions,
  // 8 approximate contributions).
  absl::StatusOr<std::vector<float>> PredictWithOptions(const std::vector<float>& rows,
                                                        int num_rows, int num_cols,
                                                        int option_mask) const;

  void* handle_ = nullptr;  // owned; null after a move
  int64_t num_features_ = 0;
};

// FOR TESTS (and examples) ONLY: trains a small binary:logistic booster on
// `rows` = 256 pseudo-random rows of `num_features` features (deterministic
// for a seed; labels depend on the first two features) for `rounds` rounds of
// depth-3 trees, single-threaded, and returns the model serialized as
// `format` ("json" or "ubjson"). Real training lives with the training code;
// this exists here because only this file may include XGBoost's C API.
absl::StatusOr<std::string> TrainBoosterForTesting(int num_features, int rounds, uint64_t seed,
                                                   absl::string_view format = "json");

// FOR TESTS AND BENCHMARKS ONLY: what the second TrainBoosterForTesting
// trains. Rows are pseudo-random (deterministic for a seed) with a label that
// depends non-linearly on every feature, so that deep trees use many
// features; missing cells train the default directions.
struct TestBoosterSpec {
  int num_features = 4;
  int num_rows = 512;  // training rows
  int rounds = 4;
  int max_depth = 3;
  uint64_t seed = 1;
  // Fraction of training cells that are NaN (missing), in [0, 1).
  double missing_fraction = 0.0;
  // binary:logistic, reg:logistic and binary:logitraw train on 0/1 labels,
  // reg:squarederror on a continuous one, multi:softprob and multi:softmax on
  // three classes (num_class is set to 3). Other objectives are passed as is.
  std::string objective = "binary:logistic";
  // The first `num_categorical` features hold category codes 0..5 and are
  // declared categorical ("c"); XGBoost then needs tree_method hist or approx.
  int num_categorical = 0;
  // Further XGBoost parameters, applied last, e.g. {"booster", "dart"},
  // {"base_score", "0.3"}, {"tree_method", "hist"}.
  std::vector<std::pair<std::string, std::string>> params;
  std::string format = "json";  // or "ubjson"
};

// FOR TESTS AND BENCHMARKS ONLY: trains a booster as `spec` says,
// single-threaded, and returns it serialized as spec.format. InvalidArgument
// for sizes out of range; Internal (with XGBoost's message) when XGBoost
// refuses a parameter.
absl::StatusOr<std::string> TrainBoosterForTesting(const TestBoosterSpec& spec);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_XGBOOST_BOOSTER_H_
