#include "featurestore/entity_timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

constexpr TimestampUs kT0 = 1'767'607'200'000'000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kSecond = kMicrosPerSecond;
constexpr DurationUs kMinute = 60 * kSecond;
constexpr DurationUs kHour = 60 * kMinute;
constexpr DurationUs kDay = 24 * kHour;

using AF = AggregateFunction;

const Value kNull = std::monostate{};
Value Int(int64_t v) { return v; }
Value Dbl(double v) { return v; }
Value Str(std::string v) { return v; }
Value Bool(bool v) { return v; }

TimelineFeature Aggregate(AF function, int slot, DurationUs window) {
  TimelineFeature f;
  f.function = function;
  f.slot = slot;
  f.window = window;
  return f;
}

TimelineFeature Count(DurationUs window) { return Aggregate(AF::kCount, -1, window); }

TimelineFeature Last(int slot, DurationUs ttl = 0) {
  TimelineFeature f;
  f.function = AF::kLast;
  f.slot = slot;
  f.ttl = ttl;
  return f;
}

TimelineFeature Where(TimelineFeature f, int filter_slot, std::string equals) {
  f.filter_slot = filter_slot;
  f.filter_equals = std::move(equals);
  return f;
}

EntityTimeline MakeTimeline(size_t slot_count, std::vector<TimelineFeature> features) {
  auto schema = std::make_shared<TimelineSchema>();
  schema->slot_count = slot_count;
  schema->features = std::move(features);
  return EntityTimeline(std::move(schema));
}

// ------------------------------------------------------------ window bounds

TEST(EntityTimelineTest, EventExactlyAtWindowStartIsIncluded) {
  EntityTimeline t = MakeTimeline(1, {Count(kHour)});
  t.Insert(kT0, 1, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0 + kHour), Int(1));
}

TEST(EntityTimelineTest, EventJustBeforeWindowStartIsExcluded) {
  EntityTimeline t = MakeTimeline(1, {Count(kHour)});
  t.Insert(kT0, 1, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0 + kHour + 1), Int(0));
}

TEST(EntityTimelineTest, EventExactlyAtAsOfTimeIsExcluded) {
  EntityTimeline t = MakeTimeline(1, {Count(kHour), Last(0)});
  t.Insert(kT0, 1, {Int(7)});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(0));
  EXPECT_EQ(t.Evaluate(1, kT0), kNull);
  EXPECT_EQ(t.Evaluate(0, kT0 + 1), Int(1));
  EXPECT_EQ(t.Evaluate(1, kT0 + 1), Int(7));
}

TEST(EntityTimelineTest, WindowsOfDifferentLengthsSeeDifferentEvents) {
  EntityTimeline t =
      MakeTimeline(1, {Count(10 * kMinute), Count(kHour), Count(kDay), Count(7 * kDay)});
  t.Insert(kT0 - 6 * kDay, 1, {kNull});
  t.Insert(kT0 - 2 * kHour, 2, {kNull});
  t.Insert(kT0 - 30 * kMinute, 3, {kNull});
  t.Insert(kT0 - kMinute, 4, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(1));
  EXPECT_EQ(t.Evaluate(1, kT0), Int(2));
  EXPECT_EQ(t.Evaluate(2, kT0), Int(3));
  EXPECT_EQ(t.Evaluate(3, kT0), Int(4));
}

TEST(EntityTimelineTest, LateEventLandsInItsWindow) {
  EntityTimeline t = MakeTimeline(1, {Count(kHour), Aggregate(AF::kSum, 0, kHour)});
  t.Insert(kT0 + 2 * kHour, 1, {Int(100)});
  t.Insert(kT0 + 3 * kHour, 2, {Int(1000)});
  t.Insert(kT0, 3, {Int(1)});  // arrives last, happened first
  EXPECT_EQ(t.Evaluate(0, kT0 + kHour), Int(1));
  EXPECT_EQ(t.Evaluate(1, kT0 + kHour), Dbl(1.0));
  EXPECT_EQ(t.Evaluate(1, kT0 + 2 * kHour + 1), Dbl(100.0));
  EXPECT_EQ(t.Evaluate(1, kT0 + 3 * kHour + 1), Dbl(1000.0));
  EXPECT_EQ(t.size(), 3u);
}

TEST(EntityTimelineTest, LateEventUpdatesEveryFunction) {
  EntityTimeline t = MakeTimeline(
      2, {Aggregate(AF::kMin, 0, kDay), Aggregate(AF::kMax, 0, kDay), Aggregate(AF::kMean, 0, kDay),
          Aggregate(AF::kDistinctCount, 1, kDay), Last(1)});
  t.Insert(kT0 + 10, 1, {Dbl(5.0), Str("x")});
  t.Insert(kT0 + 20, 2, {Dbl(6.0), Str("x")});
  t.Insert(kT0 + 15, 3, {Dbl(-1.0), Str("y")});  // late
  t.Insert(kT0 + 5, 4, {Dbl(9.0), Str("z")});    // later still
  const TimestampUs at = kT0 + 16;
  EXPECT_EQ(t.Evaluate(0, at), Dbl(-1.0));
  EXPECT_EQ(t.Evaluate(1, at), Dbl(9.0));
  EXPECT_EQ(t.Evaluate(2, at), Dbl(13.0 / 3));
  EXPECT_EQ(t.Evaluate(3, at), Int(3));
  EXPECT_EQ(t.Evaluate(4, at), Str("y"));
  EXPECT_EQ(t.Evaluate(4, kT0 + 21), Str("x"));
}

TEST(EntityTimelineTest, WindowReachingBeforeTheEarliestTimeDoesNotOverflow) {
  constexpr TimestampUs kMin = std::numeric_limits<TimestampUs>::min();
  EntityTimeline t = MakeTimeline(1, {Count(7 * kDay), Last(0, kDay)});
  t.Insert(kMin, 1, {Int(1)});
  EXPECT_EQ(t.Evaluate(0, kMin + 1), Int(1));
  EXPECT_EQ(t.Evaluate(1, kMin + 1), Int(1));
  EXPECT_EQ(t.Evaluate(0, kMin), Int(0));
}

// ------------------------------------------------------------ empty windows

class EmptyWindowTest : public ::testing::Test {
 protected:
  // One event, long before the windows evaluated below.
  EmptyWindowTest()
      : timeline_(MakeTimeline(
            1, {Count(kHour), Aggregate(AF::kSum, 0, kHour),
                Aggregate(AF::kDistinctCount, 0, kHour), Aggregate(AF::kMean, 0, kHour),
                Aggregate(AF::kMin, 0, kHour), Aggregate(AF::kMax, 0, kHour), Last(0, kHour)})) {
    timeline_.Insert(kT0 - kDay, 1, {Int(3)});
  }

  Value Evaluate(size_t feature) const { return timeline_.Evaluate(feature, kT0); }

  EntityTimeline timeline_;
};

