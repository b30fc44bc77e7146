// Time in fstore: int64 microseconds since the Unix epoch, UTC, everywhere
// (wire, storage, memory). This header parses and prints such times and
// durations for people and files.
#ifndef FSTORE_COMMON_TIME_UTIL_H_
#define FSTORE_COMMON_TIME_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

// Microseconds since the Unix epoch, UTC.
using TimestampUs = int64_t;
// A length of time in microseconds.
using DurationUs = int64_t;

inline constexpr DurationUs kMicrosPerSecond = 1'000'000;

// The current wall-clock time.
TimestampUs NowUs();

// Parses an ISO-8601 UTC time: "2026-01-05T10:00:00Z", with optional
// fractional seconds ("...:00.123456Z"), a numeric offset ("+02:00") or a
// plain date ("2026-01-05", midnight UTC). Fails with InvalidArgument naming
// the text.
absl::StatusOr<TimestampUs> ParseIsoTime(absl::string_view text);

// Parses what a person types for a time: ISO-8601 as above, "now", offsets
// "now-1h", "-1h", "+10m" (ParseDuration's units), or whole epoch seconds.
absl::StatusOr<TimestampUs> ParseTimeArg(absl::string_view text, TimestampUs now);

// Prints "2026-01-05T10:00:00Z", with ".ffffff" only when the time has a
// fractional part.
std::string FormatIsoTime(TimestampUs t);

// Parses "90s", "10m", "1h", "7d", "2w", "500ms", "250us" (a number, a unit).
// Fails with InvalidArgument naming the text and the accepted units.
absl::StatusOr<DurationUs> ParseDuration(absl::string_view text);

// Prints the shortest exact form: "7d", "1h", "90s", "1500ms", "3us".
std::string FormatDuration(DurationUs d);

}  // namespace fstore

#endif  // FSTORE_COMMON_TIME_UTIL_H_
