// Database: the one RocksDB instance of an fstore data directory, behind a
// typed API (Get, Put, Delete, WriteBatch, Iterator) that shows no RocksDB
// type to its callers.
//
// Every kind of record lives in a column family of its own (ColumnFamily
// below); the feature store and the registry share the instance so that a
// write touching both kinds stays one atomic WriteBatch. Each library builds
// its own keys (featurestore/keys.h, registry/keys.h); this file only names
// the families, because one instance opens them all.
//
// Open() creates the directory and any missing column family. It fails with
//   - FailedPrecondition when the directory is not a writable directory or
//     another process holds it open (RocksDB's LOCK file),
//   - Internal / DataLoss for other RocksDB errors (corruption, I/O),
// always naming the directory. Reads and writes fail with the code RocksDB's
// status maps to (DataLoss for corruption, Internal for I/O), naming the
// column family and the key or the caller's context; a missing key is not an
// error (Get returns nullopt).
//
// Thread-safety: a Database is safe for concurrent use without external
// synchronization (rocksdb::DB is). A WriteBatch or an Iterator is not: use
// each from one thread at a time. Batches and iterators must not outlive the
// Database. Destruction flushes the memtables and closes the instance.
#ifndef FSTORE_STORAGE_DATABASE_H_
#define FSTORE_STORAGE_DATABASE_H_

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace fstore {

// The kinds of record, by the library that owns them. Names are stable:
// they are the on-disk column family names (ColumnFamilyName).
enum class ColumnFamily {
  // featurestore/
  kMeta,         // format version, counters (sequence numbers)
  kDefinitions,  // entities, sources, feature views, feature services
  kEvents,       // the event log, per source
  kEventIds,     // event ids seen, for idempotent ingest
  kOnline,       // online window state per view and entity
  kDeadLetters,  // rejected rows with their reasons
  kSnapshots,    // named snapshots and their high-water marks
  // registry/
  kModels,         // registered models
  kModelVersions,  // model versions, stages, aliases
  kArtifacts,      // artifact bytes by sha256
  kAudit,          // stage and alias transition history
  // serving/
  kScores,           // batch scoring output
  kServingLog,       // scored requests, for monitoring and feedback
  kServingLogIndex,  // request id -> the time of its serving-log record
  kFeedback,         // labels for served requests
  // featurestore/
  kSourceQuality,  // per source and time bucket: accepted, rejected by rule,
                   // nulls
};
inline constexpr size_t kColumnFamilyCount = 16;

// The on-disk name of a column family, e.g. "online".
absl::string_view ColumnFamilyName(ColumnFamily cf);

struct DatabaseOptions {
  // Create the directory and the database when missing. Default: true.
  bool create_if_missing = true;
  // Shared LRU block cache for all column families. Default: 256 MiB.
  size_t block_cache_bytes = 256 << 20;
  // Threads RocksDB uses for flushes and compactions. Default: 2.
  int background_threads = 2;
};

struct WriteOptions {
  // fsync the write-ahead log before the write returns (survives a machine
  // crash, not only a process crash). Default: false.
  bool sync = false;
};

struct ReadOptions {
  // When not empty, an iterator stops before the first key >= this bound
  // (cheaper than checking each key: RocksDB skips the rest). Copied.
  absl::string_view upper_bound;
};

class Database;

// Puts and deletes over any column families, applied atomically by
// Database::Write. Reusable after Clear().
class WriteBatch {
 public:
  explicit WriteBatch(const Database& db);
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;
  ~WriteBatch();

  void Put(ColumnFamily cf, absl::string_view key, absl::string_view value);
  void Delete(ColumnFamily cf, absl::string_view key);
  // Deletes the keys in [begin, end).
  void DeleteRange(ColumnFamily cf, absl::string_view begin, absl::string_view end);
  void Clear();
  // The number of operations added since construction or Clear().
  int Count() const;

 private:
  friend class Database;
  const Database* db_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

// A cursor over one column family, in key order. Not Valid() at the end or
// after an error: check status() when a scan ends.
class Iterator {
 public:
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  void Seek(absl::string_view key);         // the first key >= `key`
  void SeekForPrev(absl::string_view key);  // the last key <= `key`
  void SeekToFirst();
  void SeekToLast();
  bool Valid() const;
  void Next();
  void Prev();
  // Valid until the iterator moves.
  absl::string_view key() const;
  absl::string_view value() const;
  // OK, or the error that ended the scan, prefixed with `context` ("reading
  // the event log of txns").
  absl::Status status(absl::string_view context) const;

 private:
  friend class Database;
  struct Rep;
  explicit Iterator(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& dir,
                                                        const DatabaseOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Flushes memtables and closes the instance; errors are logged.
  ~Database();

  const std::string& dir() const { return dir_; }

  // The value stored under `key`, or nullopt when there is none.
  absl::StatusOr<std::optional<std::string>> Get(ColumnFamily cf, absl::string_view key) const;
  absl::Status Put(ColumnFamily cf, absl::string_view key, absl::string_view value,
                   const WriteOptions& options = {});
  absl::Status Delete(ColumnFamily cf, absl::string_view key, const WriteOptions& options = {});
  // Applies `batch` atomically; errors are prefixed with `context`
  // ("ingesting into txns").
  absl::Status Write(const WriteBatch& batch, absl::string_view context,
                     const WriteOptions& options = {});

  Iterator NewIterator(ColumnFamily cf, const ReadOptions& options = {}) const;

  // Flushes every column family's memtable to SST files.
  absl::Status Flush();
  // Compacts every key of `cf` (benchmarks: a steady on-disk layout).
  absl::Status CompactAll(ColumnFamily cf);

  // Test-only fault injection: while set, every Get first calls `fault`
  // with the family and key, and returns what it returns when not OK, as
  // if RocksDB had failed the read. Pass nullptr to clear. Not for
  // concurrent use with reads.
  using ReadFault = std::function<absl::Status(ColumnFamily cf, absl::string_view key)>;
  void SetReadFaultForTesting(ReadFault fault);

 private:
  friend class WriteBatch;
  Database(std::string dir, std::unique_ptr<rocksdb::DB> db,
           std::vector<rocksdb::ColumnFamilyHandle*> all_handles,
           std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles);
  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) const {
    return handles_[static_cast<size_t>(cf)];
  }

  // Constant after construction.
  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  // Every handle opened (ours plus unknown families found on disk); owned.
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles_;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles_;
  ReadFault read_fault_;  // tests only; see SetReadFaultForTesting
};

}  // namespace fstore

#endif  // FSTORE_STORAGE_DATABASE_H_
