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

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/nearest_name.h"  // NearestName, for the commands' usage errors
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
// a switch given a value, or a valued flag without one is a usage error
// naming it (an unknown flag with the nearest known one, if any). With
// `unknown` set, unknown flags are collected there (without "--") instead
// of failing, each taken as a switch. A non-repeated flag given twice is an error too.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& argv,
                                     const std::vector<FlagSpec>& known,
                                     std::vector<std::string>* unknown = nullptr);

// "unknown flag --NAME", with "; did you mean --X?" when one of `known` is near.
std::string UnknownFlagMessage(absl::string_view name, const std::vector<FlagSpec>& known);

// A usage error: the command line itself is wrong (a required flag missing,
// a value of the wrong form, an unknown stage). It is InvalidArgument with a
// marker payload, so fsctl exits 2 for it and 1 for an INVALID_ARGUMENT
// answer of the server. Everything below that checks a flag returns one.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// The value of a flag that must be given and not empty; a usage error
// "--NAME is required" otherwise.
absl::StatusOr<std::string> RequiredFlag(const ParsedArgs& args, absl::string_view name);

// The value of a whole-number flag, nullopt when absent; a usage error naming
// the flag and its value when it is not a number in [min, max].
absl::StatusOr<std::optional<int64_t>> IntFlag(const ParsedArgs& args, absl::string_view name,
                                               int64_t min, int64_t max);

// The value of a time flag (common/time_util.h ParseTimeArg), nullopt when
// absent; a usage error naming the flag and its value when it is not a time.
absl::StatusOr<std::optional<TimestampUs>> TimeFlag(const ParsedArgs& args, absl::string_view name);

// The value of a duration flag ("24h", "5m"; common/time_util.h), nullopt
// when it is absent. A usage error naming the flag and its value when it
// is not a positive duration; `example` completes "... such as EXAMPLE".
absl::StatusOr<std::optional<DurationUs>> PositiveDurationFlag(const ParsedArgs& args,
                                                               absl::string_view name,
                                                               absl::string_view example);

// `message` (an error, typically the server's) with the wire name of each of
// `flags` written as the flag: "pass archive_existing" -> "pass
// --archive-existing", "window_us" -> "--window". Only names that hold an
// underscore, and only as whole words, so ordinary words stay as they are.
std::string WithFlagNames(absl::string_view message, const std::vector<FlagSpec>& flags);

// Parses "K=V" (used by --entity and --field). A usage error naming the text.
absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(absl::string_view text,
                                                                  absl::string_view flag);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_COMMAND_LINE_H_
