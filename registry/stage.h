// Stage: where a model version is in its life (docs/design.md §4).
// None -> Staging -> Production -> Archived; any transition is allowed except
// from a deleted version.
#ifndef FSTORE_REGISTRY_STAGE_H_
#define FSTORE_REGISTRY_STAGE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fstore {

enum class Stage { kNone, kStaging, kProduction, kArchived };

// "None", "Staging", "Production", "Archived".
absl::string_view StageName(Stage stage);

// Parses a stage name, case-insensitively ("production", "Production").
// Fails with InvalidArgument naming the text and the valid stages.
absl::StatusOr<Stage> ParseStage(absl::string_view text);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_STAGE_H_
