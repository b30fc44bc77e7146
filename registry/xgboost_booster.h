// XgboostBooster: an owned XGBoost booster (BoosterHandle), loaded from model
// bytes. This header and xgboost_booster.cc are the only place fstore talks to
// XGBoost's C API; XGBoost's "-1 + XGBGetLastError()" becomes an absl::Status
// in exactly one function there.
//
// Serving evaluates trees natively (DESIGN.md §6); XGBoost stays the loader
// that validates artifacts at registration, the reference for parity tests,
// and the trainer.
//
// Thread-safety: Load, DetectModelFormat and TrainBoosterForTesting may be
// called from any thread. One XgboostBooster is not safe for concurrent use:
// give each thread its own, or synchronize externally.
#ifndef FSTORE_REGISTRY_XGBOOST_BOOSTER_H_
#define FSTORE_REGISTRY_XGBOOST_BOOSTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

// The serialization of a model: "json" (text JSON, a document starting with
// '{"') or "ubjson" (Universal Binary JSON, '{' then a type marker), the two
// formats XGBoosterSaveModelToBuffer writes. Anything else (XGBoost's
// deprecated binary format included) is InvalidArgument: XGBoost's legacy
// loader trusts sizes read from the bytes, so unknown bytes never reach it.
absl::StatusOr<std::string> DetectModelFormat(absl::string_view bytes);

class XgboostBooster {
 public:
  // Loads a model from JSON or UBJSON bytes (the bytes are copied; the caller
  // keeps ownership). Fails with InvalidArgument naming why: the format is
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

  // Predictions (transformed by the objective, e.g. probabilities for
  // binary:logistic) for `num_rows` dense rows of `num_cols` features each,
  // row-major in `rows`; NaN means missing. InvalidArgument when the sizes
  // disagree with each other or with NumFeatures(); Internal when XGBoost
  // fails.
  absl::StatusOr<std::vector<float>> Predict(const std::vector<float>& rows, int num_rows,
                                             int num_cols) const;

  // The model serialized as "json" or "ubjson" (e.g. to turn an UBJSON
  // artifact into the JSON that tree flattening reads).
  absl::StatusOr<std::string> Save(absl::string_view format) const;

 private:
  // `handle` is a BoosterHandle (void*), kept opaque so that this header does
  // not include <xgboost/c_api.h>.
  XgboostBooster(void* handle, int64_t num_features);

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

}  // namespace fstore

#endif  // FSTORE_REGISTRY_XGBOOST_BOOSTER_H_