TEST_F(EmptyWindowTest, CountIsZero) { EXPECT_EQ(Evaluate(0), Int(0)); }
TEST_F(EmptyWindowTest, SumIsZero) { EXPECT_EQ(Evaluate(1), Dbl(0.0)); }
TEST_F(EmptyWindowTest, DistinctCountIsZero) { EXPECT_EQ(Evaluate(2), Int(0)); }
TEST_F(EmptyWindowTest, MeanIsNull) { EXPECT_EQ(Evaluate(3), kNull); }
TEST_F(EmptyWindowTest, MinIsNull) { EXPECT_EQ(Evaluate(4), kNull); }
TEST_F(EmptyWindowTest, MaxIsNull) { EXPECT_EQ(Evaluate(5), kNull); }
TEST_F(EmptyWindowTest, LastPastItsTtlIsNull) { EXPECT_EQ(Evaluate(6), kNull); }

TEST(EntityTimelineTest, EveryFunctionOverAnEmptyTimeline) {
  EntityTimeline t =
      MakeTimeline(1, {Count(kHour), Aggregate(AF::kSum, 0, kHour),
                       Aggregate(AF::kDistinctCount, 0, kHour), Aggregate(AF::kMean, 0, kHour),
                       Aggregate(AF::kMin, 0, kHour), Aggregate(AF::kMax, 0, kHour), Last(0)});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(0));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(0.0));
  EXPECT_EQ(t.Evaluate(2, kT0), Int(0));
  EXPECT_EQ(t.Evaluate(3, kT0), kNull);
  EXPECT_EQ(t.Evaluate(4, kT0), kNull);
  EXPECT_EQ(t.Evaluate(5, kT0), kNull);
  EXPECT_EQ(t.Evaluate(6, kT0), kNull);
  EXPECT_EQ(t.NewestBefore(kT0), std::nullopt);
  EXPECT_EQ(t.size(), 0u);
}

TEST(EntityTimelineTest, WindowHoldingOnlyNullsIsLikeAnEmptyOne) {
  EntityTimeline t =
      MakeTimeline(1, {Count(kHour), Aggregate(AF::kSum, 0, kHour),
                       Aggregate(AF::kDistinctCount, 0, kHour), Aggregate(AF::kMean, 0, kHour),
                       Aggregate(AF::kMin, 0, kHour), Aggregate(AF::kMax, 0, kHour), Last(0)});
  t.Insert(kT0 - kMinute, 1, {kNull});
  t.Insert(kT0 - kSecond, 2, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2)) << "COUNT counts events, not values";
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(0.0));
  EXPECT_EQ(t.Evaluate(2, kT0), Int(0));
  EXPECT_EQ(t.Evaluate(3, kT0), kNull);
  EXPECT_EQ(t.Evaluate(4, kT0), kNull);
  EXPECT_EQ(t.Evaluate(5, kT0), kNull);
  EXPECT_EQ(t.Evaluate(6, kT0), kNull);
}

// ------------------------------------------------------------ functions

TEST(EntityTimelineTest, CountWithASlotStillCountsEventsWhoseValueIsNull) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kCount, 0, kHour)});
  t.Insert(kT0 - 2, 1, {Int(1)});
  t.Insert(kT0 - 1, 2, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
}

TEST(EntityTimelineTest, SumAndMeanSkipNulls) {
  EntityTimeline t =
      MakeTimeline(1, {Aggregate(AF::kSum, 0, kHour), Aggregate(AF::kMean, 0, kHour)});
  t.Insert(kT0 - 3, 1, {Dbl(1.5)});
  t.Insert(kT0 - 2, 2, {kNull});
  t.Insert(kT0 - 1, 3, {Dbl(2.5)});
  EXPECT_EQ(t.Evaluate(0, kT0), Dbl(4.0));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(2.0));
}

TEST(EntityTimelineTest, NumericSlotsReadInt64DoubleAndBoolAsDouble) {
  EntityTimeline t =
      MakeTimeline(3, {Aggregate(AF::kSum, 0, kHour), Aggregate(AF::kMean, 0, kHour),
                       Aggregate(AF::kMin, 0, kHour), Aggregate(AF::kMax, 0, kHour),
                       Aggregate(AF::kSum, 1, kHour), Aggregate(AF::kMin, 1, kHour),
                       Aggregate(AF::kSum, 2, kHour), Aggregate(AF::kMean, 2, kHour),
                       Aggregate(AF::kMin, 2, kHour), Aggregate(AF::kMax, 2, kHour)});
  t.Insert(kT0 - 3, 1, {Int(-4), Dbl(0.25), Bool(true)});
  t.Insert(kT0 - 2, 2, {Int(10), Dbl(-0.5), Bool(false)});
  t.Insert(kT0 - 1, 3, {Int(3), Dbl(1.0), Bool(true)});
  EXPECT_EQ(t.Evaluate(0, kT0), Dbl(9.0));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(3.0));
  EXPECT_EQ(t.Evaluate(2, kT0), Dbl(-4.0));
  EXPECT_EQ(t.Evaluate(3, kT0), Dbl(10.0));
  EXPECT_EQ(t.Evaluate(4, kT0), Dbl(0.75));
  EXPECT_EQ(t.Evaluate(5, kT0), Dbl(-0.5));
  EXPECT_EQ(t.Evaluate(6, kT0), Dbl(2.0));
  EXPECT_EQ(t.Evaluate(7, kT0), Dbl(2.0 / 3));
  EXPECT_EQ(t.Evaluate(8, kT0), Dbl(0.0));
  EXPECT_EQ(t.Evaluate(9, kT0), Dbl(1.0));
}

TEST(EntityTimelineTest, MinAndMaxFollowTheWindow) {
  EntityTimeline t =
      MakeTimeline(1, {Aggregate(AF::kMin, 0, 10 * kMinute), Aggregate(AF::kMax, 0, 10 * kMinute)});
  const std::vector<double> values = {5, 1, 8, 3, 9, 2, 7};
  for (size_t i = 0; i < values.size(); ++i) {
    t.Insert(kT0 + static_cast<int64_t>(i) * 5 * kMinute, i, {Dbl(values[i])});
  }
  // As of the 4th event's time + 1us, the window holds events 2 and 3 (8, 3).
  const TimestampUs at = kT0 + 15 * kMinute + 1;
  EXPECT_EQ(t.Evaluate(0, at), Dbl(3.0));
  EXPECT_EQ(t.Evaluate(1, at), Dbl(8.0));
}

TEST(EntityTimelineTest, SumOfLargeInt64ValuesIsExact) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kSum, 0, kHour)});
  t.Insert(kT0 - 2, 1, {Int((int64_t{1} << 62) + 1)});
  t.Insert(kT0 - 1, 2, {Int(-(int64_t{1} << 62))});
  EXPECT_EQ(t.Evaluate(0, kT0), Dbl(1.0));
}

