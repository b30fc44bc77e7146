#include "featurestore/source_quality.h"

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;
constexpr DurationUs kHour = 60 * kMinute;
constexpr DurationUs kDay = 24 * kHour;

SourceQualityRecord Record(std::vector<std::string> columns, int64_t accepted, int64_t rejected,
                           int64_t duplicates, std::map<std::string, int64_t> rules,
                           std::vector<int64_t> nulls) {
  SourceQualityRecord r;
  r.columns = std::move(columns);
  r.counts.accepted = accepted;
  r.counts.rejected = rejected;
  r.counts.duplicates = duplicates;
  r.counts.rejected_by_rule = std::move(rules);
  r.counts.nulls = std::move(nulls);
  return r;
}

TEST(SourceQualityTest, RecordsRoundTrip) {
  const SourceQualityRecord r =
      Record({"id", "ts", "note"}, 7, 3, 1, {{"min", 1}, {"not_null", 2}}, {0, 0, 4});
  absl::StatusOr<SourceQualityRecord> back = DecodeSourceQuality(EncodeSourceQuality(r), "r");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  const SourceQualityRecord empty;
  EXPECT_EQ(*DecodeSourceQuality(EncodeSourceQuality(empty), "e"), empty);
}

TEST(SourceQualityTest, MalformedRecordsAreDataLossNamingThem) {
  const std::string good = EncodeSourceQuality(Record({"id"}, 1, 1, 0, {{"type", 1}}, {0}));
  for (const std::string& bad :
       {std::string(), good.substr(0, good.size() - 1), good + "x", "\x02" + good.substr(1)}) {
    absl::StatusOr<SourceQualityRecord> r = DecodeSourceQuality(bad, "quality record of txns");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(r.status().message(), HasSubstr("quality record of txns"));
  }
}

TEST(SourceQualityTest, FloorToMultipleRoundsDownIncludingBeforeTheEpoch) {
  EXPECT_EQ(FloorToMultiple(kT0 + 59 * kMinute, kHour), kT0);
  EXPECT_EQ(FloorToMultiple(kT0, kHour), kT0);
  EXPECT_EQ(FloorToMultiple(kT0 - 1, kHour), kT0 - kHour);
  EXPECT_EQ(FloorToMultiple(-1, kMinute), -kMinute);
  EXPECT_EQ(FloorToMultiple(-kMinute, kMinute), -kMinute);
}

TEST(SourceQualityTest, AddSumsCountsRulesAndNulls) {
  QualityCounts a = Record({}, 2, 1, 0, {{"min", 1}}, {1, 0}).counts;
  a.Add(Record({}, 3, 2, 1, {{"min", 1}, {"type", 1}}, {0, 2, 5}).counts);
  EXPECT_EQ(a.accepted, 5);
  EXPECT_EQ(a.rejected, 3);
  EXPECT_EQ(a.duplicates, 1);
  EXPECT_EQ(a.rejected_by_rule, (std::map<std::string, int64_t>{{"min", 2}, {"type", 1}}));
  EXPECT_THAT(a.nulls, ElementsAre(1, 2, 5));
}

TEST(SourceQualityTest, MinutesMergeIntoBucketsAlignedToTheirWidth) {
  const std::vector<std::string> columns = {"id", "note"};
  SourceQualityAggregator agg("txns", columns, kT0, kT0 + 3 * kHour, kHour);
  agg.Add(kT0, Record(columns, 2, 1, 0, {{"min", 1}}, {0, 1}));
  agg.Add(kT0 + 59 * kMinute, Record(columns, 3, 0, 1, {}, {0, 2}));
  agg.Add(kT0 + 2 * kHour, Record(columns, 1, 2, 0, {{"not_null", 2}}, {0, 0}));
  agg.Add(kT0 - kMinute, Record(columns, 100, 0, 0, {}, {0, 0}));    // before the window
  agg.Add(kT0 + 3 * kHour, Record(columns, 100, 0, 0, {}, {0, 0}));  // at its end
  SourceQualityReport r = std::move(agg).Finish();
  EXPECT_EQ(r.source, "txns");
  EXPECT_EQ(r.columns, columns);
  ASSERT_EQ(r.buckets.size(), 2u);  // the empty 11:00 bucket is left out
  EXPECT_EQ(r.buckets[0].start, kT0);
  EXPECT_EQ(r.buckets[0].counts.accepted, 5);
  EXPECT_EQ(r.buckets[0].counts.duplicates, 1);
  EXPECT_THAT(r.buckets[0].counts.nulls, ElementsAre(0, 3));
  EXPECT_EQ(r.buckets[1].start, kT0 + 2 * kHour);
  EXPECT_EQ(r.buckets[1].counts.rejected_by_rule,
            (std::map<std::string, int64_t>{{"not_null", 2}}));
  EXPECT_EQ(r.total.accepted, 6);
  EXPECT_EQ(r.total.rejected, 3);
  EXPECT_EQ(r.total.duplicates, 1);
  EXPECT_EQ(r.total.rejected_by_rule,
            (std::map<std::string, int64_t>{{"min", 1}, {"not_null", 2}}));
  EXPECT_THAT(r.total.nulls, ElementsAre(0, 3));
}

