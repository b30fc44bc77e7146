// TempDatabase: a Database opened in a new directory under /tmp, for tests
// and benchmarks that need a real store. The destructor closes the database
// and then deletes the directory. Create fails, naming the path, when the
// directory cannot be made or the database cannot be opened.
#ifndef FSTORE_STORAGE_TEMP_DATABASE_H_
#define FSTORE_STORAGE_TEMP_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/database.h"

namespace fstore {

class TempDatabase {
 public:
  // `name` becomes part of the directory's name ("/tmp/NAME-XXXXXX").
  static absl::StatusOr<std::unique_ptr<TempDatabase>> Create(absl::string_view name);
  TempDatabase(const TempDatabase&) = delete;
  TempDatabase& operator=(const TempDatabase&) = delete;
  ~TempDatabase();

  // Null between Close() and Reopen().
  Database* db() const { return db_.get(); }
  const std::string& dir() const { return dir_; }

  // Closes the database, keeping its files (what a restart starts from).
  void Close() { db_.reset(); }
  // Closes (if open) and opens it again.
  absl::Status Reopen();

 private:
  explicit TempDatabase(std::string dir) : dir_(std::move(dir)) {}

  const std::string dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace fstore

#endif  // FSTORE_STORAGE_TEMP_DATABASE_H_
