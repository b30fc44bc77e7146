// CSV rendering of feature tables (historical retrieval, export): RFC 4180
// quoting (a field with a comma, quote, CR or LF is quoted, quotes doubled),
// LF line ends, nulls as empty fields, values in ValueToText form.
#ifndef FSTORE_FEATURESTORE_CSV_WRITER_H_
#define FSTORE_FEATURESTORE_CSV_WRITER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/value.h"

namespace fstore {

void AppendCsvField(std::string* out, absl::string_view field);
void AppendCsvValue(std::string* out, const Value& value);
// The values comma-separated, as AppendCsvValue of each with commas between
// (numbers are formatted into a local buffer and appended together).
void AppendCsvValues(std::string* out, absl::Span<const Value* const> values);
// A whole line of text fields, with its LF.
void AppendCsvLine(std::string* out, absl::Span<const std::string> fields);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_CSV_WRITER_H_
