// fsctl: the command-line client of fsd (see the README).
//
// RunFsctl() is the whole program minus process plumbing, so tests can run
// it in-process. Exit codes:
//   0  success
//   1  the operation failed (server error, unreachable server, bad file)
//   2  usage error (unknown command or flag, missing argument)
#ifndef FSTORE_CLIENT_FSCTL_H_
#define FSTORE_CLIENT_FSCTL_H_

#include <ostream>
#include <string>
#include <vector>

namespace fstore::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// `args` excludes the program name. Normal output goes to `out`; errors,
// progress and help requested by mistake go to `err`.
int RunFsctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_FSCTL_H_
