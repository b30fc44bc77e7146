// FeatureStore recovery: Open reads the definitions, counters, event ids and
// online state back from storage; a view whose stored state was built for
// another version of it (view_built/V) is rebuilt from the event log. A failed
// read fails the open: it is never taken for "absent".
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/event_log.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "featurestore/value_codec.h"
#include "spdlog/spdlog.h"
#include "storage/record_codec.h"

namespace fstore {

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

}  // namespace fstore
