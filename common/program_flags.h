// The command line of fstore's gflags programs (fsd, fstore_load,
// historical_bench), read the way fsctl reads its own:
// - `--help` (or `-h`) prints the usage text and the program's own flags
//   only, not the hundreds that linked libraries (RocksDB's tools) define;
//   `--helpfull` still prints every flag.
// - `--version` prints VersionLine(program).
// - An unknown flag (with the nearest known one), a flag without its value
//   or a value of the wrong type is a usage error: the message names it and
//   the program exits with status 2, where gflags alone exits with 1.
// Then the flags are parsed by gflags as usual and removed from argv.
#ifndef FSTORE_COMMON_PROGRAM_FLAGS_H_
#define FSTORE_COMMON_PROGRAM_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fstore {

struct ProgramFlags {
  std::string program;  // e.g. "fsd"
  std::string usage;    // printed by --help above the flags
  // The source file that defines the program's own flags, matched as a
  // suffix of gflags' file name, e.g. "server/main.cc".
  std::string flags_file;
};

// Checks argv[1..] against the flags gflags knows: OK, or an
// InvalidArgument naming the first bad one. Arguments after "--" and
// words that are not flags are not checked.
absl::Status CheckFlags(const std::vector<std::string>& args);

// The --help text: usage, then each of the program's flags with its type,
// default and description, wrapped to 80 columns.
std::string ProgramHelp(const ProgramFlags& program);

// Handles --help, -h and --version (print, exit 0), checks the flags
// (print the error, exit 2) and parses them with gflags.
void ParseProgramFlags(const ProgramFlags& program, int* argc, char*** argv);

}  // namespace fstore

#endif  // FSTORE_COMMON_PROGRAM_FLAGS_H_
