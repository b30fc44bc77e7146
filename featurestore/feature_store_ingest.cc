// FeatureStore ingest: writers validate chunks of rows; Commit writes each
// chunk (events, event ids, online projections, dead letters, counters and the
// quality record) as one WriteBatch, then publishes it to readers and reclaims
// state past the views' horizons.
#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/event_log.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "featurestore/value_codec.h"
#include "storage/record_codec.h"

namespace fstore {

namespace {

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

class IngestWriterImpl : public FeatureStore::IngestWriter {
 public:
  IngestWriterImpl(FeatureStore::Impl* store, std::shared_ptr<const Catalog> catalog,
                   std::string source, std::vector<std::string> columns, RowValidator validator,
                   std::string ingest_id, std::string origin)
      : store_(store),
        catalog_(std::move(catalog)),
        source_(std::move(source)),
        columns_(std::move(columns)),
        validator_(std::move(validator)),
        origin_(std::move(origin)) {
    summary_.ingest_id = std::move(ingest_id);
  }

  absl::Status WriteText(absl::Span<const std::vector<std::string>> rows,
                         int64_t first_row_number) override {
    std::vector<FeatureStore::Impl::PendingRow>& pending = Prepare(rows.size(), first_row_number);
    auto validate = [&] {
      const TimestampUs latest = LatestAccepted();
      std::vector<absl::string_view> cells;
      for (size_t i = 0; i < rows.size(); ++i) {
        FeatureStore::Impl::PendingRow& p = pending[i];
        cells.assign(rows[i].begin(), rows[i].end());
        p.rejected = !validator_.ValidateText(cells, p.row_number, &p.row, &p.rejection) ||
                     InFuture(p, latest);
        if (p.rejected) {
          p.raw.clear();
          for (const std::string& c : rows[i]) p.raw.push_back(EscapeForText(c));
        }
      }
    };
    validate();
    return Commit(pending, validate);
  }

  absl::Status WriteValues(absl::Span<const std::vector<Value>> rows,
                           int64_t first_row_number) override {
    std::vector<FeatureStore::Impl::PendingRow>& pending = Prepare(rows.size(), first_row_number);
    auto validate = [&] {
      const TimestampUs latest = LatestAccepted();
      for (size_t i = 0; i < rows.size(); ++i) {
        FeatureStore::Impl::PendingRow& p = pending[i];
        p.rejected = !validator_.ValidateValues(rows[i], p.row_number, &p.row, &p.rejection) ||
                     InFuture(p, latest);
        if (p.rejected) {
          p.raw.clear();
          for (const Value& v : rows[i]) p.raw.push_back(EscapeForText(ValueToText(v)));
        }
      }
    };
    validate();
    return Commit(pending, validate);
  }

  const IngestSummary& summary() const override { return summary_; }

 private:
  // Commits a validated chunk. When definitions changed since it was
  // validated, the chunk is validated again under the new ones first (by
  // `validate`, under the store's write lock), so a change takes effect
  // between chunks.
  template <typename Validate>
  absl::Status Commit(std::vector<FeatureStore::Impl::PendingRow>& pending, Validate& validate) {
    return store_->Commit(&catalog_, source_, summary_.ingest_id, origin_, pending, &summary_,
                          [&](std::shared_ptr<const Catalog> now) -> absl::Status {
                            FSTORE_RETURN_IF_ERROR(Rebind(std::move(now)));
                            validate();
                            return absl::OkStatus();
                          });
  }

  // Validates against `catalog` from now on. FailedPrecondition when the
  // writer's columns no longer fit the source (its rows stopped being
  // valid): nothing of the chunk is written.
  absl::Status Rebind(std::shared_ptr<const Catalog> catalog) {
    auto it = catalog->sources.find(source_);
    absl::StatusOr<RowValidator> validator =
        it == catalog->sources.end()
            ? absl::StatusOr<RowValidator>(UnknownSourceError(*catalog, source_))
            : RowValidator::Create(*it->second.def, columns_, it->second.key_columns,
                                   store_->options().validation);
    if (!validator.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the definition of ", source_,
                       " changed while ingesting and this ingest's rows no "
                       "longer fit it: ",
                       validator.status().message()));
    }
    validator_ = *std::move(validator);
    catalog_ = std::move(catalog);
    return absl::OkStatus();
  }

