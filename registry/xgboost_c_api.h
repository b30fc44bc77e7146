// The glue between XGBoost's C API and fstore, shared by the only two files
// that call that API, registry/xgboost_booster.cc (loading and predicting)
// and training/xgboost_trainer.cc (training). Not part of any library
// interface: nothing outside those two files includes it.
//
// FromXgboost is the one conversion of an XGBoost result code into an
// absl::Status; SaveBoosterToBuffer the one way a model is serialized;
// OwnedDMatrix and OwnedBooster free their handles.
#ifndef FSTORE_REGISTRY_XGBOOST_C_API_H_
#define FSTORE_REGISTRY_XGBOOST_C_API_H_

#include <xgboost/c_api.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace fstore {

// 0 is OK; anything else carries XGBGetLastError() (thread-local in XGBoost).
inline absl::Status FromXgboost(int rc, absl::StatusCode code, absl::string_view context) {
  if (rc == 0) return absl::OkStatus();
  const char* error = XGBGetLastError();
  return absl::Status(code, absl::StrCat(context, ": ", error != nullptr ? error : "(no message)"));
}

inline absl::Status XgbInternal(int rc, absl::string_view context) {
  return FromXgboost(rc, absl::StatusCode::kInternal, context);
}

// The model of `handle` serialized as `format`: "json" or "ubjson"
// (InvalidArgument naming any other).
inline absl::StatusOr<std::string> SaveBoosterToBuffer(BoosterHandle handle,
                                                       absl::string_view format) {
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
  const absl::Status saved =
      XgbInternal(XGBoosterSaveModelToBuffer(handle, config, &size, &data), "saving XGBoost model");
  if (!saved.ok()) return saved;
  return std::string(data, size);
}

// Owns a DMatrixHandle.
class OwnedDMatrix {
 public:
  OwnedDMatrix() = default;
  OwnedDMatrix(OwnedDMatrix&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  OwnedDMatrix& operator=(OwnedDMatrix&&) = delete;
  OwnedDMatrix(const OwnedDMatrix&) = delete;
  OwnedDMatrix& operator=(const OwnedDMatrix&) = delete;
  ~OwnedDMatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
  }
  DMatrixHandle* out() { return &handle_; }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

// Owns a BoosterHandle until released.
class OwnedBooster {
 public:
  OwnedBooster() = default;
  OwnedBooster(const OwnedBooster&) = delete;
  OwnedBooster& operator=(const OwnedBooster&) = delete;
  ~OwnedBooster() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
  }
  BoosterHandle* out() { return &handle_; }
  BoosterHandle get() const { return handle_; }
  BoosterHandle Release() { return std::exchange(handle_, nullptr); }

 private:
  BoosterHandle handle_ = nullptr;
};

}  // namespace fstore

#endif  // FSTORE_REGISTRY_XGBOOST_C_API_H_
