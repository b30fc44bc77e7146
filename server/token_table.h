// TokenTable: the bearer tokens fsd accepts (--auth_tokens FILE), each
// mapped to a principal and its roles. The file holds one token per line:
//
//   # sha256(token)                                                   principal  roles
//   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 alice      reader,scorer
//
// Only the SHA-256 of a token is stored (hex, 64 digits), so the file holds
// no secret; `printf %s "$TOKEN" | sha256sum` makes one. Blank lines and
// lines starting with '#' are skipped. Parse errors name the file and line;
// a digest listed twice is an error.
//
// Thread-safety: immutable after Parse/Load; safe for concurrent Find.
#ifndef FSTORE_SERVER_TOKEN_TABLE_H_
#define FSTORE_SERVER_TOKEN_TABLE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/roles.h"

namespace fstore {

struct Principal {
  std::string name;
  RoleSet roles;
};

class TokenTable {
 public:
  // `origin` names the text in errors (the file's path).
  static absl::StatusOr<TokenTable> Parse(absl::string_view text, absl::string_view origin);
  // Reads and parses `path`; NotFound / PermissionDenied when unreadable.
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  // The principal `token` (the secret itself, not its digest) belongs to;
  // nullptr when the table does not hold it.
  const Principal* Find(absl::string_view token) const;
  size_t size() const { return by_digest_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_digest_;  // hex SHA-256 -> principal
};

}  // namespace fstore

#endif  // FSTORE_SERVER_TOKEN_TABLE_H_
