// FeatureStore: definitions, validated ingest, dead letters and online
// features over one Database (docs/design.md §3).
//
// Ingest: each chunk of rows is validated against its source; accepted rows
// go to the event log (ColumnFamily::kEvents), their event ids to kEventIds,
// and their projection onto every view the source feeds to kOnline, all in
// one WriteBatch together with the dead letters of the rejected rows. The
// call returns only after that write (WAL on, no fsync per write), so an
// acknowledged event survives a crash of the process. A row whose event id
// was seen before (in an earlier chunk or earlier in the same one) is a
// duplicate: counted, not stored again. The same batch updates the source's
// data-quality record for the current minute of ingest time
// (source_quality.h): rows accepted, rejected by rule and duplicate, and
// nulls per column among the accepted rows.
//
// Online state lives in memory (an EntityTimeline per view and entity),
// written through to kOnline and rebuilt from it on Open. A view applied
// after its source already has events is backfilled from the event log.
// Window state older than a view's horizon (its longest window or TTL, plus
// Options::retention_grace) before the view's newest event (or the clock's
// now, when that is earlier) is reclaimed; an online read that would need
// reclaimed state is answered from the event log instead, by the code of
// historical retrieval (the same values; OnlineFeatures::served_from says
// which path answered), and fails with OutOfRange only for a time before
// the oldest stored event. Events more than
// Options::max_future_skew after now are rejected at ingest (rule
// "future"), so no single event moves what other entities can read.
//
// Thread-safety: safe for concurrent use. Ingest and Apply are serialized;
// reads run concurrently with each other and wait only while an ingest
// publishes a chunk to memory.
#ifndef FSTORE_FEATURESTORE_FEATURE_STORE_H_
#define FSTORE_FEATURESTORE_FEATURE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/catalog.h"
#include "featurestore/definitions.h"
#include "featurestore/feature_changes.h"
#include "featurestore/point_in_time_join.h"
#include "featurestore/row_validator.h"
#include "featurestore/source_quality.h"
#include "featurestore/value.h"
#include "storage/database.h"

namespace fstore {

struct DefinitionChange {
  enum class Kind { kCreated, kUpdated, kUnchanged };
  std::string object_type;  // "entity", "source", "feature_view", "feature_service"
  std::string name;
  Kind kind = Kind::kUnchanged;
  std::string detail;
};

struct ApplyResult {
  std::vector<DefinitionChange> changes;
  bool dry_run = false;
};

// One apply that changed something: who, when, and what changed (created
// and updated objects only).
struct ApplyRecord {
  uint64_t number = 0;  // 1, 2, ... in apply order
  TimestampUs applied_at = 0;
  std::string actor;  // the caller's principal ("" when not told)
  std::vector<DefinitionChange> changes;
};

struct IngestSummary {
  // Names this ingest (one StartIngest) in its dead letters:
  // "ingest-20260105T100000.000000Z-7".
  std::string ingest_id;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t duplicates = 0;
  // Every rejected row counted by its Rejection::rule ("min", "type", ...).
  std::map<std::string, int64_t> rejected_by_rule;
  std::vector<Rejection> rejections;  // the first Options::max_rejections_reported
};

struct DeadLetter {
  std::string source;
  // The ingest that received the row (IngestSummary::ingest_id) and where it
  // read it from (StartIngest's origin, e.g. a file name); both empty for
  // rows rejected before ingests were named.
  std::string ingest_id;
  std::string origin;
  Rejection rejection;
  TimestampUs received_at = 0;
  std::vector<std::string> raw_values;
};

struct DeadLetterPage {
  std::vector<DeadLetter> dead_letters;
  std::string next_page_token;  // empty at the end
  int64_t total = 0;
};

// A named, durable point in the ingestion order: reads at a snapshot see
// exactly the events acknowledged before it was taken.
struct Snapshot {
  std::string name;
  TimestampUs created_at = 0;
  uint64_t high_water_mark = 0;  // the first sequence number it does not see
};

struct HistoricalResult {
  // The snapshot read (created when none was named and the read point is
  // UnnamedReadPoint::kNewSnapshot); empty for UnnamedReadPoint::kLatest.
  std::string snapshot;
  uint64_t high_water_mark = 0;  // the first sequence number the read did not see
  JoinResult join;
};

// Where a historical read that names no snapshot reads.
enum class UnnamedReadPoint {
  // A new named snapshot, taken for the read and kept: the read can be
  // repeated by its name (what training records).
  kNewSnapshot,
  // Everything acknowledged so far, without leaving a snapshot behind.
  kLatest,
};

struct NamedValue {
  std::string name;
  Value value;
};

struct ViewFreshness {
  std::string view;
  TimestampUs newest_event = 0;  // 0: no event of this entity before `at`
};

// Which path answered an online read.
enum class ServedFrom {
  kOnlineState,   // the in-memory windows (the usual, fast path)
  kStoredEvents,  // the event log, for a time older than the online state
};
// "online_state" or "stored_events".
absl::string_view ServedFromName(ServedFrom served_from);

struct OnlineFeatures {
  std::vector<NamedValue> features;  // in selection order
  // One entry per view of the selection, in the order the views' features
  // first appear in it.
  std::vector<ViewFreshness> freshness;
  TimestampUs at = 0;
  ServedFrom served_from = ServedFrom::kOnlineState;
};

class PreparedSelection;

class FeatureStore {
 public:
  struct Options {
    // Rejections returned in an IngestSummary (all are kept as dead
    // letters). Default: 100.
    size_t max_rejections_reported = 100;
    // Row validation limits.
    RowValidator::Options validation;
    // Window state kept beyond a view's horizon. Default: 1 day.
    DurationUs retention_grace = 86400 * kMicrosPerSecond;
    // Rows whose event time is more than this after the clock's now (at
    // ingest) are rejected as dead letters, rule "future". >= 0.
    // Default: 1 day.
    DurationUs max_future_skew = 86400 * kMicrosPerSecond;
    // Data-quality records older than this (by ingest time) are deleted as
    // ingest moves on to a new minute. Default: 90 days.
    DurationUs quality_retention = 90 * 86400 * kMicrosPerSecond;
    // The wall clock: the ingest time of quality records and dead letters
    // (received_at), and "now" for GetRecentSourceQuality. Tests pin it.
    // Default: NowUs.
    std::function<TimestampUs()> clock = NowUs;
  };

