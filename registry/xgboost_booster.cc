#include "registry/xgboost_booster.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/xgboost_c_api.h"

namespace fstore {
namespace {

// XGBoosterPredict's option_mask bits.
constexpr int kOptionNone = 0;
constexpr int kOptionOutputMargin = 1;
constexpr int kOptionContributions = 4;
constexpr int kOptionApproximateContributions = 8;

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Trains `rounds` rounds on `num_rows` dense rows of `num_features` (NaN is
// missing) with `params` applied in order; `feature_types` (one per feature,
// "q" or "c") when not empty. Returns the model serialized as `format`.
absl::StatusOr<std::string> TrainDense(const std::vector<float>& data,
                                       const std::vector<float>& labels, int num_rows,
                                       int num_features,
                                       const std::vector<std::string>& feature_types,
                                       const ParamList& params, int rounds,
                                       absl::string_view format) {
  OwnedDMatrix train;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGDMatrixCreateFromMat(data.data(), static_cast<bst_ulong>(num_rows),
                                         static_cast<bst_ulong>(num_features),
                                         std::numeric_limits<float>::quiet_NaN(), train.out()),
                  "building the training matrix"));
  FSTORE_RETURN_IF_ERROR(XgbInternal(
      XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), static_cast<bst_ulong>(num_rows)),
      "setting labels"));
  if (!feature_types.empty()) {
    std::vector<const char*> types;
    for (const std::string& type : feature_types) types.push_back(type.c_str());
    FSTORE_RETURN_IF_ERROR(
        XgbInternal(XGDMatrixSetStrFeatureInfo(train.get(), "feature_type", types.data(),
                                               static_cast<bst_ulong>(types.size())),
                    "setting feature types"));
  }
  OwnedBooster booster;
  DMatrixHandle matrices[] = {train.get()};
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterCreate(matrices, 1, booster.out()), "creating an XGBoost booster"));
  for (const auto& [name, value] : params) {
    FSTORE_RETURN_IF_ERROR(
        XgbInternal(XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()),
                    absl::StrCat("setting parameter ", name, "=", value)));
  }
  for (int i = 0; i < rounds; ++i) {
    FSTORE_RETURN_IF_ERROR(XgbInternal(XGBoosterUpdateOneIter(booster.get(), i, train.get()),
                                       absl::StrCat("training round ", i)));
  }
  return SaveBoosterToBuffer(booster.get(), format);
}

}  // namespace

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The index of the first byte at or after `from` that is not JSON
// whitespace (bytes.size() when there is none).
size_t SkipJsonSpace(absl::string_view bytes, size_t from) {
  while (from < bytes.size() && IsJsonSpace(bytes[from])) ++from;
  return from;
}

// `json` without the whitespace outside its strings: XGBoost's reader
// refuses some that JSON allows (before the first key, before a closing
// bracket), as a pretty-printed model has.
std::string CompactJson(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (!IsJsonSpace(c)) {
      out.push_back(c);
      in_string = c == '"';
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> DetectModelFormat(absl::string_view bytes) {
  // JSON may open with whitespace and be indented (a model saved
  // pretty-printed); UBJSON never has whitespace before its first key.
  const size_t open = SkipJsonSpace(bytes, 0);
  if (open < bytes.size() && bytes[open] == '{') {
    const size_t first = SkipJsonSpace(bytes, open + 1);
    if (first < bytes.size() && bytes[first] == '"') return std::string("json");
    if (open == 0 && first == 1 && first < bytes.size() &&
        std::isalpha(static_cast<unsigned char>(bytes[first]))) {
      return std::string("ubjson");
    }
  }
  if (bytes.empty()) return absl::InvalidArgumentError("model bytes are empty");
  return absl::InvalidArgumentError(
      absl::StrCat("model bytes (", bytes.size(),
                   " bytes) are not an XGBoost JSON or UBJSON model: save it with "
                   "Booster.save_model(\"model.json\") or \"model.ubj\""));
}

absl::StatusOr<XgboostBooster> XgboostBooster::Load(absl::string_view bytes) {
  FSTORE_ASSIGN_OR_RETURN(const std::string format, DetectModelFormat(bytes));
  // XGBoost reads JSON without whitespace outside strings, so that an
  // indented model loads as the compact one (CompactJson).
  std::string compact;
  absl::string_view model = bytes;
  if (format == "json") {
    compact = CompactJson(bytes);
    model = compact;
  }
  OwnedBooster booster;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterCreate(nullptr, 0, booster.out()), "creating an XGBoost booster"));
  FSTORE_RETURN_IF_ERROR(FromXgboost(
      XGBoosterLoadModelFromBuffer(booster.get(), model.data(), model.size()),
      absl::StatusCode::kInvalidArgument,
      absl::StrCat("XGBoost refused the ", format, " model (", bytes.size(), " bytes)")));
  bst_ulong num_features = 0;
  FSTORE_RETURN_IF_ERROR(FromXgboost(XGBoosterGetNumFeature(booster.get(), &num_features),
                                     absl::StatusCode::kInvalidArgument,
                                     "reading the model's feature count"));
  return XgboostBooster(booster.Release(), static_cast<int64_t>(num_features));
}

