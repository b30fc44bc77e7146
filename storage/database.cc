#include "storage/database.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"
#include "storage/rocks_status.h"

namespace fstore {
namespace {

constexpr std::array<absl::string_view, kColumnFamilyCount> kNames = {
    "meta",           "definitions",       "events",    "event_ids",
    "online",         "dead_letters",      "snapshots", "models",
    "model_versions", "artifacts",         "audit",     "scores",
    "serving_log",    "serving_log_index", "feedback",  "source_quality"};

// Checks that `dir` exists (or can be created) and is a writable directory,
// so that the common mistakes get a message better than RocksDB's.
absl::Status CheckDirectory(const std::string& dir, bool create) {
  namespace fs = std::filesystem;
  if (dir.empty()) {
    return absl::InvalidArgumentError("data directory is empty: pass a path");
  }
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", dir, " exists but is not a directory"));
    }
  } else if (!create) {
    return absl::NotFoundError(absl::StrCat("data directory ", dir, " does not exist"));
  } else if (!fs::create_directories(dir, ec) && ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", dir, ": ", ec.message()));
  }
  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir, " is not writable by this user"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ColumnFamilyName(ColumnFamily cf) { return kNames[static_cast<size_t>(cf)]; }

absl::Status FromRocksStatus(const rocksdb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", status.ToString());
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
    case rocksdb::Status::kNotSupported:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
      return absl::UnavailableError(message);
    case rocksdb::Status::kTimedOut:
      return absl::DeadlineExceededError(message);
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    case rocksdb::Status::kIOError:
      if (status.ToString().find("lock") != std::string::npos ||
          status.ToString().find("LOCK") != std::string::npos) {
        return absl::FailedPreconditionError(
            absl::StrCat(context, ": the data directory is in use by another process (",
                         status.ToString(), ")"));
      }
      return absl::InternalError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& dir,
                                                         const DatabaseOptions& options) {
  FSTORE_RETURN_IF_ERROR(CheckDirectory(dir, options.create_if_missing));

  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(options.background_threads);
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 3;
  // One writer at a time (ingest is serialized); required by vector memtables.
  db_options.allow_concurrent_memtable_write = false;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  // Open every family on disk (a newer fstore may have added some) plus ours.
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  if (!listed.ok()) names.clear();  // a new database
  if (names.empty()) names.push_back(rocksdb::kDefaultColumnFamilyName);
  for (absl::string_view name : kNames) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.emplace_back(name);
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(names.size());
  // Append-heavy families that are only scanned, never read by key on a hot
  // path: a vector memtable inserts in O(1) and sorts once at flush, where a
  // skip list spends most of an ingest comparing keys (measured: ~27% of
  // ingest time in InlineSkipList::FindSpliceForLevel).
  rocksdb::ColumnFamilyOptions append_options = cf_options;
  append_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  for (const std::string& name : names) {
    const bool append_only = name == ColumnFamilyName(ColumnFamily::kEvents) ||
                             name == ColumnFamilyName(ColumnFamily::kOnline) ||
                             name == ColumnFamilyName(ColumnFamily::kEventIds);
    descriptors.emplace_back(name, append_only ? append_options : cf_options);
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  FSTORE_RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::DB::Open(db_options, dir, descriptors, &all, &raw),
                      absl::StrCat("opening data directory ", dir)));
  std::unique_ptr<rocksdb::DB> db(raw);

  std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles{};
  for (size_t i = 0; i < kColumnFamilyCount; ++i) {
    for (rocksdb::ColumnFamilyHandle* h : all) {
      if (h->GetName() == kNames[i]) handles[i] = h;
    }
  }
  spdlog::info("opened data directory {} ({} column families)", dir, all.size());
  return std::unique_ptr<Database>(new Database(dir, std::move(db), std::move(all), handles));
}

Database::Database(std::string dir, std::unique_ptr<rocksdb::DB> db,
                   std::vector<rocksdb::ColumnFamilyHandle*> all_handles,
                   std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles)
    : dir_(std::move(dir)),
      db_(std::move(db)),
      all_handles_(std::move(all_handles)),
      handles_(handles) {}

Database::~Database() {
  if (absl::Status s = Flush(); !s.ok()) {
    spdlog::error("flushing {} on close: {}", dir_, s.ToString());
  }
  for (rocksdb::ColumnFamilyHandle* h : all_handles_) {
    db_->DestroyColumnFamilyHandle(h);
  }
  if (absl::Status s = FromRocksStatus(db_->Close(), "closing " + dir_); !s.ok()) {
    spdlog::error("{}", s.ToString());
  }
}

absl::Status Database::Flush() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  return FromRocksStatus(db_->Flush(flush, all_handles_), absl::StrCat("flushing ", dir_));
}

absl::Status Database::CompactAll(ColumnFamily cf) {
  return FromRocksStatus(
      db_->CompactRange(rocksdb::CompactRangeOptions(), handle(cf), nullptr, nullptr),
      absl::StrCat("compacting ", ColumnFamilyName(cf), " in ", dir_));
}

