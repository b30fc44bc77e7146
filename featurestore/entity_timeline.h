// EntityTimeline: the online state of one feature view for one entity, and
// the one place where feature values are computed (online reads, historical
// retrieval and export all evaluate through it, so they agree by
// construction).
//
// A timeline holds the entity's events projected onto the view's slots (the
// columns its features read), ordered by (timestamp, sequence), plus indexes
// that make a read cost independent of how many events the window holds.
//
// Semantics, "as of T" (docs/design.md §3):
//   - only events with ts < T count; a window w covers T - w <= ts < T;
//   - a feature with a filter counts only events whose filter slot's text
//     (ValueToText) equals filter_equals; a null never matches;
//   - COUNT: events in the window (int64; 0 over nothing);
//   - SUM: sum of non-null slot values (double; 0.0 over nothing);
//   - MEAN, MIN, MAX: over non-null slot values (double; null over nothing);
//   - DISTINCT_COUNT: distinct non-null slot values (int64; 0 over nothing);
//   - LAST: the non-null slot value of the latest event (greatest
//     (ts, sequence)) with ts < T, as stored (typed); null when there is none
//     or, with ttl > 0, when its ts < T - ttl.
//   Numeric slots hold int64, double or bool (true = 1) values.
//
// Cost: Insert is O(log n) amortized for events in time order and O(n) for
// a late event that lands before newer ones; Evaluate is O(log n) for every
// function; EvaluateMany searches `at` once and each distinct window's start
// once (O(log n) each), then costs O(1) to O(log n) per feature.
// DISTINCT_COUNT is O(log n) when `at` is past the newest event (serving
// reads "now"); for earlier times it is O(d log n), d the entity's distinct
// values (less when few events follow `at`).
//
// Thread-safety: none; the owner serializes writers against readers. Const
// methods may run concurrently with each other.
#ifndef FSTORE_FEATURESTORE_ENTITY_TIMELINE_H_
#define FSTORE_FEATURESTORE_ENTITY_TIMELINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "featurestore/value.h"

namespace fstore {

// One compiled feature: what it computes over which slot.
struct TimelineFeature {
  AggregateFunction function = AggregateFunction::kCount;
  int slot = -1;          // projected slot read; -1 only for COUNT
  DurationUs window = 0;  // aggregations: > 0
  DurationUs ttl = 0;     // LAST: 0 = no TTL
  int filter_slot = -1;   // -1: no filter
  std::string filter_equals;
};

// The compiled form of a view: the number of slots each event carries and
// the features over them. Shared by all timelines of the view; immutable.
struct TimelineSchema {
  size_t slot_count = 0;
  std::vector<TimelineFeature> features;
};

class EntityTimeline {
 public:
  // `schema` must outlive the timeline.
  explicit EntityTimeline(std::shared_ptr<const TimelineSchema> schema);

  EntityTimeline(EntityTimeline&&) noexcept;
  EntityTimeline& operator=(EntityTimeline&&) noexcept;
  ~EntityTimeline();

  // Adds an event in any time order. `values` has schema.slot_count entries.
  // `seq` is the ingestion sequence number, unique per store.
  void Insert(TimestampUs ts, uint64_t seq, absl::Span<const Value> values);

  // As Insert of `count` events in turn, where event(i, &ts, &seq) gives the
  // i-th (its values valid until the next call), with some index upkeep
  // done once at the end rather than per event: for filling a timeline.
  void InsertBatch(
      size_t count,
      absl::FunctionRef<absl::Span<const Value>(size_t, TimestampUs*, uint64_t*)> event);

  // The value of schema.features[feature] as of `at` (see header comment).
  Value Evaluate(size_t feature, TimestampUs at) const;

  // Several features as of one time: out[i] = Evaluate(features[i], at) for
  // every i (`out` has features.size() entries), with the search for `at`
  // done once and the start of each distinct window once, instead of once
  // per feature. What batch reads (historical retrieval, export) use.
  void EvaluateMany(absl::Span<const size_t> features, TimestampUs at, absl::Span<Value> out) const;

  // The greatest ts < at, if any event is that old.
  std::optional<TimestampUs> NewestBefore(TimestampUs at) const;

  // Drops every event with ts < cutoff; returns how many were dropped.
  size_t EvictBefore(TimestampUs cutoff);

  // Drops every event: the timeline then reads as a new one of the same
  // schema, keeping the memory it has allocated, so that one timeline can be
  // refilled entity after entity without allocating again.
  void Clear();

  size_t size() const;
  const TimelineSchema& schema() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ENTITY_TIMELINE_H_