TEST(EntityTimelineTest, SumOverAWindowIsExactAfterHugeOlderValues) {
  // Plain double prefix sums give 2.0 here: 1e16 + 1 is not a double.
  EntityTimeline t =
      MakeTimeline(1, {Aggregate(AF::kSum, 0, kHour), Aggregate(AF::kMean, 0, kHour)});
  t.Insert(kT0 - kDay, 1, {Dbl(1e16)});
  t.Insert(kT0 - kMinute, 2, {Dbl(1.0)});
  t.Insert(kT0 - kSecond, 3, {Dbl(0.5)});
  EXPECT_EQ(t.Evaluate(0, kT0), Dbl(1.5));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(0.75));
}

TEST(EntityTimelineTest, SumIsTheCorrectlyRoundedSumWhateverTheArrivalOrder) {
  // 0.1 + 0.2 + 0.3 is 0.6000000000000001 added left to right, 0.6 exactly
  // rounded; the timeline gives the latter for every order of arrival.
  const std::vector<double> values = {0.1, 0.2, 0.3};
  std::vector<int> order = {0, 1, 2};
  do {
    EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kSum, 0, kHour)});
    for (int i : order) t.Insert(kT0 - 10 + i, i, {Dbl(values[i])});
    EXPECT_EQ(t.Evaluate(0, kT0), Dbl(0.6));
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(EntityTimelineTest, DistinctCountCountsEachNonNullValueOnce) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kDistinctCount, 0, kHour)});
  uint64_t seq = 0;
  for (const char* device : {"d1", "d2", "d1", "d3", "d2"})
    t.Insert(kT0 - 10, ++seq, {Str(device)});
  t.Insert(kT0 - 5, 9, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(3));
  t.Insert(kT0 + 1, 10, {Str("d4")});
  EXPECT_EQ(t.Evaluate(0, kT0 + 2), Int(4));
  EXPECT_EQ(t.Evaluate(0, kT0 - 10 + kHour + 1), Int(1)) << "only d4 left in the window";
}

TEST(EntityTimelineTest, DistinctCountOfDoublesTreatsNegativeZeroAsZero) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kDistinctCount, 0, kHour)});
  t.Insert(kT0 - 3, 1, {Dbl(0.0)});
  t.Insert(kT0 - 2, 2, {Dbl(-0.0)});
  t.Insert(kT0 - 1, 3, {Dbl(0.5)});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
}

// DISTINCT_COUNT has three ways to answer (see Distinct in the .cc): as of a
// time past the newest event, from the values' last occurrences; a little
// before it, by scanning the few newer events; else value by value. All
// three must agree with the definition.
TEST(EntityTimelineTest, DistinctCountPastTheNewestEventCountsEachValueByItsLastOccurrence) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kDistinctCount, 0, kHour)});
  t.Insert(kT0 - 90 * kMinute, 1, {Str("a")});
  t.Insert(kT0 - 80 * kMinute, 2, {Str("b")});
  t.Insert(kT0 - 30 * kMinute, 3, {Str("a")});
  t.Insert(kT0 - 20 * kMinute, 4, {Str("c")});
  t.Insert(kT0 - 10 * kMinute, 5, {Str("c")});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2)) << "a and c; b last seen before the window";
  EXPECT_EQ(t.Evaluate(0, kT0 + 30 * kMinute), Int(2));
  EXPECT_EQ(t.Evaluate(0, kT0 + 30 * kMinute + 1), Int(1)) << "only c";
  EXPECT_EQ(t.Evaluate(0, kT0 + 50 * kMinute), Int(1));
  EXPECT_EQ(t.Evaluate(0, kT0 + 50 * kMinute + 1), Int(0));
}

TEST(EntityTimelineTest, DistinctCountPastTheNewestEventFollowsLateEvents) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kDistinctCount, 0, kHour)});
  t.Insert(kT0 - 3 * kHour, 1, {Str("x")});
  t.Insert(kT0 - 10 * kMinute, 2, {Str("y")});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(1));
  t.Insert(kT0 - 20 * kMinute, 3, {Str("x")});  // late: x's last occurrence moves
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
  t.Insert(kT0 - 5 * kHour, 4, {Str("y")});  // late, older than y's last one
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
  t.Insert(kT0 - 30 * kMinute, 5, {Str("z")});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(3));
  EXPECT_EQ(t.Evaluate(0, kT0 - 15 * kMinute), Int(2)) << "x and z, y is newer";
  EXPECT_EQ(t.Evaluate(0, kT0 + 40 * kMinute), Int(2)) << "x exactly at the window start";
  EXPECT_EQ(t.Evaluate(0, kT0 + 45 * kMinute), Int(1)) << "y only";
  EXPECT_EQ(t.EvictBefore(kT0 - 25 * kMinute), 3u);
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2)) << "x and y";
  t.Insert(kT0 - 15 * kMinute, 6, {Str("z")});  // late, after the eviction
  EXPECT_EQ(t.Evaluate(0, kT0), Int(3));
  EXPECT_EQ(t.Evaluate(0, kT0 - 12 * kMinute), Int(2)) << "x and z";
}

TEST(EntityTimelineTest, DistinctCountAgreesWhicheverWayItIsAnswered) {
  // v0..v299 one second apart, then v0..v9 again.
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kDistinctCount, 0, kHour),
                                      Aggregate(AF::kDistinctCount, 0, 100 * kSecond)});
  for (int i = 0; i < 310; ++i) {
    t.Insert(kT0 + i * kSecond, i, {Str(absl::StrCat("v", i % 300))});
  }
  // Past the newest event.
  EXPECT_EQ(t.Evaluate(0, kT0 + 310 * kSecond), Int(300));
  EXPECT_EQ(t.Evaluate(1, kT0 + 310 * kSecond), Int(100)) << "v210..v299, v0..v9";
  // Before the last 10 or 5 events: v0..v9 seen again there must not count
  // when their earlier occurrence is outside the window.
  EXPECT_EQ(t.Evaluate(0, kT0 + 300 * kSecond), Int(300));
  EXPECT_EQ(t.Evaluate(1, kT0 + 300 * kSecond), Int(100)) << "v200..v299";
  EXPECT_EQ(t.Evaluate(1, kT0 + 305 * kSecond), Int(100)) << "v205..v299, v0..v4";
  EXPECT_EQ(t.Evaluate(1, kT0 + 9 * kSecond), Int(9)) << "v0..v8";
  // Far from the end.
  EXPECT_EQ(t.Evaluate(1, kT0 + 150 * kSecond), Int(100)) << "v50..v149";
  EXPECT_EQ(t.Evaluate(0, kT0 + 150 * kSecond), Int(150));
}

// ------------------------------------------------------------ filters

TEST(EntityTimelineTest, FilterCountsOnlyMatchingEvents) {
  EntityTimeline t = MakeTimeline(
      2, {Where(Count(kHour), 1, "XFER"), Where(Aggregate(AF::kSum, 0, kHour), 1, "XFER"),
          Where(Aggregate(AF::kMax, 0, kHour), 1, "POS"), Where(Last(0), 1, "POS")});
  t.Insert(kT0 - 4, 1, {Dbl(10), Str("XFER")});
  t.Insert(kT0 - 3, 2, {Dbl(20), Str("POS")});
  t.Insert(kT0 - 2, 3, {Dbl(30), Str("XFER")});
  t.Insert(kT0 - 1, 4, {Dbl(40), Str("ATM")});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(40.0));
  EXPECT_EQ(t.Evaluate(2, kT0), Dbl(20.0));
  EXPECT_EQ(t.Evaluate(3, kT0), Dbl(20.0));
}