  // Loads definitions and rebuilds online state. `db` must outlive the store.
  static absl::StatusOr<std::unique_ptr<FeatureStore>> Open(Database* db, const Options& options);
  static absl::StatusOr<std::unique_ptr<FeatureStore>> Open(Database* db) {
    return Open(db, Options());
  }
  ~FeatureStore();

  // Parses, merges with the stored definitions, validates and (unless
  // dry_run) stores a definitions file. Applying the same file again
  // reports every object unchanged and touches nothing: no write, no record,
  // nothing an ingest in flight or a reader sees. Incompatible changes to a source or view
  // whose source has events are FailedPrecondition.
  // An apply that changes something is recorded (DefinitionsHistory) with
  // `actor`, the caller's principal, and Options::clock's time.
  absl::StatusOr<ApplyResult> Apply(absl::string_view text, absl::string_view format, bool dry_run,
                                    absl::string_view actor = "");
  // Installs the guard Apply asks (dry runs too) before storing an apply
  // that changes existing features (featurestore/feature_changes.h); fsd's
  // refuses changes to features that Staging or Production model versions
  // use. Null: no guard.
  void SetFeatureChangeGuard(FeatureChangeGuard guard);
  Definitions GetDefinitions() const;
  // The recorded applies, oldest first; the last `limit` (0: all).
  absl::StatusOr<std::vector<ApplyRecord>> DefinitionsHistory(int limit) const;

  // An ingest of one source: chunks of rows, each committed atomically.
  class IngestWriter {
   public:
    virtual ~IngestWriter() = default;
    // Rows of text cells / typed values in the writer's column order.
    // `first_row_number` numbers rows[0] (1-based); 0 continues counting.
    virtual absl::Status WriteText(absl::Span<const std::vector<std::string>> rows,
                                   int64_t first_row_number) = 0;
    virtual absl::Status WriteValues(absl::Span<const std::vector<Value>> rows,
                                     int64_t first_row_number) = 0;
    // Totals over every chunk written so far.
    virtual const IngestSummary& summary() const = 0;
  };
  // NotFound for an unknown source; InvalidArgument for a bad header.
  // `origin` says where the rows come from (a file name, a stream's name);
  // it is kept with each dead letter (its first 1 KiB), as is
  // the ingest id the writer's summary carries.
  //
  // An Apply while the ingest runs takes effect between chunks: a chunk
  // committed after it is validated against the new definitions (an Apply
  // that changes nothing changes nothing here either). A chunk fails with
  // FailedPrecondition, writing nothing, only when the writer's columns no
  // longer fit the changed source (a column renamed, or a required column
  // it lacks); chunks before it stay committed.
  absl::StatusOr<std::unique_ptr<IngestWriter>> StartIngest(absl::string_view source,
                                                            const std::vector<std::string>& columns,
                                                            absl::string_view origin = "");

  // Rejected rows of a source, oldest first. page_size 0 = 100.
  absl::StatusOr<DeadLetterPage> ListDeadLetters(absl::string_view source, int page_size,
                                                 absl::string_view page_token) const;

  // Data quality of a source (source_quality.h): its minute records that
  // start in [since, until), merged into buckets `bucket` wide aligned to
  // multiples of `bucket` since the epoch; only buckets holding rows are
  // listed, and every source column is, in source order. NotFound naming
  // an unknown source; InvalidArgument naming the value unless `bucket` is
  // a positive whole number of minutes, 0 <= since < until and the window
  // spans at most kMaxQualityBuckets buckets.
  absl::StatusOr<SourceQualityReport> GetSourceQuality(absl::string_view source, TimestampUs since,
                                                       TimestampUs until, DurationUs bucket) const;
  // The same over the last `window`: whole buckets ending with the one that
  // holds Options::clock's now (RecentQualityWindow).
  absl::StatusOr<SourceQualityReport> GetRecentSourceQuality(absl::string_view source,
                                                             DurationUs window,
                                                             DurationUs bucket) const;