TEST(SourceQualityTest, BucketsAlignToTheEpochNotToTheWindowStart) {
  // A 1h window starting at 10:30 in 1h buckets: 10:00 and 11:00.
  SourceQualityAggregator agg("s", {"a"}, kT0 + 30 * kMinute, kT0 + 90 * kMinute, kHour);
  agg.Add(kT0 + 10 * kMinute, Record({"a"}, 1, 0, 0, {}, {0}));  // before since: ignored
  agg.Add(kT0 + 40 * kMinute, Record({"a"}, 1, 0, 0, {}, {0}));
  agg.Add(kT0 + 70 * kMinute, Record({"a"}, 1, 0, 0, {}, {1}));
  SourceQualityReport r = std::move(agg).Finish();
  ASSERT_EQ(r.buckets.size(), 2u);
  EXPECT_EQ(r.buckets[0].start, kT0);
  EXPECT_EQ(r.buckets[1].start, kT0 + kHour);
  EXPECT_EQ(r.total.accepted, 2);
}

TEST(SourceQualityTest, NullsAreMatchedToTheReportsColumnsByName) {
  SourceQualityAggregator agg("s", {"a", "b", "c"}, kT0, kT0 + kHour, kHour);
  // Written before column c existed, and with a column since renamed away.
  agg.Add(kT0, Record({"b", "gone", "a"}, 4, 0, 0, {}, {2, 9, 1}));
  agg.Add(kT0 + kMinute, Record({"a", "b", "c"}, 1, 0, 0, {}, {0, 0, 1}));
  SourceQualityReport r = std::move(agg).Finish();
  EXPECT_THAT(r.total.nulls, ElementsAre(1, 2, 1));
  ASSERT_EQ(r.buckets.size(), 1u);
  EXPECT_THAT(r.buckets[0].counts.nulls, ElementsAre(1, 2, 1));
}

TEST(SourceQualityTest, ConformToColumnsMovesKeepsAndAddsColumns) {
  SourceQualityRecord r = Record({"a", "b"}, 1, 0, 0, {}, {3, 4});
  ConformToColumns({"b", "a", "c"}, &r);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_THAT(r.counts.nulls, ElementsAre(4, 3, 0));
  SourceQualityRecord fresh;
  ConformToColumns({"x", "y"}, &fresh);
  EXPECT_THAT(fresh.counts.nulls, ElementsAre(0, 0));
}

TEST(SourceQualityTest, BadWindowsAreRefusedNamingTheValue) {
  EXPECT_TRUE(ValidateQualityWindow(kT0, kT0 + kDay, kHour).ok());
  struct Case {
    TimestampUs since, until;
    DurationUs bucket;
    const char* named;
  };
  for (const Case& c : {Case{kT0, kT0 + kDay, 0, "bucket 0us"},
                        Case{kT0, kT0 + kDay, -kHour, "bucket -3600000000us"},
                        Case{kT0, kT0 + kDay, 90 * kMicrosPerSecond, "bucket 90s"},
                        Case{kT0, kT0, kHour, "since 2026-01-05T10:00:00Z"},
                        Case{kT0 + 1, kT0, kHour, "is not before until"},
                        Case{-kHour, kT0, kHour, "since -3600000000us"},
                        Case{kT0, kT0 + 10001 * kMinute, kMinute, "makes 10001 buckets"}}) {
    absl::Status s = ValidateQualityWindow(c.since, c.until, c.bucket);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.named;
    EXPECT_THAT(s.message(), HasSubstr(c.named));
  }
  // Exactly the cap is allowed.
  EXPECT_TRUE(ValidateQualityWindow(kT0, kT0 + 10000 * kMinute, kMinute).ok());
}

TEST(SourceQualityTest, RecentWindowIsWholeBucketsEndingWithNow) {
  TimestampUs since = 0, until = 0;
  const TimestampUs now = kT0 + 17 * kMinute + 5;
  ASSERT_TRUE(RecentQualityWindow(now, kDay, kHour, &since, &until).ok());
  EXPECT_EQ(until, kT0 + kHour);
  EXPECT_EQ(since, kT0 + kHour - kDay);
  // 90m in 1h buckets rounds up to two buckets.
  ASSERT_TRUE(RecentQualityWindow(now, 90 * kMinute, kHour, &since, &until).ok());
  EXPECT_EQ(since, kT0 - kHour);
  // A window shorter than the bucket is the current bucket.
  ASSERT_TRUE(RecentQualityWindow(now, kHour, kDay, &since, &until).ok());
  EXPECT_EQ(since, FloorToMultiple(now, kDay));
  EXPECT_EQ(until, since + kDay);
  // Now exactly at a bucket's start is in that bucket.
  ASSERT_TRUE(RecentQualityWindow(kT0, kHour, kHour, &since, &until).ok());
  EXPECT_EQ(since, kT0);

  EXPECT_THAT(RecentQualityWindow(now, 0, kHour, &since, &until).message(),
              HasSubstr("window 0us"));
  EXPECT_THAT(RecentQualityWindow(now, kDay, 30 * kMicrosPerSecond, &since, &until).message(),
              HasSubstr("bucket 30s"));
  absl::Status too_many = RecentQualityWindow(now, 30 * kDay, kMinute, &since, &until);
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_many.message(), HasSubstr("window 30d in buckets of 1m makes 43200 buckets"));
  // Two buckets of more than half the int64 range overflow: refused, not wrapped.
  const DurationUs huge = (std::numeric_limits<int64_t>::max() / 2 / kMinute + 1) * kMinute;
  EXPECT_EQ(
      RecentQualityWindow(now, std::numeric_limits<int64_t>::max(), huge, &since, &until).code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fstore
