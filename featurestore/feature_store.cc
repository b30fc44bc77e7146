#include "featurestore/feature_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "featurestore/active_entities.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/event_log.h"
#include "featurestore/keys.h"
#include "featurestore/value_codec.h"
#include "spdlog/spdlog.h"
#include "storage/record_codec.h"

namespace fstore {
namespace {

constexpr TimestampUs kMinTime = std::numeric_limits<TimestampUs>::min();
// Rows per WriteBatch when a view is backfilled from the event log.
constexpr size_t kBackfillBatchRows = 4096;

std::string EscapeForText(absl::string_view cell) {
  if (IsValidUtf8(cell)) return std::string(cell);
  std::string out;
  for (unsigned char c : cell) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// A dead letter record (kDeadLetters): the rejection, when it was received,
// then the row's raw cells until the end. Appends to *out.
void EncodeDeadLetter(const Rejection& rejection, TimestampUs received_at,
                      const std::vector<std::string>& raw, std::string* out) {
  codec::RecordWriter w(out);
  w.Int(rejection.row_number);
  w.Str(rejection.column);
  w.Str(rejection.value);
  w.Str(rejection.rule);
  w.Str(rejection.reason);
  w.Int(received_at);
  for (const std::string& cell : raw) w.Str(cell);
}

// Reads a record of EncodeDeadLetter into *d (but its source); false when
// malformed.
bool DecodeDeadLetter(absl::string_view value, DeadLetter* d) {
  codec::RecordReader r(value);
  d->rejection.row_number = r.Int();
  r.Str(&d->rejection.column);
  r.Str(&d->rejection.value);
  r.Str(&d->rejection.rule);
  r.Str(&d->rejection.reason);
  d->received_at = r.Int();
  while (!r.failed() && !r.AtEnd()) d->raw_values.push_back(r.Str());
  return r.ok();
}

// NotFound naming `source` and the sources that are defined.
absl::Status UnknownSourceError(const Catalog& catalog, absl::string_view source) {
  std::vector<std::string> names;
  for (const Source& s : catalog.definitions.sources) names.push_back(s.name);
  return absl::NotFoundError(
      absl::StrCat("unknown source '", source, "'",
                   names.empty() ? " (no sources are defined; run fsctl apply first)"
                                 : absl::StrCat(" (defined: ", absl::StrJoin(names, ", "), ")")));
}

// Stored events hold values in column order, so a source with events may
// only gain nullable columns at the end.
absl::Status CheckAppendOnly(const Source& before, const Source& after) {
  for (size_t i = 0; i < after.columns.size(); ++i) {
    if (i < before.columns.size()) {
      if (after.columns[i].name != before.columns[i].name) {
        return absl::FailedPreconditionError(
            absl::StrCat("source ", after.name, ": column ", i + 1, " changes from ",
                         before.columns[i].name, " to ", after.columns[i].name,
                         "; stored events keep their column order (add new "
                         "columns at the end)"));
      }
    } else if (!after.columns[i].nullable) {
      return absl::FailedPreconditionError(
          absl::StrCat("source ", after.name, ": new column ", after.columns[i].name,
                       " must be nullable, since stored events have no value for it"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ----------------------------------------------------------------- Impl

class FeatureStore::Impl {
 public:
  Impl(Database* db, Options options) : db_(db), options_(std::move(options)) {}

  absl::Status Load();
  absl::StatusOr<ApplyResult> Apply(absl::string_view text, absl::string_view format, bool dry_run);
  Definitions GetDefinitions() const {
    absl::ReaderMutexLock lock(&mu_);
    return catalog_->definitions;
  }
  absl::StatusOr<std::unique_ptr<IngestWriter>> StartIngest(
      absl::string_view source, const std::vector<std::string>& columns);
  absl::StatusOr<DeadLetterPage> ListDeadLetters(absl::string_view source, int page_size,
                                                 absl::string_view page_token) const;
  absl::StatusOr<SourceQualityReport> GetSourceQuality(absl::string_view source, TimestampUs since,
                                                       TimestampUs until, DurationUs bucket) const;
  absl::StatusOr<OnlineFeatures> GetOnlineFeatures(const FeatureSelector& selector,
                                                   const std::map<std::string, std::string>& entity,
                                                   TimestampUs at) const;
  // Resolves `prepared` now and registers it for resolving again on Apply.
  absl::Status Prepare(const std::shared_ptr<PreparedSelection>& prepared);
  absl::Status GetOnlineFeatures(const PreparedSelection& prepared,
                                 const std::map<std::string, std::string>& entity, TimestampUs at,
                                 OnlineFeatures* out) const;
  uint64_t NextSequence() const { return next_seq_.load(); }
  std::map<std::string, int64_t> OnlineEntityCounts() const {
    absl::ReaderMutexLock lock(&mu_);
    std::map<std::string, int64_t> counts;
    for (const auto& [view, state] : views_) counts[view] = state.timelines.size();
    return counts;
  }

  absl::StatusOr<Snapshot> CreateSnapshot(absl::string_view name);
  absl::StatusOr<Snapshot> GetSnapshot(absl::string_view name) const;
  absl::StatusOr<std::vector<Snapshot>> ListSnapshots() const;
  absl::Status DeleteSnapshot(absl::string_view name);
  Database* db() const { return db_; }

  // One chunk of validated input, committed atomically. Called by writers.
  struct PendingRow {
    ValidatedRow row;
    int64_t row_number = 0;
    std::vector<std::string> raw;  // for dead letters
    bool rejected = false;
    Rejection rejection;
  };
  // Fails when the definitions changed since `started_with`.
  absl::Status Commit(const Catalog* started_with, const std::string& source_name,
                      std::vector<PendingRow>& rows, IngestSummary* summary);

  std::shared_ptr<const Catalog> catalog() const {
    absl::ReaderMutexLock lock(&mu_);
    return catalog_;
  }
  const Options& options() const { return options_; }

  // The online state of one view (public for PreparedSelection::Plan).
  struct ViewState {
    std::shared_ptr<const CompiledView> compiled;
    absl::flat_hash_map<std::string, EntityTimeline> timelines;
    TimestampUs newest = kMinTime;
    TimestampUs reclaimed_before = kMinTime;
  };
  // Keyed by view name. A node map: plans point at its values, which stay
  // put while others are added (none is ever erased).
  using ViewStates = absl::node_hash_map<std::string, ViewState>;

 private:
  absl::Status LoadDefinitions(Definitions* out);
  absl::Status LoadCounters();
  absl::Status LoadEventIds();
  absl::Status LoadOnline(const Catalog& catalog);
  // Rebuilds one view's kOnline records and timelines from the event log.
  absl::StatusOr<ViewState> BackfillView(const CompiledView& view)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The counter stored under `key` in kMeta (0 when absent).
  absl::StatusOr<int64_t> CountOf(const std::string& key) const;
  // The stored quality record of `source` for the minute starting at
  // `minute` (empty when there is none), through quality_. When ingest
  // moves to a new minute, also adds to `batch` the deletion of the
  // source's records older than Options::quality_retention.
  absl::StatusOr<const SourceQualityRecord*> CurrentQuality(const std::string& source,
                                                            TimestampUs minute, WriteBatch* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Drops window state beyond the horizon for the given timelines.
  void Reclaim(ViewState& state, const std::vector<std::string>& entities, WriteBatch* deletes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Resolves `selector` against `catalog` and the current online state.
  PreparedSelection::Plan MakePlan(std::shared_ptr<const Catalog> catalog,
                                   const FeatureSelector& selector) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Reads a plan's features for `entity` as of `at` into `out`.
  absl::Status ReadPlan(const PreparedSelection::Plan& plan,
                        const std::map<std::string, std::string>& entity, TimestampUs at,
                        OnlineFeatures* out) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  Database* const db_;
  const Options options_;

  // Serializes Apply and ingest commits, and guards the write-side state.
  absl::Mutex write_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> event_ids_
      ABSL_GUARDED_BY(write_mu_);
  absl::flat_hash_map<std::string, int64_t> source_events_ ABSL_GUARDED_BY(write_mu_);
  absl::flat_hash_map<std::string, int64_t> dead_letters_ ABSL_GUARDED_BY(write_mu_);
  uint64_t next_dead_letter_ ABSL_GUARDED_BY(write_mu_) = 0;
  // Per source, the quality record of the minute it last ingested in, as
  // stored.
  struct QualityMinute {
    TimestampUs start = kMinTime;
    SourceQualityRecord record;
  };
  absl::flat_hash_map<std::string, QualityMinute> quality_ ABSL_GUARDED_BY(write_mu_);
  std::atomic<uint64_t> next_seq_{0};

  // Guards what readers see.
  mutable absl::Mutex mu_;
  std::shared_ptr<const Catalog> catalog_ ABSL_GUARDED_BY(mu_);
  ViewStates views_ ABSL_GUARDED_BY(mu_);
  // Live prepared selections; each one's plan_ is guarded by mu_ and
  // replaced whenever catalog_ is.
  std::vector<std::weak_ptr<PreparedSelection>> prepared_ ABSL_GUARDED_BY(mu_);
};

// A selection resolved against one catalog: the views it reads, in the
// order their features first appear, each with the online state it reads
// and the features it contributes.
struct PreparedSelection::Plan {
  std::shared_ptr<const Catalog> catalog;  // keeps the compiled views alive
  absl::Status status;                     // not OK: the selection does not resolve
  std::vector<std::string> names;          // output names, in selection order
  struct ViewRead {
    const CompiledView* view = nullptr;
    // Null when the view has no online state (it reads as empty).
    const FeatureStore::Impl::ViewState* state = nullptr;
    // Views with the same join keys share one entity key.
    size_t key_group = 0;
    // (feature of the view, output position), in selection order.
    std::vector<std::pair<size_t, size_t>> features;
  };
  std::vector<ViewRead> views;
  size_t key_groups = 0;
};

PreparedSelection::PreparedSelection(const void* store, FeatureSelector selector)
    : store_(store), selector_(std::move(selector)) {}
PreparedSelection::~PreparedSelection() = default;

absl::Status FeatureStore::Impl::LoadDefinitions(Definitions* out) {
  Iterator it = db_->NewIterator(ColumnFamily::kDefinitions);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const std::string key(it.key());
    const size_t slash = key.find('/');
    const std::string type = key.substr(0, slash);
    std::string list;
    if (type == "entity")
      list = "entities";
    else if (type == "source")
      list = "sources";
    else if (type == "feature_view")
      list = "feature_views";
    else if (type == "feature_service")
      list = "feature_services";
    else
      continue;
    absl::StatusOr<Definitions> one =
        ParseDefinitions(absl::StrCat("{\"", list, "\":[", it.value(), "]}"), "json");
    if (!one.ok()) {
      return absl::DataLossError(
          absl::StrCat("stored definition ", key, " does not parse: ", one.status().message()));
    }
    // Keys are unique per kind and name, so appending is a merge.
    for (Entity& e : one->entities) out->entities.push_back(std::move(e));
    for (Source& x : one->sources) out->sources.push_back(std::move(x));
    for (FeatureView& v : one->feature_views) out->feature_views.push_back(std::move(v));
    for (FeatureService& x : one->feature_services) out->feature_services.push_back(std::move(x));
  }
  return it.status("reading definitions");
}

absl::StatusOr<int64_t> FeatureStore::Impl::CountOf(const std::string& key) const {
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(ColumnFamily::kMeta, key));
  if (!value.has_value()) return 0;
  uint64_t count = 0;
  if (!keys::DecodeCounter(*value, &count)) {
    return absl::DataLossError(absl::StrCat("malformed counter ", key));
  }
  return static_cast<int64_t>(count);
}

absl::Status FeatureStore::Impl::LoadCounters() {
  absl::MutexLock lock(&write_mu_);
  Iterator it = db_->NewIterator(ColumnFamily::kMeta);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const absl::string_view key = it.key();
    const bool next_seq = key == keys::kNextSeq;
    const bool next_dead_letter = key == keys::kNextDeadLetter;
    const bool source_count = absl::StartsWith(key, keys::kSourceEventsPrefix);
    const bool dead_count = absl::StartsWith(key, keys::kDeadLetterCountPrefix);
    if (!next_seq && !next_dead_letter && !source_count && !dead_count) continue;
    uint64_t v = 0;
    if (!keys::DecodeCounter(it.value(), &v)) {
      return absl::DataLossError(absl::StrCat("malformed counter ", key));
    }
    if (next_seq) {
      next_seq_ = v;
    } else if (next_dead_letter) {
      next_dead_letter_ = v;
    } else if (source_count) {
      source_events_[key.substr(strlen(keys::kSourceEventsPrefix))] = static_cast<int64_t>(v);
    } else {
      dead_letters_[key.substr(strlen(keys::kDeadLetterCountPrefix))] = static_cast<int64_t>(v);
    }
  }
  return it.status("reading counters");
}

absl::Status FeatureStore::Impl::LoadEventIds() {
  absl::MutexLock lock(&write_mu_);
  Iterator it = db_->NewIterator(ColumnFamily::kEventIds);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    absl::string_view source, id;
    if (!keys::DecodeEventId(it.key(), &source, &id)) {
      return absl::DataLossError("malformed event id record");
    }
    event_ids_[source].insert(std::string(id));
  }
  return it.status("reading event ids");
}

absl::Status FeatureStore::Impl::LoadOnline(const Catalog& catalog) {
  absl::MutexLock write_lock(&write_mu_);
  ViewStates views;
  for (const auto& [name, compiled] : catalog.views) {
    ViewState& state = views[name];
    state.compiled = std::make_shared<const CompiledView>(compiled);
    // A failed read is not "absent": rebuilding would hide the error and
    // rewrite the view's state, so the open fails instead.
    FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> built,
                            db_->Get(ColumnFamily::kMeta, keys::ViewBuilt(name)));
    if (built != compiled.content_hash) {
      // Online records were built for another version of the view (or a
      // crash interrupted an apply): rebuild from the event log.
      FSTORE_ASSIGN_OR_RETURN(state, BackfillView(compiled));
      continue;
    }
    const std::string reclaimed_key = keys::ViewReclaimed(name);
    FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> reclaimed,
                            db_->Get(ColumnFamily::kMeta, reclaimed_key));
    if (reclaimed.has_value()) {
      absl::string_view in = *reclaimed;
      if (!codec::GetOrderedInt64(&in, &state.reclaimed_before) || !in.empty()) {
        return absl::DataLossError(absl::StrCat("malformed ", reclaimed_key));
      }
    }
    const std::string prefix = keys::OnlineView(name);
    Iterator it = db_->NewIterator(ColumnFamily::kOnline);
    std::vector<Value> values;
    for (it.Seek(prefix); it.Valid() && absl::StartsWith(it.key(), prefix); it.Next()) {
      absl::string_view view_name, entity;
      int64_t ts;
      uint64_t seq;
      if (!keys::DecodeOnline(it.key(), &view_name, &entity, &ts, &seq) ||
          !codec::GetValues(it.value(), &values) || values.size() != compiled.schema->slot_count) {
        return absl::DataLossError(absl::StrCat("malformed online record of view ", name));
      }
      auto [t, inserted] = state.timelines.try_emplace(std::string(entity), compiled.schema);
      t->second.Insert(ts, seq, values);
      state.newest = std::max(state.newest, ts);
    }
    FSTORE_RETURN_IF_ERROR(it.status("reading online state"));
  }
  absl::MutexLock lock(&mu_);
  views_ = std::move(views);
  return absl::OkStatus();
}

absl::Status FeatureStore::Impl::Load() {
  Definitions definitions;
  FSTORE_RETURN_IF_ERROR(LoadDefinitions(&definitions));
  FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> catalog,
                          BuildCatalog(std::move(definitions)));
  {
    absl::MutexLock lock(&mu_);
    catalog_ = catalog;
  }
  FSTORE_RETURN_IF_ERROR(LoadCounters());
  FSTORE_RETURN_IF_ERROR(LoadEventIds());
  FSTORE_RETURN_IF_ERROR(LoadOnline(*catalog));
  size_t timelines = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [name, state] : views_) timelines += state.timelines.size();
  }
  spdlog::info("feature store: {} views, {} entity timelines, next sequence {}",
               catalog->views.size(), timelines, next_seq_.load());
  return absl::OkStatus();
}

absl::StatusOr<FeatureStore::Impl::ViewState> FeatureStore::Impl::BackfillView(
    const CompiledView& view) {
  ViewState state;
  state.compiled = std::make_shared<const CompiledView>(view);
  const std::string view_prefix = keys::OnlineView(view.def->name);
  WriteBatch batch(*db_);
  batch.DeleteRange(ColumnFamily::kOnline, view_prefix, codec::PrefixEnd(view_prefix));
  std::vector<Value> projected(view.slot_columns.size());
  std::string encoded;
  size_t rows = 0;
  FSTORE_RETURN_IF_ERROR(ScanEvents(
      *db_, *view.source, std::numeric_limits<uint64_t>::max(),
      [&](TimestampUs ts, uint64_t seq, const std::vector<Value>& values) -> absl::Status {
        for (size_t s = 0; s < view.slot_columns.size(); ++s) {
          projected[s] = values[view.slot_columns[s]];
        }
        const std::string entity = EntityKeyOf(view, values);
        encoded.clear();
        codec::PutValues(&encoded, projected);
        batch.Put(ColumnFamily::kOnline, keys::Online(view.def->name, entity, ts, seq), encoded);
        auto [t, inserted] = state.timelines.try_emplace(entity, view.schema);
        t->second.Insert(ts, seq, projected);
        state.newest = std::max(state.newest, ts);
        if (++rows % kBackfillBatchRows == 0) {
          FSTORE_RETURN_IF_ERROR(db_->Write(batch, "backfilling view " + view.def->name));
          batch.Clear();
        }
        return absl::OkStatus();
      }));
  batch.Put(ColumnFamily::kMeta, keys::ViewBuilt(view.def->name), view.content_hash);
  FSTORE_RETURN_IF_ERROR(db_->Write(batch, "backfilling view " + view.def->name));
  if (rows > 0) {
    spdlog::info("view {}: backfilled {} events from source {}", view.def->name, rows,
                 view.source->name);
  }
  return state;
}

absl::StatusOr<ApplyResult> FeatureStore::Impl::Apply(absl::string_view text,
                                                      absl::string_view format, bool dry_run) {
  FSTORE_ASSIGN_OR_RETURN(Definitions incoming, ParseDefinitions(text, format));
  absl::MutexLock write_lock(&write_mu_);
  const std::shared_ptr<const Catalog> current = catalog();
  const Definitions& stored = current->definitions;
  Definitions merged = MergeDefinitions(stored, incoming);
  FSTORE_RETURN_IF_ERROR(ValidateDefinitions(merged));

  auto has_events = [&](const std::string& source) {
    auto it = source_events_.find(source);
    return it != source_events_.end() && it->second > 0;
  };
  ApplyResult result;
  result.dry_run = dry_run;
  WriteBatch batch(*db_);
  auto record = [&](const auto& object, const auto* before, absl::string_view type) {
    DefinitionChange change;
    change.object_type = std::string(type);
    change.name = object.name;
    if (before == nullptr) {
      change.kind = DefinitionChange::Kind::kCreated;
      change.detail = absl::StrCat("version ", ContentHash(object));
    } else if (*before == object) {
      change.kind = DefinitionChange::Kind::kUnchanged;
      change.detail = absl::StrCat("version ", ContentHash(object));
    } else {
      change.kind = DefinitionChange::Kind::kUpdated;
      change.detail = absl::StrCat("version ", ContentHash(*before), " -> ", ContentHash(object));
    }
    if (change.kind != DefinitionChange::Kind::kUnchanged) {
      batch.Put(ColumnFamily::kDefinitions, keys::Definition(type, object.name),
                CanonicalJson(object));
    }
    result.changes.push_back(std::move(change));
  };
  for (const Entity& e : incoming.entities) {
    const Entity* before = stored.FindEntity(e.name);
    if (before != nullptr && !(*before == e)) {
      for (const FeatureView& v : stored.feature_views) {
        if (std::find(v.entities.begin(), v.entities.end(), e.name) != v.entities.end() &&
            has_events(v.source)) {
          FSTORE_RETURN_IF_ERROR(CheckCompatible(*before, e));
        }
      }
    }
    record(e, before, "entity");
  }
  for (const Source& s : incoming.sources) {
    const Source* before = stored.FindSource(s.name);
    if (before != nullptr && has_events(s.name)) {
      FSTORE_RETURN_IF_ERROR(CheckCompatible(*before, s));
      FSTORE_RETURN_IF_ERROR(CheckAppendOnly(*before, s));
    }
    record(s, before, "source");
  }
  for (const FeatureView& v : incoming.feature_views) {
    const FeatureView* before = stored.FindView(v.name);
    if (before != nullptr && has_events(before->source)) {
      FSTORE_RETURN_IF_ERROR(CheckCompatible(*before, v));
    }
    record(v, before, "feature_view");
  }
  for (const FeatureService& s : incoming.feature_services) {
    record(s, stored.FindService(s.name), "feature_service");
  }
  if (dry_run) return result;

  FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const Catalog> next, BuildCatalog(std::move(merged)));
  FSTORE_RETURN_IF_ERROR(db_->Write(batch, "storing definitions"));
  // Views whose compiled form changed (or that are new) are rebuilt from the
  // event log; the others keep their state under the new catalog.
  absl::flat_hash_map<std::string, ViewState> rebuilt;
  for (const auto& [name, compiled] : next->views) {
    auto old = current->views.find(name);
    if (old != current->views.end() && old->second.content_hash == compiled.content_hash &&
        old->second.source->columns == compiled.source->columns) {
      continue;
    }
    FSTORE_ASSIGN_OR_RETURN(rebuilt[name], BackfillView(compiled));
  }
  absl::MutexLock lock(&mu_);
  for (auto& [name, state] : rebuilt) views_[name] = std::move(state);
  for (auto& [name, state] : views_) {
    // Point every view at the new catalog's compiled form (same content).
    if (!rebuilt.contains(name)) {
      auto it = next->views.find(name);
      if (it != next->views.end()) {
        state.compiled = std::make_shared<const CompiledView>(it->second);
      }
    }
  }
  catalog_ = std::move(next);
  // Prepared selections follow the new definitions (and online state).
  prepared_.erase(std::remove_if(prepared_.begin(), prepared_.end(),
                                 [](const auto& weak) { return weak.expired(); }),
                  prepared_.end());
  for (const std::weak_ptr<PreparedSelection>& weak : prepared_) {
    if (std::shared_ptr<PreparedSelection> prepared = weak.lock()) {
      prepared->plan_ =
          std::make_unique<const PreparedSelection::Plan>(MakePlan(catalog_, prepared->selector()));
    }
  }
  return result;
}

