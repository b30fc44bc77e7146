#include "featurestore/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace fstore {

namespace {

// Below this much work a batch read runs on the calling thread alone.
constexpr size_t kMinParallelWork = 4096;
constexpr int kMaxThreads = 8;

}  // namespace

int BatchThreads(int requested, size_t work) {
  if (requested > 0) return requested;
  if (work < kMinParallelWork) return 1;
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(hardware, 1, kMaxThreads);
}

void ParallelFor(int threads, size_t tasks, const std::function<void(size_t, int)>& fn,
                 const std::function<void()>& caller_first) {
  const int n =
      static_cast<int>(std::min<size_t>(std::max(threads, 1), std::max<size_t>(tasks, 1)));
  std::atomic<size_t> next{0};
  auto work = [&](int thread) {
    for (size_t task = next.fetch_add(1); task < tasks; task = next.fetch_add(1)) {
      fn(task, thread);
    }
  };
  std::vector<std::thread> started;
  started.reserve(n - 1);
  for (int t = 1; t < n; ++t) started.emplace_back(work, t);
  if (caller_first) caller_first();
  work(0);
  for (std::thread& t : started) t.join();
}

}  // namespace fstore
