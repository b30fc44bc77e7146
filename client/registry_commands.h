// fsctl's registry verbs: register, models create|update|list|show|history|delete,
// promote, alias set|delete, artifact get. Each returns the status the
// command ends with; output goes to the invocation's streams (tables, or one
// JSON document with --output=json).
#ifndef FSTORE_CLIENT_REGISTRY_COMMANDS_H_
#define FSTORE_CLIENT_REGISTRY_COMMANDS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/invocation.h"
#include "fstore/v1/registry.pb.h"

namespace fstore::cli {

absl::Status RegisterCommand(Invocation& inv);
absl::Status ModelsCreateCommand(Invocation& inv);
// models update NAME --gate ... --description ...: at least one of them
// (usage error otherwise); the --gate flags together replace the model's
// whole gate (--gate none removes it).
absl::Status ModelsUpdateCommand(Invocation& inv);
absl::Status ModelsListCommand(Invocation& inv);
absl::Status ModelsShowCommand(Invocation& inv);
absl::Status ModelsHistoryCommand(Invocation& inv);
absl::Status ModelsDeleteCommand(Invocation& inv);
absl::Status PromoteCommand(Invocation& inv);
absl::Status AliasSetCommand(Invocation& inv);
absl::Status AliasDeleteCommand(Invocation& inv);
absl::Status ArtifactGetCommand(Invocation& inv);

// A bound on a metric: METRIC>=VALUE, or METRIC<=VALUE (at_most).
struct MetricBound {
  std::string metric;
  double value = 0;
  bool at_most = false;
};
// "auc>=0.9" -> {"auc", 0.9, false}; "logloss<=0.3" -> {"logloss", 0.3,
// true}. InvalidArgument naming the text otherwise.
absl::StatusOr<MetricBound> ParseMetricBound(absl::string_view text);
// A model's gate as fsctl prints it: "auc>=0.9, logloss<=0.3", or "none"
// (registry/model_registry.h's GateText).
std::string ModelGateText(const v1::Model& model);
// The --gate flags (each METRIC>=VALUE or METRIC<=VALUE) as a gate's two
// bound maps; a usage error naming the flag's bad value.
absl::Status ParseGateFlags(const std::vector<std::string>& flags,
                            std::map<std::string, double>* min, std::map<std::string, double>* max);
// A metrics file: one flat JSON object of finite numbers, e.g.
// {"auc": 0.93, "pr_auc": 0.41}. InvalidArgument naming the key or the
// parse error otherwise.
absl::StatusOr<std::map<std::string, double>> ParseMetricsJson(absl::string_view text);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_REGISTRY_COMMANDS_H_
