#include "featurestore/event_log.h"

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

absl::Status ScanEvents(
    const Database& db, const Source& source, uint64_t high_water_mark,
    const std::function<absl::Status(TimestampUs, uint64_t, const std::vector<Value>&)>& fn) {
  std::string prefix;
  codec::PutComponent(&prefix, source.name);
  const std::string end = EventKey(source.name, high_water_mark);
  rocksdb::ReadOptions options;
  const rocksdb::Slice upper(end);
  options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(options, db.handle(ColumnFamily::kEvents)));
  std::vector<Value> values;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    absl::string_view value(it->value().data(), it->value().size());
    absl::string_view name;
    uint64_t seq = 0;
    int64_t ts = 0;
    if (!codec::GetComponent(&key, &name) || !codec::GetOrderedUint64(&key, &seq) ||
        !codec::GetInt64(&value, &ts) || !codec::GetValues(value, &values) ||
        values.size() > source.columns.size()) {
      return absl::DataLossError(
          absl::StrCat("malformed event of source ", source.name, " (sequence ", seq, ")"));
    }
    values.resize(source.columns.size());
    FSTORE_RETURN_IF_ERROR(fn(ts, seq, values));
  }
  return FromRocksStatus(it->status(), absl::StrCat("reading the event log of ", source.name));
}

}  // namespace fstore
