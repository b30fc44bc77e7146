#include "training/xgboost_trainer.h"

#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/xgboost_c_api.h"

namespace fstore {
namespace {

// Characters XGBoost's feature maps and text dumps cannot carry in a name.
bool IsForbiddenNameChar(char c) {
  return c == ',' || c == '[' || c == ']' || c == '<' || c == ' ' || c == '\t' || c == '\n' ||
         c == '\r';
}

absl::Status CheckShape(const DenseMatrixView& m, absl::string_view what) {
  if (m.num_rows < 0 || m.num_cols < 0 ||
      m.values.size() != static_cast<size_t>(m.num_rows) * static_cast<size_t>(m.num_cols)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", m.values.size(), " values are not ",
                                                   m.num_rows, " rows x ", m.num_cols, " columns"));
  }
  for (size_t i = 0; i < m.values.size(); ++i) {
    if (std::isinf(m.values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": row ", i / static_cast<size_t>(m.num_cols), " column ",
                       i % static_cast<size_t>(m.num_cols), " is ", m.values[i],
                       " (only finite values or NaN for missing)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTrainingSet(const XgboostTrainingSet& train) {
  FSTORE_RETURN_IF_ERROR(CheckShape(train.features, "training matrix"));
  const DenseMatrixView& m = train.features;
  if (m.num_rows == 0 || m.num_cols == 0) {
    return absl::InvalidArgumentError(absl::StrCat("training matrix is empty (", m.num_rows,
                                                   " rows x ", m.num_cols, " columns)"));
  }
  if (train.labels.size() != static_cast<size_t>(m.num_rows)) {
    return absl::InvalidArgumentError(
        absl::StrCat(train.labels.size(), " labels for ", m.num_rows, " training rows"));
  }
  for (size_t i = 0; i < train.labels.size(); ++i) {
    if (!std::isfinite(train.labels[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("label of row ", i, " is ", train.labels[i], ", not a finite number"));
    }
  }
  if (!train.weights.empty()) {
    if (train.weights.size() != static_cast<size_t>(m.num_rows)) {
      return absl::InvalidArgumentError(
          absl::StrCat(train.weights.size(), " weights for ", m.num_rows, " training rows"));
    }
    for (size_t i = 0; i < train.weights.size(); ++i) {
      if (!std::isfinite(train.weights[i]) || train.weights[i] < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "weight of row ", i, " is ", train.weights[i], ", not a finite number >= 0"));
      }
    }
  }
  if (!train.feature_names.empty()) {
    if (train.feature_names.size() != static_cast<size_t>(m.num_cols)) {
      return absl::InvalidArgumentError(
          absl::StrCat(train.feature_names.size(), " feature names for ", m.num_cols, " columns"));
    }
    std::set<absl::string_view> seen;
    for (size_t i = 0; i < train.feature_names.size(); ++i) {
      const std::string& name = train.feature_names[i];
      if (name.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("feature name of column ", i, " is empty"));
      }
      for (char c : name) {
        if (IsForbiddenNameChar(c)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "feature name '", name, "' (column ", i, ") contains whitespace or one of , [ ] <"));
        }
      }
      if (!seen.insert(name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("feature name '", name, "' appears twice (column ", i, ")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CreateDMatrix(const DenseMatrixView& m, absl::string_view what, OwnedDMatrix* out) {
  return XgbInternal(XGDMatrixCreateFromMat(m.values.data(), static_cast<bst_ulong>(m.num_rows),
                                            static_cast<bst_ulong>(m.num_cols),
                                            std::numeric_limits<float>::quiet_NaN(), out->out()),
                     absl::StrCat("building the ", what));
}

absl::Status SetFeatureNames(DMatrixHandle matrix, std::vector<const char*> names) {
  if (names.empty()) return absl::OkStatus();
  return XgbInternal(XGDMatrixSetStrFeatureInfo(matrix, "feature_name", names.data(),
                                                static_cast<bst_ulong>(names.size())),
                     "setting the matrix's feature names");
}

}  // namespace

struct XgboostTrainer::State {
  // Declared before the booster so that the booster is freed first.
  OwnedDMatrix train;
  std::vector<OwnedDMatrix> evals;
  std::vector<int64_t> eval_rows;
  OwnedBooster booster;
  int64_t num_rows = 0;
  int64_t num_features = 0;
  std::vector<std::string> feature_names;  // as given, or f0, f1, ...
  bool names_given = false;                // set on the booster and every matrix
  int rounds = 0;

  // Predicts on `matrix` (registered or not) from the first `num_rounds`.
  absl::StatusOr<std::vector<float>> PredictOn(DMatrixHandle matrix, int64_t rows,
                                               int num_rounds) const {
    if (num_rounds < 0 || num_rounds > rounds) {
      return absl::InvalidArgumentError(absl::StrCat("cannot predict from the first ", num_rounds,
                                                     " rounds: ", rounds, " are trained"));
    }
    if (rows == 0) return std::vector<float>();
    const std::string config =
        absl::StrCat(R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":)",
                     num_rounds, R"(,"strict_shape":false})");
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    FSTORE_RETURN_IF_ERROR(XgbInternal(
        XGBoosterPredictFromDMatrix(booster.get(), matrix, config.c_str(), &shape, &dim, &out),
        "predicting"));
    bst_ulong size = dim == 0 ? 0 : 1;
    for (bst_ulong i = 0; i < dim; ++i) size *= shape[i];
    if (size != static_cast<bst_ulong>(rows)) {
      return absl::InternalError(absl::StrCat("XGBoost returned ", size, " predictions for ", rows,
                                              " rows (not a single-output objective?)"));
    }
    return std::vector<float>(out, out + size);
  }

  // The feature names to hand XGBoost: none when the caller gave none.
  std::vector<const char*> NamePointers() const {
    std::vector<const char*> pointers;
    if (names_given) {
      for (const std::string& name : feature_names) pointers.push_back(name.c_str());
    }
    return pointers;
  }

  absl::Status CheckTrained(absl::string_view what) const {
    if (rounds > 0) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("cannot ", what, " before the first round"));
  }

  absl::Status CheckColumns(const DenseMatrixView& m, absl::string_view what) const {
    FSTORE_RETURN_IF_ERROR(CheckShape(m, what));
    if (m.num_cols != num_features) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " has ", m.num_cols, " columns but the model has ", num_features, " features"));
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<XgboostTrainer> XgboostTrainer::Create(
    const XgboostTrainingSet& train, const std::map<std::string, std::string>& params) {
  FSTORE_RETURN_IF_ERROR(CheckTrainingSet(train));
  auto state = std::make_unique<State>();
  state->num_rows = train.features.num_rows;
  state->num_features = train.features.num_cols;
  state->feature_names = train.feature_names;
  state->names_given = !train.feature_names.empty();
  if (!state->names_given) {
    for (int64_t c = 0; c < state->num_features; ++c) {
      state->feature_names.push_back(absl::StrCat("f", c));
    }
  }
  const std::vector<const char*> names = state->NamePointers();

  FSTORE_RETURN_IF_ERROR(CreateDMatrix(train.features, "training matrix", &state->train));
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGDMatrixSetFloatInfo(state->train.get(), "label", train.labels.data(),
                                        static_cast<bst_ulong>(train.labels.size())),
                  "setting labels"));
  if (!train.weights.empty()) {
    FSTORE_RETURN_IF_ERROR(
        XgbInternal(XGDMatrixSetFloatInfo(state->train.get(), "weight", train.weights.data(),
                                          static_cast<bst_ulong>(train.weights.size())),
                    "setting weights"));
  }
  FSTORE_RETURN_IF_ERROR(SetFeatureNames(state->train.get(), names));

