#include "serving/keys.h"

#include <string>

#include "gtest/gtest.h"

namespace fstore::serving_keys {
namespace {

TEST(ServingKeysTest, ServingLogKeysSortByTimeThenRequestIdAndDecode) {
  EXPECT_LT(ServingLog(-5, "z"), ServingLog(3, "a"));
  EXPECT_LT(ServingLog(3, "a"), ServingLog(3, "b"));
  EXPECT_LT(ServingLog(3, "zzz"), ServingLogTime(4));
  EXPECT_LE(ServingLogTime(3), ServingLog(3, ""));
  absl::string_view id;
  const std::string key = ServingLog(42, "req-1");
  ASSERT_TRUE(DecodeServingLog(key, &id));
  EXPECT_EQ(id, "req-1");
  EXPECT_FALSE(DecodeServingLog(key + "x", &id));
  EXPECT_FALSE(DecodeServingLog(ServingLogTime(42), &id));
}

TEST(ServingKeysTest, FeedbackKeysOfOneModelStayTogetherInTimeOrder) {
  const std::string prefix = FeedbackModelPrefix("fraud");
  const std::string early = Feedback("fraud", 10, "r9");
  const std::string late = Feedback("fraud", 11, "r1");
  EXPECT_EQ(early.compare(0, prefix.size(), prefix), 0);
  EXPECT_LT(FeedbackTime("fraud", 10), early);
  EXPECT_LT(early, late);
  EXPECT_LT(late, FeedbackTime("fraud", 12));
  // A model whose name extends another's sorts apart (length-prefixed).
  EXPECT_NE(Feedback("fraud2", 10, "r9").compare(0, prefix.size(), prefix), 0);
}

TEST(ServingKeysTest, ScoreKeysSortByTimeBatchAndRow) {
  EXPECT_LT(Score(5, "b", 9), Score(6, "a", 0));
  EXPECT_LT(Score(5, "a", 9), Score(5, "b", 0));
  EXPECT_LT(Score(5, "a", 2), Score(5, "a", 10));
}

}  // namespace
}  // namespace fstore::serving_keys
