// ServingLog: what serving did, for monitoring and feedback (issue 8): one
// record per scored request with its id, time, model version, entity keys,
// the exact feature vector the model saw and the score.
//
// Off the hot path: Append() queues the record and returns (no I/O, no wait
// on the writer); a background thread writes queued records in batches to
// ColumnFamily::kServingLog every Options::flush_interval, without fsync (a
// crash may lose the last interval; the log is for monitoring, not
// accounting). When Options::max_pending records are already queued, new
// ones are dropped and counted (dropped()), so a slow disk never stalls
// scoring or grows memory without bound.
//
// Bounded in size: each flush deletes records older than
// Options::retention (by request time).
//
// Records are keyed by (time, request id); Scan reads a time range in order.
// ColumnFamily::kServingLogIndex maps each request id to its record, written
// in the same batch, so Find(request id) is two point reads. Request ids are
// meant to be unique; when a caller reuses one, Find returns the record
// written last. Retention removes index entries with their records.
//
// Thread-safety: Append, Flush, Scan and the counters may be called from
// any thread.
#ifndef FSTORE_SERVING_SERVING_LOG_H_
#define FSTORE_SERVING_SERVING_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/time_util.h"
#include "storage/database.h"

namespace fstore {

struct ServedRequest {
  std::string request_id;
  TimestampUs at = 0;  // the time features were read as of
  std::string model;
  int64_t version = 0;
  std::map<std::string, std::string> entity;
  std::vector<float> inputs;  // binding order; NaN = missing
  double score = 0;
};

// The stored form of a record (also kept with its label by FeedbackStore).
std::string EncodeServedRequest(const ServedRequest& r);
// False when `in` is not a whole encoded record.
bool DecodeServedRequest(absl::string_view in, ServedRequest* r);

class ServingLog {
 public:
  struct Options {
    // Records older than this are deleted. Default: 7 days.
    DurationUs retention = 7 * 86400 * kMicrosPerSecond;
    // Most records queued before new ones are dropped. Default: 100,000.
    size_t max_pending = 100000;
    // How often the writer flushes. Default: 200 ms.
    absl::Duration flush_interval = absl::Milliseconds(200);
    // The clock retention is measured against. Default: NowUs.
    std::function<TimestampUs()> clock = NowUs;
  };

  // Starts the writer. `db` must outlive the log.
  static std::unique_ptr<ServingLog> Start(Database* db, Options options);
  // Flushes what is queued and stops the writer.
  virtual ~ServingLog() = default;

  const Options& options() const { return options_; }

  // Queues a record; never blocks on I/O.
  virtual void Append(ServedRequest request) = 0;
  // Writes everything queued so far (and applies retention) before
  // returning.
  virtual absl::Status Flush() = 0;

  // Records with at in [since, until), oldest first, to `sink` (an error
  // from it stops the scan and is returned). Records still queued are not
  // seen: Flush first for an exact read. DataLoss for an undecodable record.
  virtual absl::Status Scan(
      TimestampUs since, TimestampUs until,
      const std::function<absl::Status(const ServedRequest&)>& sink) const = 0;

  // The record of `request_id` (written, i.e. flushed). NotFound naming the
  // id when it was never logged or its record is past the retention.
  virtual absl::StatusOr<ServedRequest> Find(absl::string_view request_id) const = 0;

  virtual int64_t written() const = 0;
  virtual int64_t dropped() const = 0;

 protected:
  explicit ServingLog(Options options) : options_(std::move(options)) {}
  const Options options_;
};

}  // namespace fstore

#endif  // FSTORE_SERVING_SERVING_LOG_H_
