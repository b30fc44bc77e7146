// EntitySet: the entities a batch read (historical retrieval, export) asks
// about: their keys in EntityKeyOf form, each with a dense id in order of
// first Add, and the earliest and latest time asked about it.
//
// A lookup touches one cache line in the common case, and can be
// prefetched: scans resolve the keys of many events at once (Prefetch the
// next ones, Find the current). Not thread-safe for writers; const methods
// may run concurrently.
#ifndef FSTORE_FEATURESTORE_ENTITY_SET_H_
#define FSTORE_FEATURESTORE_ENTITY_SET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore {

class EntitySet {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  static uint64_t Hash(absl::string_view key);

  // The id of `key` (added when new), its time span widened to hold `at`.
  uint32_t Add(absl::string_view key, TimestampUs at) { return Add(key, Hash(key), at); }
  uint32_t Add(absl::string_view key, uint64_t hash, TimestampUs at);
  // The id of `key` (whose Hash is `hash`), or kAbsent.
  uint32_t Find(absl::string_view key, uint64_t hash) const;
  // Starts loading what Find(key, hash) will read.
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Home(hash)]);
  }

  size_t size() const { return earliest_.size(); }
  // Valid until the next Add.
  absl::string_view key(uint32_t id) const {
    return absl::string_view(keys_.data() + key_begin_[id], key_begin_[id + 1] - key_begin_[id]);
  }
  TimestampUs earliest(uint32_t id) const { return earliest_[id]; }
  TimestampUs latest(uint32_t id) const { return latest_[id]; }

 private:
  // Open addressing with linear probing; at most a quarter full. Keys of up
  // to 16 bytes are compared in the slot itself.
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kAbsent;
    uint32_t size = 0;
    char head[16] = {};  // the key's first bytes
  };
  // A key as a lookup compares it: its first bytes zero-padded, so that a
  // short key compares as two words.
  struct Probe {
    absl::string_view key;
    uint64_t hash;
    char head[16] = {};
  };
  static Probe MakeProbe(absl::string_view key, uint64_t hash);
  size_t Home(uint64_t hash) const { return (hash * 0x9E3779B97F4A7C15ull) >> shift_; }
  bool Matches(const Slot& slot, const Probe& probe) const;
  void Grow();

  std::vector<Slot> slots_;
  int shift_ = 64;
  std::string keys_;                     // all keys, by id
  std::vector<size_t> key_begin_ = {0};  // per id, then the end
  std::vector<TimestampUs> earliest_;
  std::vector<TimestampUs> latest_;
};

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ENTITY_SET_H_
