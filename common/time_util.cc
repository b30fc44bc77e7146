#include "common/time_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"

namespace fstore {
namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[*pos]; advances *pos.
bool ReadDigits(absl::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

absl::Status BadTime(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot parse time ", QuotedValue(text),
                   ": expected ISO-8601 UTC such as 2026-01-05T10:00:00Z"));
}

}  // namespace

TimestampUs NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<TimestampUs> ParseIsoTime(absl::string_view text) {
  size_t pos = 0;
  int year, month, day;
  if (!ReadDigits(text, &pos, 4, &year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadDigits(text, &pos, 2, &day)) {
    return BadTime(text);
  }
  if (month < 1 || month > 12 || day < 1 || day > static_cast<int>(DaysInMonth(year, month))) {
    return BadTime(text);
  }
  int hour = 0, minute = 0, second = 0;
  int64_t micros = 0;
  int64_t offset_us = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
      return BadTime(text);
    }
    ++pos;
    if (!ReadDigits(text, &pos, 2, &hour) || pos >= text.size() || text[pos++] != ':' ||
        !ReadDigits(text, &pos, 2, &minute)) {
      return BadTime(text);
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, &pos, 2, &second)) return BadTime(text);
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (digits < 6) micros = micros * 10 + (text[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return BadTime(text);
        for (int i = digits; i < 6; ++i) micros *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return BadTime(text);
    if (pos == text.size()) return BadTime(text);  // a zone is required
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh, om = 0;
      if (!ReadDigits(text, &pos, 2, &oh)) return BadTime(text);
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (pos < text.size() && !ReadDigits(text, &pos, 2, &om)) {
        return BadTime(text);
      }
      if (oh > 23 || om > 59) return BadTime(text);
      offset_us = sign * (oh * 3600LL + om * 60LL) * kMicrosPerSecond;
    } else {
      return BadTime(text);
    }
    if (pos != text.size()) return BadTime(text);
  }
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
  return seconds * kMicrosPerSecond + micros - offset_us;
}

absl::StatusOr<TimestampUs> ParseTimeArg(absl::string_view text, TimestampUs now) {
  if (text == "now") return now;
  // An offset from now: "now-1h", "now+10m", "-1h", "+10m".
  const absl::string_view offset = text.substr(0, 3) == "now" ? text.substr(3) : text;
  if (!offset.empty() && (offset[0] == '-' || offset[0] == '+')) {
    auto d = ParseDuration(offset.substr(1));
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot parse time ", QuotedValue(text), ": ", d.status().message()));
    }
    return offset[0] == '-' ? now - *d : now + *d;
  }
  // Whole epoch seconds.
  if (!text.empty() && text.size() <= 12 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    for (char c : text) seconds = seconds * 10 + (c - '0');
    return seconds * kMicrosPerSecond;
  }
  absl::StatusOr<TimestampUs> t = ParseIsoTime(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        t.status().message(), "; a time is ISO-8601 (2026-01-05T10:00:00Z), epoch seconds, now, ",
        "or an offset such as -1h or now-1h"));
  }
  return t;
}

std::string FormatIsoTime(TimestampUs t) {
  int64_t seconds = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  if (micros == 0) {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y),
                  m, d, static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                  static_cast<int>(sod % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                  static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                  static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60),
                  static_cast<long long>(micros));
  }
  return buf;
}

absl::StatusOr<DurationUs> ParseDuration(absl::string_view text) {
  size_t pos = 0;
  int64_t n = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (n > std::numeric_limits<int64_t>::max() / 10) break;
    n = n * 10 + (text[pos] - '0');
    ++pos;
  }
  const absl::string_view unit = text.substr(pos);
  int64_t scale = 0;
  if (unit == "us")
    scale = 1;
  else if (unit == "ms")
    scale = 1000;
  else if (unit == "s")
    scale = kMicrosPerSecond;
  else if (unit == "m")
    scale = 60 * kMicrosPerSecond;
  else if (unit == "h")
    scale = 3600 * kMicrosPerSecond;
  else if (unit == "d")
    scale = 86400 * kMicrosPerSecond;
  else if (unit == "w")
    scale = 7 * 86400 * kMicrosPerSecond;
  if (pos == 0 || scale == 0 || n > std::numeric_limits<int64_t>::max() / scale) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse duration ", QuotedValue(text),
                     ": expected a whole number and a unit (us, ms, s, m, h, d, w), e.g. 10m"));
  }
  return n * scale;
}

std::string FormatDuration(DurationUs d) {
  struct Unit {
    int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400 * kMicrosPerSecond, "d"},
                                    {3600 * kMicrosPerSecond, "h"},
                                    {60 * kMicrosPerSecond, "m"},
                                    {kMicrosPerSecond, "s"},
                                    {1000, "ms"}};
  if (d == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (d % u.scale == 0) return absl::StrCat(d / u.scale, u.name);
  }
  return absl::StrCat(d, "us");
}

}  // namespace fstore
