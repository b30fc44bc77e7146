#include "featurestore/row_validator.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/quoted_value.h"

namespace fstore {
namespace {

constexpr size_t kShownValueBytes = 64;

// A value as shown in a rejection: shortened, with its full size noted.
std::string Shown(absl::string_view value) { return ShortenedValue(value, kShownValueBytes); }

// Escapes bytes that are not valid UTF-8 as \xNN so the text can travel.
std::string EscapeInvalidUtf8(absl::string_view value) {
  std::string out;
  for (unsigned char c : value.substr(0, kShownValueBytes)) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

bool IsNumeric(ColumnType t) {
  return t == ColumnType::kInt64 || t == ColumnType::kDouble || t == ColumnType::kTimestamp;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::StatusOr<RowValidator> RowValidator::Create(
    const Source& source, const std::vector<std::string>& columns,
    const absl::flat_hash_set<std::string>& key_columns, const Options& options) {
  RowValidator v;
  v.source_ = &source;
  v.options_ = options;
  v.timestamp_column_ = source.ColumnIndex(source.timestamp_column);
  std::vector<bool> present(source.columns.size(), false);
  for (const std::string& name : columns) {
    const int index = source.ColumnIndex(name);
    if (index < 0) {
      std::vector<std::string> names;
      for (const Column& c : source.columns) names.push_back(c.name);
      return absl::InvalidArgumentError(
          absl::StrCat("source ", source.name, " has no column '", name,
                       "' (its columns: ", absl::StrJoin(names, ", "), ")"));
    }
    if (present[index]) {
      return absl::InvalidArgumentError(
          absl::StrCat("column '", name, "' appears twice in the header for source ", source.name));
    }
    present[index] = true;
    v.input_to_column_.push_back(index);
  }
  v.required_.resize(source.columns.size());
  for (size_t i = 0; i < source.columns.size(); ++i) {
    const Column& c = source.columns[i];
    v.required_[i] = !c.nullable || static_cast<int>(i) == v.timestamp_column_ ||
                     key_columns.contains(c.name) || c.name == source.event_id_column;
    if (v.required_[i] && !present[i]) {
      return absl::InvalidArgumentError(absl::StrCat("source ", source.name, ": required column '",
                                                     c.name, "' is missing from the header"));
    }
  }
  return v;
}

void RowValidator::Reject(int column, absl::string_view value, absl::string_view rule,
                          absl::string_view why, int64_t row_number, Rejection* rejection) const {
  rejection->row_number = row_number;
  rejection->column = column >= 0 ? source_->columns[column].name : "";
  rejection->value = std::string(value);
  rejection->rule = std::string(rule);
  rejection->reason = column >= 0 ? absl::StrCat(source_->name, " row ", row_number, ": column ",
                                                 rejection->column, ": ", why)
                                  : absl::StrCat(source_->name, " row ", row_number, ": ", why);
}

bool RowValidator::ParseCell(int column, absl::string_view cell, int64_t row_number, Value* out,
                             Rejection* rejection) const {
  const Column& c = source_->columns[column];
  if (cell.empty()) {
    *out = std::monostate();
    return true;
  }
  if (!IsValidUtf8(cell)) {
    const std::string shown = EscapeInvalidUtf8(cell);
    Reject(column, shown, "utf8", absl::StrCat("'", shown, "' is not valid UTF-8"), row_number,
           rejection);
    return false;
  }
  if (cell.size() > options_.max_string_bytes) {
    const std::string shown = Shown(cell);
    Reject(column, shown, "max_length",
           absl::StrCat("value of ", cell.size(), " bytes is longer than the limit of ",
                        options_.max_string_bytes, " bytes"),
           row_number, rejection);
    return false;
  }
  auto type_error = [&](absl::string_view expected) {
    const std::string shown = Shown(cell);
    Reject(column, shown, "type", absl::StrCat("'", shown, "' is not ", expected), row_number,
           rejection);
    return false;
  };
  switch (c.type) {
    case ColumnType::kString:
      *out = std::string(cell);
      return true;
    case ColumnType::kInt64: {
      int64_t i;
      if (!absl::SimpleAtoi(cell, &i)) return type_error("an INT64");
      *out = i;
      return true;
    }
    case ColumnType::kDouble: {
      double d;
      if (!absl::SimpleAtod(cell, &d)) return type_error("a DOUBLE");
      *out = d;
      return true;
    }
    case ColumnType::kBool: {
      const std::string lower = absl::AsciiStrToLower(cell);
      if (lower == "true" || lower == "1") {
        *out = true;
      } else if (lower == "false" || lower == "0") {
        *out = false;
      } else {
        return type_error("a BOOL (true/false/1/0)");
      }
      return true;
    }
    case ColumnType::kTimestamp: {
      int64_t epoch;
      if (absl::SimpleAtoi(cell, &epoch)) {
        const int64_t scale = c.epoch_unit == "s" ? 1000000 : c.epoch_unit == "ms" ? 1000 : 1;
        if (epoch > INT64_MAX / scale || epoch < INT64_MIN / scale) {
          return type_error("a timestamp in range");
        }
        *out = epoch * scale;
        return true;
      }
      absl::StatusOr<TimestampUs> t = ParseIsoTime(cell);
      if (!t.ok()) {
        return type_error(
            absl::StrCat("a timestamp (ISO-8601 UTC such as "
                         "2026-01-05T10:00:00Z, or integer epoch ",
                         c.epoch_unit, ")"));
      }
      *out = *t;
      return true;
    }
  }
  return type_error("parseable");
}

bool RowValidator::Accept(int column, Value value, int64_t row_number, ValidatedRow* row,
                          Rejection* rejection) const {
  const Column& c = source_->columns[column];
  if (IsNull(value)) {
    if (required_[column]) {
      Reject(column, "", "not_null", "value is missing (the column is required)", row_number,
             rejection);
      return false;
    }
    row->values[column] = std::monostate();
    return true;
  }
  if (const double* d = std::get_if<double>(&value); d != nullptr && !std::isfinite(*d)) {
    Reject(column, ValueToText(value), "finite",
           absl::StrCat(ValueToText(value), " is not a finite number"), row_number, rejection);
    return false;
  }
  if (IsNumeric(c.type) && (c.min || c.max)) {
    const double x = std::holds_alternative<int64_t>(value)
                         ? static_cast<double>(std::get<int64_t>(value))
                         : std::get<double>(value);
    const std::string shown = c.type == ColumnType::kTimestamp
                                  ? FormatIsoTime(std::get<int64_t>(value))
                                  : ValueToText(value);
    if (c.min && x < *c.min) {
      Reject(column, shown, "min",
             absl::StrCat(shown, " is below min ", ValueToText(Value(*c.min))), row_number,
             rejection);
      return false;
    }
    if (c.max && x > *c.max) {
      Reject(column, shown, "max",
             absl::StrCat(shown, " is above max ", ValueToText(Value(*c.max))), row_number,
             rejection);
      return false;
    }
  }
  if (c.type == ColumnType::kString && !c.allowed.empty()) {
    const std::string& s = std::get<std::string>(value);
    bool ok = false;
    for (const std::string& a : c.allowed) ok = ok || a == s;
    if (!ok) {
      const std::string shown = Shown(s);
      Reject(column, shown, "allowed",
             absl::StrCat("'", shown, "' is not one of the allowed values (",
                          absl::StrJoin(c.allowed, ", "), ")"),
             row_number, rejection);
      return false;
    }
  }
  if (column == timestamp_column_) row->ts = std::get<int64_t>(value);
  row->values[column] = std::move(value);
  return true;
}

bool RowValidator::ValidateText(absl::Span<const absl::string_view> cells, int64_t row_number,
                                ValidatedRow* row, Rejection* rejection) const {
  if (cells.size() != input_to_column_.size()) {
    std::vector<std::string> shown;
    for (absl::string_view c : cells) shown.push_back(EscapeInvalidUtf8(c));
    Reject(-1, Shown(absl::StrJoin(shown, ",")), "column_count",
           absl::StrCat("row has ", cells.size(), " cells but the header has ",
                        input_to_column_.size(), " columns"),
           row_number, rejection);
    return false;
  }
  row->values.assign(source_->columns.size(), std::monostate());
  for (size_t i = 0; i < cells.size(); ++i) {
    Value v;
    if (!ParseCell(input_to_column_[i], cells[i], row_number, &v, rejection)) return false;
    if (!Accept(input_to_column_[i], std::move(v), row_number, row, rejection)) return false;
  }
  return true;  // Create() guarantees every required column is in the row
}

bool RowValidator::ValidateValues(absl::Span<const Value> values, int64_t row_number,
                                  ValidatedRow* row, Rejection* rejection) const {
  if (values.size() != input_to_column_.size()) {
    Reject(-1, "", "column_count",
           absl::StrCat("row has ", values.size(), " values but the request names ",
                        input_to_column_.size(), " columns"),
           row_number, rejection);
    return false;
  }
  row->values.assign(source_->columns.size(), std::monostate());
  for (size_t i = 0; i < values.size(); ++i) {
    const int column = input_to_column_[i];
    const ColumnType type = source_->columns[column].type;
    Value v = values[i];
    if (const std::string* text = std::get_if<std::string>(&values[i])) {
      if (!ParseCell(column, *text, row_number, &v, rejection)) return false;
    } else if (!IsNull(v)) {
      // Typed values: widen int64 to DOUBLE; anything else must match.
      const bool ok = (type == ColumnType::kInt64 && std::holds_alternative<int64_t>(v)) ||
                      (type == ColumnType::kTimestamp && std::holds_alternative<int64_t>(v)) ||
                      (type == ColumnType::kDouble && std::holds_alternative<double>(v)) ||
                      (type == ColumnType::kBool && std::holds_alternative<bool>(v));
      if (type == ColumnType::kDouble && std::holds_alternative<int64_t>(v)) {
        v = static_cast<double>(std::get<int64_t>(v));
      } else if (!ok) {
        const std::string shown = ValueToText(v);
        Reject(column, shown, "type", absl::StrCat("'", shown, "' is not ", ColumnTypeName(type)),
               row_number, rejection);
        return false;
      }
    }
    if (!Accept(column, std::move(v), row_number, row, rejection)) return false;
  }
  return true;
}

}  // namespace fstore
