// RowValidator: turns one incoming row (text cells from a CSV, or typed
// values) into a validated event of a source, or a Rejection that says which
// column, which value and which rule.
//
// Rules (the `rule` field of a Rejection):
//   column_count  the row has a different number of cells than the header
//   utf8          a text cell is not valid UTF-8
//   max_length    a string is longer than Options::max_string_bytes
//   type          the value does not parse as the column's type
//   finite        a DOUBLE is NaN or infinite
//   not_null      a required column (or an entity key) is empty
//   min, max      a number (or timestamp) is out of the column's bounds
//   allowed       a STRING is not one of the column's allowed values
// (FeatureStore adds "future": an event time too far after the time of
// ingest, FeatureStore::Options::max_future_skew.)
// An empty text cell is null.
//
// Thread-safety: Validate is const and may run concurrently.
#ifndef FSTORE_FEATURESTORE_ROW_VALIDATOR_H_
#define FSTORE_FEATURESTORE_ROW_VALIDATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"

namespace fstore {

struct Rejection {
  int64_t row_number = 0;
  std::string column;  // empty when the rule is about the whole row
  std::string value;   // the offending value as text (long values shortened)
  std::string rule;
  std::string reason;  // "txns row 1042: column amount: -5 is below min 0"
};

// A row that passed: one value per source column, in source column order.
struct ValidatedRow {
  TimestampUs ts = 0;
  std::vector<Value> values;
};

class RowValidator {
 public:
  struct Options {
    // Longest string value accepted. Default: 64 KiB.
    size_t max_string_bytes = 64 << 10;
  };

  // Maps the caller's column names onto `source`. InvalidArgument, naming
  // the column, when a name is unknown or repeated, or when a column that
  // may not be null (including the timestamp column and `key_columns`) is
  // absent from `columns`. `key_columns` are entity join keys: never empty.
  static absl::StatusOr<RowValidator> Create(const Source& source,
                                             const std::vector<std::string>& columns,
                                             const absl::flat_hash_set<std::string>& key_columns,
                                             const Options& options);

  // Validates text cells (in the caller's column order). On success fills
  // *row and returns true; otherwise fills *rejection.
  bool ValidateText(absl::Span<const absl::string_view> cells, int64_t row_number,
                    ValidatedRow* row, Rejection* rejection) const;
  // Same for typed values; strings are parsed as text would be.
  bool ValidateValues(absl::Span<const Value> values, int64_t row_number, ValidatedRow* row,
                      Rejection* rejection) const;

  const Source& source() const { return *source_; }

 private:
  RowValidator() = default;
  // Checks and stores one value into row->values[column].
  bool Accept(int column, Value value, int64_t row_number, ValidatedRow* row,
              Rejection* rejection) const;
  bool ParseCell(int column, absl::string_view cell, int64_t row_number, Value* out,
                 Rejection* rejection) const;
  void Reject(int column, absl::string_view value, absl::string_view rule, absl::string_view why,
              int64_t row_number, Rejection* rejection) const;

  const Source* source_ = nullptr;
  Options options_;
  std::vector<int> input_to_column_;  // caller's column i -> source column
  std::vector<bool> required_;        // per source column
  int timestamp_column_ = -1;
};

// True when `text` is valid UTF-8.
bool IsValidUtf8(absl::string_view text);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ROW_VALIDATOR_H_
