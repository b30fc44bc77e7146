#include "server/token_table.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/sha256.h"

namespace fstore {
namespace {

bool IsHexDigest(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text, absl::string_view origin) {
  TokenTable table;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", line_number, ": ", what));
    };
    if (fields.size() != 3) {
      return error(absl::StrCat("expected 3 fields (sha256-of-token principal roles), found ",
                                fields.size()));
    }
    if (!IsHexDigest(fields[0])) {
      return error(absl::StrCat("'", fields[0].substr(0, 80),
                                "' is not a SHA-256 in hex (64 digits); store the token's digest "
                                "(printf %s \"$TOKEN\" | sha256sum), never the token"));
    }
    absl::StatusOr<RoleSet> roles = RoleSet::Parse(fields[2]);
    if (!roles.ok()) return error(roles.status().message());
    const std::string digest = absl::AsciiStrToLower(fields[0]);
    Principal principal{std::string(fields[1]), *roles};
    if (!table.by_digest_.emplace(digest, std::move(principal)).second) {
      return error(absl::StrCat("the token of ", fields[1], " is listed twice"));
    }
  }
  return table;
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the token file ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

const Principal* TokenTable::Find(absl::string_view token) const {
  auto it = by_digest_.find(Sha256::Hex(token));
  return it == by_digest_.end() ? nullptr : &it->second;
}

}  // namespace fstore
