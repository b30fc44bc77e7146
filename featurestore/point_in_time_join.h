// Point-in-time joins: features for many (entity, time) points computed from
// the event log as of a snapshot, the offline twin of online reads.
//
// For each source involved, the events with sequence < the snapshot's
// high-water mark are read once (entity_events.h), keeping those of the
// entities the input names that can count at one of their rows' times, and
// grouped by entity. Each entity's EntityTimeline is then built once and
// every input row of it evaluated at its own timestamp, entity after entity
// (on several threads; the output does not depend on how many). The
// timelines are the same code online reads use, so for any entity and T the
// historical value equals GetOnlineFeatures(at=T) over the same events.
// Cost: one scan of each source plus O(log n) per window and per feature per
// row; memory: the kept events and the rendered rows, not a timeline per
// entity.
//
// Output is CSV (csv_writer.h) handed to a sink in chunks, from the calling
// thread: a header line (the input columns, then "view__feature" per
// feature), then one line per input row in input order. The result carries
// the sha256 of all bytes. Same inputs and high-water mark, same bytes.
#ifndef FSTORE_FEATURESTORE_POINT_IN_TIME_JOIN_H_
#define FSTORE_FEATURESTORE_POINT_IN_TIME_JOIN_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/catalog.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"
#include "storage/database.h"

namespace fstore {

// Receives the next bytes of CSV output; an error stops the join.
using CsvSink = std::function<absl::Status(absl::string_view)>;

struct EntityRows {
  std::vector<std::string> columns;            // join keys, timestamp, passthrough
  std::vector<std::vector<std::string>> rows;  // text cells per row
  std::string timestamp_column = "ts";
};

struct JoinResult {
  std::vector<std::string> columns;  // of the output
  int64_t row_count = 0;
  std::string fingerprint;  // sha256 hex of the CSV bytes
};

struct JoinOptions {
  // Threads that read the event log and evaluate entities. 0: as many as
  // the machine has cores (at most 8), or 1 for small inputs. Default: 0.
  int threads = 0;
};

// `features` come from SelectFeatures(..., always_prefix=true). Timestamps
// in the rows are ISO-8601 UTC or integer microseconds. InvalidArgument
// naming the column or the row (1-based among data rows) and the value when
// a key or timestamp column is missing, a column is named twice, the
// timestamp column is also a join key, a row has the wrong number of cells,
// a row's join key is empty or blank, or a timestamp does not parse.
absl::StatusOr<JoinResult> JoinHistorical(const Database& db,
                                          const std::vector<SelectedFeature>& features,
                                          uint64_t high_water_mark, const EntityRows& input,
                                          const CsvSink& sink, const JoinOptions& options = {});

// Every entity with its features as of `at`: key columns, then
// "view__feature" columns.
//   - Features of one entity key: every entity that has an event in the
//     features' views, ordered by entity key.
//   - Features of several entity keys (a service mixing account and device
//     views): one row per combination of all their join keys seen together
//     on one event (nulls skipped) of any of `sources` that carries them
//     all, ordered by the key values; each row's features are those of
//     JoinHistorical for that combination at `at`. FailedPrecondition,
//     saying what to do instead, when no source carries them all.
// Events with sequence >= `high_water_mark` are not seen.
absl::StatusOr<JoinResult> ExportAsOf(const Database& db,
                                      const std::vector<SelectedFeature>& features,
                                      absl::Span<const Source> sources, uint64_t high_water_mark,
                                      TimestampUs at, const CsvSink& sink,
                                      const JoinOptions& options = {});

// The features of one entity as of `at`, from the events below
// `high_water_mark`: what JoinHistorical gives for an entity row of that
// entity and time, by the same code (GetOnlineFeatures' answer for times
// older than the online state keeps). Cost: one scan of each source read.
struct PointFeatures {
  std::vector<Value> values;  // per feature, in `features` order
  // Per view, in the order the features first name them: the entity's
  // newest event before `at`, 0 when it has none.
  std::vector<TimestampUs> newest_event;
  // The oldest event (of any entity) of the sources read; INT64_MAX when
  // they hold none.
  TimestampUs oldest_event = std::numeric_limits<TimestampUs>::max();
};
// InvalidArgument naming a join key the views need that `entity` lacks or
// holds empty or blank (as GetOnlineFeatures); DataLoss for a malformed
// event record.
absl::StatusOr<PointFeatures> EvaluatePoint(const Database& db,
                                            const std::vector<SelectedFeature>& features,
                                            uint64_t high_water_mark,
                                            const std::map<std::string, std::string>& entity,
                                            TimestampUs at, const JoinOptions& options = {});

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_POINT_IN_TIME_JOIN_H_
