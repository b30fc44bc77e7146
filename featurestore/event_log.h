// EventLog: the durable record of every accepted event, per source, in
// ingestion order (ColumnFamily::kEvents). Keys are keys::Event(source,
// sequence); a
// value is the event's timestamp and its values in source column order.
// Sequence numbers are the ingestion clock: a snapshot's high-water mark is
// the first sequence it does not see.
#ifndef FSTORE_FEATURESTORE_EVENT_LOG_H_
#define FSTORE_FEATURESTORE_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"
#include "storage/database.h"

namespace fstore {

// The value of an event record (keys are keys::Event).
void EncodeEvent(TimestampUs ts, absl::Span<const Value> values, std::string* out);

using EventFn = std::function<absl::Status(TimestampUs, uint64_t, const std::vector<Value>&)>;

// Calls `fn(ts, seq, values)` for every event of `source` with sequence <
// `high_water_mark`, in sequence order. `values` has one entry per current
// source column (events stored before columns were appended read null
// there). Stops at the first error `fn` returns. DataLoss for a malformed
// record.
absl::Status ScanEvents(const Database& db, const Source& source, uint64_t high_water_mark,
                        const EventFn& fn);

// Sequences [begin, end).
struct SequenceRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Cuts the sequences of `source`'s events below `high_water_mark` into at
// most `parts` consecutive ranges, of about equal spans of sequence numbers,
// that together hold every such event: for scans that run concurrently.
// Empty when the source has no such event.
absl::StatusOr<std::vector<SequenceRange>> SplitEventSequences(const Database& db,
                                                               const Source& source,
                                                               uint64_t high_water_mark, int parts);

// As ScanEvents, over the events with sequence in `range`. Safe to call
// from several threads at once.
absl::Status ScanEventRange(const Database& db, const Source& source, SequenceRange range,
                            const EventFn& fn);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_EVENT_LOG_H_