TEST(EntityTimelineTest, FilterComparesTheTextFormOfNumbersAndBools) {
  EntityTimeline t = MakeTimeline(3, {Where(Count(kHour), 0, "2"), Where(Count(kHour), 1, "0.1"),
                                      Where(Count(kHour), 2, "true")});
  t.Insert(kT0 - 3, 1, {Int(2), Dbl(0.1), Bool(true)});
  t.Insert(kT0 - 2, 2, {Int(20), Dbl(0.10000000000000002), Bool(false)});
  t.Insert(kT0 - 1, 3, {Int(2), Dbl(0.1), Bool(true)});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(2));
  EXPECT_EQ(t.Evaluate(1, kT0), Int(2));
  EXPECT_EQ(t.Evaluate(2, kT0), Int(2));
}

TEST(EntityTimelineTest, NullNeverMatchesAFilterEvenAnEmptyOne) {
  EntityTimeline t = MakeTimeline(1, {Where(Count(kHour), 0, ""), Where(Last(0), 0, "")});
  t.Insert(kT0 - 2, 1, {Str("")});
  t.Insert(kT0 - 1, 2, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(1));
  EXPECT_EQ(t.Evaluate(1, kT0), Str(""));
}

TEST(EntityTimelineTest, FeaturesWithDifferentFiltersOnOneSlotStayApart) {
  EntityTimeline t = MakeTimeline(
      2, {Where(Aggregate(AF::kSum, 0, kHour), 1, "a"),
          Where(Aggregate(AF::kSum, 0, kHour), 1, "b"), Aggregate(AF::kSum, 0, kHour)});
  t.Insert(kT0 - 3, 1, {Int(1), Str("a")});
  t.Insert(kT0 - 2, 2, {Int(10), Str("b")});
  t.Insert(kT0 - 1, 3, {Int(100), kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Dbl(1.0));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(10.0));
  EXPECT_EQ(t.Evaluate(2, kT0), Dbl(111.0));
}

// ------------------------------------------------------------ LAST

TEST(EntityTimelineTest, LastReturnsTheValueAsStored) {
  EntityTimeline t = MakeTimeline(4, {Last(0), Last(1), Last(2), Last(3)});
  t.Insert(kT0 - 1, 1, {Int(42), Dbl(2.5), Str("gold"), Bool(false)});
  EXPECT_EQ(t.Evaluate(0, kT0), Int(42));
  EXPECT_EQ(t.Evaluate(1, kT0), Dbl(2.5));
  EXPECT_EQ(t.Evaluate(2, kT0), Str("gold"));
  EXPECT_EQ(t.Evaluate(3, kT0), Bool(false));
}

TEST(EntityTimelineTest, LastSkipsNullValues) {
  EntityTimeline t = MakeTimeline(1, {Last(0)});
  t.Insert(kT0 - 2, 1, {Str("old")});
  t.Insert(kT0 - 1, 2, {kNull});
  EXPECT_EQ(t.Evaluate(0, kT0), Str("old"));
}

TEST(EntityTimelineTest, LastWithTtlIsPresentIffAtMinusTtlIsAtMostItsTime) {
  EntityTimeline t = MakeTimeline(1, {Last(0, kHour)});
  t.Insert(kT0, 1, {Int(5)});
  EXPECT_EQ(t.Evaluate(0, kT0), kNull) << "not yet: ts < at is required";
  EXPECT_EQ(t.Evaluate(0, kT0 + 1), Int(5));
  EXPECT_EQ(t.Evaluate(0, kT0 + kHour), Int(5)) << "at - ttl == ts";
  EXPECT_EQ(t.Evaluate(0, kT0 + kHour + 1), kNull) << "at - ttl > ts";
}

TEST(EntityTimelineTest, LastWithTtlDoesNotFallBackToAnOlderValue) {
  EntityTimeline t = MakeTimeline(1, {Last(0, kHour)});
  t.Insert(kT0, 1, {Int(1)});
  t.Insert(kT0 + 2 * kHour, 2, {Int(2)});
  EXPECT_EQ(t.Evaluate(0, kT0 + 90 * kMinute), kNull);
  EXPECT_EQ(t.Evaluate(0, kT0 + 2 * kHour + 1), Int(2));
}

TEST(EntityTimelineTest, LastWithoutTtlNeverExpires) {
  EntityTimeline t = MakeTimeline(1, {Last(0)});
  t.Insert(kT0, 1, {Int(1)});
  EXPECT_EQ(t.Evaluate(0, kT0 + 365 * kDay), Int(1));
}

TEST(EntityTimelineTest, LastBreaksEqualTimestampsBySequence) {
  for (bool higher_sequence_first : {false, true}) {
    EntityTimeline t = MakeTimeline(1, {Last(0)});
    if (higher_sequence_first) {
      t.Insert(kT0, 7, {Str("seq7")});
      t.Insert(kT0, 3, {Str("seq3")});
    } else {
      t.Insert(kT0, 3, {Str("seq3")});
      t.Insert(kT0, 7, {Str("seq7")});
    }
    EXPECT_EQ(t.Evaluate(0, kT0 + 1), Str("seq7")) << higher_sequence_first;
  }
}

// ------------------------------------------------------------ NewestBefore

TEST(EntityTimelineTest, NewestBeforeIsTheGreatestTimestampStrictlyBefore) {
  EntityTimeline t = MakeTimeline(0, {Count(kHour)});
  t.Insert(kT0 + 20, 1, {});
  t.Insert(kT0 + 10, 2, {});
  EXPECT_EQ(t.NewestBefore(kT0 + 10), std::nullopt);
  EXPECT_EQ(t.NewestBefore(kT0 + 11), kT0 + 10);
  EXPECT_EQ(t.NewestBefore(kT0 + 20), kT0 + 10);
  EXPECT_EQ(t.NewestBefore(kT0 + 21), kT0 + 20);
}

// ------------------------------------------------------------ EvictBefore

TEST(EntityTimelineTest, EvictBeforeDropsOlderEventsAndKeepsTheCutoff) {
  EntityTimeline t = MakeTimeline(1, {Count(7 * kDay)});
  for (int i = 0; i < 5; ++i) t.Insert(kT0 + i * kHour, i, {kNull});
  EXPECT_EQ(t.EvictBefore(kT0 + 2 * kHour), 2u);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Evaluate(0, kT0 + kDay), Int(3));
  EXPECT_EQ(t.NewestBefore(kT0 + 2 * kHour), std::nullopt);
  EXPECT_EQ(t.EvictBefore(kT0 + 2 * kHour), 0u);
}

