// QuotedValue: a value a user sent, quoted for an error message, bounded.
// Messages name the bad value, but a value can be megabytes long (a 1 MB
// model name once made a 1 MB error that the client could not receive): at
// most kMaxQuotedBytes of it are quoted, cut on a UTF-8 character boundary,
// followed by its length.
//
//   QuotedValue("fraud")        -> 'fraud'
//   QuotedValue(1 MB of "a")    -> 'aaa...' (1048576 bytes), 200 a's quoted
//
// Thread-safety: a pure function.
#ifndef FSTORE_COMMON_QUOTED_VALUE_H_
#define FSTORE_COMMON_QUOTED_VALUE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace fstore {

inline constexpr size_t kMaxQuotedBytes = 200;

std::string QuotedValue(absl::string_view value);

// The same without the quotes (for values a message already sets apart),
// at most `max_bytes` of it.
std::string ShortenedValue(absl::string_view value, size_t max_bytes = kMaxQuotedBytes);

}  // namespace fstore

#endif  // FSTORE_COMMON_QUOTED_VALUE_H_
