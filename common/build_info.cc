#include "common/build_info.h"

#include "absl/strings/str_cat.h"
#include "common/build_commit.h"  // generated: FSTORE_BUILD_COMMIT

namespace fstore {

absl::string_view BuildVersion() { return FSTORE_VERSION; }

absl::string_view BuildCommit() { return FSTORE_BUILD_COMMIT; }

std::string VersionLine(absl::string_view program) {
  return absl::StrCat(program, " ", BuildVersion(), " (commit ", BuildCommit(), ")");
}

}  // namespace fstore
