#include "server/serving_service.h"

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/grpc_status.h"
#include "server/serving_convert.h"

namespace fstore {
namespace {

// Threads running BatchScore and ListScores calls.
constexpr int kLongCallThreads = 4;

}  // namespace

// A fixed set of threads running queued calls in arrival order. The
// destructor runs what is still queued, then joins.
class ServingService::LongCallThreads {
 public:
  explicit LongCallThreads(int threads) {
    for (int i = 0; i < std::max(threads, 1); ++i) {
      threads_.emplace_back([this] { Loop(); });
      pthread_setname_np(threads_.back().native_handle(), "fsd-serving");
    }
  }

  ~LongCallThreads() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

  void Run(std::function<void()> call) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(call));
  }

 private:
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); }

  void Loop() {
    for (;;) {
      std::function<void()> call;
      {
        absl::MutexLock lock(&mu_, absl::Condition(this, &LongCallThreads::HasWork));
        if (queue_.empty()) return;  // stopping, nothing left
        call = std::move(queue_.front());
        queue_.pop_front();
      }
      call();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // constant after construction
};

// One ScoreStream call: read a request, score it, write its response, read
// the next; one operation in flight at a time, so responses keep the
// requests' order. Deletes itself when gRPC is done with the call.
class ServingService::ScoreStreamReactor final
    : public grpc::ServerBidiReactor<v1::ScoreRequest, v1::ScoreResponse> {
 public:
  // Refuses the stream at once when `slot` is an error (too many streams).
  ScoreStreamReactor(ServingService* service, absl::StatusOr<AccessControl::StreamSlot> slot)
      : service_(service) {
    if (!slot.ok()) {
      Finish(ToGrpcStatus(slot.status()));
      return;
    }
    slot_ = *std::move(slot);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending, or went away
      Finish(grpc::Status::OK);
      return;
    }
    ++received_;
    response_.Clear();
    absl::Status status = service_->ScoreOne(request_, &response_);
    if (!status.ok()) {
      Finish(ToGrpcStatus(
          absl::Status(status.code(),
                       absl::StrCat("request ", received_, " of the stream: ", status.message()))));
      return;
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // the client went away
      Finish(grpc::Status::OK);
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  ServingService* const service_;
  AccessControl::StreamSlot slot_;
  v1::ScoreRequest request_;
  v1::ScoreResponse response_;
  int64_t received_ = 0;
};

// One ListScores call, run by Run() on a long-call thread: the scan fills a
// page while the previous one is being sent, and waits for that send before
// starting the next, so a slow reader holds back the scan (and one of the
// service's threads), never gRPC's threads, and at most two pages are in
// memory. Deletes itself when gRPC is done with the call.
class ServingService::ListScoresReactor final
    : public grpc::ServerWriteReactor<v1::ListScoresResponse> {
 public:
  ListScoresReactor(const ServingCore* core, const v1::ListScoresRequest* request,
                    AccessControl::StreamSlot slot)
      : core_(core), request_(request), slot_(std::move(slot)) {}

  void Run() {
    constexpr int kPerMessage = 1000;
    v1::ListScoresResponse* page = &pages_[0];
    absl::Status status = core_->ListScores(FromProto(*request_), [&](const ScoreRecord& r) {
      ToProto(r, page->add_records());
      if (page->records_size() >= kPerMessage) {
        if (!AwaitLastWrite()) return absl::CancelledError("the client went away");
        StartWrite(page);
        // The other page's send has completed: it is free to refill.
        page = page == &pages_[0] ? &pages_[1] : &pages_[0];
        page->Clear();
      }
      return absl::OkStatus();
    });
    // The last page goes with the status. Nothing may touch this object
    // after that: OnDone deletes it once gRPC is done with the call.
    const bool connected = AwaitLastWrite();
    if (status.ok() && connected && page->records_size() > 0) {
      StartWriteAndFinish(page, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      Finish(ToGrpcStatus(status));
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) gone_ = true;
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    gone_ = true;
  }

  void OnDone() override { delete this; }

 private:
  bool WriteIdle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; }

  // Waits until the page in flight (if any) is sent, then marks the next
  // write as started. False when the client went away (cancelled, or a
  // write failed): nothing more should be sent.
  bool AwaitLastWrite() {
    absl::MutexLock lock(&mu_, absl::Condition(this, &ListScoresReactor::WriteIdle));
    if (gone_) return false;
    writing_ = true;
    return true;
  }

  const ServingCore* const core_;
  const v1::ListScoresRequest* const request_;  // gRPC's, valid until OnDone
  const AccessControl::StreamSlot slot_;
  v1::ListScoresResponse pages_[2];
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
};

ServingService::ServingService(ServingCore* core, AccessControl* access)
    : core_(core),
      access_(access),
      long_calls_(std::make_unique<LongCallThreads>(kLongCallThreads)) {}

ServingService::~ServingService() = default;

absl::Status ServingService::ScoreOne(const v1::ScoreRequest& request,
                                      v1::ScoreResponse* response) {
  absl::StatusOr<ServedScore> served = core_->Score(FromProto(request), request.request_id());
  if (!served.ok()) return served.status();
  ToProto(*served, response);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* ServingService::Score(grpc::CallbackServerContext* context,
                                                const v1::ScoreRequest* request,
                                                v1::ScoreResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(ScoreOne(*request, response)));
  return reactor;
}

grpc::ServerBidiReactor<v1::ScoreRequest, v1::ScoreResponse>* ServingService::ScoreStream(
    grpc::CallbackServerContext* context) {
  return new ScoreStreamReactor(this,
                                access_->AcquireStream(*context, "/fstore.v1.Serving/ScoreStream"));
}

grpc::ServerUnaryReactor* ServingService::BatchScore(grpc::CallbackServerContext* context,
                                                     const v1::BatchScoreRequest* request,
                                                     v1::BatchScoreResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The context, request and response stay valid until the call is finished.
  long_calls_->Run([this, context, request, response, reactor] {
    if (context->IsCancelled()) {  // the caller gave up while the call waited
      reactor->Finish(
          ToGrpcStatus(absl::CancelledError("the client went away before the batch started")));
      return;
    }
    absl::StatusOr<BatchScoreSummary> summary = core_->BatchScore(FromProto(*request));
    if (summary.ok()) ToProto(*summary, response);
    reactor->Finish(ToGrpcStatus(summary.status()));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::ListScoresResponse>* ServingService::ListScores(
    grpc::CallbackServerContext* context, const v1::ListScoresRequest* request) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.Serving/ListScores");
  if (!slot.ok()) {
    auto* refused = new ListScoresReactor(core_, request, AccessControl::StreamSlot());
    refused->Finish(ToGrpcStatus(slot.status()));
    return refused;
  }
  auto* reactor = new ListScoresReactor(core_, request, *std::move(slot));
  long_calls_->Run([reactor] { reactor->Run(); });
  return reactor;
}

}  // namespace fstore
