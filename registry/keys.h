// Keys: the layout of every key the model registry writes, in one place.
//
//   kModels         name                               -> model record
//   kModelVersions  component(model) ordered(version)  -> version record
//   kArtifacts      sha256 hex                         -> artifact bytes
//   kAudit          component(model) ordered(sequence) -> transition record
//
// component() and ordered() are storage/record_codec.h's, so a model's
// versions and audit records sort by number after ModelPrefix(model).
// Plain functions, thread-compatible; decoders return false when malformed.
#ifndef FSTORE_REGISTRY_KEYS_H_
#define FSTORE_REGISTRY_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace fstore::registry_keys {

// The prefix of every kModelVersions and kAudit key of `model`.
std::string ModelPrefix(absl::string_view model);
std::string Version(absl::string_view model, int64_t version);
bool DecodeVersion(absl::string_view key, absl::string_view* model, int64_t* version);
std::string Audit(absl::string_view model, int64_t sequence);

}  // namespace fstore::registry_keys

#endif  // FSTORE_REGISTRY_KEYS_H_