  // The latest event time accepted now: the clock plus the allowed skew.
  TimestampUs LatestAccepted() const {
    const FeatureStore::Options& options = store_->options();
    const TimestampUs now = options.clock();
    constexpr TimestampUs kMaxTime = std::numeric_limits<TimestampUs>::max();
    return now > kMaxTime - options.max_future_skew ? kMaxTime : now + options.max_future_skew;
  }

  // Rejects a validated row whose event time is after `latest` (rule
  // "future"): one event from the far future would otherwise be the view's
  // newest and decide what every entity can read.
  bool InFuture(FeatureStore::Impl::PendingRow& p, TimestampUs latest) const {
    if (p.row.ts <= latest) return false;
    const Source& source = validator_.source();
    Rejection& r = p.rejection;
    r.row_number = p.row_number;
    r.column = source.timestamp_column;
    r.value = FormatIsoTime(p.row.ts);
    r.rule = "future";
    r.reason = absl::StrCat(
        source.name, " row ", p.row_number, ": column ", r.column, ": ", r.value, " is more than ",
        FormatDuration(store_->options().max_future_skew), " after the time of ingest (",
        FormatIsoTime(latest - store_->options().max_future_skew), ")");
    return true;
  }

  std::vector<FeatureStore::Impl::PendingRow>& Prepare(size_t n, int64_t first_row_number) {
    if (first_row_number > 0) next_row_number_ = first_row_number;
    pending_.resize(n);
    for (size_t i = 0; i < n; ++i) pending_[i].row_number = next_row_number_++;
    return pending_;
  }

  FeatureStore::Impl* const store_;
  // The definitions the rows are validated against (keeps the Source alive);
  // replaced, with validator_, when a chunk commits under newer ones.
  std::shared_ptr<const Catalog> catalog_;
  const std::string source_;
  const std::vector<std::string> columns_;
  RowValidator validator_;
  const std::string origin_;
  std::vector<FeatureStore::Impl::PendingRow> pending_;  // reused across chunks
  int64_t next_row_number_ = 1;
  IngestSummary summary_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> FeatureStore::Impl::StartIngest(
    absl::string_view source, const std::vector<std::string>& columns, absl::string_view origin) {
  std::shared_ptr<const Catalog> current = catalog();
  auto it = current->sources.find(source);
  if (it == current->sources.end()) return UnknownSourceError(*current, source);
  FSTORE_ASSIGN_OR_RETURN(
      RowValidator validator,
      RowValidator::Create(*it->second.def, columns, it->second.key_columns, options_.validation));
  // "ingest-20260105T100000.000000Z-7": when it started, and the how-manieth
  // ingest of this process it is (two may start in the same microsecond).
  std::string ingest_id = "ingest-";
  for (char c : FormatIsoTime(options_.clock())) {
    if (c != '-' && c != ':') ingest_id.push_back(c);
  }
  absl::StrAppend(&ingest_id, "-", ++ingests_started_);
  return std::unique_ptr<IngestWriter>(new IngestWriterImpl(
      this, current, std::string(source), columns, std::move(validator), std::move(ingest_id),
      std::string(ShortenedValue(origin, kMaxOriginBytes))));
}

absl::Status FeatureStore::Impl::Commit(
    std::shared_ptr<const Catalog>* validated_with, const std::string& source_name,
    const std::string& ingest_id, const std::string& origin, std::vector<PendingRow>& rows,
    IngestSummary* summary,
    absl::FunctionRef<absl::Status(std::shared_ptr<const Catalog>)> revalidate) {
  absl::MutexLock write_lock(&write_mu_);
  const std::shared_ptr<const Catalog> current = catalog();
  if (current != *validated_with) FSTORE_RETURN_IF_ERROR(revalidate(current));
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
      EncodeDeadLetter(p.rejection, received_at, ingest_id, origin, p.raw, &value);
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
  for (const auto& [rule, n] : quality_delta.rejected_by_rule) summary->rejected_by_rule[rule] += n;
  for (Rejection& r : delta.rejections) summary->rejections.push_back(std::move(r));
  return absl::OkStatus();
}

void FeatureStore::Impl::Reclaim(ViewState& state, const std::vector<std::string>& entities,
                                 WriteBatch* deletes) {
  const DurationUs horizon = state.compiled->horizon;
  if (horizon < 0 || state.newest == kMinTime) return;
  // Measured from the newest event, but never from beyond the clock: what
  // every entity can read does not move with one event's time.
  const TimestampUs cutoff =
      std::min(state.newest, options_.clock()) - horizon - options_.retention_grace;
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

}  // namespace fstore