TEST(EntityTimelineTest, EvictedEventsNoLongerCountForAnyFunction) {
  EntityTimeline t = MakeTimeline(1, {Aggregate(AF::kSum, 0, kDay), Aggregate(AF::kMin, 0, kDay),
                                      Aggregate(AF::kDistinctCount, 0, kDay), Last(0)});
  t.Insert(kT0, 1, {Int(-5)});
  t.Insert(kT0 + 1, 2, {Int(7)});
  t.Insert(kT0 + 2, 3, {Int(9)});
  EXPECT_EQ(t.EvictBefore(kT0 + 1), 1u);
  EXPECT_EQ(t.Evaluate(0, kT0 + 3), Dbl(16.0));
  EXPECT_EQ(t.Evaluate(1, kT0 + 3), Dbl(7.0));
  EXPECT_EQ(t.Evaluate(2, kT0 + 3), Int(2));
  EXPECT_EQ(t.Evaluate(3, kT0 + 1), kNull) << "the only older value is gone";
}

TEST(EntityTimelineTest, EvictingEverythingLeavesAnEmptyTimelineThatStillWorks) {
  EntityTimeline t = MakeTimeline(1, {Count(kDay), Last(0)});
  for (int i = 0; i < 100; ++i) t.Insert(kT0 + i, i, {Str(absl::StrCat("v", i))});
  EXPECT_EQ(t.EvictBefore(kT0 + kDay), 100u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Evaluate(0, kT0 + 200), Int(0));
  EXPECT_EQ(t.Evaluate(1, kT0 + 200), kNull);
  t.Insert(kT0 + 2 * kDay, 1000, {Str("again")});
  EXPECT_EQ(t.Evaluate(0, kT0 + 2 * kDay + 1), Int(1));
  EXPECT_EQ(t.Evaluate(1, kT0 + 2 * kDay + 1), Str("again"));
}

TEST(EntityTimelineTest, RollingEvictionKeepsValuesUnchanged) {
  // Time-ordered ingest with eviction after each event, as the store does.
  EntityTimeline t =
      MakeTimeline(1, {Count(kHour), Aggregate(AF::kSum, 0, kHour), Aggregate(AF::kMax, 0, kHour),
                       Aggregate(AF::kDistinctCount, 0, kHour), Last(0)});
  for (int i = 0; i < 5000; ++i) {
    const TimestampUs ts = kT0 + i * kMinute;
    t.Insert(ts, i, {Int(i % 100)});
    t.EvictBefore(ts - kHour);
    ASSERT_LE(t.size(), 61u);
    const int64_t in_window = std::min(i + 1, 60);
    ASSERT_EQ(t.Evaluate(0, ts + 1), Int(in_window)) << i;
    int max = 0;
    for (int j = std::max(0, i - 59); j <= i; ++j) max = std::max(max, j % 100);
    ASSERT_EQ(t.Evaluate(2, ts + 1), Dbl(max)) << i;
    ASSERT_EQ(t.Evaluate(3, ts + 1), Int(in_window)) << i;
    ASSERT_EQ(t.Evaluate(4, ts + 1), Int(i % 100)) << i;
  }
}

// ------------------------------------------------------------ object

TEST(EntityTimelineTest, MovedTimelineKeepsItsEventsAndSchema) {
  EntityTimeline a = MakeTimeline(1, {Last(0)});
  a.Insert(kT0, 1, {Str("kept")});
  EntityTimeline b = std::move(a);
  EXPECT_EQ(b.Evaluate(0, kT0 + 1), Str("kept"));
  EXPECT_EQ(b.schema().features.size(), 1u);
  EntityTimeline c = MakeTimeline(1, {Count(kHour)});
  c = std::move(b);
  EXPECT_EQ(c.Evaluate(0, kT0 + 1), Str("kept"));
  EXPECT_EQ(c.size(), 1u);
}

// ------------------------------------------------------------ property test

// Slots of the random streams below.
enum Slot { kQty = 0, kAmount, kKind, kFlag, kDevice, kCard, kSlotCount };

// Exactly rounded sum of doubles (Shewchuk / CPython math.fsum).
double FSum(const std::vector<double>& values) {
  std::vector<double> partials;
  for (double x : values) {
    size_t i = 0;
    for (double y : partials) {
      if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
      const double hi = x + y;
      const double lo = y - (hi - x);
      if (lo != 0.0) partials[i++] = lo;
      x = hi;
    }
    partials.resize(i);
    partials.push_back(x);
  }
  double hi = 0.0;
  size_t n = partials.size();
  if (n > 0) {
    hi = partials[--n];
    double lo = 0.0;
    while (n > 0) {
      const double x = hi;
      const double y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo != 0.0) break;
    }
    if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
      const double y = lo * 2.0;
      const double x = hi + y;
      if (y == x - hi) hi = x;
    }
  }
  return hi;
}

struct Event {
  TimestampUs ts;
  uint64_t seq;
  std::vector<Value> values;
};

// The semantics of the header, written the obvious way: every read scans
// every event.
class ReferenceTimeline {
 public:
  explicit ReferenceTimeline(const TimelineSchema* schema) : schema_(schema) {}

  void Insert(Event e) { events_.push_back(std::move(e)); }

  size_t EvictBefore(TimestampUs cutoff) {
    const size_t before = events_.size();
    std::erase_if(events_, [&](const Event& e) { return e.ts < cutoff; });
    return before - events_.size();
  }

  std::optional<TimestampUs> NewestBefore(TimestampUs at) const {
    std::optional<TimestampUs> newest;
    for (const Event& e : events_) {
      if (e.ts < at && (!newest || e.ts > *newest)) newest = e.ts;
    }
    return newest;
  }

  size_t size() const { return events_.size(); }

