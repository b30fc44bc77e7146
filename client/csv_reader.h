// CsvReader: reads RFC 4180 CSV records from a stream: comma-separated,
// fields optionally quoted with '"' ("" inside quotes is a quote; quoted
// fields may span lines), records end with LF or CRLF. A UTF-8 byte-order
// mark at the start is skipped. Cells are returned as raw bytes.
#ifndef FSTORE_CLIENT_CSV_READER_H_
#define FSTORE_CLIENT_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fstore::cli {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads the next record into *cells. Returns false at the end of input.
  // When the record is malformed (a quote left open at the end of the
  // input), returns true with *error set naming the line; the cells read so
  // far are in *cells.
  bool Next(std::vector<std::string>* cells, absl::Status* error);

  // The 1-based line on which the last record returned starts.
  int64_t record_line() const { return record_line_; }
  // Bytes consumed so far (for progress).
  int64_t bytes_read() const { return bytes_read_; }

 private:
  int Get();
  int Peek();

  std::istream& in_;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  int64_t bytes_read_ = 0;
  bool started_ = false;
};

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_CSV_READER_H_
