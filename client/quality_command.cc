#include "client/quality_command.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace fstore::cli {
namespace {

constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

// A column's null rate over the window and in its worst bucket (the
// earliest of equals); rates are absent when no row was accepted.
struct ColumnNullRate {
  std::string column;
  int64_t nulls = 0;
  std::optional<double> rate;
  std::optional<double> worst_rate;
  int64_t worst_start_us = 0;
};

std::vector<ColumnNullRate> NullRates(const v1::GetSourceQualityResponse& r) {
  std::vector<ColumnNullRate> rates;
  const v1::SourceQualityCounts& total = r.total();
  for (int c = 0; c < total.nulls_size(); ++c) {
    ColumnNullRate rate;
    rate.column = total.nulls(c).column();
    rate.nulls = total.nulls(c).nulls();
    if (total.accepted() > 0) {
      rate.rate = static_cast<double>(rate.nulls) / static_cast<double>(total.accepted());
    }
    for (const v1::SourceQualityBucket& b : r.buckets()) {
      if (b.counts().accepted() == 0 || c >= b.counts().nulls_size()) continue;
      const double bucket_rate = static_cast<double>(b.counts().nulls(c).nulls()) /
                                 static_cast<double>(b.counts().accepted());
      if (!rate.worst_rate || bucket_rate > *rate.worst_rate) {
        rate.worst_rate = bucket_rate;
        rate.worst_start_us = b.start_us();
      }
    }
    rates.push_back(std::move(rate));
  }
  return rates;
}

// "not_null=3 min=2", "-" when nothing was rejected.
std::string RulesText(const v1::SourceQualityCounts& counts) {
  std::vector<std::string> parts;
  for (const auto& r : counts.rejected_by_rule())
    parts.push_back(absl::StrCat(r.rule(), "=", r.rows()));
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

std::vector<std::string> CountsRow(std::string first, const v1::SourceQualityCounts& counts) {
  return {std::move(first), absl::StrCat(counts.accepted()), absl::StrCat(counts.rejected()),
          absl::StrCat(counts.duplicates()), RulesText(counts)};
}

std::string Percent(std::optional<double> rate) {
  return rate ? absl::StrFormat("%.2f%%", 100 * *rate) : "-";
}

// The counts' fields, added to `j`.
void AddCountsJson(const v1::SourceQualityCounts& counts, Json* j) {
  (*j)["accepted"] = counts.accepted();
  (*j)["rejected"] = counts.rejected();
  (*j)["duplicates"] = counts.duplicates();
  Json& by_rule = (*j)["rejected_by_rule"] = Json::object();
  for (const auto& r : counts.rejected_by_rule()) by_rule[r.rule()] = r.rows();
  Json& nulls = (*j)["nulls"] = Json::object();
  for (const auto& n : counts.nulls()) nulls[n.column()] = n.nulls();
}

Json OptionalDouble(std::optional<double> v) { return v ? Json(*v) : Json(); }

// Parses a duration flag; InvalidArgument naming the flag and its value.
absl::Status ParseDurationFlag(const Invocation& inv, const char* flag, bool whole_minutes,
                               DurationUs* out) {
  FSTORE_ASSIGN_OR_RETURN(
      const std::optional<DurationUs> d,
      PositiveDurationFlag(inv.args, flag, whole_minutes ? "1h or 5m" : "24h or 7d"));
  if (!d) return absl::OkStatus();
  if (whole_minutes && *d % kMinute != 0) {
    return UsageError(
        absl::StrCat("--", flag, " '", *inv.args.Get(flag),
                     "' must be a whole number of minutes such as 1h or 5m (quality is "
                     "recorded per minute)"));
  }
  *out = *d;
  return absl::OkStatus();
}

}  // namespace

void PrintQualityTable(const v1::GetSourceQualityResponse& r, std::ostream& os) {
  os << r.source() << ": rows by ingest time from " << FormatIsoTime(r.since_us()) << " to "
     << FormatIsoTime(r.until_us()) << " in " << FormatDuration(r.bucket_us()) << " buckets\n\n";
  if (r.buckets_size() == 0) {
    os << "No rows were ingested into " << r.source() << " in this window.\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"START", "ACCEPTED", "REJECTED", "DUPLICATES", "REJECTED BY RULE"}};
  for (const v1::SourceQualityBucket& b : r.buckets()) {
    rows.push_back(CountsRow(FormatIsoTime(b.start_us()), b.counts()));
  }
  rows.push_back(CountsRow("TOTAL", r.total()));
  PrintTable(os, rows);
  const int64_t empty = (r.until_us() - r.since_us()) / r.bucket_us() - r.buckets_size();
  if (empty > 0) os << "(" << empty << " buckets without rows not shown)\n";

  os << "\nNull rates among the " << r.total().accepted() << " accepted rows:\n\n";
  std::vector<std::vector<std::string>> columns = {
      {"COLUMN", "NULLS", "NULL RATE", "WORST BUCKET"}};
  for (const ColumnNullRate& c : NullRates(r)) {
    std::string worst = Percent(c.worst_rate);
    if (c.worst_rate && *c.worst_rate > 0) {
      absl::StrAppend(&worst, " at ", FormatIsoTime(c.worst_start_us));
    }
    columns.push_back({c.column, absl::StrCat(c.nulls), Percent(c.rate), worst});
  }
  PrintTable(os, columns);
}

std::string QualityJson(const v1::GetSourceQualityResponse& r) {
  Json j;
  j["source"] = r.source();
  j["since"] = FormatIsoTime(r.since_us());
  j["until"] = FormatIsoTime(r.until_us());
  j["bucket"] = FormatDuration(r.bucket_us());
  Json& total = j["total"] = Json::object();
  AddCountsJson(r.total(), &total);
  Json& columns = j["columns"] = Json::array();
  for (const ColumnNullRate& c : NullRates(r)) {
    Json column;
    column["column"] = c.column;
    column["nulls"] = c.nulls;
    column["null_rate"] = OptionalDouble(c.rate);
    column["worst_bucket_null_rate"] = OptionalDouble(c.worst_rate);
    column["worst_bucket"] = c.worst_rate ? Json(FormatIsoTime(c.worst_start_us)) : Json();
    columns.push_back(std::move(column));
  }
  Json& buckets = j["buckets"] = Json::array();
  for (const v1::SourceQualityBucket& b : r.buckets()) {
    Json bucket;
    bucket["start"] = FormatIsoTime(b.start_us());
    AddCountsJson(b.counts(), &bucket);
    buckets.push_back(std::move(bucket));
  }
  return JsonText(j);
}

absl::Status QualityCommand(Invocation& inv) {
  v1::GetSourceQualityRequest request;
  request.set_source(inv.operands[0]);
  DurationUs window = 24 * 60 * kMinute;
  DurationUs bucket = 60 * kMinute;
  if (absl::Status s = ParseDurationFlag(inv, "window", false, &window); !s.ok()) return s;
  if (absl::Status s = ParseDurationFlag(inv, "bucket", true, &bucket); !s.ok()) return s;
  request.set_window_us(window);
  request.set_bucket_us(bucket);
  absl::StatusOr<v1::GetSourceQualityResponse> r = inv.client().GetSourceQuality(request);
  if (!r.ok()) return r.status();
  if (inv.json()) {
    inv.out << QualityJson(*r) << "\n";
  } else {
    PrintQualityTable(*r, inv.out);
  }
  return absl::OkStatus();
}

}  // namespace fstore::cli
