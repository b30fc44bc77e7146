// FeedbackStore: labels for served requests (issue 8), each kept together
// with the record serving logged for it (request id, time, model version,
// entity keys, the exact feature vector the model saw, and the score). So
// training on feedback uses the features serving used, and labelled traffic
// outlives the serving log's retention.
//
// A label names its request by id, or by entity keys and a time. By keys,
// each model version's logged request whose entity holds those keys and
// whose time is nearest (within RecordOptions::match_within; ties go to the
// earlier) gets the label: one event scored by a champion and a challenger,
// or by two versions of one model, is labelled for each.
// FeedbackLabel::model narrows the match to that model's versions.
//
// Record() is all or nothing: every label is resolved before anything is
// written, in one atomic write. A label that matches no logged request fails
// the call (NotFound naming its row and its id or keys) unless skip_unknown,
// which counts and skips it. Labelling a request again replaces its label
// (counted as relabelled); within one call the last label of a request wins.
//
// Stored in ColumnFamily::kFeedback keyed by (model, served time, request
// id): Scan reads one model's labelled traffic in a time range, in order.
// Labels are kept until the model is deleted by hand; there is no retention
// (they are small, and costly to get).
//
// Thread-safety: Record calls are serialized among themselves; Scan may run
// concurrently with anything.
#ifndef FSTORE_SERVING_FEEDBACK_STORE_H_
#define FSTORE_SERVING_FEEDBACK_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "serving/serving_log.h"
#include "storage/database.h"

namespace fstore {

struct FeedbackLabel {
  int64_t row = 0;  // the caller's numbering (1-based), for messages
  // Either the request id ...
  std::string request_id;
  // ... or entity keys and the time of the event.
  std::map<std::string, std::string> entity;
  TimestampUs at = 0;
  std::string model;  // optional: match only this model's requests
  int label = 0;      // 0 or 1
};

struct LabelledRequest {
  ServedRequest served;
  int label = 0;
  TimestampUs labelled_at = 0;
};

struct FeedbackSummary {
  int64_t labels = 0;      // labels given
  int64_t labelled = 0;    // requests labelled for the first time
  int64_t relabelled = 0;  // requests whose label was replaced
  int64_t unknown = 0;     // labels matching no request (skip_unknown)
  // The first few unknown labels, each as "row N: <why>".
  std::vector<std::string> unknown_examples;
  // (model, version) of every request labelled, sorted, distinct.
  std::vector<std::pair<std::string, int64_t>> versions;
};

class FeedbackStore {
 public:
  struct RecordOptions {
    // How far from a label's time a request may be to match by keys.
    // Default: 60 s.
    DurationUs match_within = 60 * kMicrosPerSecond;
    // Count and skip labels that match no request instead of failing.
    bool skip_unknown = false;
  };

  // `db` and `log` must outlive the store; `clock` stamps labelled_at.
  FeedbackStore(Database* db, ServingLog* log, std::function<TimestampUs()> clock = NowUs)
      : db_(db), log_(log), clock_(std::move(clock)) {}

  // Flushes the serving log, resolves every label, then writes them.
  // InvalidArgument naming the row for a label other than 0/1, a label with
  // neither a request id nor keys and a time, or a negative match_within.
  absl::StatusOr<FeedbackSummary> Record(absl::Span<const FeedbackLabel> labels,
                                         const RecordOptions& options);

  // Labelled requests of `model` served in [since, until), oldest first, to
  // `sink` (its error stops the scan and is returned). DataLoss for an
  // undecodable record.
  absl::Status Scan(absl::string_view model, TimestampUs since, TimestampUs until,
                    const std::function<absl::Status(const LabelledRequest&)>& sink) const;

 private:
  // The logged requests `label` names (several when it names keys), or
  // NotFound saying why none.
  absl::StatusOr<std::vector<ServedRequest>> Resolve(const FeedbackLabel& label,
                                                     DurationUs match_within) const;

  Database* const db_;
  ServingLog* const log_;
  const std::function<TimestampUs()> clock_;
  absl::Mutex record_mu_;  // one Record at a time
};

}  // namespace fstore

#endif  // FSTORE_SERVING_FEEDBACK_STORE_H_
