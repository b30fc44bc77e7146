// FromRocksStatus: the one conversion from rocksdb::Status to absl::Status.
// Internal to storage/ (the only library that includes RocksDB headers).
#ifndef FSTORE_STORAGE_ROCKS_STATUS_H_
#define FSTORE_STORAGE_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace fstore {

// `context` says what was being done ("reading online state for acct/A-1").
// Corruption -> DataLoss, I/O -> Internal, a held LOCK -> FailedPrecondition.
absl::Status FromRocksStatus(const rocksdb::Status& status, absl::string_view context);

}  // namespace fstore

#endif  // FSTORE_STORAGE_ROCKS_STATUS_H_
