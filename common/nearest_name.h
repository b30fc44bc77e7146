// "Did you mean": the known name nearest to a mistyped one, for the usage
// errors of fsctl's commands and flags and of fsd's flags.
#ifndef FSTORE_COMMON_NEAREST_NAME_H_
#define FSTORE_COMMON_NEAREST_NAME_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace fstore {

// The candidate nearest to `word` by edit distance (insertions, deletions,
// substitutions, transpositions), when it is near enough to be a typo: at
// most 2 edits and fewer than half of `word`'s length; empty otherwise.
std::string NearestName(absl::string_view word, const std::vector<std::string>& candidates);

}  // namespace fstore

#endif  // FSTORE_COMMON_NEAREST_NAME_H_
