#include "server/roles.h"

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace fstore {
namespace {

constexpr std::array<Role, 5> kRoles = {Role::kReader, Role::kScorer, Role::kIngester,
                                        Role::kModeler, Role::kAdmin};

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kScorer:
      return "scorer";
    case Role::kIngester:
      return "ingester";
    case Role::kModeler:
      return "modeler";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : kRoles) {
    if (RoleName(role) == name) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role '", name, "'; roles are reader, scorer, ingester, modeler, admin"));
}

absl::StatusOr<RoleSet> RoleSet::Parse(absl::string_view text) {
  RoleSet roles;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    absl::StatusOr<Role> role = ParseRole(part);
    if (!role.ok()) return role.status();
    roles = roles.With(*role);
  }
  if (roles.empty()) {
    return absl::InvalidArgumentError(
        "no role given; roles are reader, scorer, ingester, modeler, admin (comma-separated)");
  }
  return roles;
}

std::string RoleSet::ToString() const {
  std::string out;
  for (Role role : kRoles) {
    if (Has(role)) absl::StrAppend(&out, out.empty() ? "" : ",", RoleName(role));
  }
  return out;
}

}  // namespace fstore