  Value Evaluate(size_t feature, TimestampUs at) const {
    const TimelineFeature& f = schema_->features[feature];
    auto passes = [&](const Event& e) {
      if (f.filter_slot < 0) return true;
      const Value& v = e.values[f.filter_slot];
      return !IsNull(v) && ValueToText(v) == f.filter_equals;
    };
    if (f.function == AF::kLast) {
      const Event* last = nullptr;
      for (const Event& e : events_) {
        if (e.ts >= at || !passes(e) || IsNull(e.values[f.slot])) continue;
        if (last == nullptr || std::tie(e.ts, e.seq) > std::tie(last->ts, last->seq)) last = &e;
      }
      if (last == nullptr || (f.ttl > 0 && last->ts < at - f.ttl)) return kNull;
      return last->values[f.slot];
    }
    int64_t count = 0;
    std::vector<double> addends;  // exact parts of the values, for FSum
    std::vector<double> numbers;  // the values as doubles
    std::set<Value> distinct;
    for (const Event& e : events_) {
      if (e.ts >= at || e.ts < at - f.window || !passes(e)) continue;
      ++count;
      if (f.slot < 0) continue;
      const Value& v = e.values[f.slot];
      if (IsNull(v)) continue;
      distinct.insert(v);
      if (const int64_t* i = std::get_if<int64_t>(&v)) {
        // High and low 32-bit halves: both exact as doubles.
        addends.push_back(static_cast<double>(*i >> 32) * 4294967296.0);
        addends.push_back(static_cast<double>(static_cast<uint32_t>(*i)));
        numbers.push_back(static_cast<double>(*i));
      } else if (const double* d = std::get_if<double>(&v)) {
        addends.push_back(*d);
        numbers.push_back(*d);
      } else if (const bool* b = std::get_if<bool>(&v)) {
        addends.push_back(*b ? 1.0 : 0.0);
        numbers.push_back(*b ? 1.0 : 0.0);
      }
    }
    switch (f.function) {
      case AF::kCount:
        return count;
      case AF::kSum:
        return FSum(addends);
      case AF::kMean:
        if (numbers.empty()) return kNull;
        return FSum(addends) / static_cast<double>(numbers.size());
      case AF::kMin:
        if (numbers.empty()) return kNull;
        return *std::min_element(numbers.begin(), numbers.end());
      case AF::kMax:
        if (numbers.empty()) return kNull;
        return *std::max_element(numbers.begin(), numbers.end());
      case AF::kDistinctCount:
        return static_cast<int64_t>(distinct.size());
      case AF::kLast:
        break;
    }
    return kNull;
  }

 private:
  const TimelineSchema* schema_;
  std::vector<Event> events_;
};

std::shared_ptr<const TimelineSchema> RandomStreamSchema() {
  constexpr DurationUs k10m = 10 * kMinute;
  constexpr DurationUs k1h = kHour;
  constexpr DurationUs k24h = kDay;
  constexpr DurationUs k7d = 7 * kDay;
  auto schema = std::make_shared<TimelineSchema>();
  schema->slot_count = kSlotCount;
  schema->features = {
      Count(k10m),
      Count(k1h),
      Count(k24h),
      Count(k7d),
      Where(Count(k1h), kKind, "A"),
      Where(Count(k24h), kFlag, "true"),
      Where(Count(k7d), kQty, "3"),
      Where(Count(k7d), kKind, ""),
      Where(Count(k24h), kAmount, "0.5"),
      Aggregate(AF::kCount, kAmount, k1h),
      Aggregate(AF::kSum, kAmount, k1h),
      Aggregate(AF::kSum, kAmount, k7d),
      Aggregate(AF::kSum, kQty, k24h),
      Aggregate(AF::kSum, kFlag, k24h),
      Where(Aggregate(AF::kMean, kAmount, k24h), kKind, "B"),
      Aggregate(AF::kMean, kQty, k10m),
      Aggregate(AF::kMean, kAmount, k7d),
      Aggregate(AF::kMin, kAmount, k10m),
      Aggregate(AF::kMax, kAmount, k7d),
      Where(Aggregate(AF::kMin, kQty, k24h), kFlag, "true"),
      Aggregate(AF::kMax, kFlag, k1h),
      Where(Aggregate(AF::kMax, kAmount, k1h), kKind, "A"),
      Aggregate(AF::kDistinctCount, kDevice, k1h),
      Aggregate(AF::kDistinctCount, kDevice, k7d),
      Where(Aggregate(AF::kDistinctCount, kKind, k24h), kFlag, "false"),
      Aggregate(AF::kDistinctCount, kAmount, k24h),
      Aggregate(AF::kDistinctCount, kFlag, k7d),
      Last(kAmount),
      Last(kDevice, k1h),
      Where(Last(kKind), kQty, "3"),
      Last(kFlag, k10m),
      Last(kQty),
      Where(Last(kDevice, k24h), kKind, "C"),
      // Hundreds of distinct values (RandomStream::Values).
      Aggregate(AF::kDistinctCount, kCard, k10m),
      Aggregate(AF::kDistinctCount, kCard, k1h),
      Aggregate(AF::kDistinctCount, kCard, k24h),
      Aggregate(AF::kDistinctCount, kCard, k7d),
      Where(Aggregate(AF::kDistinctCount, kCard, k7d), kKind, "A"),
      Where(Aggregate(AF::kDistinctCount, kCard, k24h), kFlag, "true"),
  };
  return schema;
}

enum class Arrival { kInOrder, kMostlyInOrder, kShuffled };

struct StreamParams {
  uint32_t seed;
  int events;
  Arrival arrival;
  bool random_sequences;  // seq not increasing with arrival
  bool evict;
  int card_values;  // distinct values of the kCard slot
};

void PrintTo(const StreamParams& p, std::ostream* os) {
  *os << "seed " << p.seed << ", " << p.events << " events, " << p.card_values << " cards";
}

class RandomStream {
 public:
  explicit RandomStream(uint32_t seed, int card_values = 300)
      : rng_(seed), card_values_(card_values) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::mt19937& rng() { return rng_; }

  // Timestamps over ~10 days: often on whole minutes (so that `ts + window`
  // hits other events), sometimes repeating an earlier one.
  TimestampUs Timestamp(const std::vector<TimestampUs>& earlier) {
    if (!earlier.empty() && Chance(0.2)) return earlier[Uniform(0, earlier.size() - 1)];
    const int64_t minutes = Uniform(0, 10 * 24 * 60);
    if (Chance(0.5)) return kT0 + minutes * kMinute;
    return kT0 + minutes * kMinute + Uniform(-1, 1) * Uniform(0, 59'999'999);
  }

  std::vector<Value> Values() {
    std::vector<Value> v(kSlotCount);
    if (!Chance(0.1)) {
      if (Chance(0.02)) {
        v[kQty] = Int((int64_t{1} << Uniform(53, 61)) + Uniform(-1000, 1000));
        if (Chance(0.5)) v[kQty] = Int(-std::get<int64_t>(v[kQty]));
      } else {
        v[kQty] = Int(Uniform(-2, 20));
      }
    }
    switch (Uniform(0, 6)) {
      case 0:
        break;  // null
      case 1:
        v[kAmount] = Dbl(Uniform(-100'000, 100'000) / 100.0);
        break;
      case 2:
        v[kAmount] = Dbl(std::uniform_real_distribution<double>(-1000, 1000)(rng_));
        break;
      case 3:
        v[kAmount] = Dbl(Uniform(-3, 3) * 0.5);
        break;
      case 4:
        v[kAmount] = Dbl(Chance(0.5) ? 0.0 : -0.0);
        break;
      default:
        v[kAmount] = Dbl(Uniform(-10, 10) / 10.0);
        break;
    }
    static const char* const kKinds[] = {"A", "B", "C", ""};
    if (!Chance(0.15)) v[kKind] = Str(kKinds[Uniform(0, 3)]);
    if (!Chance(0.1)) v[kFlag] = Bool(Chance(0.5));
    if (!Chance(0.1)) v[kDevice] = Str(absl::StrCat("device-", Uniform(0, 19)));
    // Many values, a few of them hot; the same number as int64 and as text
    // are two values.
    if (!Chance(0.05)) {
      const int card = Chance(0.3) ? Uniform(0, 4) : Uniform(0, card_values_ - 1);
      v[kCard] = Chance(0.1) ? Int(card) : Str(absl::StrCat(card));
    }
    return v;
  }

