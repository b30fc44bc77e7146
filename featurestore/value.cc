#include "featurestore/value.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace fstore {
namespace {

// Shortest text that reads back as the same double ("10", "0.1", "1e+300").
std::string DoubleToText(double d) {
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string ValueToText(const Value& v) {
  switch (v.index()) {
    case 1:
      return absl::StrCat(std::get<int64_t>(v));
    case 2:
      return DoubleToText(std::get<double>(v));
    case 3:
      return std::get<std::string>(v);
    case 4:
      return std::get<bool>(v) ? "true" : "false";
    default:
      return "";
  }
}

}  // namespace fstore