// ---------------------------------------------------------------- ingest

namespace {

class IngestWriterImpl : public FeatureStore::IngestWriter {
 public:
  IngestWriterImpl(FeatureStore::Impl* store, std::shared_ptr<const Catalog> catalog,
                   std::string source, RowValidator validator)
      : store_(store),
        catalog_(std::move(catalog)),
        source_(std::move(source)),
        validator_(std::move(validator)) {}

  absl::Status WriteText(absl::Span<const std::vector<std::string>> rows,
                         int64_t first_row_number) override {
    std::vector<FeatureStore::Impl::PendingRow>& pending = Prepare(rows.size(), first_row_number);
    std::vector<absl::string_view> cells;
    for (size_t i = 0; i < rows.size(); ++i) {
      FeatureStore::Impl::PendingRow& p = pending[i];
      cells.assign(rows[i].begin(), rows[i].end());
      p.rejected = !validator_.ValidateText(cells, p.row_number, &p.row, &p.rejection);
      if (p.rejected) {
        p.raw.clear();
        for (const std::string& c : rows[i]) p.raw.push_back(EscapeForText(c));
      }
    }
    return store_->Commit(catalog_.get(), source_, pending, &summary_);
  }

  absl::Status WriteValues(absl::Span<const std::vector<Value>> rows,
                           int64_t first_row_number) override {
    std::vector<FeatureStore::Impl::PendingRow>& pending = Prepare(rows.size(), first_row_number);
    for (size_t i = 0; i < rows.size(); ++i) {
      FeatureStore::Impl::PendingRow& p = pending[i];
      p.rejected = !validator_.ValidateValues(rows[i], p.row_number, &p.row, &p.rejection);
      if (p.rejected) {
        p.raw.clear();
        for (const Value& v : rows[i]) p.raw.push_back(EscapeForText(ValueToText(v)));
      }
    }
    return store_->Commit(catalog_.get(), source_, pending, &summary_);
  }

