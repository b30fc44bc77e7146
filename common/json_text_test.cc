#include "common/json_text.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace fstore {
namespace {

using Json = nlohmann::ordered_json;

TEST(JsonTextTest, CompactWithKeysInInsertionOrder) {
  Json j = Json::object();
  j["b"] = 1;
  j["a"] = Json::array({true, false, nullptr});
  j["c"] = Json::object();
  EXPECT_EQ(JsonText(j), R"({"b":1,"a":[true,false,null],"c":{}})");
}

TEST(JsonTextTest, DoublesPrintInTheirShortestRoundTripForm) {
  EXPECT_EQ(JsonText(Json(45.0)), "45");
  EXPECT_EQ(JsonText(Json(0.1)), "0.1");
  EXPECT_EQ(JsonText(Json(1e-05)), "1e-05");
  EXPECT_EQ(JsonText(Json(-0.0)), "-0");
  EXPECT_EQ(JsonText(Json(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(JsonText(Json(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(JsonText(Json(int64_t{-7})), "-7");
  EXPECT_EQ(JsonText(Json(uint64_t{18446744073709551615u})), "18446744073709551615");
}

TEST(JsonTextTest, StringsEscapeQuotesBackslashesAndControlsOnly) {
  EXPECT_EQ(JsonText(Json("a\"b\\c\n\t\x01")), R"("a\"b\\c\n\t\u0001")");
  // UTF-8 passes as it is, and so does a byte that is not UTF-8 (dump()
  // would throw).
  EXPECT_EQ(JsonText(Json("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonText(Json(std::string("\xff"))), "\"\xff\"");
}

}  // namespace
}  // namespace fstore
