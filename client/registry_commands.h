// fsctl's registry verbs: register, models create|list|show|history|delete,
// promote, alias set|delete, artifact get. Each returns the status the
// command ends with; output goes to the invocation's streams (tables, or one
// JSON document with --output=json).
#ifndef FSTORE_CLIENT_REGISTRY_COMMANDS_H_
#define FSTORE_CLIENT_REGISTRY_COMMANDS_H_

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/invocation.h"

namespace fstore::cli {

absl::Status RegisterCommand(Invocation& inv);
absl::Status ModelsCreateCommand(Invocation& inv);
absl::Status ModelsListCommand(Invocation& inv);
absl::Status ModelsShowCommand(Invocation& inv);
absl::Status ModelsHistoryCommand(Invocation& inv);
absl::Status ModelsDeleteCommand(Invocation& inv);
absl::Status PromoteCommand(Invocation& inv);
absl::Status AliasSetCommand(Invocation& inv);
absl::Status AliasDeleteCommand(Invocation& inv);
absl::Status ArtifactGetCommand(Invocation& inv);

// "auc>=0.9" -> {"auc", 0.9}. InvalidArgument naming the text otherwise.
absl::StatusOr<std::pair<std::string, double>> ParseMetricBound(absl::string_view text);
// A metrics file: one flat JSON object of finite numbers, e.g.
// {"auc": 0.93, "pr_auc": 0.41}. InvalidArgument naming the key or the
// parse error otherwise.
absl::StatusOr<std::map<std::string, double>> ParseMetricsJson(absl::string_view text);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_REGISTRY_COMMANDS_H_
