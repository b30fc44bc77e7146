#include "featurestore/event_log.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/keys.h"
#include "featurestore/value_codec.h"
#include "storage/record_codec.h"

namespace fstore {

void EncodeEvent(TimestampUs ts, absl::Span<const Value> values, std::string* out) {
  out->clear();
  codec::PutInt64(out, ts);
  codec::PutValues(out, values);
}

namespace {

// Decodes an event value into its timestamp and `values` (one per source
// column, nulls past the stored ones), reusing the values' storage.
bool DecodeEvent(absl::string_view in, const Source& source, TimestampUs* ts,
                 std::vector<Value>* values) {
  if (!codec::GetInt64(&in, ts)) return false;
  values->resize(source.columns.size());
  size_t i = 0;
  for (; !in.empty(); ++i) {
    if (i == values->size() || !codec::GetValue(&in, &(*values)[i])) return false;
  }
  for (; i < values->size(); ++i) (*values)[i] = std::monostate{};
  return true;
}

}  // namespace

absl::Status ScanEvents(const Database& db, const Source& source, uint64_t high_water_mark,
                        const EventFn& fn) {
  return ScanEventRange(db, source, {0, high_water_mark}, fn);
}

absl::StatusOr<std::vector<SequenceRange>> SplitEventSequences(const Database& db,
                                                               const Source& source,
                                                               uint64_t high_water_mark,
                                                               int parts) {
  std::vector<SequenceRange> ranges;
  if (high_water_mark == 0) return ranges;
  Iterator it = db.NewIterator(ColumnFamily::kEvents);
  const std::string first_key = keys::Event(source.name, 0);
  const std::string last_key = keys::Event(source.name, high_water_mark - 1);
  uint64_t first = 0, last = 0;
  it.Seek(first_key);
  const bool has_first =
      it.Valid() && keys::EventSequence(it.key(), source.name, &first) && first < high_water_mark;
  if (has_first) {
    it.SeekForPrev(last_key);
    if (!it.Valid() || !keys::EventSequence(it.key(), source.name, &last) || last < first) {
      last = high_water_mark - 1;  // cannot happen; cover everything
    }
  }
  FSTORE_RETURN_IF_ERROR(it.status(absl::StrCat("reading the event log of ", source.name)));
  if (!has_first) return ranges;
  const uint64_t span = last - first + 1;
  const uint64_t n = std::clamp<uint64_t>(static_cast<uint64_t>(std::max(parts, 1)), 1, span);
  for (uint64_t i = 0; i < n; ++i) {
    ranges.push_back({first + span / n * i + std::min(i, span % n),
                      first + span / n * (i + 1) + std::min(i + 1, span % n)});
  }
  ranges.back().end = high_water_mark;
  return ranges;
}

absl::Status ScanEventRange(const Database& db, const Source& source, SequenceRange range,
                            const EventFn& fn) {
  if (range.begin >= range.end) return absl::OkStatus();
  const std::string begin = keys::Event(source.name, range.begin);
  const std::string end = keys::Event(source.name, range.end);
  Iterator it = db.NewIterator(ColumnFamily::kEvents, ReadOptions{.upper_bound = end});
  std::vector<Value> values;
  for (it.Seek(begin); it.Valid(); it.Next()) {
    const absl::string_view key = it.key();
    const absl::string_view value = it.value();
    uint64_t seq = 0;
    TimestampUs ts = 0;
    if (!keys::EventSequence(key, source.name, &seq) || !DecodeEvent(value, source, &ts, &values)) {
      return absl::DataLossError(
          absl::StrCat("malformed event of source ", source.name, " (sequence ", seq, ")"));
    }
    FSTORE_RETURN_IF_ERROR(fn(ts, seq, values));
  }
  return it.status(absl::StrCat("reading the event log of ", source.name));
}

}  // namespace fstore