XgboostBooster::XgboostBooster(void* handle, int64_t num_features)
    : handle_(handle), num_features_(num_features) {}

XgboostBooster::XgboostBooster(XgboostBooster&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), num_features_(other.num_features_) {}

XgboostBooster& XgboostBooster::operator=(XgboostBooster&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) XGBoosterFree(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    num_features_ = other.num_features_;
  }
  return *this;
}

XgboostBooster::~XgboostBooster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

absl::StatusOr<std::vector<std::string>> XgboostBooster::FeatureNames() const {
  bst_ulong count = 0;
  const char** names = nullptr;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterGetStrFeatureInfo(handle_, "feature_name", &count, &names),
                  "reading the model's feature names"));
  // The strings live in XGBoost's thread-local memory: copied at once.
  return std::vector<std::string>(names, names + count);
}

absl::StatusOr<std::vector<float>> XgboostBooster::Predict(const std::vector<float>& rows,
                                                           int num_rows, int num_cols) const {
  return PredictWithOptions(rows, num_rows, num_cols, kOptionNone);
}

absl::StatusOr<std::vector<float>> XgboostBooster::PredictMargin(const std::vector<float>& rows,
                                                                 int num_rows, int num_cols) const {
  return PredictWithOptions(rows, num_rows, num_cols, kOptionOutputMargin);
}

absl::StatusOr<std::vector<float>> XgboostBooster::PredictContributions(
    const std::vector<float>& rows, int num_rows, int num_cols, bool approximate) const {
  return PredictWithOptions(
      rows, num_rows, num_cols,
      kOptionContributions | (approximate ? kOptionApproximateContributions : kOptionNone));
}

absl::StatusOr<std::vector<float>> XgboostBooster::PredictWithOptions(
    const std::vector<float>& rows, int num_rows, int num_cols, int option_mask) const {
  if (num_rows < 0 || num_cols < 0 ||
      rows.size() != static_cast<size_t>(num_rows) * static_cast<size_t>(num_cols)) {
    return absl::InvalidArgumentError(absl::StrCat("predict: ", rows.size(), " values are not ",
                                                   num_rows, " rows x ", num_cols, " columns"));
  }
  if (num_cols != num_features_) {
    return absl::InvalidArgumentError(absl::StrCat("predict: rows have ", num_cols,
                                                   " columns but the model has ", num_features_,
                                                   " features"));
  }
  if (num_rows == 0) return std::vector<float>();
  OwnedDMatrix matrix;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGDMatrixCreateFromMat(rows.data(), static_cast<bst_ulong>(num_rows),
                                         static_cast<bst_ulong>(num_cols),
                                         std::numeric_limits<float>::quiet_NaN(), matrix.out()),
                  "building the prediction matrix"));
  bst_ulong size = 0;
  const float* out = nullptr;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterPredict(handle_, matrix.get(), option_mask,
                                   /*ntree_limit=*/0, /*training=*/0, &size, &out),
                  "predicting"));
  return std::vector<float>(out, out + size);
}

absl::StatusOr<std::string> XgboostBooster::Save(absl::string_view format) const {
  return SaveBoosterToBuffer(handle_, format);
}

absl::StatusOr<std::string> TrainBoosterForTesting(int num_features, int rounds, uint64_t seed,
                                                   absl::string_view format) {
  if (num_features < 1 || rounds < 1) {
    return absl::InvalidArgumentError(absl::StrCat("TrainBoosterForTesting: num_features ",
                                                   num_features, " and rounds ", rounds,
                                                   " must be positive"));
  }
  constexpr int kRows = 256;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> data(static_cast<size_t>(kRows) * num_features);
  std::vector<float> labels(kRows);
  for (int r = 0; r < kRows; ++r) {
    float* row = &data[static_cast<size_t>(r) * num_features];
    for (int c = 0; c < num_features; ++c) row[c] = uniform(rng);
    const float signal = num_features >= 2 ? row[0] + row[1] : 2 * row[0];
    labels[r] = signal + 0.2f * (uniform(rng) - 0.5f) > 1.0f ? 1.0f : 0.0f;
  }
  const ParamList params = {{"objective", "binary:logistic"},
                            {"max_depth", "3"},
                            {"eta", "0.3"},
                            {"nthread", "1"},
                            {"verbosity", "0"},
                            {"seed", std::to_string(seed % 1000000007)}};
  return TrainDense(data, labels, kRows, num_features, /*feature_types=*/{}, params, rounds,
                    format);
}

