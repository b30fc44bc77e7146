#include "client/csv_reader.h"

#include "absl/strings/str_cat.h"

namespace fstore::cli {

int CsvReader::Get() {
  const int c = in_.get();
  if (c != EOF) ++bytes_read_;
  return c;
}

int CsvReader::Peek() { return in_.peek(); }

bool CsvReader::Next(std::vector<std::string>* cells, absl::Status* error) {
  *error = absl::OkStatus();
  cells->clear();
  if (!started_) {
    started_ = true;
    if (Peek() == 0xEF) {  // UTF-8 BOM
      char bom[3];
      in_.read(bom, 3);
      if (in_.gcount() == 3 && static_cast<unsigned char>(bom[1]) == 0xBB &&
          static_cast<unsigned char>(bom[2]) == 0xBF) {
        bytes_read_ += 3;
      } else {
        in_.clear();
        in_.seekg(0);
      }
    }
  }
  if (Peek() == EOF) return false;
  record_line_ = line_;
  std::string cell;
  bool quoted = false;
  bool cell_was_quoted = false;
  while (true) {
    int c = Get();
    if (c == EOF) {
      if (quoted) {
        *error = absl::InvalidArgumentError(absl::StrCat(
            "line ", record_line_, ": a quoted field is not closed before the end of the file"));
      }
      cells->push_back(std::move(cell));
      return true;
    }
    if (quoted) {
      if (c == '"') {
        if (Peek() == '"') {
          Get();
          cell.push_back('"');
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        cell.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == ',') {
      cells->push_back(std::move(cell));
      cell.clear();
      cell_was_quoted = false;
    } else if (c == '\n' || (c == '\r' && Peek() == '\n')) {
      if (c == '\r') Get();
      ++line_;
      cells->push_back(std::move(cell));
      return true;
    } else if (c == '"' && cell.empty() && !cell_was_quoted) {
      quoted = true;
      cell_was_quoted = true;
    } else {
      cell.push_back(static_cast<char>(c));
    }
  }
}

}  // namespace fstore::cli
