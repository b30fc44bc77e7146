#include "featurestore/entity_timeline.h"

// How a timeline is laid out.
//
// Events live in parallel arrays sorted by (ts, seq): `ts`, `seq`, one
// column of compact cells (8-byte payload + 1-byte type tag; strings are ids
// into a per-timeline pool) per slot that a feature reads as a value, and one
// match byte per event per distinct filter. Evicted events are not erased at
// once: `begin` marks the first live event and the dead prefix is compacted
// away when it grows as large as the live part, so that eviction in time
// order costs amortized O(1) per dropped event.
//
// Indexes (all over absolute positions, dead prefix included):
//   - per filter: prefix counts of matching events (COUNT);
//   - per (filter, slot) read by SUM/MEAN/MIN/MAX: prefix counts of matching
//     non-null numeric values, prefix sums kept as double-double (an exact
//     running sum in practice, see WindowSum), and a min and/or max segment
//     tree;
//   - per (filter, slot) read by DISTINCT_COUNT: for each distinct value, the
//     sorted positions where it occurs (matching events only), and a bit per
//     event marking each value's last occurrence, with a Fenwick tree over
//     the bits' words to count them in a suffix;
//   - per (filter, slot) read by LAST: the sorted positions of matching
//     events with a non-null value.
// A window is two binary searches on `ts`; every function is then a
// difference of prefixes, one tree query, or one binary search, except
// DISTINCT_COUNT over a window that ends before the newest event (see
// Distinct). An event appended at the end appends one entry to each index
// (and unmarks one last occurrence); a late event inserted at position k
// truncates every index to k and re-appends the suffix.
//
// What the header leaves open, and the choice made here:
//   - COUNT counts the events in the window that pass the filter, whether or
//     not its slot (a COUNT may name one) is null.
//   - LAST takes the latest event that passes the filter and has a non-null
//     value, then applies the TTL to that event: an expired latest value does
//     not fall back to an older one. LAST ignores `window`.
//   - DISTINCT_COUNT compares typed values: int64 1, double 1.0 and "1" are
//     three values; -0.0 equals 0.0 (as Value's operator== has it).
//   - SUM adds int64 values exactly (not rounded to double first) and is the
//     correctly rounded exact sum under the condition given at WindowSum.
//     MEAN is that sum divided by the number of values. MIN/MAX convert
//     int64 to double. A string in a numeric slot is skipped like a null.
//     Non-finite doubles (rejected by the row validator) make SUM NaN.
//   - An aggregation with window <= 0 covers nothing.
//   - Evaluate of a feature index outside the schema gives null; Insert
//     treats slots missing from a short `values` as null.
//   - An event older than an earlier EvictBefore cutoff that arrives later is
//     kept (it is live until the next eviction).
//   - Events with equal (ts, seq) keep their insertion order.
//   - Positions are 32-bit: a timeline holds fewer than 2^32 events.

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace fstore {
namespace {

// Cell type tags; equal to the Value alternative's index.
constexpr uint8_t kNullTag = 0;
constexpr uint8_t kInt64Tag = 1;
constexpr uint8_t kDoubleTag = 2;
constexpr uint8_t kStringTag = 3;
constexpr uint8_t kBoolTag = 4;

constexpr uint32_t kNoColumn = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kNoPosition = std::numeric_limits<uint32_t>::max();

// DISTINCT_COUNT over a window ending before the newest event: scanning the
// events after the window (a hash lookup and often a binary search each)
// costs about this many times as much per event as testing one distinct
// value (measured: ~13 ns against ~4 ns; see Distinct).
constexpr size_t kSuffixEventCost = 3;

// t - d, clamped to the int64 range (a window reaching below the smallest
// timestamp covers everything from there).
TimestampUs SaturatingSub(TimestampUs t, DurationUs d) {
  TimestampUs result;
  if (__builtin_sub_overflow(t, d, &result)) {
    return d > 0 ? std::numeric_limits<TimestampUs>::min()
                 : std::numeric_limits<TimestampUs>::max();
  }
  return result;
}

// Error-free transformation (Knuth's TwoSum): s + e == a + b exactly, with
// s = fl(a + b). Needs strict IEEE arithmetic (no -ffast-math).
inline void TwoSum(double a, double b, double* s, double* e) {
  *s = a + b;
  const double bb = *s - a;
  *e = (a - (*s - bb)) + (b - bb);
}

// An unevaluated sum hi + lo with |lo| <= ulp(hi) / 2 (106 significant bits).
struct DoubleDouble {
  double hi = 0.0;
  double lo = 0.0;

  DoubleDouble Plus(double x) const {
    double s, e;
    TwoSum(hi, x, &s, &e);
    DoubleDouble out;
    TwoSum(s, lo + e, &out.hi, &out.lo);
    return out;
  }
};

// Splits an int64 into doubles whose exact sum is the integer (the high part
// is the rounded conversion, the low part the small exact remainder).
void SplitInt64(int64_t x, double* high, double* low) {
  *high = static_cast<double>(x);
  int64_t rest;
  if (*high >= 0x1p63) {
    // x rounded up to 2^63, which int64 cannot hold: x - 2^63 < 0.
    rest = (x - std::numeric_limits<int64_t>::max()) - 1;
  } else {
    rest = x - static_cast<int64_t>(*high);
  }
  *low = static_cast<double>(rest);  // |rest| <= 2^10: exact.
}

// Strings of one timeline, each stored once and named by a dense id.
class StringPool {
 public:
  uint32_t Intern(const std::string& s) {
    auto it = ids_.find(absl::string_view(s));
    if (it != ids_.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(by_id_.size());
    by_id_.push_back(s);
    ids_.emplace(absl::string_view(by_id_.back()), id);
    return id;
  }
  const std::string& Get(uint32_t id) const { return by_id_[id]; }
  void Clear() {
    ids_.clear();
    by_id_.clear();
  }

 private:
  std::deque<std::string> by_id_;                         // never relocates its elements
  absl::flat_hash_map<absl::string_view, uint32_t> ids_;  // views into by_id_
};

// The values of one slot, one cell per event.
struct SlotColumn {
  std::vector<uint64_t> payload;  // int64 / double bits, string id, bool
  std::vector<uint8_t> tag;

  // Encodes `v` as a cell, interning strings in `pool`.
  static std::pair<uint64_t, uint8_t> Encode(const Value& v, StringPool* pool) {
    switch (v.index()) {
      case kInt64Tag:
        return {static_cast<uint64_t>(std::get<int64_t>(v)), kInt64Tag};
      case kDoubleTag:
        return {std::bit_cast<uint64_t>(std::get<double>(v)), kDoubleTag};
      case kStringTag:
        return {pool->Intern(std::get<std::string>(v)), kStringTag};
      case kBoolTag:
        return {std::get<bool>(v) ? 1u : 0u, kBoolTag};
      default:
        return {0, kNullTag};
    }
  }

  Value Get(size_t i, const StringPool& pool) const {
    switch (tag[i]) {
      case kInt64Tag:
        return static_cast<int64_t>(payload[i]);
      case kDoubleTag:
        return std::bit_cast<double>(payload[i]);
      case kStringTag:
        return pool.Get(static_cast<uint32_t>(payload[i]));
      case kBoolTag:
        return payload[i] != 0;
      default:
        return std::monostate{};
    }
  }

  // The cell as a number, or false when it is null or a string.
  bool Numeric(size_t i, double* out) const {
    switch (tag[i]) {
      case kInt64Tag:
        *out = static_cast<double>(static_cast<int64_t>(payload[i]));
        return true;
      case kDoubleTag:
        *out = std::bit_cast<double>(payload[i]);
        return true;
      case kBoolTag:
        *out = payload[i] != 0 ? 1.0 : 0.0;
        return true;
      default:
        return false;
    }
  }

  // Adds the cell's exact numeric value to `sum`; false when not numeric.
  bool AddTo(size_t i, DoubleDouble* sum) const {
    if (tag[i] == kInt64Tag) {
      double high, low;
      SplitInt64(static_cast<int64_t>(payload[i]), &high, &low);
      *sum = sum->Plus(high).Plus(low);
      return true;
    }
    double x;
    if (!Numeric(i, &x)) return false;
    *sum = sum->Plus(x);
    return true;
  }

  // The identity of the cell's value for DISTINCT_COUNT: typed, with -0.0
  // equal to 0.0 (as Value's operator== has it) and all NaNs equal.
  std::pair<uint8_t, uint64_t> DistinctKey(size_t i) const {
    uint64_t bits = payload[i];
    if (tag[i] == kDoubleTag) {
      const double d = std::bit_cast<double>(bits);
      if (d == 0.0) bits = 0;
      if (std::isnan(d)) bits = std::bit_cast<uint64_t>(std::numeric_limits<double>::quiet_NaN());
    }
    return {tag[i], bits};
  }
};

// Min or max over index ranges of a growing array: a bottom-up segment tree
// over a power-of-two number of leaves. Leaves past the end, and events
// without a value, hold the identity (+inf for min, -inf for max); callers
// ask only about ranges known to hold a value. Leaf writes are batched:
// Truncate/Append mark leaves dirty and Seal recomputes their ancestors in
// O(dirty + log n).
class ExtremumTree {
 public:
  explicit ExtremumTree(bool is_min)
      : is_min_(is_min),
        identity_(is_min ? std::numeric_limits<double>::infinity()
                         : -std::numeric_limits<double>::infinity()) {}

  void Truncate(size_t k) {
    if (k >= size_) return;
    std::fill(nodes_.begin() + capacity_ + k, nodes_.begin() + capacity_ + size_, identity_);
    MarkDirty(k, size_);
    size_ = k;
  }

  void Append(double v) {
    if (size_ == capacity_) Grow();
    nodes_[capacity_ + size_] = v;
    MarkDirty(size_, size_ + 1);
    ++size_;
  }

  void Seal() {
    if (dirty_begin_ >= dirty_end_) return;
    size_t l = (capacity_ + dirty_begin_) >> 1;
    size_t r = (capacity_ + dirty_end_ - 1) >> 1;
    while (l >= 1) {
      for (size_t p = l; p <= r; ++p) nodes_[p] = Pick(nodes_[2 * p], nodes_[2 * p + 1]);
      if (l == 1) break;
      l >>= 1;
      r >>= 1;
    }
    dirty_begin_ = dirty_end_ = 0;
  }

  // Over leaves [lo, hi).
  double Query(size_t lo, size_t hi) const {
    double result = identity_;
    for (size_t l = lo + capacity_, r = hi + capacity_; l < r; l >>= 1, r >>= 1) {
      if (l & 1) result = Pick(result, nodes_[l++]);
      if (r & 1) result = Pick(result, nodes_[--r]);
    }
    return result;
  }

 private:
  double Pick(double a, double b) const { return is_min_ ? std::min(a, b) : std::max(a, b); }

  void MarkDirty(size_t begin, size_t end) {
    if (dirty_begin_ >= dirty_end_) {
      dirty_begin_ = begin;
      dirty_end_ = end;
    } else {
      dirty_begin_ = std::min(dirty_begin_, begin);
      dirty_end_ = std::max(dirty_end_, end);
    }
  }

  // Doubles the leaf count; every internal node is recomputed by the next
  // Seal (amortized O(1) per Append).
  void Grow() {
    const size_t capacity = std::max<size_t>(16, 2 * capacity_);
    std::vector<double> nodes(2 * capacity, identity_);
    std::copy(nodes_.begin() + capacity_, nodes_.begin() + capacity_ + size_,
              nodes.begin() + capacity);
    nodes_ = std::move(nodes);
    capacity_ = capacity;
    MarkDirty(0, capacity_);
  }

  bool is_min_;
  double identity_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t dirty_begin_ = 0;
  size_t dirty_end_ = 0;
  std::vector<double> nodes_;  // nodes_[capacity_ + i] is leaf i; root at 1
};

// Prefix sums of an array of counts that grows and shrinks at its end: a
// Fenwick (binary indexed) tree. nodes_[j], for 1 <= j <= size(), holds the
// sum of the elements at 0-based indexes [j - lowbit(j), j), so dropping a
// suffix leaves the remaining nodes valid and appending computes one new node
// from O(log n) existing ones.
class PrefixCounter {
 public:
  size_t size() const { return nodes_.size() - 1; }

  // Appends an element with value `v`: O(log n).
  void Append(uint32_t v) {
    const size_t j = nodes_.size();
    const size_t stop = j - LowBit(j);
    for (size_t k = j - 1; k > stop; k -= LowBit(k)) v += nodes_[k];
    nodes_.push_back(v);
  }

  // Adds `delta` to element i < size(): O(log n).
  void Add(size_t i, int32_t delta) {
    for (size_t j = i + 1; j < nodes_.size(); j += LowBit(j)) {
      nodes_[j] += static_cast<uint32_t>(delta);  // modulo 2^32: exact
    }
  }

  // Keeps the first k elements.
  void Truncate(size_t k) {
    if (k < size()) nodes_.resize(k + 1);
  }

  // The sum of elements [0, i), i <= size(): O(log n).
  uint32_t Prefix(size_t i) const {
    uint32_t sum = 0;
    for (size_t j = i; j > 0; j -= LowBit(j)) sum += nodes_[j];
    return sum;
  }

 private:
  static size_t LowBit(size_t j) { return j & (~j + 1); }

  std::vector<uint32_t> nodes_ = {0};  // nodes_[0] unused
};

// A bit array that grows and shrinks at its end and counts the set bits of
// any prefix: the bits packed in 64-bit words, and a PrefixCounter of the
// popcounts of the full words (about n / 16 bytes in all). Bits of the last,
// partial word change without touching the tree.
class BitCounter {
 public:
  void Append(bool bit) {
    if (size_ % 64 == 0) words_.push_back(0);
    if (bit) words_.back() |= uint64_t{1} << (size_ % 64);
    if (++size_ % 64 == 0) counts_.Append(static_cast<uint32_t>(std::popcount(words_.back())));
  }

  // Sets bit i < size(), which is clear: O(log((size() - i) / 64)).
  void Set(size_t i) {
    words_[i / 64] |= uint64_t{1} << (i % 64);
    if (i / 64 < counts_.size()) counts_.Add(i / 64, 1);
  }

  // Clears bit i < size(), which is set: O(log((size() - i) / 64)).
  void Clear(size_t i) {
    words_[i / 64] &= ~(uint64_t{1} << (i % 64));
    if (i / 64 < counts_.size()) counts_.Add(i / 64, -1);
  }

  // Keeps the first k bits.
  void Truncate(size_t k) {
    if (k >= size_) return;
    size_ = k;
    words_.resize((k + 63) / 64);
    counts_.Truncate(k / 64);
    if (k % 64 != 0) words_.back() &= LowBits(k % 64);
  }

  // The set bits among [0, i), i <= size(): O(log(i / 64)).
  uint32_t Prefix(size_t i) const {
    uint32_t count = counts_.Prefix(i / 64);
    if (i % 64 != 0) {
      count += static_cast<uint32_t>(std::popcount(words_[i / 64] & LowBits(i % 64)));
    }
    return count;
  }

 private:
  // The b lowest bits, 0 < b < 64.
  static uint64_t LowBits(size_t b) { return (uint64_t{1} << b) - 1; }

  size_t size_ = 0;
  std::vector<uint64_t> words_;  // bit i is bit i % 64 of words_[i / 64]
  PrefixCounter counts_;         // one element per full word: its popcount
};

// A distinct `where` filter of the schema.
struct Filter {
  int slot = -1;
  std::string equals;
  std::vector<uint8_t> match;   // per event (base data)
  std::vector<uint32_t> count;  // count[i]: matching events in [0, i)

  // ValueToText(v) == equals, null excepted; strings compare without a copy.
  bool Matches(const Value& v) const {
    if (const std::string* s = std::get_if<std::string>(&v)) return *s == equals;
    return !IsNull(v) && ValueToText(v) == equals;
  }
};

// SUM / MEAN / MIN / MAX of one (filter, slot).
struct NumericIndex {
  int filter = -1;
  uint32_t column = kNoColumn;
  std::vector<uint32_t> count;    // count[i]: values in [0, i)
  std::vector<DoubleDouble> sum;  // sum[i]: sum of values in [0, i)
  std::optional<ExtremumTree> min;
  std::optional<ExtremumTree> max;
};

// DISTINCT_COUNT of one (filter, slot).
struct DistinctIndex {
  int filter = -1;
  uint32_t column = kNoColumn;
  absl::flat_hash_map<std::pair<uint8_t, uint64_t>, uint32_t> value_ids;
  std::vector<std::vector<uint32_t>> positions;  // per value id, ascending
  // Per value id: positions[id].back(), or kNoPosition when empty (a dense
  // copy, so that an append need not read the tail of positions[id]).
  std::vector<uint32_t> last_position;
  // One bit per event (base data), set at every last_position: the last
  // occurrences.
  BitCounter last;
};

// LAST of one (filter, slot).
struct LastIndex {
  int filter = -1;
  uint32_t column = kNoColumn;
  std::vector<uint32_t> positions;  // events with a value, ascending
};

// How one feature is answered.
struct FeaturePlan {
  AggregateFunction function = AggregateFunction::kCount;
  DurationUs window = 0;
  DurationUs ttl = 0;
  int filter = -1;  // into filters; -1: every event matches
  int index = -1;   // into numerics, distincts or lasts, per function
  // Into Impl::windows: the aggregations with window > 0; -1 for the others
  // (LAST, and aggregations over nothing).
  int window_index = -1;
};

}  // namespace

struct EntityTimeline::Impl {
  explicit Impl(std::shared_ptr<const TimelineSchema> s);

  // First position in [lo, hi) whose ts is >= t (hi when none is): a binary
  // search whose steps compile to conditional moves, as the outcome of each
  // comparison is unpredictable.
  size_t LowerBound(size_t lo, size_t hi, TimestampUs t) const {
    if (lo >= hi) return lo;
    const TimestampUs* base = ts.data() + lo;
    for (size_t n = hi - lo; n > 1;) {
      const size_t half = n / 2;
      base = base[half] < t ? base + half : base;
      n -= half;
    }
    return static_cast<size_t>(base - ts.data()) + (*base < t ? 1 : 0);
  }
  // The end of the events with ts < at: positions [begin, End(at)).
  size_t End(TimestampUs at) const {
    const size_t n = ts.size();
    // Serving reads "now", past the newest event: no search needed.
    return n > begin && at > ts[n - 1] ? n : LowerBound(begin, n, at);
  }
  // The start of the window `window` > 0 as of `at`, whose end is hi.
  size_t WindowStart(DurationUs window, TimestampUs at, size_t hi) const {
    return LowerBound(begin, hi, SaturatingSub(at, window));
  }
  // Sets *out to the value of `plan` as of `at` over the events [lo, hi):
  // hi = End(at), lo the start of its window (ignored by LAST; lo = hi
  // without a window). Small, to be inlined into the read loops; LAST and
  // DISTINCT_COUNT are answered out of line.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Compute(const FeaturePlan& plan, TimestampUs at, size_t lo,
                                            size_t hi, Value* out) const;
  void ComputeLast(const FeaturePlan& plan, TimestampUs at, size_t hi, Value* out) const;
  // Where an event (t, s) goes: after every event ordered before or equal.
  size_t InsertPosition(TimestampUs t, uint64_t s) const;
  bool Matches(int filter, size_t i) const { return filter < 0 || filters[filter].match[i] != 0; }

  // Insert without SealIndexes: the min/max trees' inner nodes are stale
  // until the next SealIndexes.
  void InsertUnsealed(TimestampUs t, uint64_t s, absl::Span<const Value> values);
  void InsertBase(size_t k, TimestampUs t, uint64_t s, absl::Span<const Value> values);
  void TruncateIndexes(size_t k);
  void AppendToIndexes(size_t i);
  void SealIndexes();
  // Drops the evicted prefix and rebuilds every index over the live events.
  void Compact();

  int64_t Distinct(const DistinctIndex& index, size_t lo, size_t hi) const;
  double WindowSum(const NumericIndex& index, size_t lo, size_t hi) const;

  std::shared_ptr<const TimelineSchema> schema;
  std::vector<FeaturePlan> plans;
  std::vector<DurationUs> windows;  // distinct, of the plans with a window
  std::vector<Filter> filters;
  std::vector<uint32_t> column_of_slot;  // kNoColumn: slot not stored
  std::vector<SlotColumn> columns;
  std::vector<NumericIndex> numerics;
  std::vector<DistinctIndex> distincts;
  std::vector<LastIndex> lasts;

  // Events [0, ts.size()) sorted by (ts, seq); [0, begin) are evicted.
  size_t begin = 0;
  std::vector<TimestampUs> ts;
  std::vector<uint64_t> seq;
  StringPool strings;
};

EntityTimeline::Impl::Impl(std::shared_ptr<const TimelineSchema> s) : schema(std::move(s)) {
  const size_t slot_count = schema->slot_count;
  column_of_slot.assign(slot_count, kNoColumn);
  auto valid_slot = [&](int slot) { return slot >= 0 && static_cast<size_t>(slot) < slot_count; };
  auto column_for = [&](int slot) {
    if (!valid_slot(slot)) return kNoColumn;
    if (column_of_slot[slot] == kNoColumn) {
      column_of_slot[slot] = static_cast<uint32_t>(columns.size());
      columns.emplace_back();
    }
    return column_of_slot[slot];
  };
  auto filter_for = [&](const TimelineFeature& f) {
    if (f.filter_slot < 0) return -1;
    for (size_t i = 0; i < filters.size(); ++i) {
      if (filters[i].slot == f.filter_slot && filters[i].equals == f.filter_equals) {
        return static_cast<int>(i);
      }
    }
    Filter filter;
    // A filter on a slot the events do not carry never matches.
    filter.slot = valid_slot(f.filter_slot) ? f.filter_slot : -1;
    filter.equals = f.filter_equals;
    filter.count.push_back(0);
    filters.push_back(std::move(filter));
    return static_cast<int>(filters.size() - 1);
  };
  // The index of (filter, column) in `indexes`, added when new.
  auto index_for = [](auto& indexes, int filter, uint32_t column) {
    for (size_t i = 0; i < indexes.size(); ++i) {
      if (indexes[i].filter == filter && indexes[i].column == column) return static_cast<int>(i);
    }
    indexes.emplace_back();
    indexes.back().filter = filter;
    indexes.back().column = column;
    return static_cast<int>(indexes.size() - 1);
  };

  for (const TimelineFeature& f : schema->features) {
    FeaturePlan plan;
    plan.function = f.function;
    plan.window = f.window;
    plan.ttl = f.ttl;
    plan.filter = filter_for(f);
    if (f.function != AggregateFunction::kLast && f.window > 0) {
      auto w = std::find(windows.begin(), windows.end(), f.window);
      if (w == windows.end()) w = windows.insert(w, f.window);
      plan.window_index = static_cast<int>(w - windows.begin());
    }
    switch (f.function) {
      case AggregateFunction::kCount:
        break;
      case AggregateFunction::kSum:
      case AggregateFunction::kMean:
      case AggregateFunction::kMin:
      case AggregateFunction::kMax: {
        plan.index = index_for(numerics, plan.filter, column_for(f.slot));
        NumericIndex& index = numerics[plan.index];
        if (index.count.empty()) {
          index.count.push_back(0);
          index.sum.emplace_back();
        }
        if (f.function == AggregateFunction::kMin && !index.min) index.min.emplace(true);
        if (f.function == AggregateFunction::kMax && !index.max) index.max.emplace(false);
        break;
      }
      case AggregateFunction::kDistinctCount:
        plan.index = index_for(distincts, plan.filter, column_for(f.slot));
        break;
      case AggregateFunction::kLast:
        plan.index = index_for(lasts, plan.filter, column_for(f.slot));
        break;
    }
    plans.push_back(plan);
  }
}

size_t EntityTimeline::Impl::InsertPosition(TimestampUs t, uint64_t s) const {
  const size_t n = ts.size();
  if (n == begin || t > ts[n - 1] || (t == ts[n - 1] && s >= seq[n - 1])) return n;
  const size_t lo = LowerBound(begin, n, t);
  const size_t hi = std::upper_bound(ts.begin() + lo, ts.end(), t) - ts.begin();
  return std::upper_bound(seq.begin() + lo, seq.begin() + hi, s) - seq.begin();
}

void EntityTimeline::Impl::InsertBase(size_t k, TimestampUs t, uint64_t s,
                                      absl::Span<const Value> values) {
  static const Value kNull;
  auto value_of = [&](int slot) -> const Value& {
    return slot >= 0 && static_cast<size_t>(slot) < values.size() ? values[slot] : kNull;
  };
  ts.insert(ts.begin() + k, t);
  seq.insert(seq.begin() + k, s);
  for (size_t slot = 0; slot < column_of_slot.size(); ++slot) {
    if (column_of_slot[slot] == kNoColumn) continue;
    SlotColumn& column = columns[column_of_slot[slot]];
    const auto [payload, tag] = SlotColumn::Encode(value_of(static_cast<int>(slot)), &strings);
    column.payload.insert(column.payload.begin() + k, payload);
    column.tag.insert(column.tag.begin() + k, tag);
  }
  for (Filter& filter : filters) {
    filter.match.insert(filter.match.begin() + k, filter.Matches(value_of(filter.slot)) ? 1 : 0);
  }
}

void EntityTimeline::Impl::TruncateIndexes(size_t k) {
  for (Filter& filter : filters) filter.count.resize(k + 1);
  for (NumericIndex& index : numerics) {
    index.count.resize(k + 1);
    index.sum.resize(k + 1);
    if (index.min) index.min->Truncate(k);
    if (index.max) index.max->Truncate(k);
  }
  for (DistinctIndex& index : distincts) {
    index.last.Truncate(k);
    for (size_t id = 0; id < index.positions.size(); ++id) {
      std::vector<uint32_t>& positions = index.positions[id];
      if (positions.empty() || positions.back() < k) continue;
      do {
        positions.pop_back();
      } while (!positions.empty() && positions.back() >= k);
      // The value's last occurrence is now an earlier one, unmarked so far.
      index.last_position[id] = positions.empty() ? kNoPosition : positions.back();
      if (!positions.empty()) index.last.Set(positions.back());
    }
  }
  for (LastIndex& index : lasts) {
    auto& positions = index.positions;
    positions.erase(std::lower_bound(positions.begin(), positions.end(), k), positions.end());
  }
}

void EntityTimeline::Impl::AppendToIndexes(size_t i) {
  const uint32_t position = static_cast<uint32_t>(i);
  for (Filter& filter : filters) filter.count.push_back(filter.count.back() + filter.match[i]);
  for (NumericIndex& index : numerics) {
    DoubleDouble sum = index.sum.back();
    double value = 0.0;
    bool has_value = false;
    if (index.column != kNoColumn && Matches(index.filter, i)) {
      const SlotColumn& column = columns[index.column];
      has_value = column.Numeric(i, &value);
      if (has_value) column.AddTo(i, &sum);
    }
    index.count.push_back(index.count.back() + (has_value ? 1 : 0));
    index.sum.push_back(sum);
    if (index.min) {
      index.min->Append(has_value ? value : std::numeric_limits<double>::infinity());
    }
    if (index.max) {
      index.max->Append(has_value ? value : -std::numeric_limits<double>::infinity());
    }
  }
  for (DistinctIndex& index : distincts) {
    if (index.column == kNoColumn || !Matches(index.filter, i) ||
        columns[index.column].tag[i] == kNullTag) {
      index.last.Append(false);
      continue;
    }
    auto [it, inserted] = index.value_ids.try_emplace(
        columns[index.column].DistinctKey(i), static_cast<uint32_t>(index.positions.size()));
    if (inserted) {
      index.positions.emplace_back();
      index.last_position.push_back(kNoPosition);
    }
    index.positions[it->second].push_back(position);
    uint32_t& last_position = index.last_position[it->second];
    if (last_position != kNoPosition) index.last.Clear(last_position);
    last_position = position;
    index.last.Append(true);
  }
  for (LastIndex& index : lasts) {
    if (index.column == kNoColumn || !Matches(index.filter, i)) continue;
    if (columns[index.column].tag[i] != kNullTag) index.positions.push_back(position);
  }
}

void EntityTimeline::Impl::SealIndexes() {
  for (NumericIndex& index : numerics) {
    if (index.min) index.min->Seal();
    if (index.max) index.max->Seal();
  }
}

void EntityTimeline::Impl::Compact() {
  const auto drop = [this](auto& v) { v.erase(v.begin(), v.begin() + begin); };
  drop(ts);
  drop(seq);
  for (Filter& filter : filters) drop(filter.match);
  // Re-intern the live strings so that evicted ones are freed.
  StringPool live_strings;
  for (SlotColumn& column : columns) {
    drop(column.payload);
    drop(column.tag);
    for (size_t i = 0; i < column.tag.size(); ++i) {
      if (column.tag[i] == kStringTag) {
        column.payload[i] =
            live_strings.Intern(strings.Get(static_cast<uint32_t>(column.payload[i])));
      }
    }
  }
  strings = std::move(live_strings);
  begin = 0;
  for (DistinctIndex& index : distincts) {
    index.value_ids.clear();
    index.positions.clear();
    index.last_position.clear();
  }
  TruncateIndexes(0);
  for (size_t i = 0; i < ts.size(); ++i) AppendToIndexes(i);
  SealIndexes();
}

// The distinct values in [lo, hi), begin <= lo, hi <= n = ts.size().
//
// A value occurs in [lo, n) iff its last occurrence does, so `index.last`
// counts the distinct values of [lo, n) in O(log n): the answer when hi == n,
// that is when `at` is past the newest event (serving reads "now"). Evicted
// events lie before lo, so they change nothing.
//
// Otherwise the values of [lo, n) absent from [lo, hi) are exactly those
// whose last occurrence is in [hi, n) and whose first occurrence from lo is
// too: when the suffix [hi, n) is short they are found by scanning it, in
// O((n - hi) + min(n - hi, d) log n); else each of the d values stored is
// tested with a binary search, in O(d log n).
int64_t EntityTimeline::Impl::Distinct(const DistinctIndex& index, size_t lo, size_t hi) const {
  if (lo >= hi) return 0;
  const size_t n = ts.size();
  const int64_t from_lo = index.last.Prefix(n) - index.last.Prefix(lo);
  if (hi == n) return from_lo;
  if ((n - hi) * kSuffixEventCost < index.positions.size()) {
    const SlotColumn& column = columns[index.column];
    int64_t distinct = from_lo;
    for (size_t j = hi; j < n; ++j) {
      if (!Matches(index.filter, j) || column.tag[j] == kNullTag) continue;
      const uint32_t id = index.value_ids.find(column.DistinctKey(j))->second;
      if (index.last_position[id] != j) continue;  // counted at its last occurrence
      const std::vector<uint32_t>& positions = index.positions[id];
      // positions holds j >= lo: the search finds the first occurrence from lo.
      if (*std::lower_bound(positions.begin(), positions.end(), lo) >= hi) --distinct;
    }
    return distinct;
  }
  int64_t distinct = 0;
  for (const std::vector<uint32_t>& positions : index.positions) {
    if (positions.empty() || positions.back() < lo || positions.front() >= hi) continue;
    if (*std::lower_bound(positions.begin(), positions.end(), lo) < hi) ++distinct;
  }
  return distinct;
}

// The sum of the values in [lo, hi) as the difference of two double-double
// prefix sums. Every step is exact when the slot's values are multiples of a
// common 2^e and the running sums (over the events since the last
// compaction) stay below about 2^(e+104) in magnitude: any int64 values, or
// two-decimal amounts (0.01 has its last bit at 2^-59) while the running
// total stays below ~3e13. The result is then the correctly rounded exact
// sum of the window, whatever the order of arrival and whatever lies outside
// the window; the property test compares it with an exact reference using
// ==. Beyond that domain the error stays within about 2^-104 times the sum
// of the magnitudes since the last compaction.
double EntityTimeline::Impl::WindowSum(const NumericIndex& index, size_t lo, size_t hi) const {
  const DoubleDouble& a = index.sum[hi];
  const DoubleDouble& b = index.sum[lo];
  double s, e;
  TwoSum(a.hi, -b.hi, &s, &e);
  return s + (e + (a.lo - b.lo));
}

EntityTimeline::EntityTimeline(std::shared_ptr<const TimelineSchema> schema)
    : impl_(std::make_unique<Impl>(std::move(schema))) {}

EntityTimeline::EntityTimeline(EntityTimeline&&) noexcept = default;
EntityTimeline& EntityTimeline::operator=(EntityTimeline&&) noexcept = default;
EntityTimeline::~EntityTimeline() = default;

void EntityTimeline::Impl::InsertUnsealed(TimestampUs t, uint64_t s,
                                          absl::Span<const Value> values) {
  const size_t k = InsertPosition(t, s);
  const size_t n = ts.size();
  InsertBase(k, t, s, values);
  if (k < n) TruncateIndexes(k);
  for (size_t i = k; i <= n; ++i) AppendToIndexes(i);
}

void EntityTimeline::Insert(TimestampUs ts, uint64_t seq, absl::Span<const Value> values) {
  impl_->InsertUnsealed(ts, seq, values);
  impl_->SealIndexes();
}

void EntityTimeline::InsertBatch(
    size_t count,
    absl::FunctionRef<absl::Span<const Value>(size_t, TimestampUs*, uint64_t*)> event) {
  // Inserting only writes the min/max trees' leaves (and marks them dirty);
  // no step reads their inner nodes, so one Seal at the end suffices.
  for (size_t i = 0; i < count; ++i) {
    TimestampUs ts = 0;
    uint64_t seq = 0;
    const absl::Span<const Value> values = event(i, &ts, &seq);
    impl_->InsertUnsealed(ts, seq, values);
  }
  impl_->SealIndexes();
}

inline void EntityTimeline::Impl::Compute(const FeaturePlan& plan, TimestampUs at, size_t lo,
                                          size_t hi, Value* out) const {
  switch (plan.function) {
    case AggregateFunction::kCount:
      if (plan.filter < 0) {
        *out = static_cast<int64_t>(hi - lo);
      } else {
        const std::vector<uint32_t>& count = filters[plan.filter].count;
        *out = static_cast<int64_t>(count[hi] - count[lo]);
      }
      return;
    case AggregateFunction::kSum:
      *out = WindowSum(numerics[plan.index], lo, hi);
      return;
    case AggregateFunction::kMean:
    case AggregateFunction::kMin:
    case AggregateFunction::kMax: {
      const NumericIndex& index = numerics[plan.index];
      const uint32_t count = index.count[hi] - index.count[lo];
      if (count == 0) {
        *out = std::monostate{};
      } else if (plan.function == AggregateFunction::kMean) {
        *out = WindowSum(index, lo, hi) / count;
      } else if (plan.function == AggregateFunction::kMin) {
        *out = index.min->Query(lo, hi);
      } else {
        *out = index.max->Query(lo, hi);
      }
      return;
    }
    case AggregateFunction::kDistinctCount:
      *out = Distinct(distincts[plan.index], lo, hi);
      return;
    case AggregateFunction::kLast:
      ComputeLast(plan, at, hi, out);
      return;
  }
  *out = std::monostate{};
}

void EntityTimeline::Impl::ComputeLast(const FeaturePlan& plan, TimestampUs at, size_t hi,
                                       Value* out) const {
  const LastIndex& index = lasts[plan.index];
  auto it = std::lower_bound(index.positions.begin(), index.positions.end(), hi);
  const size_t p = it == index.positions.begin() ? kNoPosition : *(it - 1);
  if (p == kNoPosition || p < begin || (plan.ttl > 0 && ts[p] < SaturatingSub(at, plan.ttl))) {
    *out = std::monostate{};
  } else {
    *out = columns[index.column].Get(p, strings);
  }
}

Value EntityTimeline::Evaluate(size_t feature, TimestampUs at) const {
  const Impl& m = *impl_;
  if (feature >= m.plans.size()) return std::monostate{};
  const FeaturePlan& plan = m.plans[feature];
  const size_t hi = m.End(at);
  const size_t lo = plan.window_index >= 0 ? m.WindowStart(plan.window, at, hi) : hi;
  Value value;
  m.Compute(plan, at, lo, hi, &value);
  return value;
}

void EntityTimeline::EvaluateMany(absl::Span<const size_t> features, TimestampUs at,
                                  absl::Span<Value> out) const {
  const Impl& m = *impl_;
  const size_t hi = m.End(at);
  // The start of each distinct window, searched when first needed.
  absl::InlinedVector<size_t, 8> starts(m.windows.size(), kNoPosition);
  for (size_t i = 0; i < features.size() && i < out.size(); ++i) {
    if (features[i] >= m.plans.size()) {
      out[i] = std::monostate{};
      continue;
    }
    const FeaturePlan& plan = m.plans[features[i]];
    size_t lo = hi;
    if (plan.window_index >= 0) {
      size_t& start = starts[plan.window_index];
      if (start == kNoPosition) start = m.WindowStart(plan.window, at, hi);
      lo = start;
    }
    m.Compute(plan, at, lo, hi, &out[i]);
  }
}

std::optional<TimestampUs> EntityTimeline::NewestBefore(TimestampUs at) const {
  const size_t hi = impl_->LowerBound(impl_->begin, impl_->ts.size(), at);
  if (hi == impl_->begin) return std::nullopt;
  return impl_->ts[hi - 1];
}

size_t EntityTimeline::EvictBefore(TimestampUs cutoff) {
  Impl& m = *impl_;
  const size_t k = m.LowerBound(m.begin, m.ts.size(), cutoff);
  const size_t dropped = k - m.begin;
  m.begin = k;
  // Compact once the dead prefix is as large as the live events: amortized
  // O(1) index work per dropped event, and at most twice the live memory.
  if (dropped > 0 && m.begin >= m.ts.size() - m.begin) m.Compact();
  return dropped;
}

void EntityTimeline::Clear() {
  Impl& m = *impl_;
  m.begin = 0;
  m.ts.clear();
  m.seq.clear();
  for (SlotColumn& column : m.columns) {
    column.payload.clear();
    column.tag.clear();
  }
  for (Filter& filter : m.filters) filter.match.clear();
  m.strings.Clear();
  for (DistinctIndex& index : m.distincts) {
    index.value_ids.clear();
    index.positions.clear();
    index.last_position.clear();
  }
  m.TruncateIndexes(0);
  m.SealIndexes();
}

size_t EntityTimeline::size() const { return impl_->ts.size() - impl_->begin; }

const TimelineSchema& EntityTimeline::schema() const { return *impl_->schema; }

}  // namespace fstore
