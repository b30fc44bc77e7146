#include "common/quoted_value.h"

#include "absl/strings/str_cat.h"

namespace fstore {

std::string ShortenedValue(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return std::string(value);
  size_t cut = kMaxQuotedBytes;
  // Back to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(value.substr(0, cut), "... (", value.size(), " bytes)");
}

std::string QuotedValue(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return absl::StrCat("'", value, "'");
  size_t cut = kMaxQuotedBytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("'", value.substr(0, cut), "...' (", value.size(), " bytes)");
}

}  // namespace fstore