 private:
  std::mt19937 rng_;
  int card_values_;
};

// Times worth asking about: each event's time and the boundaries of every
// window and TTL around it; past the newest event (a serving read) and just
// before the newest few; plus random ones.
std::vector<TimestampUs> InterestingTimes(const std::vector<Event>& events, RandomStream& random,
                                          int samples) {
  static constexpr DurationUs kSpans[] = {10 * kMinute, kHour, kDay, 7 * kDay};
  std::vector<TimestampUs> times;
  for (int i = 0; i < samples && !events.empty(); ++i) {
    const TimestampUs ts = events[random.Uniform(0, events.size() - 1)].ts;
    times.insert(times.end(), {ts - 1, ts, ts + 1});
    for (DurationUs span : kSpans) times.insert(times.end(), {ts + span, ts + span + 1});
  }
  std::vector<TimestampUs> newest;
  for (const Event& e : events) newest.push_back(e.ts);
  std::sort(newest.begin(), newest.end(), std::greater<>());
  if (!newest.empty()) {
    times.push_back(newest[0] + 1);
    for (DurationUs span : kSpans) {
      times.insert(times.end(), {newest[0] + span - 1, newest[0] + span, newest[0] + span + 1});
    }
  }
  for (int k : {1, 2, 3, 5, 10, 20, 40, 80}) {
    if (static_cast<size_t>(k) < newest.size()) {
      times.insert(times.end(), {newest[k], newest[k] + 1});
    }
  }
  for (int i = 0; i < samples; ++i) {
    times.push_back(kT0 - kDay + random.Uniform(0, 20 * 24 * 60) * kMinute +
                    random.Uniform(0, 59'999'999));
  }
  return times;
}

class RandomStreamTest : public ::testing::TestWithParam<StreamParams> {};