namespace {

// "models/'acct'" for error messages; keys may hold any bytes.
std::string DescribeKey(ColumnFamily cf, absl::string_view key) {
  return absl::StrCat(ColumnFamilyName(cf), "/'", absl::CHexEscape(key), "'");
}

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

absl::StatusOr<std::optional<std::string>> Database::Get(ColumnFamily cf,
                                                         absl::string_view key) const {
  if (read_fault_) {
    if (absl::Status fault = read_fault_(cf, key); !fault.ok()) {
      return absl::Status(fault.code(), absl::StrCat("reading ", DescribeKey(cf, key), " in ", dir_,
                                                     ": ", fault.message()));
    }
  }
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(cf), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  FSTORE_RETURN_IF_ERROR(
      FromRocksStatus(s, absl::StrCat("reading ", DescribeKey(cf, key), " in ", dir_)));
  return std::optional<std::string>(std::move(value));
}

absl::Status Database::Put(ColumnFamily cf, absl::string_view key, absl::string_view value,
                           const WriteOptions& options) {
  rocksdb::WriteOptions write;
  write.sync = options.sync;
  return FromRocksStatus(db_->Put(write, handle(cf), ToSlice(key), ToSlice(value)),
                         absl::StrCat("writing ", DescribeKey(cf, key), " in ", dir_));
}

absl::Status Database::Delete(ColumnFamily cf, absl::string_view key, const WriteOptions& options) {
  rocksdb::WriteOptions write;
  write.sync = options.sync;
  return FromRocksStatus(db_->Delete(write, handle(cf), ToSlice(key)),
                         absl::StrCat("deleting ", DescribeKey(cf, key), " in ", dir_));
}

absl::Status Database::Write(const WriteBatch& batch, absl::string_view context,
                             const WriteOptions& options) {
  rocksdb::WriteOptions write;
  write.sync = options.sync;
  return FromRocksStatus(db_->Write(write, batch.batch_.get()), context);
}

void Database::SetReadFaultForTesting(ReadFault fault) { read_fault_ = std::move(fault); }

// ------------------------------------------------------------ WriteBatch

WriteBatch::WriteBatch(const Database& db)
    : db_(&db), batch_(std::make_unique<rocksdb::WriteBatch>()) {}
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;
WriteBatch::~WriteBatch() = default;

void WriteBatch::Put(ColumnFamily cf, absl::string_view key, absl::string_view value) {
  // rocksdb::WriteBatch only fails past its 4 GiB size limit.
  batch_->Put(db_->handle(cf), ToSlice(key), ToSlice(value)).PermitUncheckedError();
}

void WriteBatch::Delete(ColumnFamily cf, absl::string_view key) {
  batch_->Delete(db_->handle(cf), ToSlice(key)).PermitUncheckedError();
}

void WriteBatch::DeleteRange(ColumnFamily cf, absl::string_view begin, absl::string_view end) {
  batch_->DeleteRange(db_->handle(cf), ToSlice(begin), ToSlice(end)).PermitUncheckedError();
}

void WriteBatch::Clear() { batch_->Clear(); }

int WriteBatch::Count() const { return batch_->Count(); }

// -------------------------------------------------------------- Iterator

struct Iterator::Rep {
  std::string upper_bound;  // owned here: the ReadOptions point at it
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
};

Iterator Database::NewIterator(ColumnFamily cf, const ReadOptions& options) const {
  auto rep = std::make_unique<Iterator::Rep>();
  rocksdb::ReadOptions read;
  if (!options.upper_bound.empty()) {
    rep->upper_bound = std::string(options.upper_bound);
    rep->upper_slice = rocksdb::Slice(rep->upper_bound);
    read.iterate_upper_bound = &rep->upper_slice;
  }
  rep->it.reset(db_->NewIterator(read, handle(cf)));
  return Iterator(std::move(rep));
}

Iterator::Iterator(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Iterator::Iterator(Iterator&&) noexcept = default;
Iterator& Iterator::operator=(Iterator&&) noexcept = default;
Iterator::~Iterator() = default;

void Iterator::Seek(absl::string_view key) { rep_->it->Seek(ToSlice(key)); }
void Iterator::SeekForPrev(absl::string_view key) { rep_->it->SeekForPrev(ToSlice(key)); }
void Iterator::SeekToFirst() { rep_->it->SeekToFirst(); }
void Iterator::SeekToLast() { rep_->it->SeekToLast(); }
bool Iterator::Valid() const { return rep_->it->Valid(); }
void Iterator::Next() { rep_->it->Next(); }
void Iterator::Prev() { rep_->it->Prev(); }

absl::string_view Iterator::key() const {
  const rocksdb::Slice k = rep_->it->key();
  return absl::string_view(k.data(), k.size());
}

absl::string_view Iterator::value() const {
  const rocksdb::Slice v = rep_->it->value();
  return absl::string_view(v.data(), v.size());
}

absl::Status Iterator::status(absl::string_view context) const {
  return FromRocksStatus(rep_->it->status(), context);
}

}  // namespace fstore
