#include "serving/serving_log.h"

#include <atomic>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/value_codec.h"
#include "serving/keys.h"
#include "spdlog/spdlog.h"
#include "storage/record_codec.h"

namespace fstore {
std::string EncodeServedRequest(const ServedRequest& r) {
  std::string out;
  codec::PutString(&out, r.request_id);
  codec::PutInt64(&out, r.at);
  codec::PutString(&out, r.model);
  codec::PutInt64(&out, r.version);
  codec::PutInt64(&out, static_cast<int64_t>(r.entity.size()));
  for (const auto& [k, v] : r.entity) {
    codec::PutString(&out, k);
    codec::PutString(&out, v);
  }
  codec::PutString(&out, absl::string_view(reinterpret_cast<const char*>(r.inputs.data()),
                                           r.inputs.size() * sizeof(float)));
  codec::PutValue(&out, Value(r.score));
  return out;
}

bool DecodeServedRequest(absl::string_view in, ServedRequest* r) {
  int64_t n = 0;
  if (!codec::GetString(&in, &r->request_id) || !codec::GetInt64(&in, &r->at) ||
      !codec::GetString(&in, &r->model) || !codec::GetInt64(&in, &r->version) ||
      !codec::GetInt64(&in, &n) || n < 0) {
    return false;
  }
  for (int64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!codec::GetString(&in, &k) || !codec::GetString(&in, &v)) return false;
    r->entity.emplace(std::move(k), std::move(v));
  }
  std::string inputs;
  Value score;
  if (!codec::GetString(&in, &inputs) || inputs.size() % sizeof(float) != 0 ||
      !codec::GetValue(&in, &score) || !std::holds_alternative<double>(score)) {
    return false;
  }
  r->inputs.resize(inputs.size() / sizeof(float));
  std::memcpy(r->inputs.data(), inputs.data(), inputs.size());
  r->score = std::get<double>(score);
  return in.empty();
}

namespace {

class ServingLogImpl final : public ServingLog {
 public:
  ServingLogImpl(Database* db, Options options)
      : ServingLog(std::move(options)), db_(db), writer_([this] { Run(); }) {}

  ~ServingLogImpl() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    writer_.join();
    if (absl::Status s = Flush(); !s.ok()) {
      spdlog::warn("serving log: final flush failed: {}", s.ToString());
    }
  }

  void Append(ServedRequest request) override {
    absl::MutexLock lock(&mu_);
    if (pending_.size() >= options_.max_pending) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_.push_back(std::move(request));
  }

  absl::Status Flush() override {
    absl::MutexLock flush_lock(&flush_mu_);
    std::vector<ServedRequest> batch;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(pending_);
    }
    WriteBatch write(*db_);
    constexpr ColumnFamily cf = ColumnFamily::kServingLog;
    constexpr ColumnFamily index = ColumnFamily::kServingLogIndex;
    // Retention: everything before now - retention goes; one range deletion
    // per kRetentionEvery keeps tombstones few. The index entries of expired
    // records are deleted first in the batch, so that an id reused by a
    // record of this batch keeps its new entry.
    const TimestampUs now = options_.clock();
    const TimestampUs cutoff = now - options_.retention;
    const bool apply_retention = now - last_retention_ >= kRetentionEvery;
    if (apply_retention)
      FSTORE_RETURN_IF_ERROR(
          DeleteIndexEntriesBefore(serving_keys::ServingLogTime(cutoff), &write));
    for (const ServedRequest& r : batch) {
      const std::string key = serving_keys::ServingLog(r.at, r.request_id);
      write.Put(cf, key, EncodeServedRequest(r));
      if (r.at >= cutoff) write.Put(index, r.request_id, key);
    }
    if (apply_retention) {
      write.DeleteRange(cf, serving_keys::ServingLogTime(std::numeric_limits<int64_t>::min()),
                        serving_keys::ServingLogTime(cutoff));
      last_retention_ = now;
    }
    if (write.Count() == 0) return absl::OkStatus();
    absl::Status status = db_->Write(write, "writing the serving log");
    if (status.ok()) written_.fetch_add(static_cast<int64_t>(batch.size()));
    return status;
  }

  absl::Status Scan(TimestampUs since, TimestampUs until,
                    const std::function<absl::Status(const ServedRequest&)>& sink) const override {
    Iterator it = db_->NewIterator(ColumnFamily::kServingLog);
    const std::string end = serving_keys::ServingLogTime(until);
    for (it.Seek(serving_keys::ServingLogTime(since)); it.Valid() && it.key() < end; it.Next()) {
      ServedRequest r;
      if (!DecodeServedRequest(it.value(), &r)) {
        return absl::DataLossError(absl::StrCat("undecodable serving log record at key ",
                                                absl::BytesToHexString(it.key())));
      }
      if (absl::Status s = sink(r); !s.ok()) return s;
    }
    return it.status("reading the serving log");
  }

  absl::StatusOr<ServedRequest> Find(absl::string_view request_id) const override {
    FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> key,
                            db_->Get(ColumnFamily::kServingLogIndex, request_id));
    std::optional<std::string> value;
    if (key.has_value()) {
      FSTORE_ASSIGN_OR_RETURN(value, db_->Get(ColumnFamily::kServingLog, *key));
    }
    if (!value.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("request id ", QuotedValue(request_id),
                       " is not in the serving log (never scored, or older than "
                       "the retention of ",
                       FormatDuration(options_.retention), ")"));
    }
    ServedRequest r;
    if (!DecodeServedRequest(*value, &r)) {
      return absl::DataLossError(
          absl::StrCat("undecodable serving log record of request id ", QuotedValue(request_id)));
    }
    return r;
  }

  int64_t written() const override { return written_.load(); }
  int64_t dropped() const override { return dropped_.load(); }

 private:
  void Run() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.flush_interval);
        if (stopping_) return;
      }
      if (absl::Status s = Flush(); !s.ok()) {
        spdlog::warn("serving log: flush failed: {}", s.ToString());
      }
    }
  }

  // Deletes the index entries of records keyed before `cutoff` that still
  // point at them (a reused request id may point at a newer record).
  // A failed read of an index entry fails the flush (it is not "absent").
  absl::Status DeleteIndexEntriesBefore(const std::string& cutoff, WriteBatch* write) {
    constexpr ColumnFamily index = ColumnFamily::kServingLogIndex;
    Iterator it = db_->NewIterator(ColumnFamily::kServingLog, ReadOptions{.upper_bound = cutoff});
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      absl::string_view id;
      if (!serving_keys::DecodeServingLog(it.key(), &id)) continue;
      FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> pointed, db_->Get(index, id));
      if (pointed == it.key()) write->Delete(index, id);
    }
    return it.status("applying the serving log's retention");
  }

  static constexpr DurationUs kRetentionEvery = 60 * kMicrosPerSecond;

  Database* const db_;
  absl::Mutex flush_mu_;  // one flush at a time
  TimestampUs last_retention_ ABSL_GUARDED_BY(flush_mu_) = std::numeric_limits<int64_t>::min() / 2;
  mutable absl::Mutex mu_;
  std::vector<ServedRequest> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> dropped_{0};
  std::thread writer_;  // last: starts after the members above exist
};

}  // namespace

std::unique_ptr<ServingLog> ServingLog::Start(Database* db, Options options) {
  return std::make_unique<ServingLogImpl>(db, std::move(options));
}

}  // namespace fstore
