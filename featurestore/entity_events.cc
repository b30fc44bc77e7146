#include "featurestore/entity_events.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "featurestore/event_log.h"
#include "featurestore/parallel_for.h"
#include "storage/record_codec.h"

namespace fstore {
namespace {

// Sequence ranges scanned concurrently are at most this many.
constexpr int kMaxScanThreads = 64;

constexpr uint8_t kStringTag = 3;  // Value's alternative index

// t - d, clamped to the int64 range.
TimestampUs SaturatingSub(TimestampUs t, DurationUs d) {
  TimestampUs result;
  if (__builtin_sub_overflow(t, d, &result)) {
    return d > 0 ? std::numeric_limits<TimestampUs>::min()
                 : std::numeric_limits<TimestampUs>::max();
  }
  return result;
}

// The entity key of an event for `view`, as EntityKeyOf computes it, built
// in `scratch` unless it is a string value that can be viewed in place.
absl::string_view KeyOf(const CompiledView& view, const std::vector<Value>& values,
                        std::string* scratch) {
  if (view.key_columns.size() == 1) {
    const Value& v = values[view.key_columns[0]];
    if (const std::string* s = std::get_if<std::string>(&v)) return *s;
    *scratch = ValueToText(v);
    return *scratch;
  }
  scratch->clear();
  for (int c : view.key_columns) {
    const Value& v = values[c];
    if (const std::string* s = std::get_if<std::string>(&v)) {
      codec::PutComponent(scratch, *s);
    } else {
      codec::PutComponent(scratch, ValueToText(v));
    }
  }
  return *scratch;
}

}  // namespace

void EntityEvents::Fill(uint32_t entity, EntityTimeline* timeline, std::vector<Value>* scratch,
                        std::vector<uint32_t>* order) const {
  timeline->Clear();
  if (event_count(entity) == 0) return;
  const size_t begin = begin_[entity], end = begin_[entity + 1];
  const TimestampUs to = entities_->latest(entity);
  const TimestampUs from = horizon_ >= 0 ? SaturatingSub(entities_->earliest(entity), horizon_)
                                         : std::numeric_limits<TimestampUs>::min();
  // The entity's events that can count (as offsets from `begin`), in
  // (ts, sequence) order (late events sorted into place), so that every
  // insert appends.
  auto before = [&](uint32_t a, uint32_t b) {
    const Event& x = EventAt(order_[begin + a]);
    const Event& y = EventAt(order_[begin + b]);
    return x.ts < y.ts || (x.ts == y.ts && x.seq < y.seq);
  };
  order->clear();
  bool sorted = true;
  for (size_t i = begin; i < end; ++i) {
    const TimestampUs ts = EventAt(order_[i]).ts;
    if (ts < from || ts >= to) continue;
    const uint32_t offset = static_cast<uint32_t>(i - begin);
    if (!order->empty() && before(offset, order->back())) sorted = false;
    order->push_back(offset);
  }
  if (!sorted) std::sort(order->begin(), order->end(), before);
  scratch->resize(slot_count_);
  timeline->InsertBatch(order->size(),
                        [&](size_t k, TimestampUs* ts, uint64_t* seq) -> absl::Span<const Value> {
                          const uint64_t ref = order_[begin + (*order)[k]];
                          const Part& part = parts_[ref >> kPartShift];
                          const size_t index = ref & kIndexMask;
                          *ts = part.events[index].ts;
                          *seq = part.events[index].seq;
                          const Cell* cells = part.cells.data() + index * slot_count_;
                          for (size_t s = 0; s < slot_count_; ++s) {
                            const Cell& cell = cells[s];
                            Value& v = (*scratch)[s];
                            switch (cell.tag) {
                              case 1:
                                v = static_cast<int64_t>(cell.payload);
                                break;
                              case 2:
                                v = std::bit_cast<double>(cell.payload);
                                break;
                              case kStringTag: {
                                const char* p = part.strings.data() + cell.payload;
                                if (std::string* str = std::get_if<std::string>(&v)) {
                                  str->assign(p, cell.size);
                                } else {
                                  v.emplace<std::string>(p, cell.size);
                                }
                                break;
                              }
                              case 4:
                                v = cell.payload != 0;
                                break;
                              default:
                                v = std::monostate{};
                            }
                          }
                          return *scratch;
                        });
}

std::optional<TimestampUs> EntityEvents::NewestBefore(uint32_t entity, TimestampUs at) const {
  std::optional<TimestampUs> newest;
  for (size_t i = begin_[entity], end = begin_[entity + 1]; i < end; ++i) {
    const TimestampUs ts = EventAt(order_[i]).ts;
    if (ts < at && (!newest.has_value() || ts > *newest)) newest = ts;
  }
  return newest;
}

void EntityEvents::Prefetch(uint32_t entity) const {
  for (size_t i = begin_[entity], end = begin_[entity + 1]; i < end; ++i) {
    const Part& part = parts_[order_[i] >> kPartShift];
    const size_t index = order_[i] & kIndexMask;
    __builtin_prefetch(&part.events[index]);
    if (slot_count_ > 0) __builtin_prefetch(&part.cells[index * slot_count_]);
  }
}

// Collects one scan's events per thread, then groups them by entity.
//
// A scanning thread appends each event (time, sequence, slot cells) with
// its entity key, and resolves the keys of the last kResolveBatch events at
// once, prefetching the EntitySet's slots a few keys ahead: a lookup per
// event in a table of many entities misses the cache, and overlapping the
// misses is what keeps the scan fast. Events of entities not in the set are
// dropped then.
class EntityEventsBuilder {
 public:
  // The entity sets are read only once `ready` is notified.
  EntityEventsBuilder(absl::Span<const EntityEventsRequest> requests, int threads,
                      const absl::Notification* ready)
      : requests_(requests), threads_(threads), ready_(ready) {
    parts_.resize(threads * requests.size());
    oldest_.assign(threads, std::numeric_limits<TimestampUs>::max());
    for (size_t q = 0; q < requests.size(); ++q) {
      slot_count_.push_back(requests[q].view->slot_columns.size());
    }
  }

