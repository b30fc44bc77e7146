#include "client/command_output.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace fstore::cli {

void PrintTable(std::ostream& os, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      os << row[i];
      if (i + 1 < row.size()) os << std::string(widths[i] - row[i].size() + 2, ' ');
    }
    os << "\n";
  }
}

Json ValueJson(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kInt64Value:
      return v.int64_value();
    case v1::Value::kDoubleValue:
      return v.double_value();
    case v1::Value::kStringValue:
      return v.string_value();
    case v1::Value::kBoolValue:
      return v.bool_value();
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

std::string ValueText(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kInt64Value:
      return absl::StrCat(v.int64_value());
    case v1::Value::kDoubleValue: {
      if (!std::isfinite(v.double_value())) return "null";
      char buf[32];
      const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v.double_value());
      return std::string(buf, r.ptr);
    }
    case v1::Value::kStringValue:
      return v.string_value();
    case v1::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return "null";
}

std::string ServedFromText(const std::string& served_from) {
  if (served_from == "stored_events") {
    return "from the stored events (older than the online state keeps; the values dataset build "
           "computes)";
  }
  if (served_from.empty() || served_from == "online_state") return "from the online state";
  return served_from;
}

}  // namespace fstore::cli
