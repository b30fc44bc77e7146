#include "storage/temp_database.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace fstore {

absl::StatusOr<std::unique_ptr<TempDatabase>> TempDatabase::Create(absl::string_view name) {
  const std::string pattern = absl::StrCat("/tmp/", name, "-XXXXXX");
  std::vector<char> path(pattern.begin(), pattern.end());
  path.push_back('\0');
  if (::mkdtemp(path.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a directory like ", pattern, ": ", std::strerror(errno)));
  }
  std::unique_ptr<TempDatabase> temp(new TempDatabase(path.data()));
  FSTORE_RETURN_IF_ERROR(temp->Reopen());
  return temp;
}

TempDatabase::~TempDatabase() {
  db_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status TempDatabase::Reopen() {
  db_.reset();
  FSTORE_ASSIGN_OR_RETURN(db_, Database::Open(dir_ + "/data"));
  return absl::OkStatus();
}

}  // namespace fstore
