// EntityEvents: a feature view's events up to a snapshot, read from the event
// log in one pass and grouped by entity, so that a batch read (historical
// retrieval, export) builds each entity's EntityTimeline once, one entity
// at a time, instead of keeping a timeline per entity alive.
//
// The entities come from an EntitySet (entity_set.h): the keys a batch read
// asks about, each with a dense id and the span of times it is asked
// about. A timeline
// is filled only with the events that can count at one of those times:
// ts < the latest time, and, for a view whose features all look back at
// most `horizon` (the longest window or TTL; CompiledView::horizon >= 0),
// ts >= the earliest time minus the horizon. Leaving the others out changes
// no value (docs/design.md §3: as of T only T - w <= ts < T counts, and a LAST
// older than its TTL is missing without falling back to an older one).
#ifndef FSTORE_FEATURESTORE_ENTITY_EVENTS_H_
#define FSTORE_FEATURESTORE_ENTITY_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/catalog.h"
#include "featurestore/entity_set.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/value.h"
#include "storage/database.h"

namespace fstore {

// One view's events, grouped by entity id. Immutable once collected; const
// methods may run concurrently.
class EntityEvents {
 public:
  // The events of no entity (what a view reads whose source has none).
  EntityEvents() = default;

  // Clears `timeline` (of the view's schema) and inserts the events of
  // `entity` that can count at its times (see the header comment), in
  // (ts, sequence) order. `scratch` and `order` are reused between calls.
  void Fill(uint32_t entity, EntityTimeline* timeline, std::vector<Value>* scratch,
            std::vector<uint32_t>* order) const;

  // Starts loading the events of `entity`, to be filled next: they lie
  // where the scan left them, anywhere in memory.
  void Prefetch(uint32_t entity) const;

  // The events held for `entity` (all of them, not only those Fill keeps).
  size_t event_count(uint32_t entity) const {
    return entity + 1 < begin_.size() ? begin_[entity + 1] - begin_[entity] : 0;
  }

  // The greatest ts < at among all the events held for `entity` (not only
  // those Fill keeps), if any: when the entity was last seen before `at`.
  std::optional<TimestampUs> NewestBefore(uint32_t entity, TimestampUs at) const;

  // The oldest timestamp of any event the scan read (of any entity, kept or
  // not); INT64_MAX when the source had none below the high-water mark.
  TimestampUs oldest_scanned() const { return oldest_scanned_; }

 private:
  friend class EntityEventsBuilder;

  struct Event {
    TimestampUs ts = 0;
    uint64_t seq = 0;
    uint32_t entity = 0;
  };
  // One slot value: as EntityTimeline stores it (int64 / double bits, bool)
  // or, for a string, its offset and size in its part's strings.
  struct Cell {
    uint64_t payload = 0;
    uint32_t size = 0;
    uint8_t tag = 0;  // Value alternative index
  };
  // The events one scanning thread kept, in sequence order.
  struct Part {
    std::vector<Event> events;
    std::vector<Cell> cells;  // slot_count_ per event
    std::string strings;
  };
  // order_ entries: the part in the high bits, the index in the low ones.
  static constexpr int kPartShift = 40;
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kPartShift) - 1;

  const Event& EventAt(uint64_t ref) const {
    return parts_[ref >> kPartShift].events[ref & kIndexMask];
  }

  const EntitySet* entities_ = nullptr;
  DurationUs horizon_ = -1;
  TimestampUs oldest_scanned_ = std::numeric_limits<TimestampUs>::max();
  size_t slot_count_ = 0;
  std::vector<Part> parts_;
  std::vector<size_t> begin_;    // per entity id into order_, then the end
  std::vector<uint64_t> order_;  // the events grouped by entity, each in sequence order
};

// What one view needs from a scan of its source.
struct EntityEventsRequest {
  const CompiledView* view = nullptr;
  // The entities whose events to keep; must outlive the result. With
  // `add_entities`, every entity that has an event (below the high-water
  // mark) is added to it, at time `add_at`, in order of first event; the
  // scan then runs on one thread.
  EntitySet* entities = nullptr;
  bool add_entities = false;
  TimestampUs add_at = 0;
};

// Reads the events of `source` with sequence < `high_water_mark` once, on up
// to `threads` threads, and returns for each request (all views of
// `source`) its view's events of its entities. DataLoss for a malformed
// event record.
//
// `prepare`, when set, runs first on one of the threads while the others
// start scanning (the scan holds their events until it returns): it may
// fill the requests' entity sets, which the scan reads only after it.
absl::StatusOr<std::vector<EntityEvents>> CollectEntityEvents(
    const Database& db, const Source& source, uint64_t high_water_mark,
    absl::Span<const EntityEventsRequest> requests, int threads,
    const std::function<void()>& prepare = nullptr);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ENTITY_EVENTS_H_
