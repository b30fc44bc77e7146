#include "featurestore/csv_writer.h"

namespace fstore {

void AppendCsvField(std::string* out, absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvValue(std::string* out, const Value& value) {
  if (const std::string* s = std::get_if<std::string>(&value)) {
    AppendCsvField(out, *s);
  } else {
    out->append(ValueToText(value));
  }
}

void AppendCsvLine(std::string* out, absl::Span<const std::string> fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCsvField(out, fields[i]);
  }
  out->push_back('\n');
}

}  // namespace fstore
