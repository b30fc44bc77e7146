#include "server/periodic_task.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(PeriodicTaskTest, RunsRepeatedlyUntilDestroyed) {
  std::atomic<int> runs{0};
  {
    PeriodicTask task(absl::Milliseconds(5), [&] { runs.fetch_add(1); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (runs.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const int after_stop = runs.load();
  EXPECT_GE(after_stop, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(runs.load(), after_stop);  // nothing runs once destroyed
}

TEST(PeriodicTaskTest, DestructionDoesNotWaitForTheInterval) {
  std::atomic<int> runs{0};
  const auto start = std::chrono::steady_clock::now();
  {
    PeriodicTask task(absl::Hours(1), [&] { runs.fetch_add(1); });
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(30));
  EXPECT_EQ(runs.load(), 0);  // the first run is one interval away
}

}  // namespace
}  // namespace fstore
