// ServingService: the fstore.v1.Serving gRPC service over a Scorer. Score
// and ScoreStream translate each request, score it (registry/scorer.h) and
// translate the result; a request id is generated when the caller sends
// none. ScoreStream answers every request in order on one stream; a request
// that fails is answered by ending the stream with its status, naming the
// request's position. BatchScore scores the given entities, or those with
// events in the lookback window (featurestore/active_entities.h), with one
// pinned version into the scores table (registry/batch_scorer.h);
// ListScores streams that table. Safe for concurrent calls.
#ifndef FSTORE_SERVER_SERVING_SERVICE_H_
#define FSTORE_SERVER_SERVING_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "fstore/v1/serving.grpc.pb.h"
#include "featurestore/database.h"
#include "featurestore/feature_store.h"
#include "registry/score_table.h"
#include "registry/scorer.h"
#include "registry/serving_log.h"

namespace fstore {

class ServingService : public v1::Serving::Service {
 public:
  // All must outlive the service.
  // Every scored request (unary, stream, batch) is appended to `log`.
  ServingService(const Scorer* scorer, const FeatureStore* store, const Database* db,
                 ScoreTable* scores, ServingLog* log)
      : scorer_(scorer), store_(store), db_(db), scores_(scores), log_(log) {}

  grpc::Status Score(grpc::ServerContext* context, const v1::ScoreRequest* request,
                     v1::ScoreResponse* response) override;
  grpc::Status ScoreStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ScoreResponse, v1::ScoreRequest>* stream) override;
  grpc::Status BatchScore(grpc::ServerContext* context, const v1::BatchScoreRequest* request,
                          v1::BatchScoreResponse* response) override;
  grpc::Status ListScores(grpc::ServerContext* context, const v1::ListScoresRequest* request,
                          grpc::ServerWriter<v1::ListScoresResponse>* writer) override;

 private:
  // Scores one wire request into `response`.
  absl::Status ScoreOne(const v1::ScoreRequest& request, v1::ScoreResponse* response);

  const Scorer* const scorer_;
  const FeatureStore* const store_;
  const Database* const db_;
  ScoreTable* const scores_;
  ServingLog* const log_;
  std::atomic<uint64_t> next_request_{0};
};

}  // namespace fstore

#endif  // FSTORE_SERVER_SERVING_SERVICE_H_
