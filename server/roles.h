// Roles: what a caller may do (README "Security"). A principal holds a set
// of roles; admin may do everything, the others only their own calls:
//
//   reader    definitions, online features, snapshots list, models list/
//             show/history, artifacts download, drift, quality, live
//             performance, dead letters, historical retrieval and export
//   scorer    Score, ScoreStream, BatchScore
//   ingester  Ingest, IngestStream, Feedback
//   modeler   models, versions and artifacts created, promotion to Staging
//             (or None/Archived of a version not in Production), aliases
//             that do not reach a Production version
//   admin     everything: apply, delete, promotion to and from Production,
//             snapshots create and delete
//
// Plain values; thread-compatible.
#ifndef FSTORE_SERVER_ROLES_H_
#define FSTORE_SERVER_ROLES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

enum class Role : uint8_t { kReader, kScorer, kIngester, kModeler, kAdmin };

// "reader", "scorer", ...
absl::string_view RoleName(Role role);
// Parses a role name (lower case); InvalidArgument listing the roles otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// A set of roles.
class RoleSet {
 public:
  RoleSet() = default;
  static RoleSet Of(Role role) { return RoleSet().With(role); }
  // Parses "reader,scorer" (comma-separated role names, at least one).
  static absl::StatusOr<RoleSet> Parse(absl::string_view text);

  RoleSet With(Role role) const {
    RoleSet s = *this;
    s.bits_ |= Bit(role);
    return s;
  }
  bool Has(Role role) const { return (bits_ & Bit(role)) != 0; }
  // True when a holder may make a call that needs `role`: it holds it or admin.
  bool Allows(Role role) const { return Has(role) || Has(Role::kAdmin); }
  bool empty() const { return bits_ == 0; }
  // "reader,scorer", in the order of Role.
  std::string ToString() const;
  bool operator==(const RoleSet&) const = default;

 private:
  static uint8_t Bit(Role role) { return static_cast<uint8_t>(1u << static_cast<unsigned>(role)); }
  uint8_t bits_ = 0;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_ROLES_H_