  // Features as of `at` (0 = now) for one entity. `entity` maps join keys to
  // values and must hold every key the selected views need. Output names are
  // feature names, or "view__feature" when a selection mixes views whose
  // feature names collide. When `at` is older than a selected view's online
  // state keeps, the whole read is answered from the event log (everything
  // acknowledged so far) by EvaluatePoint, the code of historical retrieval,
  // so the values equal GetHistoricalFeatures' for that entity and time;
  // served_from is then kStoredEvents. That costs a scan of the selected
  // views' sources. OutOfRange naming `at` and the oldest stored event when
  // `at` is before it.
  absl::StatusOr<OnlineFeatures> GetOnlineFeatures(const FeatureSelector& selector,
                                                   const std::map<std::string, std::string>& entity,
                                                   TimestampUs at) const;

  // Resolves `selector` for repeated reads (PreparedSelection); fails as
  // GetOnlineFeatures(selector) would when it does not resolve now.
  absl::StatusOr<std::shared_ptr<const PreparedSelection>> PrepareSelection(
      const FeatureSelector& selector) const;
  // GetOnlineFeatures(prepared.selector(), entity, at), written over `out`
  // and reusing the memory it holds: a caller that keeps one OnlineFeatures
  // per thread allocates nothing once warm (an out-parameter for that
  // reason). On error `out` holds unspecified values. InvalidArgument when
  // `prepared` was made by another store.
  absl::Status GetOnlineFeatures(const PreparedSelection& prepared,
                                 const std::map<std::string, std::string>& entity, TimestampUs at,
                                 OnlineFeatures* out) const;

  // Snapshots. Names are [A-Za-z0-9_.-]{1,128}; an empty name on create
  // generates one ("snap-20260105T100000.000000Z"). AlreadyExists / NotFound
  // naming the snapshot.
  absl::StatusOr<Snapshot> CreateSnapshot(absl::string_view name);
  absl::StatusOr<Snapshot> GetSnapshot(absl::string_view name) const;
  absl::StatusOr<std::vector<Snapshot>> ListSnapshots() const;
  absl::Status DeleteSnapshot(absl::string_view name);

  // Point-in-time-correct features for entity rows (point_in_time_join.h)
  // at a snapshot; an empty snapshot name reads at `unnamed`. Output
  // columns are always "view__feature". The same rows and snapshot give the
  // same bytes and fingerprint.
  absl::StatusOr<HistoricalResult> GetHistoricalFeatures(
      const FeatureSelector& selector, const EntityRows& rows, absl::string_view snapshot,
      const CsvSink& sink, UnnamedReadPoint unnamed = UnnamedReadPoint::kNewSnapshot);
  // Every entity's features as of `at` (0 = now) at a snapshot (empty:
  // `unnamed`): ExportAsOf, which for a selection of several entity keys
  // lists every combination of them seen together on one event.
  absl::StatusOr<HistoricalResult> ExportFeatures(
      const FeatureSelector& selector, TimestampUs at, absl::string_view snapshot,
      const CsvSink& sink, UnnamedReadPoint unnamed = UnnamedReadPoint::kNewSnapshot);

  // The entities (join-key combinations) with events in [since, until), for
  // batch scoring (active_entities.h). InvalidArgument when `join_keys` is
  // empty; FailedPrecondition when no source carries them all.
  absl::StatusOr<std::vector<std::map<std::string, std::string>>> ActiveEntities(
      const std::vector<std::string>& join_keys, TimestampUs since, TimestampUs until) const;

  // The ingestion sequence number the next accepted event will get.
  uint64_t NextSequence() const;

  // Feature view name -> entities holding online state in memory.
  std::map<std::string, int64_t> OnlineEntityCounts() const;

  class Impl;

 private:
  explicit FeatureStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A selection resolved once for online reads that repeat it (serving reads
// a model's features on every request). Made by FeatureStore::
// PrepareSelection and read by its GetOnlineFeatures overload; the store
// resolves it again whenever definitions change, so a read through it gives
// exactly what GetOnlineFeatures(selector()) gives at that moment, errors
// included. Immutable to its holders; safe to share between threads. The
// store keeps it current for as long as anyone holds it; reading it needs
// the store that made it.
class PreparedSelection {
 public:
  PreparedSelection(const PreparedSelection&) = delete;
  PreparedSelection& operator=(const PreparedSelection&) = delete;
  ~PreparedSelection();

  const FeatureSelector& selector() const { return selector_; }

  struct Plan;  // implementation detail

 private:
  friend class FeatureStore;
  friend class FeatureStore::Impl;
  PreparedSelection(const void* store, FeatureSelector selector);

  const void* const store_;  // the store that made it
  const FeatureSelector selector_;
  // The resolution against the current definitions; replaced by the store
  // under its lock (when definitions change), read under it.
  std::unique_ptr<const Plan> plan_;
};

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_FEATURE_STORE_H_
