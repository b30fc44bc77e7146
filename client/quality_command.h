// fsctl quality SOURCE [--window 24h] [--bucket 1h]: a source's data quality
// by ingest time (FeatureStore.GetSourceQuality): per bucket the rows
// accepted, rejected (per rule) and duplicate, then per column the null rate
// among accepted rows over the window and in its worst bucket.
//
// QualityCommand returns InvalidArgument naming a bad --window or --bucket
// before calling the server, and the server's error otherwise; output goes
// to the invocation's streams. The renderers are pure, for tests.
#ifndef FSTORE_CLIENT_QUALITY_COMMAND_H_
#define FSTORE_CLIENT_QUALITY_COMMAND_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/invocation.h"
#include "fstore/v1/feature_store.pb.h"

namespace fstore::cli {

absl::Status QualityCommand(Invocation& inv);

// The table form: a line naming the window, the non-empty buckets and a
// TOTAL row, then one row per column with its nulls, null rate and worst
// bucket.
void PrintQualityTable(const v1::GetSourceQualityResponse& response, std::ostream& os);
// The --output=json document (without a trailing newline).
std::string QualityJson(const v1::GetSourceQualityResponse& response);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_QUALITY_COMMAND_H_
