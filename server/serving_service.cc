#include "server/serving_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "featurestore/active_entities.h"
#include "registry/batch_scorer.h"
#include "registry/feature_binding.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"

namespace fstore {
namespace {

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

grpc::Status ServingService::Score(grpc::ServerContext*, const v1::ScoreRequest* request,
                                   v1::ScoreResponse* response) {
  return ToGrpcStatus(ScoreOne(*request, response));
}

grpc::Status ServingService::ScoreStream(
    grpc::ServerContext*, grpc::ServerReaderWriter<v1::ScoreResponse, v1::ScoreRequest>* stream) {
  v1::ScoreRequest request;
  v1::ScoreResponse response;
  for (int64_t n = 1; stream->Read(&request); ++n) {
    response.Clear();
    absl::Status status = ScoreOne(request, &response);
    if (!status.ok()) {
      return ToGrpcStatus(absl::Status(
          status.code(), absl::StrCat("request ", n, " of the stream: ", status.message())));
    }
    if (!stream->Write(response)) break;  // the client went away
  }
  return grpc::Status::OK;
}

grpc::Status ServingService::BatchScore(grpc::ServerContext*, const v1::BatchScoreRequest* request,
                                        v1::BatchScoreResponse* response) {
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request->model_ref());
  if (!version.ok()) return ToGrpcStatus(version.status());
  BatchScoreSpec spec;
  // Pinned: a promotion during the run does not mix versions in one batch.
  spec.model_ref = absl::StrCat(version->model, ":", version->version);
  spec.at = NowUs();
  for (const auto& [name, value] : request->request_fields()) {
    spec.request_fields.emplace(name, FromProto(value));
  }
  for (const v1::EntityKey& key : request->entities()) spec.entities.push_back(FromProto(key));
  if (request->lookback_us() > 0) {
    if (!spec.entities.empty()) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          "give either a lookback window or a list of entities, not both"));
    }
    const Definitions definitions = store_->GetDefinitions();
    absl::StatusOr<std::vector<std::string>> keys = JoinKeysOf(version->binding, definitions);
    if (!keys.ok()) return ToGrpcStatus(keys.status());
    absl::StatusOr<std::vector<std::map<std::string, std::string>>> active =
        ActiveEntities(*db_, definitions, *keys, spec.at - request->lookback_us(), spec.at);
    if (!active.ok()) return ToGrpcStatus(active.status());
    spec.entities = *std::move(active);
  } else if (spec.entities.empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "batch scoring needs a lookback window (lookback_us > 0) or a list of entities"));
  }
  spec.on_scored = [this](const ScoreRequest& scored, const ScoreResult& result,
                          const std::string& batch_id) {
    std::string id = batch_id;
    for (const auto& [key, value] : scored.entity) absl::StrAppend(&id, "/", value);
    log_->Append(ServedRequest{std::move(id),
                               result.at, result.model, result.version, scored.entity,
                               result.inputs, result.score});
  };
  absl::StatusOr<BatchScoreSummary> summary = RunBatchScore(*scorer_, scores_, spec);
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  response->set_scored(summary->scored);
  response->set_model(summary->model);
  response->set_model_version(summary->model_version);
  response->set_scored_at_us(summary->scored_at);
  response->set_batch_id(summary->batch_id);
  response->mutable_buckets()->insert(summary->buckets.begin(), summary->buckets.end());
  return grpc::Status::OK;
}

grpc::Status ServingService::ListScores(grpc::ServerContext* context,
                                        const v1::ListScoresRequest* request,
                                        grpc::ServerWriter<v1::ListScoresResponse>* writer) {
  constexpr int kPerMessage = 1000;
  ScoreTable::Filter filter;
  filter.model = request->model();
  filter.batch_id = request->batch_id();
  filter.limit = request->limit();
  v1::ListScoresResponse page;
  absl::Status status = scores_->Scan(filter, [&](const ScoreRecord& r) {
    v1::ScoreRecord* out = page.add_records();
    out->mutable_entity()->mutable_values()->insert(r.entity.begin(), r.entity.end());
    out->set_fraud_score(r.fraud_score);
    out->set_risk_bucket(r.risk_bucket);
    out->set_model(r.model);
    out->set_model_version(r.model_version);
    out->set_scored_at_us(r.scored_at);
    out->set_batch_id(r.batch_id);
    if (page.records_size() >= kPerMessage) {
      if (context->IsCancelled() || !writer->Write(page)) {
        return absl::CancelledError("the client went away");
      }
      page.Clear();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return ToGrpcStatus(status);
  if (page.records_size() > 0) writer->Write(page);
  return grpc::Status::OK;
}

}  // namespace fstore
