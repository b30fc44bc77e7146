// ScoreTable: the batch-scoring output (docs/design.md §4), one record per scored
// entity in ColumnFamily::kScores, for analysts to list and export.
//
// Records are keyed by (scored_at, batch_id, row), so listing returns
// batches oldest first and each batch in the order it was scored. A batch
// may be appended in several chunks; each chunk is one atomic write.
//
// Thread-safety: safe for concurrent use (RocksDB serializes the writes).
#ifndef FSTORE_SERVING_SCORE_TABLE_H_
#define FSTORE_SERVING_SCORE_TABLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "storage/database.h"

namespace fstore {

struct ScoreRecord {
  std::map<std::string, std::string> entity;  // join key -> value
  double fraud_score = 0;
  std::string risk_bucket;
  std::string model;
  int64_t model_version = 0;
  TimestampUs scored_at = 0;
  std::string batch_id;
};

class ScoreTable {
 public:
  // `db` must outlive the table.
  explicit ScoreTable(Database* db) : db_(db) {}

  // Appends records of one batch (all with the same batch_id and scored_at)
  // as rows first_row, first_row + 1, ... InvalidArgument when they
  // disagree; the write is fsynced only when `sync` is set.
  absl::Status Append(absl::Span<const ScoreRecord> records, int64_t first_row, bool sync);

  struct Filter {
    std::string model;     // empty = every model
    std::string batch_id;  // empty = every batch
    int64_t limit = 0;     // 0 = no limit
  };
  // Records passing `filter`, oldest batch first, handed to `sink` one at a
  // time (a sink error stops the scan and is returned). DataLoss naming the
  // key for an undecodable record.
  absl::Status Scan(const Filter& filter,
                    const std::function<absl::Status(const ScoreRecord&)>& sink) const;

 private:
  Database* const db_;
};

}  // namespace fstore

#endif  // FSTORE_SERVING_SCORE_TABLE_H_