TEST_P(RandomStreamTest, AgreesWithABruteForceReferenceAtEveryTime) {
  const StreamParams& p = GetParam();
  RandomStream random(p.seed, p.card_values);
  const std::shared_ptr<const TimelineSchema> schema = RandomStreamSchema();

  // The events, in time order, then put in arrival order.
  std::vector<Event> events;
  std::vector<TimestampUs> times;
  for (int i = 0; i < p.events; ++i) {
    const TimestampUs ts = random.Timestamp(times);
    times.push_back(ts);
    events.push_back(Event{ts, 0, random.Values()});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.ts < b.ts; });
  switch (p.arrival) {
    case Arrival::kInOrder:
      break;
    case Arrival::kMostlyInOrder:
      for (size_t i = 1; i < events.size(); ++i) {
        if (random.Chance(0.1)) std::swap(events[i], events[random.Uniform(0, i - 1)]);
      }
      break;
    case Arrival::kShuffled:
      std::shuffle(events.begin(), events.end(), random.rng());
      break;
  }
  std::vector<uint64_t> sequences(events.size());
  for (size_t i = 0; i < events.size(); ++i) sequences[i] = 1000 + i;
  if (p.random_sequences) std::shuffle(sequences.begin(), sequences.end(), random.rng());
  for (size_t i = 0; i < events.size(); ++i) events[i].seq = sequences[i];

  EntityTimeline timeline(schema);
  ReferenceTimeline reference(schema.get());
  std::vector<Event> arrived;
  int mismatches = 0;
  const int checkpoint_every = std::max(1, p.events / 8);
  for (size_t i = 0; i < events.size(); ++i) {
    timeline.Insert(events[i].ts, events[i].seq, events[i].values);
    reference.Insert(events[i]);
    arrived.push_back(events[i]);
    if (p.evict && random.Chance(0.02)) {
      const TimestampUs cutoff =
          arrived[random.Uniform(0, arrived.size() - 1)].ts + random.Uniform(-1, 1);
      ASSERT_EQ(timeline.EvictBefore(cutoff), reference.EvictBefore(cutoff)) << cutoff;
    }
    if ((i + 1) % checkpoint_every != 0 && i + 1 != events.size()) continue;
    ASSERT_EQ(timeline.size(), reference.size());
    for (TimestampUs at : InterestingTimes(arrived, random, 6)) {
      ASSERT_EQ(timeline.NewestBefore(at), reference.NewestBefore(at)) << at;
      for (size_t f = 0; f < schema->features.size(); ++f) {
        const Value actual = timeline.Evaluate(f, at);
        const Value expected = reference.Evaluate(f, at);
        if (actual != expected && ++mismatches <= 10) {
          ADD_FAILURE() << "feature " << f << " as of " << at << " after " << i + 1
                        << " events: got [" << actual.index() << "] " << ValueToText(actual)
                        << ", want [" << expected.index() << "] " << ValueToText(expected);
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

std::vector<StreamParams> StreamCases() {
  std::vector<StreamParams> cases;
  uint32_t seed = 1;
  for (Arrival arrival : {Arrival::kInOrder, Arrival::kMostlyInOrder, Arrival::kShuffled}) {
    for (bool random_sequences : {false, true}) {
      for (bool evict : {false, true}) {
        cases.push_back({seed++, 400, arrival, random_sequences, evict, 300});
      }
    }
  }
  // Larger streams: trees grow several times, compaction runs.
  cases.push_back({seed++, 4000, Arrival::kMostlyInOrder, false, true, 300});
  cases.push_back({seed++, 4000, Arrival::kShuffled, true, false, 300});
  // Hundreds of distinct values in every window (few repeats but the hot
  // ones), and values seen tens of times each.
  for (int card_values : {1000, 50}) {
    for (Arrival arrival : {Arrival::kInOrder, Arrival::kMostlyInOrder, Arrival::kShuffled}) {
      cases.push_back({seed++, 2000, arrival, arrival == Arrival::kShuffled, true, card_values});
    }
  }
  return cases;
}

std::string StreamName(const ::testing::TestParamInfo<StreamParams>& info) {
  const StreamParams& p = info.param;
  const char* arrival = p.arrival == Arrival::kInOrder         ? "InOrder"
                        : p.arrival == Arrival::kMostlyInOrder ? "MostlyInOrder"
                                                               : "Shuffled";
  return absl::StrCat(arrival, p.random_sequences ? "RandomSeq" : "", p.evict ? "Evicting" : "",
                      p.events, "Events", p.card_values, "Cards_Seed", p.seed);
}

INSTANTIATE_TEST_SUITE_P(Streams, RandomStreamTest, ::testing::ValuesIn(StreamCases()), StreamName);

// ------------------------------------------------------------ batch reads

// Equal values with equal text: tells -0.0 from 0.0, as CSV output does.
bool Identical(const Value& a, const Value& b) {
  return a.index() == b.index() && a == b && ValueToText(a) == ValueToText(b);
}

// A random stream of one entity, arriving out of time order, inserted into
// `timelines` (and evicted from all of them alike when `evict`).
std::vector<Event> InsertRandomStream(RandomStream& random, int count, bool evict,
                                      const std::vector<EntityTimeline*>& timelines) {
  std::vector<Event> events;
  std::vector<TimestampUs> times;
  for (int i = 0; i < count; ++i) {
    const TimestampUs ts = random.Timestamp(times);
    times.push_back(ts);
    events.push_back(Event{ts, static_cast<uint64_t>(random.Uniform(0, 1 << 30)), random.Values()});
    for (EntityTimeline* t : timelines) t->Insert(ts, events.back().seq, events.back().values);
    if (evict && random.Chance(0.01)) {
      const TimestampUs cutoff = times[random.Uniform(0, times.size() - 1)];
      for (EntityTimeline* t : timelines) t->EvictBefore(cutoff);
    }
  }
  return events;
}

TEST(EntityTimelineTest, EvaluateManyAgreesWithEvaluateFeatureByFeature) {
  const std::shared_ptr<const TimelineSchema> schema = RandomStreamSchema();
  const size_t n = schema->features.size();
  for (uint32_t seed : {7u, 8u, 9u}) {
    RandomStream random(seed);
    EntityTimeline timeline(schema);
    const std::vector<Event> events =
        InsertRandomStream(random, 1500, /*evict=*/seed == 9, {&timeline});
    // Every feature in schema order; and a selection with repeats, in any
    // order, with an index past the schema (null).
    std::vector<size_t> all(n);
    for (size_t f = 0; f < n; ++f) all[f] = f;
    std::vector<size_t> some;
    for (int k = 0; k < 25; ++k) some.push_back(random.Uniform(0, n));
    int mismatches = 0;
    for (TimestampUs at : InterestingTimes(events, random, 20)) {
      for (const std::vector<size_t>* features : {&all, &some}) {
        std::vector<Value> out(features->size(), Str("stale"));
        timeline.EvaluateMany(*features, at, absl::MakeSpan(out));
        for (size_t i = 0; i < features->size(); ++i) {
          const Value expected = timeline.Evaluate((*features)[i], at);
          if (!Identical(out[i], expected) && ++mismatches <= 10) {
            ADD_FAILURE() << "seed " << seed << ": feature " << (*features)[i] << " as of " << at
                          << ": EvaluateMany " << ValueToText(out[i]) << ", Evaluate "
                          << ValueToText(expected);
          }
        }
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(EntityTimelineTest, InsertBatchEqualsInsertingOneByOne) {
  const std::shared_ptr<const TimelineSchema> schema = RandomStreamSchema();
  RandomStream random(13);
  for (int round = 0; round < 4; ++round) {
    // Events out of time order (a batch may hold late events), with ties;
    // the batch goes into a timeline that already holds some.
    EntityTimeline one_by_one(schema);
    EntityTimeline batched(schema);
    const std::vector<Event> before =
        InsertRandomStream(random, 200, false, {&one_by_one, &batched});
    std::vector<Event> events;
    std::vector<TimestampUs> times;
    for (int i = 0; i < 300 * round; ++i) {
      const TimestampUs ts = random.Timestamp(times);
      times.push_back(ts);
      events.push_back(
          Event{ts, static_cast<uint64_t>(random.Uniform(0, 1 << 30)), random.Values()});
      one_by_one.Insert(events.back().ts, events.back().seq, events.back().values);
    }
    batched.InsertBatch(events.size(), [&](size_t i, TimestampUs* ts, uint64_t* seq) {
      *ts = events[i].ts;
      *seq = events[i].seq;
      return absl::Span<const Value>(events[i].values);
    });
    ASSERT_EQ(batched.size(), one_by_one.size());
    events.insert(events.end(), before.begin(), before.end());
    int mismatches = 0;
    for (TimestampUs at : InterestingTimes(events, random, 10)) {
      for (size_t f = 0; f < schema->features.size(); ++f) {
        const Value got = batched.Evaluate(f, at);
        const Value want = one_by_one.Evaluate(f, at);
        if (!Identical(got, want) && ++mismatches <= 10) {
          ADD_FAILURE() << "round " << round << ": feature " << f << " as of " << at << ": batched "
                        << ValueToText(got) << ", one by one " << ValueToText(want);
        }
      }
    }
    EXPECT_EQ(mismatches, 0) << "round " << round;
  }
}

TEST(EntityTimelineTest, ClearedTimelineReadsAsANewOneAndRefillsLikeOne) {
  const std::shared_ptr<const TimelineSchema> schema = RandomStreamSchema();
  RandomStream random(11);
  EntityTimeline reused(schema);
  // Rounds of different sizes, some evicting (a compacted timeline is
  // cleared too), one empty.
  const int counts[] = {300, 800, 0, 1, 500, 50};
  for (int round = 0; round < 6; ++round) {
    reused.Clear();
    EXPECT_EQ(reused.size(), 0u);
    EntityTimeline fresh(schema);
    const std::vector<Event> events =
        InsertRandomStream(random, counts[round], /*evict=*/round % 2 == 1, {&reused, &fresh});
    ASSERT_EQ(reused.size(), fresh.size()) << "round " << round;
    std::vector<TimestampUs> times = InterestingTimes(events, random, 10);
    times.push_back(kT0);
    int mismatches = 0;
    for (TimestampUs at : times) {
      ASSERT_EQ(reused.NewestBefore(at), fresh.NewestBefore(at)) << "round " << round;
      for (size_t f = 0; f < schema->features.size(); ++f) {
        const Value got = reused.Evaluate(f, at);
        const Value want = fresh.Evaluate(f, at);
        if (!Identical(got, want) && ++mismatches <= 10) {
          ADD_FAILURE() << "round " << round << ": feature " << f << " as of " << at << ": reused "
                        << ValueToText(got) << ", fresh " << ValueToText(want);
        }
      }
    }
    EXPECT_EQ(mismatches, 0) << "round " << round;
  }
}

// ------------------------------------------------------------ concurrency

TEST(EntityTimelineTest, ConcurrentEvaluatesAgreeWithASingleReader) {
  const std::shared_ptr<const TimelineSchema> schema = RandomStreamSchema();
  EntityTimeline timeline(schema);
  RandomStream random(99);
  for (int i = 0; i < 5000; ++i) {
    timeline.Insert(kT0 + i * kMinute, i, random.Values());
  }
  std::vector<TimestampUs> times;
  for (int i = 0; i < 200; ++i) times.push_back(kT0 + random.Uniform(0, 5000) * kMinute);
  std::vector<Value> expected;
  for (TimestampUs at : times) {
    for (size_t f = 0; f < schema->features.size(); ++f)
      expected.push_back(timeline.Evaluate(f, at));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      size_t k = 0;
      for (TimestampUs at : times) {
        for (size_t f = 0; f < schema->features.size(); ++f) {
          if (timeline.Evaluate(f, at) != expected[k++]) ++mismatches[r];
        }
      }
    });
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace fstore
