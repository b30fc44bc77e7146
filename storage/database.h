// Database: the one RocksDB instance of an fstore data directory.
//
// Every kind of record lives in a column family of its own (ColumnFamily
// below); the feature store and the registry share the instance so that a
// write touching both kinds stays one atomic WriteBatch.
//
// Open() creates the directory and any missing column family. It fails with
//   - FailedPrecondition when the directory is not a writable directory or
//     another process holds it open (RocksDB's LOCK file),
//   - Internal / DataLoss for other RocksDB errors (corruption, I/O),
// always naming the directory.
//
// Thread-safety: a Database is safe for concurrent use without external
// synchronization (rocksdb::DB is). The handles it returns live as long as
// the Database. Destruction flushes the memtables and closes the instance.
#ifndef FSTORE_FEATURESTORE_DATABASE_H_
#define FSTORE_FEATURESTORE_DATABASE_H_

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace fstore {

// The kinds of record. Names are stable: they are the on-disk column family
// names.
enum class ColumnFamily {
  kMeta,            // format version, counters (sequence numbers)
  kDefinitions,     // entities, sources, feature views, feature services
  kEvents,          // the event log, per source
  kEventIds,        // event ids seen, for idempotent ingest
  kOnline,          // online window state per view and entity
  kDeadLetters,     // rejected rows with their reasons
  kSnapshots,       // named snapshots and their high-water marks
  kModels,          // registered models
  kModelVersions,   // model versions, stages, aliases
  kArtifacts,       // artifact bytes by sha256
  kAudit,           // stage and alias transition history
  kScores,          // batch scoring output
  kServingLog,      // scored requests, for monitoring and feedback
  kServingLogIndex, // request id -> the time of its serving-log record
  kFeedback,        // labels for served requests
  kSourceQuality,   // per source and time bucket: accepted, rejected by rule, nulls
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

class Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& dir, const DatabaseOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Flushes memtables and closes the instance; errors are logged.
  ~Database();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) const {
    return handles_[static_cast<size_t>(cf)];
  }
  const std::string& dir() const { return dir_; }

  // Flushes every column family's memtable to SST files.
  absl::Status Flush();

 private:
  Database(std::string dir, std::unique_ptr<rocksdb::DB> db,
           std::vector<rocksdb::ColumnFamilyHandle*> all_handles,
           std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles);

  // Constant after construction.
  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  // Every handle opened (ours plus unknown families found on disk); owned.
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles_;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnFamilyCount> handles_;
};

// The one conversion from rocksdb::Status to absl::Status. `context` says
// what was being done ("reading online state for acct/A-1").
absl::Status FromRocksStatus(const rocksdb::Status& status,
                             absl::string_view context);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_DATABASE_H_
