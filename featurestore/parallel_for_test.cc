#include "featurestore/parallel_for.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ParallelForTest, RunsEveryTaskOnceOnThreadsNamedFromZero) {
  for (int threads : {1, 2, 3, 8}) {
    for (size_t tasks : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> runs(tasks);
      std::atomic<int> bad_thread{0};
      ParallelFor(threads, tasks, [&](size_t task, int thread) {
        runs[task].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
      });
      for (size_t t = 0; t < tasks; ++t) EXPECT_EQ(runs[t].load(), 1) << t;
      EXPECT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(ParallelForTest, CallerFirstRunsOnTheCallingThreadBeforeItTakesATask) {
  for (int threads : {1, 2, 4}) {
    const std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> first_done{false};
    std::atomic<int> caller_tasks_before_first{0};
    std::thread::id ran_on;
    ParallelFor(
        threads, 100,
        [&](size_t, int thread) {
          if (thread == 0 && !first_done.load()) caller_tasks_before_first.fetch_add(1);
        },
        [&] {
          ran_on = std::this_thread::get_id();
          first_done.store(true);
        });
    EXPECT_EQ(ran_on, caller);
    EXPECT_TRUE(first_done.load());
    EXPECT_EQ(caller_tasks_before_first.load(), 0);
  }
}

TEST(ParallelForTest, BatchThreadsKeepsARequestAndRunsSmallWorkOnOneThread) {
  EXPECT_EQ(BatchThreads(3, 10), 3);
  EXPECT_EQ(BatchThreads(0, 10), 1);
  const int many = BatchThreads(0, 1 << 20);
  EXPECT_GE(many, 1);
  EXPECT_LE(many, 8);
}

}  // namespace
}  // namespace fstore
