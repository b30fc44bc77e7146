// ParallelFor: runs the tasks of a batch computation on a few threads, for
// the batch reads (historical retrieval, export) that split their work into
// independent parts. Results never depend on the number of threads or on
// which thread ran which task: tasks write only to their own outputs.
#ifndef FSTORE_FEATURESTORE_PARALLEL_FOR_H_
#define FSTORE_FEATURESTORE_PARALLEL_FOR_H_

#include <cstddef>
#include <functional>

namespace fstore {

// The threads a batch read uses when its caller leaves the choice (0):
// std::thread::hardware_concurrency(), at least 1 and at most 8; and 1 when
// `work` (rows, events: a rough count of items) is below a few thousand,
// where starting threads would cost more than it saves. A positive
// `requested` is returned as it is.
int BatchThreads(int requested, size_t work);

// Calls `fn(task, thread)` once for every task in [0, tasks), on `threads`
// threads (the calling thread and threads - 1 started here, all joined
// before returning), which take the next task as they become free. `thread`
// in [0, threads) names the thread, for per-thread scratch state.
//
// `caller_first`, when set, runs on the calling thread before it takes
// tasks, while the other threads already work on them: for work that must
// stay on the calling thread (handing output to a caller's sink) overlapped
// with the tasks.
void ParallelFor(int threads, size_t tasks, const std::function<void(size_t, int)>& fn,
                 const std::function<void()>& caller_first = nullptr);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_PARALLEL_FOR_H_
