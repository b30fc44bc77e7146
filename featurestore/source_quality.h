// SourceQuality: data-quality counts of a source per minute of ingest time,
// their stored form and their aggregation into report buckets.
//
// Ingest keeps one SourceQualityRecord per source and minute (by receipt
// time, not event time) in ColumnFamily::kSourceQuality, written in the
// same WriteBatch as the chunk it counts, so the counts always equal what
// was committed. A record counts rows accepted, rejected (in total and per
// Rejection::rule) and duplicate, and per source column the null cells
// among the accepted rows (a column's null rate is nulls / accepted).
//
// Keys are the source (length-prefixed) then the minute's start (ordered
// int64), so a source's records are contiguous and in time order. Decoding
// fails with DataLoss naming the record. Everything here is pure and
// thread-compatible.
#ifndef FSTORE_FEATURESTORE_SOURCE_QUALITY_H_
#define FSTORE_FEATURESTORE_SOURCE_QUALITY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore {

// The granularity quality is recorded at: one record per source and minute.
inline constexpr DurationUs kQualityRecordWidth = 60 * kMicrosPerSecond;
// The most buckets one report may hold.
inline constexpr int64_t kMaxQualityBuckets = 10000;

// Counts over some stretch of ingest time.
struct QualityCounts {
  int64_t accepted = 0;    // rows stored
  int64_t rejected = 0;    // rows refused, kept as dead letters
  int64_t duplicates = 0;  // rows whose event id was already stored
  // Rejection::rule -> rows; the values add up to `rejected`.
  std::map<std::string, int64_t> rejected_by_rule;
  // Null cells among the accepted rows, one entry per column of the list
  // the holder names (a record's `columns`, a report's `columns`).
  std::vector<int64_t> nulls;

  bool empty() const { return accepted == 0 && rejected == 0 && duplicates == 0; }
  // Adds `other` (whose nulls are parallel to this one's; a shorter or
  // longer vector is padded with zeros).
  void Add(const QualityCounts& other);
  bool operator==(const QualityCounts&) const = default;
};

// What is stored per source and minute: counts and the column names their
// nulls belong to (the source's columns when last written).
struct SourceQualityRecord {
  std::vector<std::string> columns;
  QualityCounts counts;  // counts.nulls parallel to columns
  bool operator==(const SourceQualityRecord&) const = default;
};

// `t` rounded down to a multiple of `width` (> 0) since the epoch; exact
// for times before the epoch too.
TimestampUs FloorToMultiple(TimestampUs t, DurationUs width);

std::string EncodeSourceQuality(const SourceQualityRecord& record);
// DataLoss naming `what` (e.g. "quality record of txns at ...") when malformed.
absl::StatusOr<SourceQualityRecord> DecodeSourceQuality(absl::string_view value,
                                                        absl::string_view what);

// A record rewritten for the column list `columns`: nulls of columns it
// shares move to their new position, new columns get 0, columns no longer
// listed are dropped. A no-op when the lists are equal.
void ConformToColumns(const std::vector<std::string>& columns, SourceQualityRecord* record);

struct SourceQualityBucket {
  TimestampUs start = 0;  // a multiple of the report's bucket width
  QualityCounts counts;   // nulls parallel to the report's columns
};

struct SourceQualityReport {
  std::string source;
  std::vector<std::string> columns;  // the source's columns, in source order
  TimestampUs since = 0;             // records starting in [since, until)
  TimestampUs until = 0;
  DurationUs bucket = 0;
  // Buckets holding at least one row, oldest first.
  std::vector<SourceQualityBucket> buckets;
  QualityCounts total;  // over the whole window
};

// InvalidArgument, naming the value, unless `bucket` is a positive whole
// number of minutes, since < until, and [since, until) spans at most
// kMaxQualityBuckets buckets of that width.
absl::Status ValidateQualityWindow(TimestampUs since, TimestampUs until, DurationUs bucket);

// The window of a report covering the last `window` (> 0) up to `now`:
// whole buckets, ending with the one that holds `now`, as many as cover
// `window` (rounded up). Validated as above; InvalidArgument naming
// `window` when it is not positive.
absl::Status RecentQualityWindow(TimestampUs now, DurationUs window, DurationUs bucket,
                                 TimestampUs* since, TimestampUs* until);

// Builds a report from minute records fed in any order.
class SourceQualityAggregator {
 public:
  // The window must have passed ValidateQualityWindow.
  SourceQualityAggregator(std::string source, std::vector<std::string> columns, TimestampUs since,
                          TimestampUs until, DurationUs bucket);

  // Adds the record of the minute starting at `minute_start`; ignored
  // outside [since, until). Its nulls are matched to the report's columns
  // by name; columns the source no longer has are dropped.
  void Add(TimestampUs minute_start, const SourceQualityRecord& record);

  // The report: non-empty buckets in time order and the total.
  SourceQualityReport Finish() &&;

 private:
  SourceQualityReport report_;
  std::map<TimestampUs, QualityCounts> buckets_;
};

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_SOURCE_QUALITY_H_