  const IngestSummary& summary() const override { return summary_; }

 private:
  std::vector<FeatureStore::Impl::PendingRow>& Prepare(size_t n, int64_t first_row_number) {
    if (first_row_number > 0) next_row_number_ = first_row_number;
    pending_.resize(n);
    for (size_t i = 0; i < n; ++i) pending_[i].row_number = next_row_number_++;
    return pending_;
  }

  FeatureStore::Impl* const store_;
  const std::shared_ptr<const Catalog> catalog_;  // keeps the Source alive
  const std::string source_;
  const RowValidator validator_;
  std::vector<FeatureStore::Impl::PendingRow> pending_;  // reused across chunks
  int64_t next_row_number_ = 1;
  IngestSummary summary_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> FeatureStore::Impl::StartIngest(
    absl::string_view source, const std::vector<std::string>& columns) {
  std::shared_ptr<const Catalog> current = catalog();
  auto it = current->sources.find(source);
  if (it == current->sources.end()) return UnknownSourceError(*current, source);
  FSTORE_ASSIGN_OR_RETURN(
      RowValidator validator,
      RowValidator::Create(*it->second.def, columns, it->second.key_columns, options_.validation));
  return std::unique_ptr<IngestWriter>(
      new IngestWriterImpl(this, current, std::string(source), std::move(validator)));
}

absl::Status FeatureStore::Impl::Commit(const Catalog* started_with, const std::string& source_name,
                                        std::vector<PendingRow>& rows, IngestSummary* summary) {
  absl::MutexLock write_lock(&write_mu_);
  const std::shared_ptr<const Catalog> current = catalog();
  if (current.get() != started_with) {
    return absl::FailedPreconditionError(
        absl::StrCat("definitions changed while ingesting into ", source_name,
                     "; start the ingest again (rows with event ids are not stored twice)"));
  }
  auto source_it = current->sources.find(source_name);
  const CompiledSource& source = source_it->second;
  std::vector<const CompiledView*> views;
  for (const std::string& v : source.views) views.push_back(&current->views.at(v));

  struct Published {
    size_t view;
    std::string entity;
    TimestampUs ts;
    uint64_t seq;
    std::vector<Value> projected;
  };
  std::vector<Published> published;
  absl::flat_hash_set<std::string>& seen_ids = event_ids_[source_name];
  absl::flat_hash_set<std::string> chunk_ids;  // ids first seen in this chunk
  WriteBatch batch(*db_);
  uint64_t seq = next_seq_.load();
  uint64_t dead_letter = next_dead_letter_;
  IngestSummary delta;
  std::string key, value;
  const TimestampUs received_at = options_.clock();
  // Quality counts of this chunk: rejections by rule, and nulls per source
  // column among the accepted rows.
  const std::vector<Column>& columns = source.def->columns;
  QualityCounts quality_delta;
  quality_delta.nulls.assign(columns.size(), 0);

  for (PendingRow& p : rows) {
    if (p.rejected) {
      ++delta.rejected;
      ++quality_delta.rejected_by_rule[p.rejection.rule];
      if (summary->rejections.size() + delta.rejections.size() < options_.max_rejections_reported) {
        delta.rejections.push_back(p.rejection);
      }
      value.clear();
      EncodeDeadLetter(p.rejection, received_at, p.raw, &value);
      batch.Put(ColumnFamily::kDeadLetters, keys::DeadLetter(source_name, dead_letter++), value);
      continue;
    }
    const std::vector<Value>& values = p.row.values;
    if (source.event_id_column >= 0) {
      std::string id = ValueToText(values[source.event_id_column]);
      if (seen_ids.contains(id) || chunk_ids.contains(id)) {
        ++delta.duplicates;
        continue;
      }
      key.clear();
      keys::AppendEventId(&key, source_name, id);
      batch.Put(ColumnFamily::kEventIds, key, keys::EncodeCounter(seq));
      chunk_ids.insert(std::move(id));
    }
    EncodeEvent(p.row.ts, values, &value);
    key.clear();
    keys::AppendEvent(&key, source_name, seq);
    batch.Put(ColumnFamily::kEvents, key, value);
    for (size_t v = 0; v < views.size(); ++v) {
      const CompiledView& view = *views[v];
      Published pub{v, EntityKeyOf(view, values), p.row.ts, seq, {}};
      pub.projected.reserve(view.slot_columns.size());
      for (int c : view.slot_columns) pub.projected.push_back(values[c]);
      value.clear();
      codec::PutValues(&value, pub.projected);
      key.clear();
      keys::AppendOnline(&key, view.def->name, pub.entity, pub.ts, seq);
      batch.Put(ColumnFamily::kOnline, key, value);
      published.push_back(std::move(pub));
    }
    const size_t counted = std::min(values.size(), quality_delta.nulls.size());
    for (size_t c = 0; c < counted; ++c) quality_delta.nulls[c] += IsNull(values[c]) ? 1 : 0;
    ++delta.accepted;
    ++seq;
  }
  // The source's quality record for this minute, updated in the same batch.
  const TimestampUs minute = FloorToMultiple(received_at, kQualityRecordWidth);
  FSTORE_ASSIGN_OR_RETURN(const SourceQualityRecord* stored_quality,
                          CurrentQuality(source_name, minute, &batch));
  SourceQualityRecord quality = *stored_quality;
  {
    std::vector<std::string> names;
    names.reserve(columns.size());
    for (const Column& c : columns) names.push_back(c.name);
    ConformToColumns(names, &quality);
  }
  quality_delta.accepted = delta.accepted;
  quality_delta.rejected = delta.rejected;
  quality_delta.duplicates = delta.duplicates;
  quality.counts.Add(quality_delta);
  batch.Put(ColumnFamily::kSourceQuality, keys::SourceQuality(source_name, minute),
            EncodeSourceQuality(quality));
  const int64_t source_total = source_events_[source_name] + delta.accepted;
  const int64_t dead_total = dead_letters_[source_name] + delta.rejected;
  batch.Put(ColumnFamily::kMeta, keys::kNextSeq, keys::EncodeCounter(seq));
  batch.Put(ColumnFamily::kMeta, keys::kNextDeadLetter, keys::EncodeCounter(dead_letter));
  batch.Put(ColumnFamily::kMeta, keys::SourceEventsCount(source_name),
            keys::EncodeCounter(source_total));
  batch.Put(ColumnFamily::kMeta, keys::DeadLetterCount(source_name),
            keys::EncodeCounter(dead_total));
  FSTORE_RETURN_IF_ERROR(db_->Write(batch, absl::StrCat("ingesting into ", source_name)));

  // Durable: publish to the write-side state and to readers.
  next_seq_ = seq;
  next_dead_letter_ = dead_letter;
  source_events_[source_name] = source_total;
  dead_letters_[source_name] = dead_total;
  quality_[source_name].record = std::move(quality);
  seen_ids.merge(chunk_ids);
  WriteBatch deletes(*db_);
  {
    absl::MutexLock lock(&mu_);
    std::vector<std::vector<std::string>> touched(views.size());
    for (Published& pub : published) {
      ViewState& state = views_[views[pub.view]->def->name];
      auto [t, inserted] = state.timelines.try_emplace(pub.entity, state.compiled->schema);
      t->second.Insert(pub.ts, pub.seq, pub.projected);
      state.newest = std::max(state.newest, pub.ts);
      touched[pub.view].push_back(std::move(pub.entity));
    }
    for (size_t v = 0; v < views.size(); ++v) {
      Reclaim(views_[views[v]->def->name], touched[v], &deletes);
    }
  }
  if (deletes.Count() > 0) {
    // Reclaiming is not part of the ingest's atomicity: state past the
    // horizon changes no read that is allowed, so a lost delete is redone.
    FSTORE_RETURN_IF_ERROR(db_->Write(deletes, "reclaiming online state"));
  }

  summary->accepted += delta.accepted;
  summary->rejected += delta.rejected;
  summary->duplicates += delta.duplicates;
  for (Rejection& r : delta.rejections) summary->rejections.push_back(std::move(r));
  return absl::OkStatus();
}

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

void FeatureStore::Impl::Reclaim(ViewState& state, const std::vector<std::string>& entities,
                                 WriteBatch* deletes) {
  const DurationUs horizon = state.compiled->horizon;
  if (horizon < 0 || state.newest == kMinTime) return;
  const TimestampUs cutoff = state.newest - horizon - options_.retention_grace;
  const std::string& view = state.compiled->def->name;
  bool reclaimed = false;
  for (const std::string& entity : entities) {
    auto it = state.timelines.find(entity);
    if (it == state.timelines.end()) continue;
    if (it->second.EvictBefore(cutoff) > 0) {
      deletes->DeleteRange(ColumnFamily::kOnline, keys::Online(view, entity, kMinTime, 0),
                           keys::Online(view, entity, cutoff, 0));
      reclaimed = true;
    }
  }
  if (reclaimed && cutoff > state.reclaimed_before) {
    state.reclaimed_before = cutoff;
    std::string value;
    codec::PutOrderedInt64(&value, cutoff);
    deletes->Put(ColumnFamily::kMeta, keys::ViewReclaimed(view), value);
  }
}

absl::StatusOr<DeadLetterPage> FeatureStore::Impl::ListDeadLetters(
    absl::string_view source, int page_size, absl::string_view page_token) const {
  if (catalog()->definitions.FindSource(source) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown source '", source, "'"));
  }
  if (page_size <= 0) page_size = 100;
  uint64_t start = 0;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &start)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid page token '", page_token, "'"));
  }
  DeadLetterPage page;
  FSTORE_ASSIGN_OR_RETURN(page.total, CountOf(keys::DeadLetterCount(source)));
  const std::string prefix = keys::DeadLetters(source);
  Iterator it = db_->NewIterator(ColumnFamily::kDeadLetters);
  for (it.Seek(keys::DeadLetter(source, start)); it.Valid() && absl::StartsWith(it.key(), prefix);
       it.Next()) {
    absl::string_view name;
    uint64_t seq = 0;
    if (!keys::DecodeDeadLetter(it.key(), &name, &seq)) {
      return absl::DataLossError(absl::StrCat("malformed dead letter key of ", source));
    }
    if (page.dead_letters.size() == static_cast<size_t>(page_size)) {
      page.next_page_token = absl::StrCat(seq);
      break;
    }
    DeadLetter d;
    d.source = std::string(source);
    if (!DecodeDeadLetter(it.value(), &d)) {
      return absl::DataLossError(absl::StrCat("malformed dead letter ", seq, " of ", source));
    }
    page.dead_letters.push_back(std::move(d));
  }
  FSTORE_RETURN_IF_ERROR(it.status("reading dead letters"));
  return page;
}

