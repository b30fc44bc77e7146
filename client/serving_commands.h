// fsctl's serving verbs: score, batch-score, scores list|export.
// Each returns the status the command ends with; output goes to the
// invocation's streams (tables, or one JSON document with --output=json).
#ifndef FSTORE_CLIENT_SERVING_COMMANDS_H_
#define FSTORE_CLIENT_SERVING_COMMANDS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/invocation.h"
#include "fstore/v1/common.pb.h"

namespace fstore::cli {

absl::Status ScoreCommand(Invocation& inv);
absl::Status BatchScoreCommand(Invocation& inv);
absl::Status ScoresListCommand(Invocation& inv);
absl::Status ScoresExportCommand(Invocation& inv);

// A typed value from what a person types: true/false, an integer, a number,
// else the text itself.
v1::Value ParseFieldValue(absl::string_view text);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_SERVING_COMMANDS_H_