  // Called by scanning thread `thread` for each event, in sequence order.
  void Add(int thread, TimestampUs ts, uint64_t seq, const std::vector<Value>& values,
           std::string* scratch) {
    oldest_[thread] = std::min(oldest_[thread], ts);
    for (size_t q = 0; q < requests_.size(); ++q) {
      const CompiledView& view = *requests_[q].view;
      Part& part = parts_[thread * requests_.size() + q];
      const absl::string_view key = KeyOf(view, values, scratch);
      part.hashes.push_back(EntitySet::Hash(key));
      part.keys.append(key.data(), key.size());
      part.key_end.push_back(part.keys.size());
      part.kept.events.push_back({ts, seq, EntitySet::kAbsent});
      for (int column : view.slot_columns) {
        part.kept.cells.push_back(ToCell(values[column], &part.pending_strings));
      }
      if (part.hashes.size() >= kResolveBatch && ready_->HasBeenNotified()) Resolve(q, &part);
    }
  }

  // Called by scanning thread `thread` before its first event, with the
  // span of sequences it scans: room for that many events (an upper bound,
  // and memory that stays untouched where it is not used) saves growing.
  void Reserve(int thread, uint64_t sequences) {
    const size_t events = static_cast<size_t>(std::min<uint64_t>(sequences, kMaxReserve));
    for (size_t q = 0; q < requests_.size(); ++q) {
      Part& part = parts_[thread * requests_.size() + q];
      part.kept.events.reserve(events);
      part.kept.cells.reserve(events * slot_count_[q]);
    }
  }