PreparedSelection::Plan FeatureStore::Impl::MakePlan(std::shared_ptr<const Catalog> catalog,
                                                     const FeatureSelector& selector) const {
  PreparedSelection::Plan plan;
  plan.catalog = std::move(catalog);
  absl::StatusOr<std::vector<SelectedFeature>> items =
      SelectFeatures(*plan.catalog, selector, /*always_prefix=*/false);
  if (!items.ok()) {
    plan.status = items.status();
    return plan;
  }
  std::vector<const std::vector<std::string>*> key_groups;
  plan.names.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    SelectedFeature& item = (*items)[i];
    plan.names.push_back(std::move(item.name));
    auto read = std::find_if(plan.views.begin(), plan.views.end(),
                             [&](const auto& r) { return r.view == item.view; });
    if (read == plan.views.end()) {
      PreparedSelection::Plan::ViewRead added;
      added.view = item.view;
      auto state = views_.find(item.view->def->name);
      if (state != views_.end()) added.state = &state->second;
      auto group = std::find_if(key_groups.begin(), key_groups.end(),
                                [&](const auto* keys) { return *keys == item.view->key_names; });
      added.key_group = group - key_groups.begin();
      if (group == key_groups.end()) key_groups.push_back(&item.view->key_names);
      plan.views.push_back(std::move(added));
      read = plan.views.end() - 1;
    }
    read->features.emplace_back(item.feature, i);
  }
  plan.key_groups = key_groups.size();
  return plan;
}

