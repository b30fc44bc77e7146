// fsctl's feedback verbs (issue 8):
//   feedback FILE.csv   labels for served requests: by request_id, or by
//                       entity keys and the event time; prints what was
//                       recorded and each labelled version's live metrics.
//   performance REF     live metrics (AUC, precision and recall at the high
//                       risk bucket) over a version's labelled traffic.
// Output: a table, or one JSON document with --output=json.
#ifndef FSTORE_CLIENT_FEEDBACK_COMMANDS_H_
#define FSTORE_CLIENT_FEEDBACK_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/invocation.h"
#include "fstore/v1/monitoring.pb.h"

namespace fstore::cli {

absl::Status FeedbackCommand(Invocation& inv);
absl::Status PerformanceCommand(Invocation& inv);

// Reads a feedback CSV into request chunks of at most `chunk_labels` labels.
// Columns: `label` (0/1, true/false) and either `request_id`, or
// `timestamp_column` (ISO-8601 or integer microseconds) plus entity join
// keys (every other column; a `model` column narrows the match). Rows are
// numbered from 1 after the header. InvalidArgument naming the file, line,
// column and value at fault, or when the file holds no labels.
absl::StatusOr<std::vector<v1::FeedbackRequest>> ReadFeedbackFile(
    const std::string& path, const std::string& timestamp_column, size_t chunk_labels);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_FEEDBACK_COMMANDS_H_
