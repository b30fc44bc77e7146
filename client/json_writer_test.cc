#include "client/json_writer.h"

#include <limits>

#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

TEST(JsonWriterTest, NestedContainersAndCommas) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.Int(1);
  w.Key("b");
  w.BeginArray();
  w.Double(0.1);
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("c");
  w.String("x");
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[0.1,true,null,{}],"c":"x"})");
}

TEST(JsonWriterTest, EscapesStringsAndKeys) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(JsonWriterTest, NonFiniteDoublesAreNull) {
  JsonWriter w;
  w.BeginArray();
  w.Double(std::numeric_limits<double>::infinity());
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Double(1e300);
  w.EndArray();
  EXPECT_EQ(w.str(), "[null,null,1e+300]");
}

}  // namespace
}  // namespace fstore::cli

namespace fstore::cli {
namespace {

TEST(JsonWriterTest, DoublesPrintShortestWithoutNeedlessExponents) {
  JsonWriter w;
  w.BeginArray();
  w.Double(10);
  w.Double(45);
  w.Double(0.1);
  w.Double(123456.5);
  w.EndArray();
  EXPECT_EQ(w.str(), "[10,45,0.1,123456.5]");
}

}  // namespace
}  // namespace fstore::cli
