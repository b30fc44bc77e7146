#include "registry/serving_log.h"

#include <atomic>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "featurestore/record_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"

namespace fstore {
namespace {

std::string TimeKey(TimestampUs at) {
  std::string key;
  codec::PutOrderedInt64(&key, at);
  return key;
}

std::string Key(const ServedRequest& r) {
  std::string key = TimeKey(r.at);
  codec::PutComponent(&key, r.request_id);
  return key;
}

std::string Encode(const ServedRequest& r) {
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

bool Decode(absl::string_view in, ServedRequest* r) {
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
    rocksdb::WriteBatch write;
    rocksdb::ColumnFamilyHandle* cf = db_->handle(ColumnFamily::kServingLog);
    for (const ServedRequest& r : batch) write.Put(cf, Key(r), Encode(r));
    // Retention: everything before now - retention goes; one range deletion
    // per kRetentionEvery keeps tombstones few.
    const TimestampUs now = options_.clock();
    if (now - last_retention_ >= kRetentionEvery) {
      write.DeleteRange(cf, TimeKey(std::numeric_limits<int64_t>::min()),
                        TimeKey(now - options_.retention));
      last_retention_ = now;
    }
    if (write.Count() == 0) return absl::OkStatus();
    absl::Status status =
        FromRocksStatus(db_->db()->Write(rocksdb::WriteOptions(), &write), "writing the serving log");
    if (status.ok()) written_.fetch_add(static_cast<int64_t>(batch.size()));
    return status;
  }

  absl::Status Scan(TimestampUs since, TimestampUs until,
                    const std::function<absl::Status(const ServedRequest&)>& sink) const override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->db()->NewIterator(rocksdb::ReadOptions(), db_->handle(ColumnFamily::kServingLog)));
    const std::string end = TimeKey(until);
    for (it->Seek(TimeKey(since)); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      ServedRequest r;
      if (!Decode(absl::string_view(it->value().data(), it->value().size()), &r)) {
        return absl::DataLossError(absl::StrCat(
            "undecodable serving log record at key ",
            absl::BytesToHexString(absl::string_view(it->key().data(), it->key().size()))));
      }
      if (absl::Status s = sink(r); !s.ok()) return s;
    }
    return FromRocksStatus(it->status(), "reading the serving log");
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
