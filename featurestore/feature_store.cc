#include "featurestore/feature_store.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/active_entities.h"
#include "featurestore/feature_store_impl.h"

namespace fstore {

// NotFound naming `source` and the sources that are defined.
absl::Status UnknownSourceError(const Catalog& catalog, absl::string_view source) {
  std::vector<std::string> names;
  for (const Source& s : catalog.definitions.sources) names.push_back(s.name);
  return absl::NotFoundError(
      absl::StrCat("unknown source ", QuotedValue(source),
                   names.empty() ? " (no sources are defined; run fsctl apply first)"
                                 : absl::StrCat(" (defined: ", absl::StrJoin(names, ", "), ")")));
}

absl::StatusOr<std::unique_ptr<FeatureStore>> FeatureStore::Open(Database* db,
                                                                 const Options& options) {
  auto impl = std::make_unique<Impl>(db, options);
  FSTORE_RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<FeatureStore>(new FeatureStore(std::move(impl)));
}

FeatureStore::FeatureStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeatureStore::~FeatureStore() = default;

absl::StatusOr<ApplyResult> FeatureStore::Apply(absl::string_view text, absl::string_view format,
                                                bool dry_run, absl::string_view actor) {
  return impl_->Apply(text, format, dry_run, actor);
}

void FeatureStore::SetFeatureChangeGuard(FeatureChangeGuard guard) {
  impl_->SetFeatureChangeGuard(std::move(guard));
}

absl::StatusOr<std::vector<ApplyRecord>> FeatureStore::DefinitionsHistory(int limit) const {
  return impl_->DefinitionsHistory(limit);
}

Definitions FeatureStore::GetDefinitions() const { return impl_->GetDefinitions(); }

absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> FeatureStore::StartIngest(
    absl::string_view source, const std::vector<std::string>& columns, absl::string_view origin) {
  return impl_->StartIngest(source, columns, origin);
}

absl::StatusOr<DeadLetterPage> FeatureStore::ListDeadLetters(absl::string_view source,
                                                             int page_size,
                                                             absl::string_view page_token) const {
  return impl_->ListDeadLetters(source, page_size, page_token);
}

absl::StatusOr<SourceQualityReport> FeatureStore::GetSourceQuality(absl::string_view source,
                                                                   TimestampUs since,
                                                                   TimestampUs until,
                                                                   DurationUs bucket) const {
  return impl_->GetSourceQuality(source, since, until, bucket);
}

absl::StatusOr<SourceQualityReport> FeatureStore::GetRecentSourceQuality(absl::string_view source,
                                                                         DurationUs window,
                                                                         DurationUs bucket) const {
  TimestampUs since = 0, until = 0;
  FSTORE_RETURN_IF_ERROR(
      RecentQualityWindow(impl_->options().clock(), window, bucket, &since, &until));
  return impl_->GetSourceQuality(source, since, until, bucket);
}

absl::StatusOr<OnlineFeatures> FeatureStore::GetOnlineFeatures(
    const FeatureSelector& selector, const std::map<std::string, std::string>& entity,
    TimestampUs at) const {
  return impl_->GetOnlineFeatures(selector, entity, at);
}

absl::StatusOr<std::shared_ptr<const PreparedSelection>> FeatureStore::PrepareSelection(
    const FeatureSelector& selector) const {
  std::shared_ptr<PreparedSelection> prepared(new PreparedSelection(impl_.get(), selector));
  FSTORE_RETURN_IF_ERROR(impl_->Prepare(prepared));
  return std::shared_ptr<const PreparedSelection>(std::move(prepared));
}

absl::Status FeatureStore::GetOnlineFeatures(const PreparedSelection& prepared,
                                             const std::map<std::string, std::string>& entity,
                                             TimestampUs at, OnlineFeatures* out) const {
  return impl_->GetOnlineFeatures(prepared, entity, at, out);
}

uint64_t FeatureStore::NextSequence() const { return impl_->NextSequence(); }

std::map<std::string, int64_t> FeatureStore::OnlineEntityCounts() const {
  return impl_->OnlineEntityCounts();
}

absl::StatusOr<Snapshot> FeatureStore::CreateSnapshot(absl::string_view name) {
  return impl_->CreateSnapshot(name);
}

absl::StatusOr<Snapshot> FeatureStore::GetSnapshot(absl::string_view name) const {
  return impl_->GetSnapshot(name);
}

absl::StatusOr<std::vector<Snapshot>> FeatureStore::ListSnapshots() const {
  return impl_->ListSnapshots();
}

absl::Status FeatureStore::DeleteSnapshot(absl::string_view name) {
  return impl_->DeleteSnapshot(name);
}

absl::string_view ServedFromName(ServedFrom served_from) {
  return served_from == ServedFrom::kStoredEvents ? "stored_events" : "online_state";
}

namespace {

// Resolves the features and the read point (a named snapshot, or for an
// empty name a new snapshot or the latest events, as `unnamed` says), then
// runs `read(features, high_water_mark)`: the common frame of historical
// reads. A snapshot taken for a read that fails is deleted again.
absl::StatusOr<HistoricalResult> ReadAtSnapshot(
    FeatureStore::Impl& impl, const FeatureSelector& selector, absl::string_view snapshot,
    UnnamedReadPoint unnamed,
    const std::function<absl::StatusOr<JoinResult>(
        const Catalog&, const std::vector<SelectedFeature>&, uint64_t)>& read) {
  const std::shared_ptr<const Catalog> catalog = impl.catalog();
  FSTORE_ASSIGN_OR_RETURN(std::vector<SelectedFeature> features,
                          SelectFeatures(*catalog, selector, /*always_prefix=*/true));
  HistoricalResult result;
  if (snapshot.empty() && unnamed == UnnamedReadPoint::kLatest) {
    // The event log is append-only: what is below the mark stays readable
    // without a snapshot record to protect it.
    result.high_water_mark = impl.NextSequence();
  } else {
    FSTORE_ASSIGN_OR_RETURN(
        Snapshot snap, snapshot.empty() ? impl.CreateSnapshot("") : impl.GetSnapshot(snapshot));
    result.snapshot = snap.name;
    result.high_water_mark = snap.high_water_mark;
  }
  absl::StatusOr<JoinResult> join = read(*catalog, features, result.high_water_mark);
  if (!join.ok()) {
    // A snapshot taken for this read goes with it (the read's error is the
    // one to report).
    if (snapshot.empty() && !result.snapshot.empty()) {
      impl.DeleteSnapshot(result.snapshot).IgnoreError();
    }
    return join.status();
  }
  result.join = *std::move(join);
  return result;
}

}  // namespace

absl::StatusOr<HistoricalResult> FeatureStore::GetHistoricalFeatures(
    const FeatureSelector& selector, const EntityRows& rows, absl::string_view snapshot,
    const CsvSink& sink, UnnamedReadPoint unnamed) {
  return ReadAtSnapshot(
      *impl_, selector, snapshot, unnamed,
      [&](const Catalog&, const std::vector<SelectedFeature>& features, uint64_t hwm) {
        return JoinHistorical(*impl_->db(), features, hwm, rows, sink);
      });
}

absl::StatusOr<HistoricalResult> FeatureStore::ExportFeatures(const FeatureSelector& selector,
                                                              TimestampUs at,
                                                              absl::string_view snapshot,
                                                              const CsvSink& sink,
                                                              UnnamedReadPoint unnamed) {
  const TimestampUs as_of = at == 0 ? NowUs() : at;
  return ReadAtSnapshot(
      *impl_, selector, snapshot, unnamed,
      [&](const Catalog& catalog, const std::vector<SelectedFeature>& features, uint64_t hwm) {
        return ExportAsOf(*impl_->db(), features, catalog.definitions.sources, hwm, as_of, sink);
      });
}

absl::StatusOr<std::vector<std::map<std::string, std::string>>> FeatureStore::ActiveEntities(
    const std::vector<std::string>& join_keys, TimestampUs since, TimestampUs until) const {
  return fstore::ActiveEntities(*impl_->db(), GetDefinitions(), join_keys, since, until);
}

}  // namespace fstore
