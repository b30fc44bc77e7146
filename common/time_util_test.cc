#include "common/time_util.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(ParseIsoTimeTest, UtcSecondsAndFractions) {
  EXPECT_EQ(*ParseIsoTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIsoTime("2026-01-05T10:00:00Z"), 1767607200LL * 1000000);
  EXPECT_EQ(*ParseIsoTime("2026-01-05T10:00:00.5Z"), 1767607200LL * 1000000 + 500000);
  EXPECT_EQ(*ParseIsoTime("2026-01-05T10:00:00.000001Z"), 1767607200LL * 1000000 + 1);
  EXPECT_EQ(*ParseIsoTime("1969-12-31T23:59:59Z"), -1000000);
}

TEST(ParseIsoTimeTest, OffsetsAndPlainDates) {
  EXPECT_EQ(*ParseIsoTime("2026-01-05T12:00:00+02:00"), *ParseIsoTime("2026-01-05T10:00:00Z"));
  EXPECT_EQ(*ParseIsoTime("2026-01-05T08:30:00-0130"), *ParseIsoTime("2026-01-05T10:00:00Z"));
  EXPECT_EQ(*ParseIsoTime("2026-01-05"), *ParseIsoTime("2026-01-05T00:00:00Z"));
  EXPECT_EQ(*ParseIsoTime("2024-02-29T00:00:00Z"),
            *ParseIsoTime("2024-02-28T00:00:00Z") + 86400000000LL);
}

TEST(ParseIsoTimeTest, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-05T10:00:00",
                          "2026-01-05T25:00:00Z", "yesterday", "2026-01-05T10:00:00Zjunk",
                          "2025-02-29", "2026-01-05T10:00:00.Z"}) {
    absl::StatusOr<TimestampUs> t = ParseIsoTime(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(FormatIsoTimeTest, RoundTrips) {
  for (TimestampUs t : {0LL, 1767607200000000LL, 1767607200000001LL, -1LL, 253402300799000000LL}) {
    EXPECT_EQ(*ParseIsoTime(FormatIsoTime(t)), t) << FormatIsoTime(t);
  }
  EXPECT_EQ(FormatIsoTime(1767607200000000LL), "2026-01-05T10:00:00Z");
  EXPECT_EQ(FormatIsoTime(1767607200000250LL), "2026-01-05T10:00:00.000250Z");
}

TEST(ParseDurationTest, EveryUnit) {
  EXPECT_EQ(*ParseDuration("250us"), 250);
  EXPECT_EQ(*ParseDuration("5ms"), 5000);
  EXPECT_EQ(*ParseDuration("90s"), 90 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("10m"), 600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("1h"), 3600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400 * kMicrosPerSecond);
}

TEST(ParseDurationTest, RejectsMissingOrUnknownUnits) {
  for (const char* bad : {"", "10", "h", "1.5h", "10y", "-1h", "99999999999999999999d"}) {
    absl::StatusOr<DurationUs> d = ParseDuration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_THAT(std::string(d.status().message()), HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(FormatDurationTest, ShortestExactUnit) {
  EXPECT_EQ(FormatDuration(7 * 86400 * kMicrosPerSecond), "7d");
  EXPECT_EQ(FormatDuration(90 * kMicrosPerSecond), "90s");
  EXPECT_EQ(FormatDuration(1500), "1500us");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST(ParseTimeArgTest, NowAndOffsets) {
  const TimestampUs now = 1767607200000000LL;
  EXPECT_EQ(*ParseTimeArg("now", now), now);
  EXPECT_EQ(*ParseTimeArg("now-1h", now), now - 3600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseTimeArg("now+10m", now), now + 600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseTimeArg("2026-01-05T10:00:00Z", now), now);
  EXPECT_FALSE(ParseTimeArg("now-1x", now).ok());
}

TEST(ParseTimeArgTest, RelativeTimesAndEpochSeconds) {
  const TimestampUs now = 1767607200000000LL;
  EXPECT_EQ(*ParseTimeArg("-1h", now), now - 3600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseTimeArg("+2d", now), now + 2 * 86400 * kMicrosPerSecond);
  EXPECT_EQ(*ParseTimeArg("1767607200", now), now);
  EXPECT_EQ(*ParseTimeArg("0", now), 0);
  absl::StatusOr<TimestampUs> spaced = ParseTimeArg("2026-12-01 10:00:00", now);
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.status().message().find("epoch seconds, now, or an offset such as -1h"),
            std::string::npos);
  EXPECT_FALSE(ParseTimeArg("-", now).ok());
  EXPECT_FALSE(ParseTimeArg("12abc", now).ok());
}

TEST(ParseDurationTest, Weeks) {
  EXPECT_EQ(*ParseDuration("2w"), 14 * 86400 * kMicrosPerSecond);
  EXPECT_FALSE(ParseDuration("2y").ok());
}

}  // namespace
}  // namespace fstore
