// Sha256: incremental SHA-256 (OpenSSL's EVP) with a lower-case hex digest;
// used for content hashes, dataset fingerprints and artifact addresses.
#ifndef FSTORE_STORAGE_SHA256_H_
#define FSTORE_STORAGE_SHA256_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace fstore {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // The 64-hex-digit digest of everything updated so far; ends the hash.
  std::string HexDigest();

  // One-shot convenience.
  static std::string Hex(absl::string_view data);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace fstore

#endif  // FSTORE_STORAGE_SHA256_H_
