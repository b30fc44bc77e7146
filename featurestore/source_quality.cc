#include "featurestore/source_quality.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/record_codec.h"

namespace fstore {
namespace {

// The first byte of every stored record: its layout version.
constexpr char kRecordVersion = 1;

// Shown in messages: "1h", "90s".
std::string Shown(DurationUs d) { return FormatDuration(d); }

}  // namespace

void QualityCounts::Add(const QualityCounts& other) {
  accepted += other.accepted;
  rejected += other.rejected;
  duplicates += other.duplicates;
  for (const auto& [rule, rows] : other.rejected_by_rule) rejected_by_rule[rule] += rows;
  if (nulls.size() < other.nulls.size()) nulls.resize(other.nulls.size(), 0);
  for (size_t c = 0; c < other.nulls.size(); ++c) nulls[c] += other.nulls[c];
}

TimestampUs FloorToMultiple(TimestampUs t, DurationUs width) {
  TimestampUs r = t % width;
  if (r < 0) r += width;
  return t - r;
}

std::string EncodeSourceQuality(const SourceQualityRecord& record) {
  std::string out;
  out.push_back(kRecordVersion);
  codec::PutInt64(&out, record.counts.accepted);
  codec::PutInt64(&out, record.counts.rejected);
  codec::PutInt64(&out, record.counts.duplicates);
  codec::PutInt64(&out, static_cast<int64_t>(record.counts.rejected_by_rule.size()));
  for (const auto& [rule, rows] : record.counts.rejected_by_rule) {
    codec::PutString(&out, rule);
    codec::PutInt64(&out, rows);
  }
  codec::PutInt64(&out, static_cast<int64_t>(record.columns.size()));
  for (size_t c = 0; c < record.columns.size(); ++c) {
    codec::PutString(&out, record.columns[c]);
    codec::PutInt64(&out, c < record.counts.nulls.size() ? record.counts.nulls[c] : 0);
  }
  return out;
}

absl::StatusOr<SourceQualityRecord> DecodeSourceQuality(absl::string_view value,
                                                        absl::string_view what) {
  SourceQualityRecord record;
  QualityCounts& counts = record.counts;
  int64_t rules = 0, columns = 0;
  bool ok = !value.empty() && value[0] == kRecordVersion;
  if (ok) value.remove_prefix(1);
  ok = ok && codec::GetInt64(&value, &counts.accepted) &&
       codec::GetInt64(&value, &counts.rejected) && codec::GetInt64(&value, &counts.duplicates) &&
       codec::GetInt64(&value, &rules) && rules >= 0;
  for (int64_t i = 0; ok && i < rules; ++i) {
    std::string rule;
    int64_t rows = 0;
    ok = codec::GetString(&value, &rule) && codec::GetInt64(&value, &rows);
    if (ok) counts.rejected_by_rule[std::move(rule)] = rows;
  }
  ok = ok && codec::GetInt64(&value, &columns) && columns >= 0;
  for (int64_t i = 0; ok && i < columns; ++i) {
    std::string column;
    int64_t nulls = 0;
    ok = codec::GetString(&value, &column) && codec::GetInt64(&value, &nulls);
    if (ok) {
      record.columns.push_back(std::move(column));
      counts.nulls.push_back(nulls);
    }
  }
  if (!ok || !value.empty()) {
    return absl::DataLossError(absl::StrCat("malformed ", what));
  }
  return record;
}

void ConformToColumns(const std::vector<std::string>& columns, SourceQualityRecord* record) {
  if (record->columns == columns) {
    record->counts.nulls.resize(columns.size(), 0);
    return;
  }
  std::vector<int64_t> nulls(columns.size(), 0);
  for (size_t i = 0; i < record->columns.size() && i < record->counts.nulls.size(); ++i) {
    auto it = std::find(columns.begin(), columns.end(), record->columns[i]);
    if (it != columns.end()) nulls[it - columns.begin()] = record->counts.nulls[i];
  }
  record->columns = columns;
  record->counts.nulls = std::move(nulls);
}

absl::Status ValidateQualityWindow(TimestampUs since, TimestampUs until, DurationUs bucket) {
  if (bucket <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bucket ", bucket, "us must be a positive number of minutes"));
  }
  if (bucket % kQualityRecordWidth != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bucket ", Shown(bucket),
                     " is not a whole number of minutes (quality is recorded per minute)"));
  }
  if (since < 0) {
    return absl::InvalidArgumentError(absl::StrCat("since ", since, "us is before the epoch"));
  }
  if (since >= until) {
    return absl::InvalidArgumentError(absl::StrCat("empty window: since ", FormatIsoTime(since),
                                                   " is not before until ", FormatIsoTime(until)));
  }
  // since >= 0 and until > since, so the unsigned difference is exact.
  const uint64_t first = static_cast<uint64_t>(FloorToMultiple(since, bucket));
  const uint64_t last = static_cast<uint64_t>(FloorToMultiple(until - 1, bucket));
  const uint64_t count = (last - first) / static_cast<uint64_t>(bucket) + 1;
  if (count > static_cast<uint64_t>(kMaxQualityBuckets)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bucket ", Shown(bucket), " from ", FormatIsoTime(since), " to ",
                     FormatIsoTime(until), " makes ", count, " buckets; at most ",
                     kMaxQualityBuckets, " (use a wider bucket or a shorter window)"));
  }
  return absl::OkStatus();
}

