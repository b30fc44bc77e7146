#include "registry/stage.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"

namespace fstore {

absl::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kNone:
      return "None";
    case Stage::kStaging:
      return "Staging";
    case Stage::kProduction:
      return "Production";
    case Stage::kArchived:
      return "Archived";
  }
  return "None";
}

absl::StatusOr<Stage> ParseStage(absl::string_view text) {
  for (Stage s : {Stage::kNone, Stage::kStaging, Stage::kProduction, Stage::kArchived}) {
    if (absl::EqualsIgnoreCase(text, StageName(s))) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown stage ", QuotedValue(text),
                   ": expected one of None, Staging, Production, Archived"));
}

}  // namespace fstore
