#include "featurestore/model_input.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ModelInputTest, NumbersEnterAsTheirValue) {
  EXPECT_EQ(ModelInput(Value(int64_t{42})), 42.0f);
  EXPECT_EQ(ModelInput(Value(2.5)), 2.5f);
}

TEST(ModelInputTest, BoolsEnterAsOneAndZero) {
  EXPECT_EQ(ModelInput(Value(true)), 1.0f);
  EXPECT_EQ(ModelInput(Value(false)), 0.0f);
}

TEST(ModelInputTest, NumericLookingStringIsMissing) {
  EXPECT_TRUE(std::isnan(ModelInput(Value(std::string("42")))));
  EXPECT_TRUE(std::isnan(ModelInput(Value(std::string("true")))));
}

TEST(ModelInputTest, NullAndNonFiniteAreMissing) {
  EXPECT_TRUE(std::isnan(ModelInput(Value())));
  EXPECT_TRUE(std::isnan(ModelInput(Value(std::numeric_limits<double>::infinity()))));
  EXPECT_TRUE(std::isnan(ModelInput(Value(std::numeric_limits<double>::quiet_NaN()))));
}

TEST(FeatureValueTypeTest, AggregatesAndLastHaveTheirTypes) {
  Definitions defs;
  Source source;
  source.name = "txns";
  Column code, flag;
  code.name = "code";
  code.type = ColumnType::kString;
  flag.name = "flag";
  flag.type = ColumnType::kBool;
  source.columns = {code, flag};
  defs.sources.push_back(source);
  FeatureView view;
  view.name = "acct";
  view.source = "txns";
  view.features = {{"n", AggregateFunction::kCount, "", 3600, 0, {}},
                   {"s", AggregateFunction::kSum, "amount", 3600, 0, {}},
                   {"code", AggregateFunction::kLast, "code", 0, 0, {}},
                   {"flag", AggregateFunction::kLast, "flag", 0, 0, {}}};
  defs.feature_views.push_back(view);
  EXPECT_EQ(FeatureValueType(defs, "acct:n").value(), ColumnType::kInt64);
  EXPECT_EQ(FeatureValueType(defs, "acct:s").value(), ColumnType::kDouble);
  EXPECT_EQ(FeatureValueType(defs, "acct:code").value(), ColumnType::kString);
  EXPECT_EQ(FeatureValueType(defs, "acct:flag").value(), ColumnType::kBool);
  EXPECT_TRUE(absl::IsNotFound(FeatureValueType(defs, "acct:nope").status()));
  EXPECT_TRUE(absl::IsNotFound(FeatureValueType(defs, "other:n").status()));
}

}  // namespace
}  // namespace fstore