  // Called by scanning thread `thread` after its last event.
  void Flush(int thread) {
    ready_->WaitForNotification();
    for (size_t q = 0; q < requests_.size(); ++q) {
      Resolve(q, &parts_[thread * requests_.size() + q]);
    }
  }

  // Groups each request's events by entity (the threads' parts in thread
  // order, so each entity's events stay in sequence order).
  std::vector<EntityEvents> Finish() {
    std::vector<EntityEvents> out;
    for (size_t q = 0; q < requests_.size(); ++q) out.push_back(Group(q));
    return out;
  }

 private:
  static constexpr size_t kResolveBatch = 4096;
  static constexpr size_t kPrefetchAhead = 8;
  static constexpr uint64_t kMaxReserve = uint64_t{1} << 20;

  // One thread's events for one request.
  struct Part {
    // Resolved events, then the pending ones (the last hashes.size()); the
    // strings are those of the resolved events' cells.
    EntityEvents::Part kept;
    // Of the pending events: their keys' hashes, keys and string cells.
    std::vector<uint64_t> hashes;
    std::string keys;
    std::vector<size_t> key_end;
    std::string pending_strings;
    std::vector<size_t> cursor;  // per entity: where its next event goes
  };

  static EntityEvents::Cell ToCell(const Value& v, std::string* strings) {
    EntityEvents::Cell cell;
    cell.tag = static_cast<uint8_t>(v.index());
    switch (v.index()) {
      case 1:
        cell.payload = static_cast<uint64_t>(std::get<int64_t>(v));
        break;
      case 2:
        cell.payload = std::bit_cast<uint64_t>(std::get<double>(v));
        break;
      case 3: {
        const std::string& s = std::get<std::string>(v);
        cell.payload = strings->size();
        cell.size = static_cast<uint32_t>(s.size());
        strings->append(s);
        break;
      }
      case 4:
        cell.payload = std::get<bool>(v) ? 1 : 0;
        break;
      default:
        break;
    }
    return cell;
  }

  // Gives the pending events their entity ids, and drops those of entities
  // not in the set (adds them, with add_entities).
  void Resolve(size_t q, Part* part) {
    const EntityEventsRequest& request = requests_[q];
    EntitySet& entities = *request.entities;
    const size_t slots = slot_count_[q];
    const size_t pending = part->hashes.size();
    std::vector<EntityEvents::Event>& events = part->kept.events;
    std::vector<EntityEvents::Cell>& cells = part->kept.cells;
    const size_t first = events.size() - pending;
    size_t kept = first;
    for (size_t j = 0; j < pending; ++j) {
      if (j + kPrefetchAhead < pending) entities.Prefetch(part->hashes[j + kPrefetchAhead]);
      const size_t key_begin = j == 0 ? 0 : part->key_end[j - 1];
      const absl::string_view key(part->keys.data() + key_begin, part->key_end[j] - key_begin);
      const uint32_t id = request.add_entities ? entities.Add(key, part->hashes[j], request.add_at)
                                               : entities.Find(key, part->hashes[j]);
      if (id == EntitySet::kAbsent) continue;
      EntityEvents::Event event = events[first + j];
      event.entity = id;
      events[kept] = event;
      for (size_t s = 0; s < slots; ++s) {
        EntityEvents::Cell cell = cells[(first + j) * slots + s];
        if (cell.tag == kStringTag) {
          const size_t at = part->kept.strings.size();
          part->kept.strings.append(part->pending_strings, cell.payload, cell.size);
          cell.payload = at;
        }
        cells[kept * slots + s] = cell;
      }
      ++kept;
    }
    events.resize(kept);
    cells.resize(kept * slots);
    part->hashes.clear();
    part->keys.clear();
    part->key_end.clear();
    part->pending_strings.clear();
  }