absl::Status FeatureStore::Impl::ReadPlan(const PreparedSelection::Plan& plan,
                                          const std::map<std::string, std::string>& entity,
                                          TimestampUs at, OnlineFeatures* out) const {
  FSTORE_RETURN_IF_ERROR(plan.status);
  out->at = at;
  out->features.resize(plan.names.size());
  out->freshness.resize(plan.views.size());
  absl::InlinedVector<std::string, 4> keys(plan.key_groups);
  absl::InlinedVector<bool, 4> have_key(plan.key_groups, false);
  for (size_t v = 0; v < plan.views.size(); ++v) {
    const PreparedSelection::Plan::ViewRead& read = plan.views[v];
    const std::string& name = read.view->def->name;
    if (!have_key[read.key_group]) {
      FSTORE_ASSIGN_OR_RETURN(keys[read.key_group], EntityKeyFromNames(*read.view, entity));
      have_key[read.key_group] = true;
    }
    // An entity without events reads like an empty timeline.
    const EntityTimeline* timeline = read.view->empty_timeline.get();
    if (read.state != nullptr) {
      const ViewState& vs = *read.state;
      if (vs.compiled->horizon >= 0 && vs.reclaimed_before != kMinTime &&
          at - vs.compiled->horizon < vs.reclaimed_before) {
        return absl::OutOfRangeError(absl::StrCat(
            "feature view ", name, " keeps online state from ", FormatIsoTime(vs.reclaimed_before),
            " on; ", FormatIsoTime(at), " needs older events (use historical retrieval)"));
      }
      auto t = vs.timelines.find(keys[read.key_group]);
      if (t != vs.timelines.end()) timeline = &t->second;
    }
    out->freshness[v].view.assign(name);
    out->freshness[v].newest_event = timeline->NewestBefore(at).value_or(TimestampUs{0});
    for (const auto& [feature, position] : read.features) {
      NamedValue& f = out->features[position];
      f.name.assign(plan.names[position]);
      f.value = timeline->Evaluate(feature, at);
    }
  }
  return absl::OkStatus();
}

