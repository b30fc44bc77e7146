// PeriodicTask: runs a function on its own thread every `interval` (the
// first run one interval after construction) until destroyed. Destruction
// wakes the thread at once and waits for a run in progress to finish.
// Runs never overlap; a run longer than the interval delays the next.
#ifndef FSTORE_SERVER_PERIODIC_TASK_H_
#define FSTORE_SERVER_PERIODIC_TASK_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fstore {

class PeriodicTask {
 public:
  // `interval` must be positive.
  PeriodicTask(absl::Duration interval, std::function<void()> task);
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask();

 private:
  void Run();

  const absl::Duration interval_;
  const std::function<void()> task_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace fstore

#endif  // FSTORE_SERVER_PERIODIC_TASK_H_
