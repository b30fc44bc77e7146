#include "metrics/metrics_text_format.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace fstore {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Escapes backslash and newline, and double quote when `quote`.
std::string Escape(absl::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(IsNameStart(c) || IsDigit(c) || c == ':')) return false;
  }
  return true;
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
  for (char c : name) {
    if (!(IsNameStart(c) || IsDigit(c))) return false;
  }
  return true;
}

std::string EscapeHelpText(absl::string_view help) { return Escape(help, /*quote=*/false); }

std::string EscapeLabelValue(absl::string_view value) { return Escape(value, /*quote=*/true); }

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[64];
  const std::to_chars_result r =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general);
  return std::string(buffer, r.ptr);
}

void AppendMetricHeader(absl::string_view name, absl::string_view help, absl::string_view type,
                        std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelpText(help), "\n");
  absl::StrAppend(out, "# TYPE ", name, " ", type, "\n");
}

void AppendSampleLine(absl::string_view name, absl::Span<const std::string> label_names,
                      absl::Span<const std::string> label_values, absl::string_view extra_name,
                      absl::string_view extra_value, absl::string_view value, std::string* out) {
  out->append(name.data(), name.size());
  if (!label_names.empty() || !extra_name.empty()) {
    out->push_back('{');
    const char* separator = "";
    for (size_t i = 0; i < label_names.size() && i < label_values.size(); ++i) {
      absl::StrAppend(out, separator, label_names[i], "=\"", EscapeLabelValue(label_values[i]),
                      "\"");
      separator = ",";
    }
    if (!extra_name.empty()) {
      absl::StrAppend(out, separator, extra_name, "=\"", EscapeLabelValue(extra_value), "\"");
    }
    out->push_back('}');
  }
  absl::StrAppend(out, " ", value, "\n");
}

}  // namespace fstore
