#include "featurestore/value.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace fstore {
namespace {

std::string DoubleToText(double d) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
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
