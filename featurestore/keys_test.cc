#include "featurestore/keys.h"

#include <string>

#include "gtest/gtest.h"

namespace fstore::keys {
namespace {

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;
constexpr DurationUs kDay = 24 * 60 * kMinute;

TEST(KeysTest, SourceQualityKeysGroupASourceInTimeOrder) {
  EXPECT_LT(SourceQuality("txns", kT0), SourceQuality("txns", kT0 + kMinute));
  EXPECT_LT(SourceQuality("txns", kT0 + 1000 * kDay), SourceQuality("txnsx", 0));
  // One source's prefix is not a prefix of another source's keys.
  EXPECT_NE(SourceQuality("txnsx", kT0).rfind(SourceQualityPrefix("txns"), 0), 0u);
  EXPECT_EQ(SourceQuality("txns", kT0).rfind(SourceQualityPrefix("txns"), 0), 0u);
  std::string source;
  TimestampUs start = 0;
  ASSERT_TRUE(DecodeSourceQuality(SourceQuality("a/b", kT0), &source, &start));
  EXPECT_EQ(source, "a/b");
  EXPECT_EQ(start, kT0);
  EXPECT_FALSE(DecodeSourceQuality(SourceQualityPrefix("a"), &source, &start));
}

TEST(KeysTest, OnlineKeysOrderAViewsEntityByTimeThenSequence) {
  EXPECT_LT(Online("v", "e", -5, 9), Online("v", "e", 3, 0));
  EXPECT_LT(Online("v", "e", 3, 0), Online("v", "e", 3, 1));
  EXPECT_LT(Online("v", "e", kT0 + kDay, 0), Online("v", "f", 0, 0));
  EXPECT_EQ(Online("v", "e", 1, 2).rfind(OnlineView("v"), 0), 0u);
  EXPECT_NE(Online("vx", "e", 1, 2).rfind(OnlineView("v"), 0), 0u);
  std::string appended = "x";
  AppendOnline(&appended, "v", "e", 1, 2);
  EXPECT_EQ(appended, "x" + Online("v", "e", 1, 2));
  absl::string_view view, entity;
  TimestampUs ts = 0;
  uint64_t seq = 0;
  const std::string online = Online("v", "a/b", -7, 42);  // the views point into it
  ASSERT_TRUE(DecodeOnline(online, &view, &entity, &ts, &seq));
  EXPECT_EQ(view, "v");
  EXPECT_EQ(entity, "a/b");
  EXPECT_EQ(ts, -7);
  EXPECT_EQ(seq, 42u);
  EXPECT_FALSE(DecodeOnline(OnlineView("v"), &view, &entity, &ts, &seq));
}

TEST(KeysTest, EventAndDeadLetterKeysReadBack) {
  uint64_t seq = 0;
  EXPECT_TRUE(EventSequence(Event("txns", 17), "txns", &seq));
  EXPECT_EQ(seq, 17u);
  EXPECT_FALSE(EventSequence(Event("txns", 17), "txn", &seq));
  EXPECT_LT(Event("txns", 255), Event("txns", 256));
  std::string appended = "x";
  AppendEvent(&appended, "txns", 9);
  AppendEventId(&appended, "txns", "t-9");
  EXPECT_EQ(appended, "x" + Event("txns", 9) + EventId("txns", "t-9"));
  absl::string_view source, id;
  const std::string event_id = EventId("txns", "t-1");  // the views point into it
  ASSERT_TRUE(DecodeEventId(event_id, &source, &id));
  EXPECT_EQ(source, "txns");
  EXPECT_EQ(id, "t-1");
  uint64_t number = 0;
  const std::string dead_letter = DeadLetter("txns", 3);
  ASSERT_TRUE(DecodeDeadLetter(dead_letter, &source, &number));
  EXPECT_EQ(number, 3u);
  EXPECT_EQ(DeadLetter("txns", 3).rfind(DeadLetters("txns"), 0), 0u);
}

TEST(KeysTest, MetaKeysKeepTheirOnDiskSpelling) {
  EXPECT_EQ(SourceEventsCount("txns"), "source_events/txns");
  EXPECT_EQ(DeadLetterCount("txns"), "dead_letters/txns");
  EXPECT_EQ(ViewBuilt("v"), "view_built/v");
  EXPECT_EQ(ViewReclaimed("v"), "view_reclaimed/v");
  EXPECT_EQ(Definition("feature_view", "v"), "feature_view/v");
}

TEST(KeysTest, CountersRoundTripAndAMalformedOneIsRefused) {
  uint64_t v = 0;
  ASSERT_TRUE(DecodeCounter(EncodeCounter(1234567), &v));
  EXPECT_EQ(v, 1234567u);
  EXPECT_FALSE(DecodeCounter("short", &v));
  EXPECT_FALSE(DecodeCounter(EncodeCounter(1) + "x", &v));
}

}  // namespace
}  // namespace fstore::keys
