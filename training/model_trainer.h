// TrainModel: the training engine behind `fsctl train`. Given a dense
// training set (feature names, row-major features, 0/1 labels) it runs
// stratified k-fold cross-validation of an XGBoost binary:logistic model with
// early stopping, trains the final model on every row, and returns what the
// registry records with a version: the model JSON, params, metrics,
// per-feature training statistics and risk-bucket thresholds.
//
// Procedure:
//   1. Check the inputs (InvalidArgument naming the row, column, feature or
//      option at fault, before any training).
//   2. Stratified folds: each class's rows are shuffled with a seeded
//      mt19937_64 (Fisher-Yates, implemented here so the result does not
//      depend on the standard library) and dealt round-robin into `folds`
//      folds, positives first, negatives continuing where they stopped: fold
//      sizes and positive counts differ by at most one across folds.
//   3. Per fold: train on the other folds for up to `rounds` rounds,
//      predicting the held-out fold after each; the fold's best iteration is
//      the round with the best validation metric (strictly better than every
//      earlier round); training stops `early_stopping_rounds` rounds after
//      it. The default metric is the held-out logloss with positives weighted
//      by scale_pos_weight ("weighted_logloss"), the loss the booster is
//      trained on; plain logloss would also score the calibration shift that
//      scale_pos_weight causes on purpose. The held-out predictions from the best iteration are the
//      fold's out-of-fold (OOF) predictions, on which its AUC, PR-AUC (average precision) and
//      logloss are computed (registry/classification_metrics.h).
//   4. The final model trains on every row, in input order, for the median
//      over folds of (best iteration + 1) rounds (an even count of folds
//      takes the mean of the two middle values, rounded half up).
//   5. Risk thresholds, feature statistics and importance, defined below.
//
// Determinism: the same TrainingData and TrainOptions give byte-identical
// model JSON, metrics and thresholds. XGBoost's hist method (CPU, 1.7.4)
// also gave identical bytes for nthread 1, 2 and 4 in our measurements, but
// XGBoost does not promise it, so nthread is part of the recorded params.
//
// Thread-safety: TrainModel is a pure function of its arguments; concurrent
// calls are safe. The progress callback runs on the calling thread.
#ifndef FSTORE_TRAINING_MODEL_TRAINER_H_
#define FSTORE_TRAINING_MODEL_TRAINER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "registry/model_registry.h"
#include "training/xgboost_trainer.h"

