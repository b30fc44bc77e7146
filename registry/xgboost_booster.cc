#include "registry/xgboost_booster.h"

#include <xgboost/c_api.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

// The one conversion of an XGBoost C API result into absl::Status: 0 is OK,
// anything else carries XGBGetLastError() (thread-local in XGBoost).
absl::Status FromXgboost(int rc, absl::StatusCode code, absl::string_view context) {
  if (rc == 0) return absl::OkStatus();
  const char* error = XGBGetLastError();
  return absl::Status(code, absl::StrCat(context, ": ", error != nullptr ? error : "(no message)"));
}

absl::Status XgbInternal(int rc, absl::string_view context) {
  return FromXgboost(rc, absl::StatusCode::kInternal, context);
}

// Owns a DMatrixHandle.
class DMatrix {
 public:
  DMatrix() = default;
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  ~DMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrixHandle* out() { return &handle_; }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

// Owns a BoosterHandle until released.
class BoosterOwner {
 public:
  BoosterOwner() = default;
  BoosterOwner(const BoosterOwner&) = delete;
  BoosterOwner& operator=(const BoosterOwner&) = delete;
  ~BoosterOwner() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  BoosterHandle* out() { return &handle_; }
  BoosterHandle get() const { return handle_; }
  BoosterHandle Release() { return std::exchange(handle_, nullptr); }

 private:
  BoosterHandle handle_ = nullptr;
};

absl::StatusOr<std::string> SaveToBuffer(BoosterHandle handle, absl::string_view format) {
  const char* config = nullptr;
  if (format == "json") {
    config = R"({"format":"json"})";
  } else if (format == "ubjson") {
    config = R"({"format":"ubj"})";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown model format '", format, "': expected json or ubjson"));
  }
  bst_ulong size = 0;
  const char* data = nullptr;
  FSTORE_RETURN_IF_ERROR(XgbInternal(XGBoosterSaveModelToBuffer(handle, config, &size, &data),
                                     "saving XGBoost model"));
  return std::string(data, size);
}

}  // namespace

absl::StatusOr<std::string> DetectModelFormat(absl::string_view bytes) {
  if (bytes.size() >= 2 && bytes[0] == '{') {
    if (bytes[1] == '"') return std::string("json");
    if (std::isalpha(static_cast<unsigned char>(bytes[1]))) return std::string("ubjson");
  }
  if (bytes.empty()) return absl::InvalidArgumentError("model bytes are empty");
  return absl::InvalidArgumentError(
      absl::StrCat("model bytes (", bytes.size(),
                   " bytes) are not an XGBoost JSON or UBJSON model: save it with "
                   "Booster.save_model(\"model.json\") or \"model.ubj\""));
}

absl::StatusOr<XgboostBooster> XgboostBooster::Load(absl::string_view bytes) {
  FSTORE_ASSIGN_OR_RETURN(const std::string format, DetectModelFormat(bytes));
  BoosterOwner booster;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterCreate(nullptr, 0, booster.out()), "creating an XGBoost booster"));
  FSTORE_RETURN_IF_ERROR(FromXgboost(
      XGBoosterLoadModelFromBuffer(booster.get(), bytes.data(), bytes.size()),
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

absl::StatusOr<std::vector<float>> XgboostBooster::Predict(const std::vector<float>& rows,
                                                           int num_rows, int num_cols) const {
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
  DMatrix matrix;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGDMatrixCreateFromMat(rows.data(), static_cast<bst_ulong>(num_rows),
                                         static_cast<bst_ulong>(num_cols),
                                         std::numeric_limits<float>::quiet_NaN(), matrix.out()),
                  "building the prediction matrix"));
  bst_ulong size = 0;
  const float* out = nullptr;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterPredict(handle_, matrix.get(), /*option_mask=*/0, /*ntree_limit=*/0,
                                   /*training=*/0, &size, &out),
                  "predicting"));
  return std::vector<float>(out, out + size);
}

absl::StatusOr<std::string> XgboostBooster::Save(absl::string_view format) const {
  return SaveToBuffer(handle_, format);
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
  DMatrix train;
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGDMatrixCreateFromMat(data.data(), kRows, static_cast<bst_ulong>(num_features),
                                         std::numeric_limits<float>::quiet_NaN(), train.out()),
                  "building the training matrix"));
  FSTORE_RETURN_IF_ERROR(XgbInternal(
      XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), kRows), "setting labels"));
  BoosterOwner booster;
  DMatrixHandle matrices[] = {train.get()};
  FSTORE_RETURN_IF_ERROR(
      XgbInternal(XGBoosterCreate(matrices, 1, booster.out()), "creating an XGBoost booster"));
  const std::string seed_text = std::to_string(seed % 1000000007);
  const std::pair<const char*, const char*> params[] = {{"objective", "binary:logistic"},
                                                        {"max_depth", "3"},
                                                        {"eta", "0.3"},
                                                        {"nthread", "1"},
                                                        {"verbosity", "0"},
                                                        {"seed", seed_text.c_str()}};
  for (const auto& [name, value] : params) {
    FSTORE_RETURN_IF_ERROR(XgbInternal(XGBoosterSetParam(booster.get(), name, value),
                                       absl::StrCat("setting parameter ", name)));
  }
  for (int i = 0; i < rounds; ++i) {
    FSTORE_RETURN_IF_ERROR(XgbInternal(XGBoosterUpdateOneIter(booster.get(), i, train.get()),
                                       absl::StrCat("training round ", i)));
  }
  return SaveToBuffer(booster.get(), format);
}

}  // namespace fstore
