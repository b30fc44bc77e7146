// What this binary is: fstore's version and the git commit it was built from.
// `fsd --version`, `fsctl version`, the health of a server and the
// fstore_build_info metric all print these.
#ifndef FSTORE_COMMON_BUILD_INFO_H_
#define FSTORE_COMMON_BUILD_INFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace fstore {

// The project version of CMakeLists.txt, e.g. "0.1.0".
absl::string_view BuildVersion();

// The commit: 12 hex digits, with "-dirty" when built from a tree with
// uncommitted changes; "unknown" when built outside a git checkout.
absl::string_view BuildCommit();

// "PROGRAM VERSION (commit COMMIT)", e.g. "fsd 0.1.0 (commit 6310906abcde)".
std::string VersionLine(absl::string_view program);

}  // namespace fstore

#endif  // FSTORE_COMMON_BUILD_INFO_H_