// The same reads as ReadPlan, resolving the selector on the way (no plan to
// build: this path serves one-off lookups, which should not pay for one).
// PreparedReadsEqualSelectorReads (feature_store_test) keeps the two equal.
absl::StatusOr<OnlineFeatures> FeatureStore::Impl::GetOnlineFeatures(
    const FeatureSelector& selector, const std::map<std::string, std::string>& entity,
    TimestampUs at) const {
  if (at == 0) at = NowUs();
  absl::ReaderMutexLock lock(&mu_);
  FSTORE_ASSIGN_OR_RETURN(std::vector<SelectedFeature> items,
                          SelectFeatures(*catalog_, selector, /*always_prefix=*/false));
  OnlineFeatures out;
  out.at = at;
  out.features.reserve(items.size());
  const CompiledView* last_view = nullptr;
  const EntityTimeline* timeline = nullptr;
  for (const SelectedFeature& item : items) {
    if (item.view != last_view) {
      last_view = item.view;
      FSTORE_ASSIGN_OR_RETURN(const std::string key, EntityKeyFromNames(*item.view, entity));
      // An entity without events reads like an empty timeline.
      timeline = item.view->empty_timeline.get();
      auto state = views_.find(item.view->def->name);
      if (state != views_.end()) {
        const ViewState& vs = state->second;
        if (vs.compiled->horizon >= 0 && vs.reclaimed_before != kMinTime &&
            at - vs.compiled->horizon < vs.reclaimed_before) {
          return absl::OutOfRangeError(
              absl::StrCat("feature view ", item.view->def->name, " keeps online state from ",
                           FormatIsoTime(vs.reclaimed_before), " on; ", FormatIsoTime(at),
                           " needs older events (use historical retrieval)"));
        }
        auto t = vs.timelines.find(key);
        if (t != vs.timelines.end()) timeline = &t->second;
      }
      bool seen = false;
      for (const ViewFreshness& f : out.freshness) seen = seen || f.view == item.view->def->name;
      if (!seen) {
        out.freshness.push_back(
            {item.view->def->name, timeline->NewestBefore(at).value_or(TimestampUs{0})});
      }
    }
    out.features.push_back({item.name, timeline->Evaluate(item.feature, at)});
  }
  return out;
}