  // Orders each request's events by entity, each entity's in sequence
  // order (the threads' parts cover consecutive sequence ranges, in thread
  // order).
  EntityEvents Group(size_t q) {
    const EntityEventsRequest& request = requests_[q];
    const size_t entities = request.entities->size();
    auto part = [&](int t) -> Part& { return parts_[t * requests_.size() + q]; };
    // Per thread, per entity: how many events; then where each thread's
    // events of an entity start.
    ParallelFor(threads_, threads_, [&](size_t t, int) {
      Part& p = part(static_cast<int>(t));
      p.cursor.assign(entities, 0);
      for (const EntityEvents::Event& e : p.kept.events) ++p.cursor[e.entity];
    });
    EntityEvents events;
    events.oldest_scanned_ = *std::min_element(oldest_.begin(), oldest_.end());
    events.entities_ = request.entities;
    events.horizon_ = request.view->horizon;
    events.slot_count_ = slot_count_[q];
    events.begin_.resize(entities + 1);
    size_t total = 0;
    for (size_t e = 0; e < entities; ++e) {
      events.begin_[e] = total;
      for (int t = 0; t < threads_; ++t) {
        size_t& cursor = part(t).cursor[e];
        const size_t count = cursor;
        cursor = total;
        total += count;
      }
    }
    events.begin_[entities] = total;
    events.order_.resize(total);
    ParallelFor(threads_, threads_, [&](size_t t, int) {
      Part& p = part(static_cast<int>(t));
      const uint64_t high = static_cast<uint64_t>(t) << EntityEvents::kPartShift;
      for (size_t i = 0; i < p.kept.events.size(); ++i) {
        events.order_[p.cursor[p.kept.events[i].entity]++] = high | i;
      }
      std::vector<size_t>().swap(p.cursor);
    });
    for (int t = 0; t < threads_; ++t) events.parts_.push_back(std::move(part(t).kept));
    return events;
  }

  absl::Span<const EntityEventsRequest> requests_;
  int threads_;
  const absl::Notification* ready_;
  std::vector<size_t> slot_count_;   // per request
  std::vector<Part> parts_;          // [thread * requests + request]
  std::vector<TimestampUs> oldest_;  // per thread: the oldest ts it scanned
};

absl::StatusOr<std::vector<EntityEvents>> CollectEntityEvents(
    const Database& db, const Source& source, uint64_t high_water_mark,
    absl::Span<const EntityEventsRequest> requests, int threads,
    const std::function<void()>& prepare) {
  const bool adds = std::any_of(requests.begin(), requests.end(),
                                [](const EntityEventsRequest& r) { return r.add_entities; });
  FSTORE_ASSIGN_OR_RETURN(std::vector<SequenceRange> ranges,
                          SplitEventSequences(db, source, high_water_mark,
                                              adds ? 1 : std::clamp(threads, 1, kMaxScanThreads)));
  const int parts = std::max<int>(1, static_cast<int>(ranges.size()));
  absl::Notification ready;
  if (!prepare) ready.Notify();
  EntityEventsBuilder builder(requests, parts, &ready);
  std::vector<absl::Status> status(ranges.size());
  // Task 0 prepares (when asked to), task 1 + r scans range r into part r.
  const size_t first = prepare ? 1 : 0;
  ParallelFor(
      std::clamp(threads, 1, kMaxScanThreads), first + ranges.size(), [&](size_t task, int) {
        if (task < first) {
          prepare();
          ready.Notify();
          return;
        }
        const size_t r = task - first;
        const int part = static_cast<int>(r);
        std::string scratch;
        builder.Reserve(part, ranges[r].end - ranges[r].begin);
        status[r] = ScanEventRange(
            db, source, ranges[r],
            [&](TimestampUs ts, uint64_t seq, const std::vector<Value>& values) -> absl::Status {
              builder.Add(part, ts, seq, values, &scratch);
              return absl::OkStatus();
            });
        builder.Flush(part);
      });
  for (const absl::Status& s : status) FSTORE_RETURN_IF_ERROR(s);
  return builder.Finish();
}

}  // namespace fstore
