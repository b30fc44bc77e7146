#include "featurestore/event_log.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/record_codec.h"

namespace fstore {

std::string EventKey(absl::string_view source, uint64_t seq) {
  std::string key;
  codec::PutComponent(&key, source);
  codec::PutOrderedUint64(&key, seq);
  return key;
}

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

// The sequence of an event key of `source`, or false.
bool SequenceOf(absl::string_view key, absl::string_view source, uint64_t* seq) {
  absl::string_view name;
  return codec::GetComponent(&key, &name) && name == source && codec::GetOrderedUint64(&key, seq);
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
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), db.handle(ColumnFamily::kEvents)));
  const std::string first_key = EventKey(source.name, 0);
  const std::string last_key = EventKey(source.name, high_water_mark - 1);
  uint64_t first = 0, last = 0;
  it->Seek(first_key);
  const bool has_first =
      it->Valid() &&
      SequenceOf(absl::string_view(it->key().data(), it->key().size()), source.name, &first) &&
      first < high_water_mark;
  if (has_first) {
    it->SeekForPrev(last_key);
    if (!it->Valid() ||
        !SequenceOf(absl::string_view(it->key().data(), it->key().size()), source.name, &last) ||
        last < first) {
      last = high_water_mark - 1;  // cannot happen; cover everything
    }
  }
  FSTORE_RETURN_IF_ERROR(
      FromRocksStatus(it->status(), absl::StrCat("reading the event log of ", source.name)));
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
  const std::string begin = EventKey(source.name, range.begin);
  const std::string end = EventKey(source.name, range.end);
  rocksdb::ReadOptions options;
  const rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(options, db.handle(ColumnFamily::kEvents)));
  std::vector<Value> values;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    const absl::string_view value(it->value().data(), it->value().size());
    uint64_t seq = 0;
    TimestampUs ts = 0;
    if (!SequenceOf(key, source.name, &seq) || !DecodeEvent(value, source, &ts, &values)) {
      return absl::DataLossError(
          absl::StrCat("malformed event of source ", source.name, " (sequence ", seq, ")"));
    }
    FSTORE_RETURN_IF_ERROR(fn(ts, seq, values));
  }
  return FromRocksStatus(it->status(), absl::StrCat("reading the event log of ", source.name));
}

}  // namespace fstore
