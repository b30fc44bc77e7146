// CommandLine: fsctl's argument grammar, kept apart from the commands so it
// can be tested alone.
//
//   fsctl [GLOBAL FLAGS] WORD [WORD...] [ARGS...] [FLAGS...]
//
// Flags are "--name=value", "--name value" (for flags that take a value) or
// "--name" (switches). A flag may repeat (--entity a=1 --entity b=2); "--"
// ends flags. Global flags may appear anywhere.
#ifndef FSTORE_CLIENT_COMMAND_LINE_H_
#define FSTORE_CLIENT_COMMAND_LINE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore::cli {

// What a command (or the tool) accepts as flags.
struct FlagSpec {
  std::string name;        // without "--"
  std::string value_name;  // empty: a switch that takes no value
  std::string help;
  bool repeated = false;
};

struct ParsedArgs {
  std::vector<std::string> words;                 // everything that is not a flag, in order
  std::multimap<std::string, std::string> flags;  // switches map to "true"

  bool Has(absl::string_view name) const;
  // The last value given for a flag, if any.
  std::optional<std::string> Get(absl::string_view name) const;
  std::vector<std::string> GetAll(absl::string_view name) const;
};

// Splits argv (without the program name) into words and flags. `known` lists
// every flag that may appear (global and the command's); an unknown flag,
// a switch given a value, or a valued flag without one is InvalidArgument
// naming it. A non-repeated flag given twice is an error too.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& argv,
                                     const std::vector<FlagSpec>& known);

// The value of a duration flag ("24h", "5m"; common/time_util.h), nullopt
// when it is absent. InvalidArgument naming the flag and its value when it
// is not a positive duration; `example` completes "... such as EXAMPLE".
absl::StatusOr<std::optional<DurationUs>> PositiveDurationFlag(const ParsedArgs& args,
                                                               absl::string_view name,
                                                               absl::string_view example);

// Parses "K=V" (used by --entity and --field). Fails naming the text.
absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(absl::string_view text,
                                                                  absl::string_view flag);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_COMMAND_LINE_H_
