// ModelRef: how every caller names a model version.
//
//   "fraud@Production"  the version now in a stage (case-insensitive stage)
//   "fraud@champion"    the version an alias points at
//   "fraud:3"           an exact version
//
// A name after '@' that is a stage name is a stage, otherwise an alias; so
// aliases may not be named like stages. Parsing is pure; resolving a ref to a
// version is the registry's job.
#ifndef FSTORE_REGISTRY_MODEL_REF_H_
#define FSTORE_REGISTRY_MODEL_REF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "registry/stage.h"

namespace fstore {

struct ModelRef {
  enum class Kind { kStage, kAlias, kVersion };

  std::string model;
  Kind kind = Kind::kVersion;
  Stage stage = Stage::kNone;  // kind == kStage
  std::string alias;           // kind == kAlias
  int64_t version = 0;         // kind == kVersion

  // Back to text: "fraud@Production", "fraud@champion", "fraud:3".
  std::string ToString() const;
};

// Fails with InvalidArgument naming the text and the three accepted forms.
absl::StatusOr<ModelRef> ParseModelRef(absl::string_view text);

// Names of models and aliases: [A-Za-z0-9_.-]{1,128}, starting with a letter
// or digit. `what` names the thing in the error ("model name").
absl::Status ValidateRegistryName(absl::string_view name, absl::string_view what);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_MODEL_REF_H_
