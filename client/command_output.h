// How fsctl commands print: aligned tables for people, and the JSON forms of
// wire values shared by every command's --output=json.
#ifndef FSTORE_CLIENT_COMMAND_OUTPUT_H_
#define FSTORE_CLIENT_COMMAND_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/json_writer.h"
#include "fstore/v1/common.pb.h"

namespace fstore::cli {

// Left-aligned columns, two spaces apart; the first row is usually a header.
void PrintTable(std::ostream& os, const std::vector<std::vector<std::string>>& rows);

// A value as JSON (null when unset).
void WriteValueJson(const v1::Value& v, JsonWriter* w);
// A value for a table cell: strings bare, "null" when unset.
std::string ValueText(const v1::Value& v);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_COMMAND_OUTPUT_H_
