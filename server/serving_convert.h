// Conversions between the Serving and Monitoring wire types (fstore.v1
// serving.proto, monitoring.proto) and the serving core's types
// (serving/serving_core.h). Pure functions, tested without a network.
#ifndef FSTORE_SERVER_SERVING_CONVERT_H_
#define FSTORE_SERVER_SERVING_CONVERT_H_

#include <cstdint>

#include "fstore/v1/monitoring.pb.h"
#include "fstore/v1/serving.pb.h"
#include "serving/serving_core.h"

namespace fstore {

Explain FromProto(v1::Explain explain);
// The request id travels apart: ServingCore::Score takes it.
ScoreRequest FromProto(const v1::ScoreRequest& request);
void ToProto(const ServedScore& served, v1::ScoreResponse* out);

BatchScoreRequest FromProto(const v1::BatchScoreRequest& request);
void ToProto(const BatchScoreSummary& summary, v1::BatchScoreResponse* out);
ScoreTable::Filter FromProto(const v1::ListScoresRequest& request);
void ToProto(const ScoreRecord& record, v1::ScoreRecord* out);

void ToProto(const FeatureDrift& drift, v1::FeatureDrift* out);
void ToProto(const VersionDrift& drift, v1::GetDriftResponse* out);
void ToProto(const LiveMetrics& metrics, v1::LiveMetrics* out);

// The label at `index` (1-based, over the whole stream) of a Feedback call;
// its row is the label's own when set, else `index`.
FeedbackLabel FromProto(const v1::FeedbackLabel& label, int64_t index);
// The options the first message of a Feedback stream carries.
FeedbackStore::RecordOptions RecordOptionsFromProto(const v1::FeedbackRequest& first);
void ToProto(const FeedbackResult& result, v1::FeedbackResponse* out);

void ToProto(const LabelledExportHeader& header, v1::LabelledHeader* out);
void ToProto(const LabelledRequest& labelled, v1::LabelledRow* out);

}  // namespace fstore

#endif  // FSTORE_SERVER_SERVING_CONVERT_H_
