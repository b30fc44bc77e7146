// JsonText: the one writer of fstore's JSON text, for a value built with
// nlohmann::ordered_json. Compact (no whitespace), keys in insertion order,
// and stable bytes where nlohmann's dump() would differ or throw:
//   - a double prints in its shortest round-trip form ("45", "0.1", "1e-05"),
//     an integral double without ".0"; a non-finite double prints "null";
//   - strings escape '"', '\\' and control characters (the short forms where
//     JSON has them, else \u00xx); every other byte passes unchanged, UTF-8
//     or not (dump() throws on invalid UTF-8).
// The canonical form of definitions (content-hashed, so its bytes are
// pinned by featurestore/definitions_canonical_test.cc) and fsctl's
// --output=json both print through it.
//
// Thread-safety: a pure function.
#ifndef FSTORE_COMMON_JSON_TEXT_H_
#define FSTORE_COMMON_JSON_TEXT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace fstore {

std::string JsonText(const nlohmann::ordered_json& value);

}  // namespace fstore

#endif  // FSTORE_COMMON_JSON_TEXT_H_
