#include "common/quoted_value.h"

#include "absl/strings/str_cat.h"

namespace fstore {

namespace {

// Where to cut `value` (longer than max_bytes) so that at most max_bytes
// stay: back to the start of a UTF-8 character (continuation bytes are
// 10xxxxxx).
size_t CutAt(absl::string_view value, size_t max_bytes) {
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

std::string ShortenedValue(absl::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return std::string(value);
  return absl::StrCat(value.substr(0, CutAt(value, max_bytes)), "... (", value.size(), " bytes)");
}

std::string QuotedValue(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("'", value, "'");
  return absl::StrCat("'", value.substr(0, CutAt(value, kMaxQuotedBytes)), "...' (", value.size(),
                      " bytes)");
}

}  // namespace fstore
