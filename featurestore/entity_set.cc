#include "featurestore/entity_set.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/hash/hash.h"

namespace fstore {

uint64_t EntitySet::Hash(absl::string_view key) { return absl::Hash<absl::string_view>{}(key); }

EntitySet::Probe EntitySet::MakeProbe(absl::string_view key, uint64_t hash) {
  Probe probe{key, hash};
  std::memcpy(probe.head, key.data(), std::min(key.size(), sizeof(probe.head)));
  return probe;
}

bool EntitySet::Matches(const Slot& slot, const Probe& probe) const {
  if (slot.hash != probe.hash || slot.size != probe.key.size() ||
      std::memcmp(slot.head, probe.head, sizeof(slot.head)) != 0) {
    return false;
  }
  return probe.key.size() <= sizeof(slot.head) || key(slot.id) == probe.key;
}

uint32_t EntitySet::Find(absl::string_view key, uint64_t hash) const {
  if (slots_.empty()) return kAbsent;
  const Probe probe = MakeProbe(key, hash);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(hash);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id == kAbsent) return kAbsent;
    if (Matches(slot, probe)) return slot.id;
  }
}

uint32_t EntitySet::Add(absl::string_view key, uint64_t hash, TimestampUs at) {
  if (4 * (size() + 1) > slots_.size()) Grow();
  const Probe probe = MakeProbe(key, hash);
  const size_t mask = slots_.size() - 1;
  size_t i = Home(hash);
  for (; slots_[i].id != kAbsent; i = (i + 1) & mask) {
    if (Matches(slots_[i], probe)) {
      const uint32_t id = slots_[i].id;
      earliest_[id] = std::min(earliest_[id], at);
      latest_[id] = std::max(latest_[id], at);
      return id;
    }
  }
  const uint32_t id = static_cast<uint32_t>(size());
  Slot& slot = slots_[i];
  slot.hash = hash;
  slot.id = id;
  slot.size = static_cast<uint32_t>(key.size());
  std::memcpy(slot.head, probe.head, sizeof(slot.head));
  keys_.append(key.data(), key.size());
  key_begin_.push_back(keys_.size());
  earliest_.push_back(at);
  latest_.push_back(at);
  return id;
}

void EntitySet::Grow() {
  std::vector<Slot> old = std::move(slots_);
  const size_t capacity = std::max<size_t>(64, 2 * old.size());
  shift_ = 64 - std::countr_zero(capacity);
  slots_.assign(capacity, Slot());
  const size_t mask = capacity - 1;
  for (const Slot& slot : old) {
    if (slot.id == kAbsent) continue;
    size_t i = Home(slot.hash);
    while (slots_[i].id != kAbsent) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace fstore
