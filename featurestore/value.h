// Value: one typed scalar of an event or a feature; std::monostate is null
// (missing). Timestamps are int64 microseconds UTC and travel as int64.
#ifndef FSTORE_FEATURESTORE_VALUE_H_
#define FSTORE_FEATURESTORE_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>

namespace fstore {

using Value = std::variant<std::monostate, int64_t, double, std::string, bool>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// Text form used by `where` filters, CSV output and messages: "" for null,
// integers in decimal, doubles shortest round-trip ("0.1"), "true"/"false".
std::string ValueToText(const Value& v);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_VALUE_H_