  DMatrixHandle cached[] = {state->train.get()};
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterCreate(cached, 1, state->booster.out()), "creating an XGBoost booster"));
  if (!names.empty()) {
    std::vector<const char*> booster_names = names;
    FSTORE_RETURN_IF_ERROR(XgbInternal(
        XGBoosterSetStrFeatureInfo(state->booster.get(), "feature_name", booster_names.data(),
                                   static_cast<bst_ulong>(booster_names.size())),
        "setting the booster's feature names"));
  }
  for (const auto& [name, value] : params) {
    FSTORE_RETURN_IF_ERROR(
        FromXgboost(XGBoosterSetParam(state->booster.get(), name.c_str(), value.c_str()),
                    absl::StatusCode::kInvalidArgument,
                    absl::StrCat("XGBoost refused parameter ", name, "=", value)));
  }
  // XGBoost configures lazily; saving the configuration forces it now, so a
  // bad value fails here rather than in the first round.
  bst_ulong config_size = 0;
  const char* config = nullptr;
  FSTORE_RETURN_IF_ERROR(
      FromXgboost(XGBoosterSaveJsonConfig(state->booster.get(), &config_size, &config),
                  absl::StatusCode::kInvalidArgument, "XGBoost refused the parameters"));
  return XgboostTrainer(std::move(state));
}

