// Conversions between wire types (fstore.v1 protos) and library types. The
// only place that knows both; pure functions, tested without a network.
#ifndef FSTORE_SERVER_PROTO_CONVERT_H_
#define FSTORE_SERVER_PROTO_CONVERT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "featurestore/definitions.h"
#include "featurestore/feature_store.h"
#include "featurestore/source_quality.h"
#include "featurestore/value.h"
#include "fstore/v1/common.pb.h"
#include "fstore/v1/feature_store.pb.h"

namespace fstore {

void ToProto(const Value& value, v1::Value* out);
Value FromProto(const v1::Value& value);

v1::ColumnType ToProto(ColumnType type);
v1::AggregateFunction ToProto(AggregateFunction function);
void ToProto(const Definitions& definitions, v1::Definitions* out);
// The objects of `selected`, with each source's entity columns (the join
// keys of the views that read it) taken from `all`, which may hold views
// `selected` does not.
void ToProto(const Definitions& selected, const Definitions& all, v1::Definitions* out);

void ToProto(const DefinitionChange& change, v1::DefinitionChange* out);
void ToProto(const ApplyRecord& record, v1::ApplyRecord* out);
void ToProto(const Rejection& rejection, v1::Rejection* out);
void ToProto(const IngestSummary& summary, v1::IngestResponse* out);
void ToProto(const DeadLetterPage& page, v1::ListDeadLettersResponse* out);
// Nulls are named by `columns` (parallel to counts.nulls).
void ToProto(const QualityCounts& counts, const std::vector<std::string>& columns,
             v1::SourceQualityCounts* out);
void ToProto(const SourceQualityReport& report, v1::GetSourceQualityResponse* out);
void ToProto(const OnlineFeatures& features, v1::GetOnlineFeaturesResponse* out);
void ToProto(const Snapshot& snapshot, v1::Snapshot* out);

// InvalidArgument when no target is set.
absl::StatusOr<FeatureSelector> FromProto(const v1::FeatureSelector& selector);
std::map<std::string, std::string> FromProto(const v1::EntityKey& key);

}  // namespace fstore

#endif  // FSTORE_SERVER_PROTO_CONVERT_H_