absl::Status FeatureStore::Impl::Prepare(const std::shared_ptr<PreparedSelection>& prepared) {
  absl::MutexLock lock(&mu_);
  auto plan =
      std::make_unique<const PreparedSelection::Plan>(MakePlan(catalog_, prepared->selector()));
  FSTORE_RETURN_IF_ERROR(plan->status);
  prepared->plan_ = std::move(plan);
  // Forget selections nobody holds any more.
  prepared_.erase(std::remove_if(prepared_.begin(), prepared_.end(),
                                 [](const auto& weak) { return weak.expired(); }),
                  prepared_.end());
  prepared_.push_back(prepared);
  return absl::OkStatus();
}

absl::Status FeatureStore::Impl::GetOnlineFeatures(const PreparedSelection& prepared,
                                                   const std::map<std::string, std::string>& entity,
                                                   TimestampUs at, OnlineFeatures* out) const {
  if (prepared.store_ != this) {
    return absl::InvalidArgumentError("a prepared selection is read by the store that made it");
  }
  if (at == 0) at = NowUs();
  absl::ReaderMutexLock lock(&mu_);
  return ReadPlan(*prepared.plan_, entity, at, out);
}

// -------------------------------------------------------------- snapshots

namespace {

std::string EncodeSnapshot(const Snapshot& s) {
  std::string value;
  codec::PutInt64(&value, s.created_at);
  codec::PutOrderedUint64(&value, s.high_water_mark);
  return value;
}

absl::StatusOr<Snapshot> DecodeSnapshot(absl::string_view name, absl::string_view value) {
  Snapshot s;
  s.name = std::string(name);
  if (!codec::GetInt64(&value, &s.created_at) ||
      !codec::GetOrderedUint64(&value, &s.high_water_mark)) {
    return absl::DataLossError(absl::StrCat("malformed snapshot record ", name));
  }
  return s;
}

absl::Status ValidateSnapshotName(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot name '", name, "' must be 1-128 letters, digits, '_', '-' or '.'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Snapshot> FeatureStore::Impl::CreateSnapshot(absl::string_view name) {
  Snapshot snapshot;
  snapshot.created_at = NowUs();
  if (name.empty()) {
    std::string generated = "snap-";
    for (char c : FormatIsoTime(snapshot.created_at)) {
      if (c != '-' && c != ':') generated.push_back(c);
    }
    snapshot.name = generated;
  } else {
    FSTORE_RETURN_IF_ERROR(ValidateSnapshotName(name));
    snapshot.name = std::string(name);
  }
  // Under the ingest lock, so the mark falls between two committed chunks.
  absl::MutexLock lock(&write_mu_);
  // A failed read is an error, not "absent" (which would overwrite it).
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                          db_->Get(ColumnFamily::kSnapshots, snapshot.name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot '", snapshot.name, "' already exists"));
  }
  snapshot.high_water_mark = next_seq_.load();
  FSTORE_RETURN_IF_ERROR(
      db_->Put(ColumnFamily::kSnapshots, snapshot.name, EncodeSnapshot(snapshot)));
  return snapshot;
}

absl::StatusOr<Snapshot> FeatureStore::Impl::GetSnapshot(absl::string_view name) const {
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(ColumnFamily::kSnapshots, name));
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("unknown snapshot '", name, "' (fsctl snapshot list)"));
  }
  return DecodeSnapshot(name, *value);
}