XgboostTrainer::XgboostTrainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
XgboostTrainer::XgboostTrainer(XgboostTrainer&& other) noexcept = default;
XgboostTrainer& XgboostTrainer::operator=(XgboostTrainer&& other) noexcept = default;
XgboostTrainer::~XgboostTrainer() = default;

int64_t XgboostTrainer::NumFeatures() const { return state_->num_features; }

int XgboostTrainer::RoundsTrained() const { return state_->rounds; }

absl::Status XgboostTrainer::TrainOneRound() {
  FSTORE_RETURN_IF_ERROR(XgbInternal(
      XGBoosterUpdateOneIter(state_->booster.get(), state_->rounds, state_->train.get()),
      absl::StrCat("training round ", state_->rounds)));
  ++state_->rounds;
  return absl::OkStatus();
}

absl::StatusOr<int> XgboostTrainer::AddEvalMatrix(DenseMatrixView matrix) {
  FSTORE_RETURN_IF_ERROR(state_->CheckColumns(matrix, "evaluation matrix"));
  OwnedDMatrix dmatrix;
  FSTORE_RETURN_IF_ERROR(CreateDMatrix(matrix, "evaluation matrix", &dmatrix));
  FSTORE_RETURN_IF_ERROR(SetFeatureNames(dmatrix.get(), state_->NamePointers()));
  state_->evals.push_back(std::move(dmatrix));
  state_->eval_rows.push_back(matrix.num_rows);
  return static_cast<int>(state_->evals.size() - 1);
}

absl::StatusOr<std::vector<float>> XgboostTrainer::PredictEval(int eval_id, int num_rounds) const {
  if (eval_id < 0 || static_cast<size_t>(eval_id) >= state_->evals.size()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown evaluation matrix id ", eval_id, " (",
                                                   state_->evals.size(), " registered)"));
  }
  return state_->PredictOn(state_->evals[eval_id].get(), state_->eval_rows[eval_id], num_rounds);
}

absl::StatusOr<std::vector<float>> XgboostTrainer::Predict(DenseMatrixView matrix,
                                                           int num_rounds) const {
  FSTORE_RETURN_IF_ERROR(state_->CheckColumns(matrix, "prediction matrix"));
  OwnedDMatrix dmatrix;
  FSTORE_RETURN_IF_ERROR(CreateDMatrix(matrix, "prediction matrix", &dmatrix));
  return state_->PredictOn(dmatrix.get(), matrix.num_rows, num_rounds);
}

absl::StatusOr<std::string> XgboostTrainer::SaveModel(absl::string_view format) const {
  FSTORE_RETURN_IF_ERROR(state_->CheckTrained("save the model"));
  return SaveBoosterToBuffer(state_->booster.get(), format);
}

absl::StatusOr<std::vector<FeatureImportance>> XgboostTrainer::FeatureImportances() const {
  FSTORE_RETURN_IF_ERROR(state_->CheckTrained("compute feature importance"));
  std::vector<FeatureImportance> result(state_->feature_names.size());
  std::map<std::string, size_t> column;
  for (size_t c = 0; c < state_->feature_names.size(); ++c) {
    result[c].feature = state_->feature_names[c];
    column[state_->feature_names[c]] = c;
  }
  for (absl::string_view type : {"weight", "total_gain", "gain"}) {
    const std::string config = absl::StrCat(R"({"importance_type":")", type, R"("})");
    bst_ulong num_features = 0;
    const char** features = nullptr;
    bst_ulong dim = 0;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    FSTORE_RETURN_IF_ERROR(
        XgbInternal(XGBoosterFeatureScore(state_->booster.get(), config.c_str(), &num_features,
                                          &features, &dim, &shape, &scores),
                    absl::StrCat("computing ", type, " feature importance")));
    if (dim != 1 || shape[0] != num_features) {
      return absl::InternalError(absl::StrCat("XGBoost returned ", type,
                                              " importance of unexpected shape (dim ", dim, ")"));
    }
    for (bst_ulong i = 0; i < num_features; ++i) {
      auto it = column.find(features[i]);
      if (it == column.end()) {
        return absl::InternalError(
            absl::StrCat("XGBoost reported importance for unknown feature '", features[i], "'"));
      }
      FeatureImportance& f = result[it->second];
      if (type == "weight") {
        f.splits = static_cast<int64_t>(std::llround(scores[i]));
      } else if (type == "total_gain") {
        f.total_gain = scores[i];
      } else {
        f.gain = scores[i];
      }
    }
  }
  return result;
}

}  // namespace fstore
