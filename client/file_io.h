// Files fsctl reads and writes: whole-file reads, and output files that
// appear under their name only once complete.
#ifndef FSTORE_CLIENT_FILE_IO_H_
#define FSTORE_CLIENT_FILE_IO_H_

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore::cli {

// The whole file; NotFound naming the path when it cannot be opened.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes a file under a temporary name and renames it into place on
// Commit(), so a failure never leaves a half-written file under the name
// asked for. An uncommitted file is removed on destruction.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // FailedPrecondition naming the file once a write has failed.
  absl::Status status() const;
  absl::Status Write(absl::string_view data);
  absl::Status Commit();

 private:
  const std::string path_;
  const std::string tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_FILE_IO_H_