namespace fstore {

struct TrainingData {
  // The model's input columns, in order: unique, non-empty, without
  // whitespace, ',' '[' ']' or '<'.
  std::vector<std::string> feature_names;
  // labels.size() rows of feature_names.size() values, row-major; NaN is a
  // missing value, +-inf is refused.
  std::vector<float> values;
  // One label per row, exactly 0 or 1.
  std::vector<float> labels;
};

enum class EarlyStoppingMetric { kLogLoss, kAuc };

// A risk bucket and the share of rows (by out-of-fold score) alerted at or
// above it.
struct RiskBucketRate {
  std::string bucket;
  double alert_rate = 1;  // in (0, 1]
};

struct TrainOptions {
  // Cross-validation folds; >= 2, and each class needs at least this many
  // rows. Default: 5.
  int folds = 5;
  // The most boosting rounds per fold; >= 1. Default: 300.
  int rounds = 300;
  // Stop a fold after this many rounds without a better validation metric;
  // 0 trains every fold for `rounds` rounds and takes the last as the best.
  // Default: 20.
  int early_stopping_rounds = 20;
  // Default: kLogLoss, the held-out logloss with positives weighted by
  // scale_pos_weight (lower is better); kAuc: held-out AUC (higher is
  // better).
  EarlyStoppingMetric early_stopping_metric = EarlyStoppingMetric::kLogLoss;
  // XGBoost max_depth, in [1, 16]. Default: 6.
  int max_depth = 6;
  // XGBoost eta (learning rate), in (0, 1]. Default: 0.1.
  double eta = 0.1;
  // Seeds the fold shuffle and XGBoost's seed; >= 0. Default: 0.
  int64_t seed = 0;
  // XGBoost scale_pos_weight, finite and > 0. Default: negatives / positives
  // over every row.
  std::optional<double> scale_pos_weight;
  // XGBoost threads; >= 0, 0 letting XGBoost use every core. Default: 1 (on
  // a busy 2-core VM, 100k rows x 20 took 8 s with 1 thread and 117 s with
  // 2: OpenMP threads wait on each other many times per round).
  int nthread = 1;
  // Risk buckets by alert rate on OOF predictions; names unique and
  // non-empty. Default: low (every score, min_score 0), medium (top 5%),
  // high (top 1%).
  std::vector<RiskBucketRate> risk_buckets = {{"low", 1.0}, {"medium", 0.05}, {"high", 0.01}};
  // Quantile bins per feature histogram; in [1, 1000]. Default: 10.
  int histogram_bins = 10;
};

// Progress, reported once per boosting round and once per finished fold.
struct TrainProgress {
  enum class Phase {
    kFoldRound,   // a cross-validation round; `metric` on the held-out fold
    kFoldDone,    // a fold finished; `metric` at its best iteration, plus
                  // auc / pr_auc / logloss
    kFinalRound,  // a round of the final model (no held-out rows: metric NaN)
  };
  Phase phase = Phase::kFoldRound;
  int fold = 0;  // 0-based; == folds for the final model
  int folds = 0;
  int round = 0;            // 0-based round just trained (kFoldDone: the last one)
  int max_rounds = 0;       // the round budget of this fold or of the final model
  std::string metric_name;  // "weighted_logloss" or "auc"
  double metric = 0;
  int best_round = 0;  // the fold's best round so far (0-based)
  double auc = 0;      // kFoldDone only
  double pr_auc = 0;   // kFoldDone only
  double logloss = 0;  // kFoldDone only
};
using ProgressCallback = std::function<void(const TrainProgress&)>;

struct FoldResult {
  int64_t train_rows = 0;
  int64_t validation_rows = 0;
  int64_t validation_positives = 0;
  int best_iteration = 0;  // 0-based round with the best validation metric
  int rounds_trained = 0;
  double auc = 0;
  double pr_auc = 0;
  double logloss = 0;
};

struct TrainResult {
  // The final model, XGBoost JSON (feature names included).
  std::string model_json;
  // Rounds (trees) in the final model.
  int rounds = 0;
  // Every XGBoost parameter set (objective, tree_method, max_depth, eta,
  // seed, nthread, scale_pos_weight) plus the procedure's own:
  // num_boost_round (= rounds), folds, max_rounds, early_stopping_rounds,
  // early_stopping_metric.
  std::map<std::string, std::string> params;
  // auc, pr_auc, logloss (plain, unweighted: with scale_pos_weight != 1 the
  // scores overstate the positive rate, which raises it): the mean over folds; auc_std, pr_auc_std,
  // logloss_std: their population standard deviation over folds;
  // oof_auc, oof_pr_auc, oof_logloss: over the pooled OOF predictions;
  // fold_<i>_auc, fold_<i>_pr_auc, fold_<i>_logloss, fold_<i>_best_iteration;
  // best_iteration (mean over folds), rounds, rows, positives, negatives,
  // folds, scale_pos_weight.
  std::map<std::string, double> metrics;
  std::vector<FoldResult> folds;
  // Final model importance, every feature, by total_gain descending (ties by
  // column order).
  std::vector<FeatureImportance> importance;
  // One per TrainOptions::risk_buckets, ascending by min_score (equal
  // min_scores: larger alert rate first). See ChooseRiskThresholds.
  std::vector<RiskThreshold> risk_thresholds;
  // One per feature, in column order. See ComputeFeatureStatistics.
  std::vector<FeatureStatistics> feature_statistics;
  // Per input row: its fold's prediction at the fold's best iteration.
  std::vector<float> oof_predictions;
  // Per input row: its fold (0-based).
  std::vector<int> fold_of_row;
};

// Runs the procedure above. `progress` may be empty. Errors: InvalidArgument
// for bad data or options; Internal when XGBoost fails.
absl::StatusOr<TrainResult> TrainModel(const TrainingData& data, const TrainOptions& options,
                                       const ProgressCallback& progress = {});

// The building blocks, exposed for tests and for callers that need one.

// Fold (0-based) of each row: step 2 above. Needs labels of 0/1 only and
// folds >= 1.
std::vector<int> AssignStratifiedFolds(absl::Span<const float> labels, int folds, int64_t seed);

// The risk threshold of each bucket, from `scores` (OOF predictions): a
// bucket with alert rate r >= 1 gets min_score 0; otherwise, with k =
// ceil(r * n) (at least 1), min_score is the k-th highest score, so that
//   #(scores > min_score) < k <= #(scores >= min_score)
// i.e. exactly k rows alert unless scores tie at the threshold. Ordered as
// TrainResult::risk_thresholds. Needs a non-empty `scores`.
std::vector<RiskThreshold> ChooseRiskThresholds(absl::Span<const float> scores,
                                                const std::vector<RiskBucketRate>& buckets);

// Statistics of column `column` of a row-major matrix with `num_cols`
// columns, for drift monitoring (PSI, KS):
//   count: rows; missing: NaN rows; mean, stddev (population, i.e. divided
//   by count - missing), min, max: over the non-missing values (all 0 when
//   every value is missing).
//   bin_edges: with m non-missing values sorted ascending as v[0..m-1],
//   edge j = v[floor(j * (m - 1) / bins)] for j = 0..bins (numpy.quantile
//   method "lower"), duplicates removed; a column with one distinct value
//   gets edges {v, v}. Edges are actual training values; the first is the
//   min, the last the max.
//   bin_counts: bin i holds [edge i, edge i+1), except the last bin, which
//   also holds the last edge (numpy.histogram's convention); counts sum to
//   count - missing. Empty edges and counts when every value is missing.
FeatureStatistics ComputeFeatureStatistics(absl::Span<const float> values, int64_t num_cols,
                                           int64_t column, std::string feature, int bins);

// The prediction baseline a version records for prediction drift: the
// statistics of `result`'s out-of-fold predictions, named
// kPredictionStatistics, with `bins` bins.
FeatureStatistics PredictionBaseline(const TrainResult& result, int bins);

}  // namespace fstore

#endif  // FSTORE_TRAINING_MODEL_TRAINER_H_
