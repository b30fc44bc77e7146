#include "featurestore/csv_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace fstore {
namespace {

// Room that WriteNumber needs.
constexpr size_t kMaxNumberChars = 32;

// Writes the decimal text of an int64 or the shortest round-trip text of a
// double (std::to_chars, as ValueToText) at `p`; returns the end.
template <typename T>
char* WriteNumber(char* p, T v) {
  return std::to_chars(p, p + kMaxNumberChars, v).ptr;
}

// Writes `d` as std::to_chars(d) writes it (the shortest text that reads
// back as d, in fixed notation unless scientific is shorter), fast when d
// is a whole number of hundredths, as sums and maxima of amounts in cents
// are; other values go through std::to_chars.
//
// Why the fast path writes the same text: with |d| < 1e13 and n = d * 100
// rounded, (double)n / 100.0 is the double nearest to the decimal n / 100,
// so when it equals d, that decimal reads back as d. No decimal with fewer
// significant digits does: it would be another multiple of 0.01, at least
// 0.01 away, while everything that reads back as d lies within half an ulp
// of d (ulp(d) < 0.004 here). Fixed notation is never longer than
// scientific for such a value unless it is a multiple of 100000, which is
// left to std::to_chars, as are zeros (the sign of -0.0).
char* WriteDouble(char* p, double d) {
  if (std::fabs(d) < 1e13 && d != 0.0) {
    const double scaled = d * 100.0;
    const int64_t n = static_cast<int64_t>(scaled + (scaled < 0 ? -0.5 : 0.5));
    if (static_cast<double>(n) / 100.0 == d) {
      const uint64_t magnitude = n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      const uint64_t whole = magnitude / 100;
      const uint64_t cents = magnitude % 100;
      if (cents != 0 || whole % 100000 != 0) {
        if (n < 0) *p++ = '-';
        p = std::to_chars(p, p + kMaxNumberChars - 1, whole).ptr;
        if (cents != 0) {
          *p++ = '.';
          *p++ = static_cast<char>('0' + cents / 10);
          if (cents % 10 != 0) *p++ = static_cast<char>('0' + cents % 10);
        }
        return p;
      }
    }
  }
  return WriteNumber(p, d);
}

// Writes a value other than a string (null: nothing); returns the end.
char* WriteScalar(char* p, const Value& value) {
  switch (value.index()) {
    case 1:
      return WriteNumber(p, std::get<int64_t>(value));
    case 2:
      return WriteDouble(p, std::get<double>(value));
    case 4:
      return std::get<bool>(value) ? std::copy_n("true", 4, p) : std::copy_n("false", 5, p);
    default:
      return p;
  }
}

// Whether `field` holds a comma, quote, CR or LF (a loop: cells are short,
// and find_first_of builds a table on every call).
bool NeedsQuotes(absl::string_view field) {
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

}  // namespace

void AppendCsvField(std::string* out, absl::string_view field) {
  if (!NeedsQuotes(field)) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvValue(std::string* out, const Value& value) {
  if (const std::string* s = std::get_if<std::string>(&value)) {
    AppendCsvField(out, *s);
    return;
  }
  char buf[kMaxNumberChars];
  out->append(buf, static_cast<size_t>(WriteScalar(buf, value) - buf));
}

void AppendCsvValues(std::string* out, absl::Span<const Value* const> values) {
  char buf[1024];
  char* p = buf;
  for (size_t i = 0; i < values.size(); ++i) {
    if (p + kMaxNumberChars + 1 > buf + sizeof(buf)) {
      out->append(buf, static_cast<size_t>(p - buf));
      p = buf;
    }
    if (i > 0) *p++ = ',';
    if (const std::string* s = std::get_if<std::string>(values[i])) {
      out->append(buf, static_cast<size_t>(p - buf));
      p = buf;
      AppendCsvField(out, *s);
    } else {
      p = WriteScalar(p, *values[i]);
    }
  }
  out->append(buf, static_cast<size_t>(p - buf));
}

void AppendCsvLine(std::string* out, absl::Span<const std::string> fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCsvField(out, fields[i]);
  }
  out->push_back('\n');
}

}  // namespace fstore
