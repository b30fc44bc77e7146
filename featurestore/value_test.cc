#include "featurestore/value.h"

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ValueToTextTest, EveryTypeInItsPlainForm) {
  EXPECT_EQ(ValueToText(Value()), "");
  EXPECT_EQ(ValueToText(Value(int64_t{-7})), "-7");
  EXPECT_EQ(ValueToText(Value(true)), "true");
  EXPECT_EQ(ValueToText(Value(std::string("XFER"))), "XFER");
}

TEST(ValueToTextTest, DoublesAreShortestRoundTripWithoutNeedlessExponents) {
  // A `where: {column: amount, equals: 10}` filter compares with this text.
  EXPECT_EQ(ValueToText(Value(10.0)), "10");
  EXPECT_EQ(ValueToText(Value(250.0)), "250");
  EXPECT_EQ(ValueToText(Value(0.1)), "0.1");
  EXPECT_EQ(ValueToText(Value(1e300)), "1e+300");
}

}  // namespace
}  // namespace fstore
