#include "training/model_trainer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/classification_metrics.h"

namespace fstore {
namespace {

// A double as XGBoost reads it back exactly enough (9 significant digits
// round-trip a float, which is what XGBoost keeps).
std::string FormatParam(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

struct ClassCounts {
  int64_t positives = 0;
  int64_t negatives = 0;
};

absl::Status CheckOptions(const TrainOptions& o) {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (o.folds < 2) return bad("folds is ", o.folds, ": cross-validation needs at least 2");
  if (o.rounds < 1) return bad("rounds is ", o.rounds, ": at least 1 boosting round is needed");
  if (o.early_stopping_rounds < 0) {
    return bad("early_stopping_rounds is ", o.early_stopping_rounds, ": must be >= 0");
  }
  if (o.max_depth < 1 || o.max_depth > 16) {
    return bad("max_depth is ", o.max_depth, ": must be in [1, 16]");
  }
  if (!(o.eta > 0 && o.eta <= 1)) return bad("eta is ", o.eta, ": must be in (0, 1]");
  if (o.seed < 0) return bad("seed is ", o.seed, ": must be >= 0");
  if (o.scale_pos_weight.has_value() &&
      !(std::isfinite(*o.scale_pos_weight) && *o.scale_pos_weight > 0)) {
    return bad("scale_pos_weight is ", *o.scale_pos_weight, ": must be finite and > 0");
  }
  if (o.nthread < 0) return bad("nthread is ", o.nthread, ": must be >= 0 (0: every core)");
  if (o.histogram_bins < 1 || o.histogram_bins > 1000) {
    return bad("histogram_bins is ", o.histogram_bins, ": must be in [1, 1000]");
  }
  std::set<std::string> buckets;
  for (const RiskBucketRate& b : o.risk_buckets) {
    if (b.bucket.empty()) return bad("a risk bucket has an empty name");
    if (!buckets.insert(b.bucket).second) {
      return bad("risk bucket ", b.bucket, " appears more than once");
    }
    if (!(b.alert_rate > 0 && b.alert_rate <= 1)) {
      return bad("risk bucket ", b.bucket, ": alert rate ", b.alert_rate, " must be in (0, 1]");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ClassCounts> CheckData(const TrainingData& data, int folds) {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  const size_t cols = data.feature_names.size();
  const size_t rows = data.labels.size();
  if (cols == 0) return bad("the training set has no features");
  if (rows == 0) return bad("the training set has no rows");
  if (data.values.size() != rows * cols) {
    return bad("the training set has ", data.values.size(), " feature values, not ", rows,
               " rows x ", cols, " features");
  }
  std::set<absl::string_view> names;
  for (size_t c = 0; c < cols; ++c) {
    if (data.feature_names[c].empty()) return bad("feature ", c, " has an empty name");
    for (char ch : data.feature_names[c]) {
      if (std::isspace(static_cast<unsigned char>(ch)) || ch == ',' || ch == '[' || ch == ']' ||
          ch == '<') {
        return bad("feature name '", data.feature_names[c], "' (column ", c,
                   ") contains whitespace or one of , [ ] <");
      }
    }
    if (!names.insert(data.feature_names[c]).second) {
      return bad(
          "feature ", data.feature_names[c], " appears twice (columns ",
          std::find(data.feature_names.begin(), data.feature_names.end(), data.feature_names[c]) -
              data.feature_names.begin(),
          " and ", c, ")");
    }
  }
  ClassCounts counts;
  for (size_t r = 0; r < rows; ++r) {
    const float label = data.labels[r];
    if (label == 1.0f) {
      ++counts.positives;
    } else if (label == 0.0f) {
      ++counts.negatives;
    } else {
      return bad("label of row ", r, " is ", label, ": labels must be 0 or 1");
    }
    for (size_t c = 0; c < cols; ++c) {
      const float v = data.values[r * cols + c];
      if (std::isinf(v)) {
        return bad("row ", r, ": feature ", data.feature_names[c], " is ", v,
                   " (only finite values, or NaN for missing)");
      }
    }
  }
  if (counts.positives == 0 || counts.negatives == 0) {
    return bad("labels hold one class only (", counts.positives, " positives, ", counts.negatives,
               " negatives): training needs both 0 and 1");
  }
  if (counts.positives < folds) {
    return bad(counts.positives, " positive rows cannot fill ", folds,
               " cross-validation folds: need at least one per fold");
  }
  if (counts.negatives < folds) {
    return bad(counts.negatives, " negative rows cannot fill ", folds,
               " cross-validation folds: need at least one per fold");
  }
  return counts;
}

// The rows of `data` listed in `rows`, as a dense matrix and labels.
struct Subset {
  std::vector<float> values;
  std::vector<float> labels;
};

Subset TakeRows(const TrainingData& data, const std::vector<int64_t>& rows) {
  const size_t cols = data.feature_names.size();
  Subset s;
  s.values.reserve(rows.size() * cols);
  s.labels.reserve(rows.size());
  for (int64_t r : rows) {
    const float* row = &data.values[static_cast<size_t>(r) * cols];
    s.values.insert(s.values.end(), row, row + cols);
    s.labels.push_back(data.labels[static_cast<size_t>(r)]);
  }
  return s;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double PopulationStddev(const std::vector<double>& v) {
  const double mean = Mean(v);
  double sum = 0;
  for (double x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size()));
}

// Median of (best iteration + 1) over folds; even counts: the two middle
// values' mean, rounded half up.
int FinalRounds(const std::vector<FoldResult>& folds) {
  std::vector<int> rounds;
  for (const FoldResult& f : folds) rounds.push_back(f.best_iteration + 1);
  std::sort(rounds.begin(), rounds.end());
  const size_t n = rounds.size();
  if (n % 2 == 1) return rounds[n / 2];
  return (rounds[n / 2 - 1] + rounds[n / 2] + 1) / 2;
}

std::string MetricName(EarlyStoppingMetric metric) {
  return metric == EarlyStoppingMetric::kAuc ? "auc" : "weighted_logloss";
}

struct FoldOutcome {
  FoldResult result;
  std::vector<float> best_predictions;  // validation rows, in `validation` order
};

absl::StatusOr<FoldOutcome> RunFold(const TrainingData& data, const TrainOptions& options,
                                    const std::map<std::string, std::string>& params,
                                    double scale_pos_weight, int fold,
                                    const std::vector<int64_t>& train_rows,
                                    const std::vector<int64_t>& validation_rows,
                                    const ProgressCallback& progress) {
  const int64_t cols = static_cast<int64_t>(data.feature_names.size());
  const Subset train = TakeRows(data, train_rows);
  const Subset validation = TakeRows(data, validation_rows);
  XgboostTrainingSet set;
  set.features = {train.values, static_cast<int64_t>(train_rows.size()), cols};
  set.labels = train.labels;
  set.feature_names = data.feature_names;
  FSTORE_ASSIGN_OR_RETURN(XgboostTrainer trainer, XgboostTrainer::Create(set, params));
  FSTORE_ASSIGN_OR_RETURN(
      const int eval_id,
      trainer.AddEvalMatrix(
          {validation.values, static_cast<int64_t>(validation_rows.size()), cols}));

  const bool higher_is_better = options.early_stopping_metric == EarlyStoppingMetric::kAuc;
  FoldOutcome outcome;
  double best_metric = higher_is_better ? -std::numeric_limits<double>::infinity()
                                        : std::numeric_limits<double>::infinity();
  int best_round = -1;
  for (int round = 0; round < options.rounds; ++round) {
    FSTORE_RETURN_IF_ERROR(trainer.TrainOneRound());
    FSTORE_ASSIGN_OR_RETURN(std::vector<float> predictions, trainer.PredictEval(eval_id));
    FSTORE_ASSIGN_OR_RETURN(const double metric,
                            higher_is_better
                                ? RocAuc(predictions, validation.labels)
                                : LogLoss(predictions, validation.labels, scale_pos_weight));
    const bool improved = higher_is_better ? metric > best_metric : metric < best_metric;
    const bool last_round = round + 1 == options.rounds;
    if (improved || (options.early_stopping_rounds == 0 && last_round)) {
      best_metric = metric;
      best_round = round;
      outcome.best_predictions = std::move(predictions);
    }
    if (progress) {
      TrainProgress p;
      p.phase = TrainProgress::Phase::kFoldRound;
      p.fold = fold;
      p.folds = options.folds;
      p.round = round;
      p.max_rounds = options.rounds;
      p.metric_name = MetricName(options.early_stopping_metric);
      p.metric = metric;
      p.best_round = best_round;
      progress(p);
    }
    if (options.early_stopping_rounds > 0 && round - best_round >= options.early_stopping_rounds) {
      break;
    }
  }

  FoldResult& r = outcome.result;
  r.train_rows = static_cast<int64_t>(train_rows.size());
  r.validation_rows = static_cast<int64_t>(validation_rows.size());
  for (float label : validation.labels) r.validation_positives += label == 1.0f ? 1 : 0;
  r.best_iteration = best_round;
  r.rounds_trained = trainer.RoundsTrained();
  FSTORE_ASSIGN_OR_RETURN(r.auc, RocAuc(outcome.best_predictions, validation.labels));
  FSTORE_ASSIGN_OR_RETURN(r.pr_auc, AveragePrecision(outcome.best_predictions, validation.labels));
  FSTORE_ASSIGN_OR_RETURN(r.logloss, LogLoss(outcome.best_predictions, validation.labels));
  if (progress) {
    TrainProgress p;
    p.phase = TrainProgress::Phase::kFoldDone;
    p.fold = fold;
    p.folds = options.folds;
    p.round = r.rounds_trained - 1;
    p.max_rounds = options.rounds;
    p.metric_name = MetricName(options.early_stopping_metric);
    p.metric = best_metric;
    p.best_round = best_round;
    p.auc = r.auc;
    p.pr_auc = r.pr_auc;
    p.logloss = r.logloss;
    progress(p);
  }
  return outcome;
}

}  // namespace

std::vector<int> AssignStratifiedFolds(absl::Span<const float> labels, int folds, int64_t seed) {
  std::vector<int64_t> positives;
  std::vector<int64_t> negatives;
  for (size_t r = 0; r < labels.size(); ++r) {
    (labels[r] == 1.0f ? positives : negatives).push_back(static_cast<int64_t>(r));
  }
  std::mt19937_64 rng(static_cast<uint64_t>(seed));
  auto shuffle = [&rng](std::vector<int64_t>& v) {
    // Fisher-Yates with a plain modulo: the bias (< n / 2^64) is
    // negligible, and unlike std::shuffle the result is the same with every
    // standard library.
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(rng() % i);
      std::swap(v[i - 1], v[j]);
    }
  };
  shuffle(positives);
  shuffle(negatives);
  std::vector<int> fold_of_row(labels.size(), 0);
  size_t dealt = 0;
  for (const std::vector<int64_t>* cls : {&positives, &negatives}) {
    for (int64_t r : *cls) fold_of_row[static_cast<size_t>(r)] = static_cast<int>(dealt++ % folds);
  }
  return fold_of_row;
}

std::vector<RiskThreshold> ChooseRiskThresholds(absl::Span<const float> scores,
                                                const std::vector<RiskBucketRate>& buckets) {
  std::vector<float> descending(scores.begin(), scores.end());
  std::sort(descending.begin(), descending.end(), std::greater<float>());
  const size_t n = descending.size();
  std::vector<std::pair<RiskThreshold, double>> chosen;  // with the alert rate
  for (const RiskBucketRate& b : buckets) {
    double min_score = 0;
    if (b.alert_rate < 1 && n > 0) {
      // ceil(r * n), forgiving the rounding of r * n just above an integer.
      double k = std::ceil(b.alert_rate * static_cast<double>(n) - 1e-9);
      k = std::clamp(k, 1.0, static_cast<double>(n));
      min_score = descending[static_cast<size_t>(k) - 1];
    }
    chosen.push_back({{b.bucket, min_score}, b.alert_rate});
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const auto& a, const auto& b) {
    if (a.first.min_score != b.first.min_score) return a.first.min_score < b.first.min_score;
    return a.second > b.second;
  });
  std::vector<RiskThreshold> result;
  for (auto& [threshold, rate] : chosen) result.push_back(std::move(threshold));
  return result;
}

FeatureStatistics ComputeFeatureStatistics(absl::Span<const float> values, int64_t num_cols,
                                           int64_t column, std::string feature, int bins) {
  FeatureStatistics s;
  s.feature = std::move(feature);
  const size_t cols = static_cast<size_t>(num_cols);
  const size_t rows = cols == 0 ? 0 : values.size() / cols;
  std::vector<double> present;
  present.reserve(rows);
  for (size_t r = 0; r < rows; ++r) {
    const float v = values[r * cols + static_cast<size_t>(column)];
    if (std::isnan(v)) continue;
    present.push_back(v);
  }
  s.count = static_cast<int64_t>(rows);
  s.missing = static_cast<int64_t>(rows - present.size());
  if (present.empty()) return s;

  s.mean = Mean(present);
  double squares = 0;
  for (double v : present) squares += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(squares / static_cast<double>(present.size()));
  std::sort(present.begin(), present.end());
  s.min = present.front();
  s.max = present.back();

  const size_t m = present.size();
  for (int j = 0; j <= bins; ++j) {
    const double edge = present[static_cast<size_t>(j) * (m - 1) / static_cast<size_t>(bins)];
    if (s.bin_edges.empty() || edge != s.bin_edges.back()) s.bin_edges.push_back(edge);
  }
  if (s.bin_edges.size() == 1) s.bin_edges.push_back(s.bin_edges.front());
  s.bin_counts.assign(s.bin_edges.size() - 1, 0);
  for (double v : present) {
    // The last edge at or below v; the maximum falls in the last bin.
    size_t bin = static_cast<size_t>(std::upper_bound(s.bin_edges.begin(), s.bin_edges.end(), v) -
                                     s.bin_edges.begin());
    bin = std::clamp<size_t>(bin, 1, s.bin_counts.size()) - 1;
    ++s.bin_counts[bin];
  }
  return s;
}

absl::StatusOr<TrainResult> TrainModel(const TrainingData& data, const TrainOptions& options,
                                       const ProgressCallback& progress) {
  FSTORE_RETURN_IF_ERROR(CheckOptions(options));
  FSTORE_ASSIGN_OR_RETURN(const ClassCounts counts, CheckData(data, options.folds));
  const int64_t rows = static_cast<int64_t>(data.labels.size());
  const int64_t cols = static_cast<int64_t>(data.feature_names.size());

  const double scale_pos_weight = options.scale_pos_weight.value_or(
      static_cast<double>(counts.negatives) / static_cast<double>(counts.positives));
  std::map<std::string, std::string> params = {
      {"objective", "binary:logistic"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(options.max_depth)},
      {"eta", FormatParam(options.eta)},
      {"seed", std::to_string(options.seed)},
      {"nthread", std::to_string(options.nthread)},
      {"scale_pos_weight", FormatParam(scale_pos_weight)},
  };

  TrainResult result;
  result.fold_of_row = AssignStratifiedFolds(data.labels, options.folds, options.seed);
  result.oof_predictions.assign(static_cast<size_t>(rows), 0.0f);
  for (int fold = 0; fold < options.folds; ++fold) {
    std::vector<int64_t> train_rows;
    std::vector<int64_t> validation_rows;
    for (int64_t r = 0; r < rows; ++r) {
      (result.fold_of_row[static_cast<size_t>(r)] == fold ? validation_rows : train_rows)
          .push_back(r);
    }
    auto outcome = RunFold(data, options, params, scale_pos_weight, fold, train_rows,
                           validation_rows, progress);
    FSTORE_RETURN_IF_ERROR(
        Annotate(outcome.status(), absl::StrCat("fold ", fold, " of ", options.folds)));
    for (size_t i = 0; i < validation_rows.size(); ++i) {
      result.oof_predictions[static_cast<size_t>(validation_rows[i])] =
          outcome->best_predictions[i];
    }
    result.folds.push_back(outcome->result);
  }

  // Final model on every row.
  result.rounds = FinalRounds(result.folds);
  XgboostTrainingSet all;
  all.features = {data.values, rows, cols};
  all.labels = data.labels;
  all.feature_names = data.feature_names;
  auto final_trainer = XgboostTrainer::Create(all, params);
  FSTORE_RETURN_IF_ERROR(Annotate(final_trainer.status(), "final model"));
  for (int round = 0; round < result.rounds; ++round) {
    FSTORE_RETURN_IF_ERROR(Annotate(final_trainer->TrainOneRound(), "final model"));
    if (progress) {
      TrainProgress p;
      p.phase = TrainProgress::Phase::kFinalRound;
      p.fold = options.folds;
      p.folds = options.folds;
      p.round = round;
      p.max_rounds = result.rounds;
      p.metric_name = MetricName(options.early_stopping_metric);
      p.metric = std::numeric_limits<double>::quiet_NaN();
      p.best_round = round;
      progress(p);
    }
  }
  FSTORE_ASSIGN_OR_RETURN(result.model_json, final_trainer->SaveModel("json"));
  FSTORE_ASSIGN_OR_RETURN(result.importance, final_trainer->FeatureImportances());
  std::stable_sort(result.importance.begin(), result.importance.end(),
                   [](const FeatureImportance& a, const FeatureImportance& b) {
                     return a.total_gain > b.total_gain;
                   });

  params["num_boost_round"] = std::to_string(result.rounds);
  params["folds"] = std::to_string(options.folds);
  params["max_rounds"] = std::to_string(options.rounds);
  params["early_stopping_rounds"] = std::to_string(options.early_stopping_rounds);
  params["early_stopping_metric"] = MetricName(options.early_stopping_metric);
  result.params = std::move(params);

  std::map<std::string, double>& m = result.metrics;
  std::vector<double> aucs, pr_aucs, loglosses;
  double best_iterations = 0;
  for (size_t i = 0; i < result.folds.size(); ++i) {
    const FoldResult& f = result.folds[i];
    aucs.push_back(f.auc);
    pr_aucs.push_back(f.pr_auc);
    loglosses.push_back(f.logloss);
    best_iterations += f.best_iteration;
    const std::string prefix = absl::StrCat("fold_", i, "_");
    m[prefix + "auc"] = f.auc;
    m[prefix + "pr_auc"] = f.pr_auc;
    m[prefix + "logloss"] = f.logloss;
    m[prefix + "best_iteration"] = f.best_iteration;
  }
  m["auc"] = Mean(aucs);
  m["pr_auc"] = Mean(pr_aucs);
  m["logloss"] = Mean(loglosses);
  m["auc_std"] = PopulationStddev(aucs);
  m["pr_auc_std"] = PopulationStddev(pr_aucs);
  m["logloss_std"] = PopulationStddev(loglosses);
  FSTORE_ASSIGN_OR_RETURN(m["oof_auc"], RocAuc(result.oof_predictions, data.labels));
  FSTORE_ASSIGN_OR_RETURN(m["oof_pr_auc"], AveragePrecision(result.oof_predictions, data.labels));
  FSTORE_ASSIGN_OR_RETURN(m["oof_logloss"], LogLoss(result.oof_predictions, data.labels));
  m["best_iteration"] = best_iterations / static_cast<double>(result.folds.size());
  m["rounds"] = result.rounds;
  m["rows"] = static_cast<double>(rows);
  m["positives"] = static_cast<double>(counts.positives);
  m["negatives"] = static_cast<double>(counts.negatives);
  m["folds"] = options.folds;
  m["scale_pos_weight"] = scale_pos_weight;

  result.risk_thresholds = ChooseRiskThresholds(result.oof_predictions, options.risk_buckets);
  for (int64_t c = 0; c < cols; ++c) {
    result.feature_statistics.push_back(ComputeFeatureStatistics(
        data.values, cols, c, data.feature_names[static_cast<size_t>(c)], options.histogram_bins));
  }
  return result;
}

FeatureStatistics PredictionBaseline(const TrainResult& result, int bins) {
  return ComputeFeatureStatistics(result.oof_predictions, 1, 0, std::string(kPredictionStatistics),
                                  bins);
}

}  // namespace fstore
