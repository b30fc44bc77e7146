// The Prometheus text exposition format, version 0.0.4: the lines a scrape
// reads, with the format's escaping and number rules.
//
//   # HELP fstore_rpc_requests_total Calls finished, by method.
//   # TYPE fstore_rpc_requests_total counter
//   fstore_rpc_requests_total{method="fstore.v1.Serving/Score"} 42
//
// HELP text escapes backslash and newline; label values escape backslash,
// double quote and newline; every other byte (UTF-8 included) is written as
// is. Values are integers or the shortest decimal that reads back to the
// same double, and +Inf, -Inf, NaN. Pure functions; thread-safe.
#ifndef FSTORE_METRICS_METRICS_TEXT_FORMAT_H_
#define FSTORE_METRICS_METRICS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fstore {

// The Content-Type of a response carrying this format.
inline constexpr absl::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(absl::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved).
bool IsValidLabelName(absl::string_view name);

std::string EscapeHelpText(absl::string_view help);
std::string EscapeLabelValue(absl::string_view value);
// "+Inf", "-Inf", "NaN"; integral values below 2^53 without a fraction or
// exponent ("3"); otherwise the shortest round-trip form in %g style, as Go
// clients write it ("0.25", "0.0001", "1e-05", "1.2345675e+06").
std::string FormatSampleValue(double value);

// "# HELP name help\n# TYPE name type\n"; type is counter, gauge,
// histogram, summary or untyped.
void AppendMetricHeader(absl::string_view name, absl::string_view help, absl::string_view type,
                        std::string* out);

// One sample line: name{n1="v1",...} value. `label_names` and
// `label_values` have the same length; no braces when both are empty.
// `extra_name`/`extra_value`, when extra_name is not empty, is appended as
// the last label (a histogram's le).
void AppendSampleLine(absl::string_view name, absl::Span<const std::string> label_names,
                      absl::Span<const std::string> label_values, absl::string_view extra_name,
                      absl::string_view extra_value, absl::string_view value, std::string* out);

}  // namespace fstore

#endif  // FSTORE_METRICS_METRICS_TEXT_FORMAT_H_
