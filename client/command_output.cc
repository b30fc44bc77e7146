#include "client/command_output.h"

#include <algorithm>

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

void WriteValueJson(const v1::Value& v, JsonWriter* w) {
  switch (v.kind_case()) {
    case v1::Value::kInt64Value:
      w->Int(v.int64_value());
      break;
    case v1::Value::kDoubleValue:
      w->Double(v.double_value());
      break;
    case v1::Value::kStringValue:
      w->String(v.string_value());
      break;
    case v1::Value::kBoolValue:
      w->Bool(v.bool_value());
      break;
    case v1::Value::KIND_NOT_SET:
      w->Null();
  }
}

std::string ValueText(const v1::Value& v) {
  if (v.kind_case() == v1::Value::KIND_NOT_SET) return "null";
  if (v.kind_case() == v1::Value::kStringValue) return v.string_value();
  JsonWriter w;
  WriteValueJson(v, &w);
  return w.str();
}

}  // namespace fstore::cli
