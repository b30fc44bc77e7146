// FeatureStore data quality: the per-source, per-minute quality records that
// ingest keeps current, their retention, and reports over a window.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"

namespace fstore {

absl::StatusOr<const SourceQualityRecord*> FeatureStore::Impl::CurrentQuality(
    const std::string& source, TimestampUs minute, WriteBatch* batch) {
  QualityMinute& current = quality_[source];
  if (current.start == minute) return &current.record;
  constexpr ColumnFamily cf = ColumnFamily::kSourceQuality;
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(cf, keys::SourceQuality(source, minute)));
  SourceQualityRecord record;
  if (value.has_value()) {
    FSTORE_ASSIGN_OR_RETURN(
        record, DecodeSourceQuality(*value, absl::StrCat("quality record of ", source, " at ",
                                                         FormatIsoTime(minute))));
  }
  // A new minute: records past the retention go (checked once a minute).
  const TimestampUs cutoff = minute - options_.quality_retention;
  const std::string prefix = keys::SourceQualityPrefix(source);
  Iterator it = db_->NewIterator(cf);
  it.Seek(prefix);
  std::string oldest_source;
  TimestampUs oldest = 0;
  if (it.Valid() && absl::StartsWith(it.key(), prefix) &&
      keys::DecodeSourceQuality(it.key(), &oldest_source, &oldest) && oldest < cutoff) {
    batch->DeleteRange(cf, prefix, keys::SourceQuality(source, cutoff));
  }
  FSTORE_RETURN_IF_ERROR(it.status("reading quality records"));
  current.start = minute;
  current.record = std::move(record);
  return &current.record;
}

absl::StatusOr<SourceQualityReport> FeatureStore::Impl::GetSourceQuality(absl::string_view source,
                                                                         TimestampUs since,
                                                                         TimestampUs until,
                                                                         DurationUs bucket) const {
  const std::shared_ptr<const Catalog> current = catalog();
  auto it = current->sources.find(source);
  if (it == current->sources.end()) return UnknownSourceError(*current, source);
  FSTORE_RETURN_IF_ERROR(ValidateQualityWindow(since, until, bucket));
  std::vector<std::string> columns;
  for (const Column& c : it->second.def->columns) columns.push_back(c.name);
  SourceQualityAggregator aggregator(std::string(source), std::move(columns), since, until, bucket);
  const std::string end = keys::SourceQuality(source, until);
  Iterator records = db_->NewIterator(ColumnFamily::kSourceQuality);
  for (records.Seek(keys::SourceQuality(source, since)); records.Valid() && records.key() < end;
       records.Next()) {
    std::string name;
    TimestampUs minute = 0;
    if (!keys::DecodeSourceQuality(records.key(), &name, &minute)) {
      return absl::DataLossError(absl::StrCat("malformed quality record key of ", source));
    }
    FSTORE_ASSIGN_OR_RETURN(
        SourceQualityRecord record,
        DecodeSourceQuality(records.value(), absl::StrCat("quality record of ", source, " at ",
                                                          FormatIsoTime(minute))));
    aggregator.Add(minute, record);
  }
  FSTORE_RETURN_IF_ERROR(records.status("reading quality records"));
  return std::move(aggregator).Finish();
}

}  // namespace fstore
