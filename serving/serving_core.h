// ServingCore: everything fsd serves about models and their traffic, with no
// wire types (server/ translates), as TF Serving keeps core/ apart from
// model_servers/:
//
//   Score        one request: scored (scorer.h), given a request id (the
//                caller's, or one unique within this process run), and
//                appended to the serving log (serving_log.h). ScoreStream
//                calls it once per request.
//   BatchScore   a version resolved once and pinned for the whole batch;
//                the entities given, or those with events in the lookback
//                window (FeatureStore::ActiveEntities over the join keys of
//                the version's binding); written to the scores table
//                (batch_scorer.h, score_table.h); each entity logged under
//                the id batch_id/key values.
//   ListScores   the scores table, filtered.
//   Drift        a version's serving log in a window (default 24h) against
//                its training statistics (drift_report.h), after a flush.
//   Feedback     labels for served requests (feedback_store.h), then each
//                labelled version's live metrics over all its labels.
//   LiveMetrics  a version's labelled traffic in a window (default 30 days;
//                live_metrics.h).
//   ExportLabelled  the labelled vectors of every version of the model whose
//                inputs equal the ref's; refused (FailedPrecondition) when
//                the feature service was deleted or changed since the
//                version was registered (its vectors would not match what a
//                new version is bound to).
//   MonitorProduction  drift (last 24h, at most the log's retention) and
//                live metrics (last 30 days) of every Production version:
//                the scheduled monitoring fsd publishes as gauges.
//
// Windows: 0 takes the default; a negative window is InvalidArgument. Other
// errors are those of the parts named above.
//
// Thread-safety: safe for concurrent calls. Destroy it only after its
// callers are done; the destructor flushes the serving log.
#ifndef FSTORE_SERVING_SERVING_CORE_H_
#define FSTORE_SERVING_SERVING_CORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"
#include "featurestore/feature_store.h"
#include "featurestore/value.h"
#include "registry/model_registry.h"
#include "serving/batch_scorer.h"
#include "serving/drift_report.h"
#include "serving/feedback_store.h"
#include "serving/live_metrics.h"
#include "serving/score_table.h"
#include "serving/scorer.h"
#include "serving/serving_log.h"
#include "storage/database.h"

namespace fstore {

// A scored request and the id it was logged under.
struct ServedScore {
  std::string request_id;
  ScoreResult result;
};

struct BatchScoreRequest {
  std::string model_ref;
  // Either entities (join key -> value each) or a lookback window > 0.
  std::vector<std::map<std::string, std::string>> entities;
  DurationUs lookback = 0;
  std::map<std::string, Value> request_fields;
};

// A report and the version it is about (fsd publishes the reports of
// Production versions as gauges).
struct VersionDrift {
  ModelVersion version;
  DriftReport report;
};

struct VersionLiveMetrics {
  ModelVersion version;
  LiveMetrics metrics;
};

struct FeedbackResult {
  FeedbackSummary summary;
  // Every labelled version still registered, over all its labels.
  std::vector<LiveMetrics> live;
};

// What ExportLabelled sends before its rows.
struct LabelledExportHeader {
  std::string model;
  int64_t model_version = 0;
  std::string feature_service;
  std::string service_version;
  std::vector<std::string> inputs;  // the binding's feature names
  std::vector<int64_t> versions;    // versions with the same inputs, exported
};

// One Production version's monitoring.
struct ProductionHealth {
  ModelVersion version;
  absl::StatusOr<DriftReport> drift;
  absl::StatusOr<LiveMetrics> live;
};

struct ProductionMonitoring {
  absl::Status flush;  // the serving log's flush before the reports
  std::vector<ProductionHealth> versions;
};

// The longest request id a caller may give (Score, Feedback); a longer one
// is InvalidArgument naming its size and the limit.
inline constexpr size_t kMaxRequestIdBytes = 256;

class ServingCore {
 public:
  struct Options {
    // The serving log's options (retention). Default: ServingLog::Options().
    ServingLog::Options log;
    // The scorer's options. Default: Scorer::Options().
    Scorer::Options scorer;
  };

  // Starts the serving log. `db`, `store` and `registry` must outlive the
  // core.
  static std::unique_ptr<ServingCore> Start(Database* db, const FeatureStore* store,
                                            ModelRegistry* registry, const Options& options);
  ~ServingCore();

  ServingCore(const ServingCore&) = delete;
  ServingCore& operator=(const ServingCore&) = delete;

  // `request_id` empty: a new id; longer than kMaxRequestIdBytes:
  // InvalidArgument.
  absl::StatusOr<ServedScore> Score(ScoreRequest request, absl::string_view request_id);
  absl::StatusOr<BatchScoreSummary> BatchScore(const BatchScoreRequest& request);
  absl::Status ListScores(const ScoreTable::Filter& filter,
                          const std::function<absl::Status(const ScoreRecord&)>& sink) const;

  // `min_serving_values`: served values a feature needs to be assessed
  // (DriftThresholds); 0 takes the default, negative is InvalidArgument.
  absl::StatusOr<VersionDrift> Drift(absl::string_view model_ref, DurationUs window,
                                     int64_t min_serving_values = 0);
  // A label whose request id is longer than kMaxRequestIdBytes is
  // InvalidArgument naming its row, and nothing is recorded.
  absl::StatusOr<FeedbackResult> Feedback(absl::Span<const FeedbackLabel> labels,
                                          const FeedbackStore::RecordOptions& options);
  absl::StatusOr<VersionLiveMetrics> LiveMetricsOf(absl::string_view model_ref,
                                                   DurationUs window) const;
  // `on_header` once, then `on_row` per labelled request, oldest first; an
  // error of either stops the export and is returned.
  absl::Status ExportLabelled(
      absl::string_view model_ref, DurationUs window,
      const std::function<absl::Status(const LabelledExportHeader&)>& on_header,
      const std::function<absl::Status(const LabelledRequest&)>& on_row) const;
  ProductionMonitoring MonitorProduction();

  const Scorer& scorer() const { return *scorer_; }
  ServingLog& log() { return *log_; }

 private:
  ServingCore(Database* db, const FeatureStore* store, ModelRegistry* registry,
              const Options& options);

  // The next generated request id.
  std::string NextRequestId();

  // Constant after construction.
  const FeatureStore* const store_;
  ModelRegistry* const registry_;
  const std::unique_ptr<Scorer> scorer_;
  const std::unique_ptr<ServingLog> log_;
  FeedbackStore feedback_;
  ScoreTable scores_;
  const std::string run_;  // this process run's request-id prefix

  std::atomic<uint64_t> next_request_{0};
};

}  // namespace fstore

#endif  // FSTORE_SERVING_SERVING_CORE_H_
