// FeatureStore::Impl: the state behind the FeatureStore facade, shared by the
// files that implement it (one per concept):
//
//   feature_store.cc               the facade, historical reads
//   feature_store_recovery.cc      Open: loading state back, rebuilding views
//   feature_store_apply.cc         Apply, DefinitionsHistory
//   feature_store_ingest.cc        writers, Commit, reclaiming old state
//   feature_store_quality.cc       per-source quality records and reports
//   feature_store_dead_letters.cc  dead letter records and their listing
//   feature_store_online.cc        plans and the one online read path
//   feature_store_snapshots.cc     snapshots
//
// Private to featurestore/. Thread-safety: as FeatureStore (write_mu_
// serializes writers, mu_ guards what readers see).
#ifndef FSTORE_FEATURESTORE_FEATURE_STORE_IMPL_H_
#define FSTORE_FEATURESTORE_FEATURE_STORE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/feature_changes.h"
#include "featurestore/feature_store.h"
#include "storage/database.h"

namespace fstore {

inline constexpr TimestampUs kMinTime = std::numeric_limits<TimestampUs>::min();
// Rows per WriteBatch when a view is backfilled from the event log.
inline constexpr size_t kBackfillBatchRows = 4096;

// NotFound naming `source` and the sources that are defined.
absl::Status UnknownSourceError(const Catalog& catalog, absl::string_view source);

// The most bytes of an ingest's origin (a file name) kept with its dead
// letters; longer ones are shortened.
inline constexpr size_t kMaxOriginBytes = 1024;

// A dead letter record (kDeadLetters): the rejection, when it was received,
// which ingest received it and from where, then the row's raw cells until
// the end. Appends to *out.
void EncodeDeadLetter(const Rejection& rejection, TimestampUs received_at,
                      absl::string_view ingest_id, absl::string_view origin,
                      const std::vector<std::string>& raw, std::string* out);
// Reads a record of EncodeDeadLetter (or of the layout before ingest ids)
// into *d (but its source); false when malformed.
bool DecodeDeadLetter(absl::string_view value, DeadLetter* d);

class FeatureStore::Impl {
 public:
  Impl(Database* db, Options options) : db_(db), options_(std::move(options)) {}

  absl::Status Load();
  absl::StatusOr<ApplyResult> Apply(absl::string_view text, absl::string_view format, bool dry_run,
                                    absl::string_view actor);
  absl::StatusOr<std::vector<ApplyRecord>> DefinitionsHistory(int limit) const;
  void SetFeatureChangeGuard(FeatureChangeGuard guard) {
    absl::MutexLock lock(&write_mu_);
    feature_change_guard_ = std::move(guard);
  }
  absl::StatusOr<uint64_t> NextApplyNumber() const;
  Definitions GetDefinitions() const {
    absl::ReaderMutexLock lock(&mu_);
    return catalog_->definitions;
  }
  absl::StatusOr<std::unique_ptr<IngestWriter>> StartIngest(absl::string_view source,
                                                            const std::vector<std::string>& columns,
                                                            absl::string_view origin);
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
  // `rows` were validated against *validated_with; when the definitions
  // changed since, `revalidate` is called first (under the write lock) with
  // the current ones, and must point *validated_with at them and validate
  // `rows` again, or fail (then nothing is written). Rejected rows become
  // dead letters naming `ingest_id` and `origin`.
  absl::Status Commit(std::shared_ptr<const Catalog>* validated_with,
                      const std::string& source_name, const std::string& ingest_id,
                      const std::string& origin, std::vector<PendingRow>& rows,
                      IngestSummary* summary,
                      absl::FunctionRef<absl::Status(std::shared_ptr<const Catalog>)> revalidate);

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
  // Reads a plan's features for `entity` as of `at` into `out`: the one
  // online read path (selector reads build a plan first). Sets
  // *needs_events, leaving `out` unfinished, when `at` is older than the
  // online state of a view the plan reads keeps (ReadStoredEvents answers).
  absl::Status ReadPlan(const PreparedSelection::Plan& plan,
                        const std::map<std::string, std::string>& entity, TimestampUs at,
                        OnlineFeatures* out, bool* needs_events) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The same read from the event log (everything acknowledged so far), by
  // the code of historical retrieval, for the features `plan` selects;
  // without mu_ held (it scans the sources). OutOfRange when `at` is before
  // the oldest stored event.
  absl::Status ReadStoredEvents(const PreparedSelection::Plan& plan,
                                const std::map<std::string, std::string>& entity, TimestampUs at,
                                OnlineFeatures* out) const ABSL_LOCKS_EXCLUDED(mu_);

  Database* const db_;
  const Options options_;

  // Serializes Apply and ingest commits, and guards the write-side state.
  absl::Mutex write_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> event_ids_
      ABSL_GUARDED_BY(write_mu_);
  absl::flat_hash_map<std::string, int64_t> source_events_ ABSL_GUARDED_BY(write_mu_);
  absl::flat_hash_map<std::string, int64_t> dead_letters_ ABSL_GUARDED_BY(write_mu_);
  uint64_t next_dead_letter_ ABSL_GUARDED_BY(write_mu_) = 0;
  FeatureChangeGuard feature_change_guard_ ABSL_GUARDED_BY(write_mu_);
  // Per source, the quality record of the minute it last ingested in, as
  // stored.
  struct QualityMinute {
    TimestampUs start = kMinTime;
    SourceQualityRecord record;
  };
  absl::flat_hash_map<std::string, QualityMinute> quality_ ABSL_GUARDED_BY(write_mu_);
  std::atomic<uint64_t> next_seq_{0};
  // Ingests started since Open (part of each ingest id).
  std::atomic<uint64_t> ingests_started_{0};

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

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_FEATURE_STORE_IMPL_H_
