#include "common/nearest_name.h"

#include <algorithm>

namespace fstore {

std::string NearestName(absl::string_view word, const std::vector<std::string>& candidates) {
  // Optimal string alignment distance.
  auto distance = [](absl::string_view a, absl::string_view b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.size()][b.size()];
  };
  std::string best;
  size_t best_distance = 3;  // at most 2 edits
  for (const std::string& c : candidates) {
    if (c == word) continue;
    const size_t dist = distance(word, c);
    if (dist < best_distance && 2 * dist < word.size()) {
      best = c;
      best_distance = dist;
    }
  }
  return best;
}

}  // namespace fstore
