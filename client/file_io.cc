#include "client/file_io.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace fstore::cli {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), tmp_(absl::StrCat(path_, ".tmp-", ::getpid())) {
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::remove(tmp_.c_str());
  }
}

absl::Status AtomicFile::status() const {
  return out_ ? absl::OkStatus()
              : absl::FailedPreconditionError(absl::StrCat("cannot write ", tmp_));
}

absl::Status AtomicFile::Write(absl::string_view data) {
  out_.write(data.data(), static_cast<std::streamsize>(data.size()));
  return status();
}

absl::Status AtomicFile::Commit() {
  out_.close();
  if (!out_ || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path_));
  }
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace fstore::cli
