#include "registry/keys.h"

#include "storage/record_codec.h"

namespace fstore::registry_keys {

std::string ModelPrefix(absl::string_view model) {
  std::string prefix;
  codec::PutComponent(&prefix, model);
  return prefix;
}

std::string Version(absl::string_view model, int64_t version) {
  std::string key = ModelPrefix(model);
  codec::PutOrderedInt64(&key, version);
  return key;
}

bool DecodeVersion(absl::string_view key, absl::string_view* model, int64_t* version) {
  return codec::GetComponent(&key, model) && codec::GetOrderedInt64(&key, version) && key.empty();
}

std::string Audit(absl::string_view model, int64_t sequence) {
  std::string key = ModelPrefix(model);
  codec::PutOrderedInt64(&key, sequence);
  return key;
}

}  // namespace fstore::registry_keys