absl::StatusOr<std::vector<Snapshot>> FeatureStore::Impl::ListSnapshots() const {
  std::vector<Snapshot> out;
  Iterator it = db_->NewIterator(ColumnFamily::kSnapshots);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    FSTORE_ASSIGN_OR_RETURN(Snapshot s, DecodeSnapshot(it.key(), it.value()));
    out.push_back(std::move(s));
  }
  FSTORE_RETURN_IF_ERROR(it.status("listing snapshots"));
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.high_water_mark != b.high_water_mark ? a.high_water_mark < b.high_water_mark
                                                  : a.name < b.name;
  });
  return out;
}

absl::Status FeatureStore::Impl::DeleteSnapshot(absl::string_view name) {
  FSTORE_RETURN_IF_ERROR(GetSnapshot(name).status());
  return db_->Delete(ColumnFamily::kSnapshots, name);
}

// ------------------------------------------------------------ FeatureStore

absl::StatusOr<std::unique_ptr<FeatureStore>> FeatureStore::Open(Database* db,
                                                                 const Options& options) {
  auto impl = std::make_unique<Impl>(db, options);
  FSTORE_RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<FeatureStore>(new FeatureStore(std::move(impl)));
}

FeatureStore::FeatureStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FeatureStore::~FeatureStore() = default;

absl::StatusOr<ApplyResult> FeatureStore::Apply(absl::string_view text, absl::string_view format,
                                                bool dry_run) {
  return impl_->Apply(text, format, dry_run);
}

Definitions FeatureStore::GetDefinitions() const { return impl_->GetDefinitions(); }

absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> FeatureStore::StartIngest(
    absl::string_view source, const std::vector<std::string>& columns) {
  return impl_->StartIngest(source, columns);
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

}  // namespace fstore

namespace fstore {

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

namespace {

// Resolves the features and the snapshot (empty = a new one), then runs
// `read(features, high_water_mark)`: the common frame of historical reads.
absl::StatusOr<HistoricalResult> ReadAtSnapshot(
    FeatureStore::Impl& impl, const FeatureSelector& selector, absl::string_view snapshot,
    const std::function<absl::StatusOr<JoinResult>(const std::vector<SelectedFeature>&, uint64_t)>&
        read) {
  const std::shared_ptr<const Catalog> catalog = impl.catalog();
  FSTORE_ASSIGN_OR_RETURN(std::vector<SelectedFeature> features,
                          SelectFeatures(*catalog, selector, /*always_prefix=*/true));
  FSTORE_ASSIGN_OR_RETURN(Snapshot snap,
                          snapshot.empty() ? impl.CreateSnapshot("") : impl.GetSnapshot(snapshot));
  HistoricalResult result;
  result.snapshot = snap.name;
  FSTORE_ASSIGN_OR_RETURN(result.join, read(features, snap.high_water_mark));
  return result;
}

}  // namespace

absl::StatusOr<HistoricalResult> FeatureStore::GetHistoricalFeatures(
    const FeatureSelector& selector, const EntityRows& rows, absl::string_view snapshot,
    const CsvSink& sink) {
  return ReadAtSnapshot(*impl_, selector, snapshot,
                        [&](const std::vector<SelectedFeature>& features, uint64_t hwm) {
                          return JoinHistorical(*impl_->db(), features, hwm, rows, sink);
                        });
}

absl::StatusOr<HistoricalResult> FeatureStore::ExportFeatures(const FeatureSelector& selector,
                                                              TimestampUs at,
                                                              absl::string_view snapshot,
                                                              const CsvSink& sink) {
  const TimestampUs as_of = at == 0 ? NowUs() : at;
  return ReadAtSnapshot(*impl_, selector, snapshot,
                        [&](const std::vector<SelectedFeature>& features, uint64_t hwm) {
                          return ExportAsOf(*impl_->db(), features, hwm, as_of, sink);
                        });
}

absl::StatusOr<std::vector<std::map<std::string, std::string>>> FeatureStore::ActiveEntities(
    const std::vector<std::string>& join_keys, TimestampUs since, TimestampUs until) const {
  return fstore::ActiveEntities(*impl_->db(), GetDefinitions(), join_keys, since, until);
}

}  // namespace fstore