absl::StatusOr<std::string> TrainBoosterForTesting(const TestBoosterSpec& spec) {
  if (spec.num_features < 1 || spec.num_rows < 2 || spec.rounds < 1 || spec.max_depth < 0 ||
      spec.num_categorical < 0 || spec.num_categorical > spec.num_features ||
      !(spec.missing_fraction >= 0.0 && spec.missing_fraction < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TrainBoosterForTesting: num_features ", spec.num_features, ", num_rows ", spec.num_rows,
        ", rounds ", spec.rounds, ", max_depth ", spec.max_depth, ", num_categorical ",
        spec.num_categorical, " or missing_fraction ", spec.missing_fraction, " out of range"));
  }
  const int num_features = spec.num_features;
  const int num_rows = spec.num_rows;
  std::mt19937_64 rng(spec.seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> weights(num_features);
  for (int c = 0; c < num_features; ++c) weights[c] = c < 2 ? 1.5f : 2.0f * uniform(rng) - 1.0f;

  // Each feature adds its weight times a shape that depends on its index:
  // linear, a wave, a bowl or a step; a missing cell adds a fixed 0.3.
  std::vector<float> data(static_cast<size_t>(num_rows) * num_features);
  std::vector<float> signals(num_rows);
  for (int r = 0; r < num_rows; ++r) {
    float* row = &data[static_cast<size_t>(r) * num_features];
    float signal = 0.0f;
    for (int c = 0; c < num_features; ++c) {
      const bool categorical = c < spec.num_categorical;
      const float x = categorical ? std::floor(6.0f * uniform(rng)) : uniform(rng);
      const bool missing = uniform(rng) < spec.missing_fraction;
      row[c] = missing ? std::numeric_limits<float>::quiet_NaN() : x;
      float shape = 0.3f;
      if (!missing && categorical) {
        shape = static_cast<float>((static_cast<int>(x) * 7) % 5) / 4.0f - 0.5f;
      } else if (!missing) {
        switch (c % 4) {
          case 0:
            shape = x;
            break;
          case 1:
            shape = std::sin(6.0f * x);
            break;
          case 2:
            shape = 4.0f * (x - 0.5f) * (x - 0.5f);
            break;
          default:
            shape = x > 0.7f ? 1.0f : 0.0f;
            break;
        }
      }
      signal += weights[c] * shape;
    }
    signals[r] = signal + noise(rng);
  }
  std::vector<float> sorted = signals;
  std::sort(sorted.begin(), sorted.end());
  const float median = sorted[num_rows / 2];
  const float lower_third = sorted[num_rows / 3];
  const float upper_third = sorted[2 * num_rows / 3];
  const bool multiclass = absl::StartsWith(spec.objective, "multi:");
  const bool regression = spec.objective == "reg:squarederror";
  std::vector<float> labels(num_rows);
  for (int r = 0; r < num_rows; ++r) {
    const float s = signals[r];
    if (regression) {
      labels[r] = s;
    } else if (multiclass) {
      labels[r] = s < lower_third ? 0.0f : (s < upper_third ? 1.0f : 2.0f);
    } else {
      labels[r] = s > median ? 1.0f : 0.0f;
    }
  }

  ParamList params = {{"objective", spec.objective},
                      {"max_depth", std::to_string(spec.max_depth)},
                      {"eta", "0.3"},
                      {"nthread", "1"},
                      {"verbosity", "0"},
                      {"seed", std::to_string(spec.seed % 1000000007)}};
  if (multiclass) params.emplace_back("num_class", "3");
  std::vector<std::string> feature_types;
  if (spec.num_categorical > 0) {
    params.emplace_back("tree_method", "hist");
    for (int c = 0; c < num_features; ++c) {
      feature_types.push_back(c < spec.num_categorical ? "c" : "q");
    }
  }
  params.insert(params.end(), spec.params.begin(), spec.params.end());
  return TrainDense(data, labels, num_rows, num_features, feature_types, params, spec.rounds,
                    spec.format);
}

}  // namespace fstore
