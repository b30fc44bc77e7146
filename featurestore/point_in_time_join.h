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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/time_util.h"
#include "featurestore/catalog.h"
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
// a key or timestamp column is missing, a row has the wrong number of cells,
// a row's join key is empty or blank, or a timestamp does not parse.
absl::StatusOr<JoinResult> JoinHistorical(const Database& db,
                                          const std::vector<SelectedFeature>& features,
                                          uint64_t high_water_mark, const EntityRows& input,
                                          const CsvSink& sink, const JoinOptions& options = {});

// Every entity that has events of the features' view (all features must
// share one entity key) with its features as of `at`, ordered by entity
// key: key columns, then "view__feature" columns.
absl::StatusOr<JoinResult> ExportAsOf(const Database& db,
                                      const std::vector<SelectedFeature>& features,
                                      uint64_t high_water_mark, TimestampUs at, const CsvSink& sink,
                                      const JoinOptions& options = {});

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_POINT_IN_TIME_JOIN_H_
