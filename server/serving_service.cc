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
#include "common/time_util.h"
#include "featurestore/active_entities.h"
#include "registry/feature_binding.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "serving/batch_scorer.h"

namespace fstore {
namespace {

// Threads running BatchScore and ListScores calls.
constexpr int kLongCallThreads = 4;

Explain FromProto(v1::Explain explain) {
  switch (explain) {
    case v1::EXPLAIN_FAST:
      return Explain::kFast;
    case v1::EXPLAIN_EXACT:
      return Explain::kExact;
    default:
      return Explain::kNone;
  }
}

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
  explicit ScoreStreamReactor(ServingService* service) : service_(service) { StartRead(&request_); }

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
  ListScoresReactor(const ScoreTable* scores, const v1::ListScoresRequest* request)
      : scores_(scores), request_(request) {}

  void Run() {
    constexpr int kPerMessage = 1000;
    ScoreTable::Filter filter;
    filter.model = request_->model();
    filter.batch_id = request_->batch_id();
    filter.limit = request_->limit();
    v1::ListScoresResponse* page = &pages_[0];
    absl::Status status = scores_->Scan(filter, [&](const ScoreRecord& r) {
      v1::ScoreRecord* out = page->add_records();
      out->mutable_entity()->mutable_values()->insert(r.entity.begin(), r.entity.end());
      out->set_fraud_score(r.fraud_score);
      out->set_risk_bucket(r.risk_bucket);
      out->set_model(r.model);
      out->set_model_version(r.model_version);
      out->set_scored_at_us(r.scored_at);
      out->set_batch_id(r.batch_id);
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

  const ScoreTable* const scores_;
  const v1::ListScoresRequest* const request_;  // gRPC's, valid until OnDone
  v1::ListScoresResponse pages_[2];
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
};

ServingService::ServingService(const Scorer* scorer, const FeatureStore* store, const Database* db,
                               ScoreTable* scores, ServingLog* log)
    : scorer_(scorer),
      store_(store),
      db_(db),
      scores_(scores),
      log_(log),
      long_calls_(std::make_unique<LongCallThreads>(kLongCallThreads)) {}

ServingService::~ServingService() = default;

absl::Status ServingService::ScoreOne(const v1::ScoreRequest& request,
                                      v1::ScoreResponse* response) {
  ScoreRequest score;
  score.model_ref = request.model_ref();
  score.entity = FromProto(request.entity());
  for (const auto& [name, value] : request.request_fields()) {
    score.request_fields.emplace(name, FromProto(value));
  }
  score.explain = FromProto(request.explain());
  score.at = request.at_us();
  absl::StatusOr<ScoreResult> result = scorer_->Score(score);
  if (!result.ok()) return result.status();
  response->set_score(result->score);
  response->set_risk_bucket(result->risk_bucket);
  response->set_model(result->model);
  response->set_model_version(result->version);
  for (const FeatureContribution& c : result->contributions) {
    v1::Contribution* out = response->add_contributions();
    out->set_feature(c.feature);
    ToProto(c.value, out->mutable_value());
    out->set_contribution(c.contribution);
  }
  for (const std::string& f : result->missing_features) response->add_missing_features(f);
  response->set_bias(result->bias);
  // Ids unique within this process run: its start time and a counter.
  static const std::string kRun = absl::StrCat(NowUs(), "-");
  response->set_request_id(request.request_id().empty()
                               ? absl::StrCat(kRun, next_request_.fetch_add(1))
                               : request.request_id());
  log_->Append(ServedRequest{response->request_id(), result->at, result->model, result->version,
                             std::move(score.entity), std::move(result->inputs), result->score});
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
    grpc::CallbackServerContext*) {
  return new ScoreStreamReactor(this);
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
    reactor->Finish(ToGrpcStatus(RunBatch(*request, response)));
  });
  return reactor;
}

absl::Status ServingService::RunBatch(const v1::BatchScoreRequest& request,
                                      v1::BatchScoreResponse* response) {
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request.model_ref());
  if (!version.ok()) return version.status();
  BatchScoreSpec spec;
  // Pinned: a promotion during the run does not mix versions in one batch.
  spec.version = *std::move(version);
  spec.at = NowUs();
  for (const auto& [name, value] : request.request_fields()) {
    spec.request_fields.emplace(name, FromProto(value));
  }
  for (const v1::EntityKey& key : request.entities()) spec.entities.push_back(FromProto(key));
  if (request.lookback_us() > 0) {
    if (!spec.entities.empty()) {
      return absl::InvalidArgumentError(
          "give either a lookback window or a list of entities, not both");
    }
    const Definitions definitions = store_->GetDefinitions();
    absl::StatusOr<std::vector<std::string>> keys = JoinKeysOf(spec.version.binding, definitions);
    if (!keys.ok()) return keys.status();
    absl::StatusOr<std::vector<std::map<std::string, std::string>>> active =
        ActiveEntities(*db_, definitions, *keys, spec.at - request.lookback_us(), spec.at);
    if (!active.ok()) return active.status();
    spec.entities = *std::move(active);
  } else if (spec.entities.empty()) {
    return absl::InvalidArgumentError(
        "batch scoring needs a lookback window (lookback_us > 0) or a list of entities");
  }
  spec.on_scored = [this](const ScoreRequest& scored, const ScoreResult& result,
                          const std::string& batch_id) {
    std::string id = batch_id;
    for (const auto& [key, value] : scored.entity) absl::StrAppend(&id, "/", value);
    log_->Append(ServedRequest{std::move(id), result.at, result.model, result.version,
                               scored.entity, result.inputs, result.score});
  };
  absl::StatusOr<BatchScoreSummary> summary = RunBatchScore(*scorer_, scores_, spec);
  if (!summary.ok()) return summary.status();
  response->set_scored(summary->scored);
  response->set_model(summary->model);
  response->set_model_version(summary->model_version);
  response->set_scored_at_us(summary->scored_at);
  response->set_batch_id(summary->batch_id);
  response->mutable_buckets()->insert(summary->buckets.begin(), summary->buckets.end());
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::ListScoresResponse>* ServingService::ListScores(
    grpc::CallbackServerContext*, const v1::ListScoresRequest* request) {
  auto* reactor = new ListScoresReactor(scores_, request);
  long_calls_->Run([reactor] { reactor->Run(); });
  return reactor;
}

}  // namespace fstore
