// Status propagation macros. Debian's abseil (20220623) predates
// ABSL_RETURN_IF_ERROR, so fstore carries its own two.
//
//   FSTORE_RETURN_IF_ERROR(DoThing());
//   FSTORE_ASSIGN_OR_RETURN(auto value, ComputeValue());
#ifndef FSTORE_COMMON_STATUS_MACROS_H_
#define FSTORE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FSTORE_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status _fstore_status = (expr); !_fstore_status.ok()) { \
      return _fstore_status;                                          \
    }                                                                 \
  } while (0)

#define FSTORE_STATUS_CONCAT_INNER(a, b) a##b
#define FSTORE_STATUS_CONCAT(a, b) FSTORE_STATUS_CONCAT_INNER(a, b)

#define FSTORE_ASSIGN_OR_RETURN(lhs, expr) \
  FSTORE_ASSIGN_OR_RETURN_IMPL(FSTORE_STATUS_CONCAT(_fstore_statusor_, __LINE__), lhs, expr)

#define FSTORE_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)  \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // FSTORE_COMMON_STATUS_MACROS_H_
