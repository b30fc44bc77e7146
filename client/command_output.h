// How fsctl commands print: aligned tables for people, and the JSON forms of
// wire values shared by every command's --output=json.
#ifndef FSTORE_CLIENT_COMMAND_OUTPUT_H_
#define FSTORE_CLIENT_COMMAND_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include "common/json_text.h"
#include "fstore/v1/common.pb.h"
#include "nlohmann/json.hpp"

namespace fstore::cli {

// Left-aligned columns, two spaces apart; the first row is usually a header.
void PrintTable(std::ostream& os, const std::vector<std::vector<std::string>>& rows);

// What --output=json prints: one document, keys in the order they are set.
using Json = nlohmann::ordered_json;

// JsonText (common/json_text.h) prints these documents on one line.

// A value as JSON (null when unset).
Json ValueJson(const v1::Value& v);
// A value for a table cell: strings bare, numbers as the shortest text that
// reads back, "null" when unset or not finite.
std::string ValueText(const v1::Value& v);

// Where a read's features came from (a reply's served_from), for people:
// "from the online state", or for "stored_events" that the time is older
// than the online state keeps.
std::string ServedFromText(const std::string& served_from);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_COMMAND_OUTPUT_H_
