// XgboostTrainer: trains one XGBoost booster round by round on a dense float
// matrix, predicts on other matrices between rounds (early stopping,
// out-of-fold predictions), and hands back the model bytes and the feature
// importance. It knows nothing of folds, metrics or registries: that is the
// training driver's job (training/model_trainer.h).
//
// This file and xgboost_trainer.cc are the second and last place fstore
// includes XGBoost's C API (the first is xgboost_booster.{h,cc}); XGBoost's
// "-1 + XGBGetLastError()" becomes an absl::Status in one function of
// xgboost_trainer.cc.
//
// Data. Matrices are dense and row-major; NaN is a missing value; +-inf is
// refused (InvalidArgument naming the row and column). Every matrix is copied
// into XGBoost when it is handed over (Create, AddEvalMatrix, Predict): the
// caller's buffers may be freed as soon as the call returns.
//
// Determinism (measured with XGBoost 1.7.4, tree_method=hist, CPU; XGBoost
// documents no guarantee): the same data, params and number of rounds gave
// byte-identical SaveModel() output on every run, with nthread 1, 2 and 4,
// and the bytes did not change with nthread either (100k x 20, 50 rounds of
// depth 6). "seed" only matters with row or column subsampling (subsample,
// colsample_*); the RNG it seeds is thread-local in XGBoost, so boosters
// that subsample and interleave rounds on one thread perturb each other.
//
// Errors: InvalidArgument for inputs and params XGBoost refuses (its message
// included), Internal when XGBoost fails otherwise, FailedPrecondition for
// calls that need a trained round.
//
// Thread-safety: one XgboostTrainer is not safe for concurrent use; distinct
// trainers may be used from distinct threads.
#ifndef FSTORE_TRAINING_XGBOOST_TRAINER_H_
#define FSTORE_TRAINING_XGBOOST_TRAINER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fstore {

// A borrowed dense row-major matrix: values.size() == num_rows * num_cols.
struct DenseMatrixView {
  absl::Span<const float> values;
  int64_t num_rows = 0;
  int64_t num_cols = 0;
};

struct XgboostTrainingSet {
  DenseMatrixView features;
  // One label per row (e.g. 0/1 for binary:logistic); finite.
  absl::Span<const float> labels;
  // Empty (every row weighs 1) or one finite weight >= 0 per row.
  absl::Span<const float> weights;
  // Empty (XGBoost names columns f0, f1, ...) or one name per column: unique,
  // non-empty, without whitespace, ',' '[' ']' or '<' (XGBoost's text dumps
  // and feature maps cannot hold them). Stored in the model's JSON.
  std::vector<std::string> feature_names;
};

// One feature's importance (XGBoosterFeatureScore), in column order.
struct FeatureImportance {
  std::string feature;
  // Over every split on the feature in every tree: the number of splits
  // ("weight"), the summed loss reduction ("total_gain") and its average
  // per split ("gain"); all 0 for a feature no tree splits on.
  int64_t splits = 0;
  double total_gain = 0;
  double gain = 0;
};

class XgboostTrainer {
 public:
  // Copies the training set into XGBoost and creates a booster with
  // `params` (XGBoost parameter name -> value, passed to XGBoosterSetParam
  // verbatim, e.g. objective=binary:logistic, tree_method=hist, max_depth=6,
  // eta=0.1, seed=7, nthread=2, scale_pos_weight=9). The params are checked
  // here (XGBoost configures the booster once): a value XGBoost refuses is
  // InvalidArgument. XGBoost ignores names it does not know (with a warning
  // on stderr unless verbosity=0).
  static absl::StatusOr<XgboostTrainer> Create(const XgboostTrainingSet& train,
                                               const std::map<std::string, std::string>& params);

  XgboostTrainer(XgboostTrainer&& other) noexcept;
  XgboostTrainer& operator=(XgboostTrainer&& other) noexcept;
  XgboostTrainer(const XgboostTrainer&) = delete;
  XgboostTrainer& operator=(const XgboostTrainer&) = delete;
  ~XgboostTrainer();

  int64_t NumFeatures() const;
  // Rounds trained so far (trees, for single-output objectives).
  int RoundsTrained() const;

  // Boosts one more round (XGBoosterUpdateOneIter).
  absl::Status TrainOneRound();

  // Registers a matrix (num_cols == NumFeatures()) to predict on after each
  // round; returns its id for PredictEval. XGBoost caches predictions of a
  // registered matrix, so predicting after every round costs one tree per
  // round, not the whole ensemble.
  absl::StatusOr<int> AddEvalMatrix(DenseMatrixView matrix);

  // Predictions (transformed by the objective: probabilities for
  // binary:logistic), one per row of eval matrix `eval_id`, from the first
  // `num_rounds` rounds, 0 meaning every round trained. InvalidArgument for
  // an unknown id or num_rounds outside [0, RoundsTrained()].
  absl::StatusOr<std::vector<float>> PredictEval(int eval_id, int num_rounds = 0) const;

  // Like PredictEval for a matrix used once.
  absl::StatusOr<std::vector<float>> Predict(DenseMatrixView matrix, int num_rounds = 0) const;

  // The model after RoundsTrained() rounds, serialized as "json" or
  // "ubjson" (XGBoosterSaveModelToBuffer). FailedPrecondition before the
  // first round.
  absl::StatusOr<std::string> SaveModel(absl::string_view format = "json") const;

  // Every feature's importance, in column order (features never split on
  // included, with zeros). FailedPrecondition before the first round.
  absl::StatusOr<std::vector<FeatureImportance>> FeatureImportances() const;

 private:
  struct State;  // XGBoost handles and their owners, in xgboost_trainer.cc
  explicit XgboostTrainer(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;  // null after a move
};

}  // namespace fstore

#endif  // FSTORE_TRAINING_XGBOOST_TRAINER_H_