absl::Status RecentQualityWindow(TimestampUs now, DurationUs window, DurationUs bucket,
                                 TimestampUs* since, TimestampUs* until) {
  // The bucket first: the window is counted in buckets.
  if (bucket <= 0 || bucket % kQualityRecordWidth != 0) {
    return ValidateQualityWindow(0, 1, bucket);
  }
  if (window <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window ", window, "us must be a positive duration"));
  }
  const int64_t count = window / bucket + (window % bucket != 0 ? 1 : 0);
  if (count > kMaxQualityBuckets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "window ", Shown(window), " in buckets of ", Shown(bucket), " makes ", count,
        " buckets; at most ", kMaxQualityBuckets, " (use a wider bucket or a shorter window)"));
  }
  int64_t span = 0;
  if (__builtin_mul_overflow(count, bucket, &span) ||
      __builtin_add_overflow(FloorToMultiple(now, bucket), bucket, until)) {
    return absl::InvalidArgumentError(absl::StrCat("bucket ", Shown(bucket), " over window ",
                                                   Shown(window), " reaches past the year 292277"));
  }
  *since = std::max<TimestampUs>(*until - span, 0);
  return ValidateQualityWindow(*since, *until, bucket);
}

SourceQualityAggregator::SourceQualityAggregator(std::string source,
                                                 std::vector<std::string> columns,
                                                 TimestampUs since, TimestampUs until,
                                                 DurationUs bucket) {
  report_.source = std::move(source);
  report_.columns = std::move(columns);
  report_.since = since;
  report_.until = until;
  report_.bucket = bucket;
  report_.total.nulls.assign(report_.columns.size(), 0);
}

void SourceQualityAggregator::Add(TimestampUs minute_start, const SourceQualityRecord& record) {
  if (minute_start < report_.since || minute_start >= report_.until) return;
  QualityCounts& bucket = buckets_[FloorToMultiple(minute_start, report_.bucket)];
  if (record.columns == report_.columns) {
    bucket.Add(record.counts);
    return;
  }
  SourceQualityRecord conformed = record;
  ConformToColumns(report_.columns, &conformed);
  bucket.Add(conformed.counts);
}

SourceQualityReport SourceQualityAggregator::Finish() && {
  for (auto& [start, counts] : buckets_) {
    if (counts.empty()) continue;
    counts.nulls.resize(report_.columns.size(), 0);
    report_.total.Add(counts);
    report_.buckets.push_back({start, std::move(counts)});
  }
  return std::move(report_);
}

}  // namespace fstore
