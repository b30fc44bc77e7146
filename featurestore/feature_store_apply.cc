// FeatureStore::Apply: merging, checking and storing definitions, and
// rebuilding the views whose compiled form changed.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "storage/record_codec.h"

namespace fstore {

namespace {

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

// An apply record (kMeta "apply_history/"): time, actor, then each change
// as type, name, kind, detail.
std::string EncodeApplyRecord(const ApplyRecord& record) {
  std::string out;
  codec::RecordWriter w(&out);
  w.Int(record.applied_at);
  w.Str(record.actor);
  w.List(record.changes, [&](const DefinitionChange& c) {
    w.Str(c.object_type);
    w.Str(c.name);
    w.Int(static_cast<int64_t>(c.kind));
    w.Str(c.detail);
  });
  return out;
}

bool DecodeApplyRecord(absl::string_view value, ApplyRecord* record) {
  codec::RecordReader r(value);
  record->applied_at = r.Int();
  r.Str(&record->actor);
  const int64_t n = r.Count();
  for (int64_t i = 0; i < n && !r.failed(); ++i) {
    DefinitionChange& c = record->changes.emplace_back();
    r.Str(&c.object_type);
    r.Str(&c.name);
    const int64_t kind = r.Int();
    if (kind < 0 || kind > static_cast<int64_t>(DefinitionChange::Kind::kUnchanged)) return false;
    c.kind = static_cast<DefinitionChange::Kind>(kind);
    r.Str(&c.detail);
  }
  return r.ok();
}

}  // namespace

absl::StatusOr<std::vector<ApplyRecord>> FeatureStore::Impl::DefinitionsHistory(int limit) const {
  std::vector<ApplyRecord> records;
  Iterator it = db_->NewIterator(ColumnFamily::kMeta);
  for (it.Seek(keys::kApplyHistoryPrefix);
       it.Valid() && absl::StartsWith(it.key(), keys::kApplyHistoryPrefix); it.Next()) {
    ApplyRecord& record = records.emplace_back();
    if (!keys::DecodeApplyHistory(it.key(), &record.number) ||
        !DecodeApplyRecord(it.value(), &record)) {
      return absl::DataLossError("malformed definitions history record");
    }
  }
  FSTORE_RETURN_IF_ERROR(it.status("reading the definitions history"));
  if (limit > 0 && records.size() > static_cast<size_t>(limit)) {
    records.erase(records.begin(), records.end() - limit);
  }
  return records;
}

// The number the next apply record takes: one past the last stored.
absl::StatusOr<uint64_t> FeatureStore::Impl::NextApplyNumber() const {
  Iterator it = db_->NewIterator(ColumnFamily::kMeta);
  it.SeekForPrev(codec::PrefixEnd(keys::kApplyHistoryPrefix));
  uint64_t last = 0;
  if (it.Valid() && absl::StartsWith(it.key(), keys::kApplyHistoryPrefix) &&
      !keys::DecodeApplyHistory(it.key(), &last)) {
    return absl::DataLossError("malformed definitions history key");
  }
  FSTORE_RETURN_IF_ERROR(it.status("reading the definitions history"));
  return last + 1;
}

absl::StatusOr<ApplyResult> FeatureStore::Impl::Apply(absl::string_view text,
                                                      absl::string_view format, bool dry_run,
                                                      absl::string_view actor) {
  FSTORE_ASSIGN_OR_RETURN(Definitions incoming, ParseDefinitions(text, format));
  absl::MutexLock write_lock(&write_mu_);
  const std::shared_ptr<const Catalog> current = catalog();
  const Definitions& stored = current->definitions;
  Definitions merged = MergeDefinitions(stored, incoming);
  FSTORE_RETURN_IF_ERROR(ValidateDefinitions(merged));
  if (feature_change_guard_) {
    if (std::vector<FeatureChange> changed = ChangedFeatures(stored, merged); !changed.empty()) {
      FSTORE_RETURN_IF_ERROR(feature_change_guard_(changed));
    }
  }

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

  ApplyRecord applied;
  for (const DefinitionChange& change : result.changes) {
    if (change.kind != DefinitionChange::Kind::kUnchanged) applied.changes.push_back(change);
  }
  // An apply that changes nothing touches nothing: no write, no new catalog,
  // so ingests in flight and prepared selections never see it.
  if (applied.changes.empty()) return result;
  FSTORE_ASSIGN_OR_RETURN(const uint64_t number, NextApplyNumber());
  applied.applied_at = options_.clock();
  applied.actor = std::string(actor);
  batch.Put(ColumnFamily::kMeta, keys::ApplyHistory(number), EncodeApplyRecord(applied));

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

}  // namespace fstore
