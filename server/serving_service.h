// ServingService: the fstore.v1.Serving gRPC service over the serving core
// (serving/serving_core.h), on gRPC's callback API; translation only
// (server/serving_convert.h). Score and ScoreStream translate each request,
// make one ServingCore::Score call (which scores, assigns the request id and
// logs) and translate the result. ScoreStream answers every request in order
// on one stream; a request that fails is answered by ending the stream with
// its status, naming the request's position. BatchScore is one
// ServingCore::BatchScore call; ListScores streams the scores table in
// pages.
//
// Threads: Score and each ScoreStream request are scored inline on the gRPC
// thread that delivers them (bounded work: tens of microseconds, about a
// millisecond with EXACT explanations). BatchScore and ListScores can run
// for seconds (RocksDB scans and writes, a slow reader), so they run on the
// service's own threads (4 of them), never on gRPC's; calls beyond those
// threads wait their turn in arrival order, and a BatchScore whose caller
// gave up while it waited is not run. A ListScores keeps at most one page in
// flight while it reads the next; a reader that stops reading holds one of
// the 4 threads until it reads, disconnects or reaches its deadline.
//
// Thread-safety: safe for concurrent calls. Destroy it only after the server
// it is registered with has shut down (which waits for its calls to end).
#ifndef FSTORE_SERVER_SERVING_SERVICE_H_
#define FSTORE_SERVER_SERVING_SERVICE_H_

#include <memory>

#include "absl/status/status.h"
#include "fstore/v1/serving.grpc.pb.h"
#include "server/access_control.h"
#include "serving/serving_core.h"

namespace fstore {

class ServingService : public v1::Serving::CallbackService {
 public:
  // `core` and `access` must outlive the service.
  ServingService(ServingCore* core, AccessControl* access);
  // Waits for the long-call threads to finish what they hold.
  ~ServingService() override;

  ServingService(const ServingService&) = delete;
  ServingService& operator=(const ServingService&) = delete;

  grpc::ServerUnaryReactor* Score(grpc::CallbackServerContext* context,
                                  const v1::ScoreRequest* request,
                                  v1::ScoreResponse* response) override;
  grpc::ServerBidiReactor<v1::ScoreRequest, v1::ScoreResponse>* ScoreStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* BatchScore(grpc::CallbackServerContext* context,
                                       const v1::BatchScoreRequest* request,
                                       v1::BatchScoreResponse* response) override;
  grpc::ServerWriteReactor<v1::ListScoresResponse>* ListScores(
      grpc::CallbackServerContext* context, const v1::ListScoresRequest* request) override;

 private:
  class LongCallThreads;
  class ScoreStreamReactor;
  class ListScoresReactor;

  // Scores one wire request into `response` (and logs it).
  absl::Status ScoreOne(const v1::ScoreRequest& request, v1::ScoreResponse* response);

  ServingCore* const core_;
  AccessControl* const access_;
  const std::unique_ptr<LongCallThreads> long_calls_;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_SERVING_SERVICE_H_
