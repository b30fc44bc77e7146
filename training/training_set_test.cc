#include "training/training_set.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(ValueFromTextTest, ReadsEachTypeBack) {
  EXPECT_EQ(ValueFromText("42", ColumnType::kInt64).value(), Value(int64_t{42}));
  EXPECT_EQ(ValueFromText("0.1", ColumnType::kDouble).value(), Value(0.1));
  EXPECT_EQ(ValueFromText("true", ColumnType::kBool).value(), Value(true));
  EXPECT_EQ(ValueFromText("0", ColumnType::kBool).value(), Value(false));
  EXPECT_EQ(ValueFromText("42", ColumnType::kString).value(), Value(std::string("42")));
  EXPECT_TRUE(IsNull(ValueFromText("", ColumnType::kDouble).value()));
}

TEST(ValueFromTextTest, TextOfAnotherTypeFailsNamingIt) {
  absl::StatusOr<Value> v = ValueFromText("abc", ColumnType::kDouble);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("'abc'"), std::string::npos);
}

TEST(TrainingSetBuilderTest, NumericTextInAStringIsMissingAndBoolsAreOneZero) {
  TrainingSetBuilder builder({"v:code", "v:flag", "v:n"});
  ASSERT_TRUE(builder.AddRow({Value(std::string("42")), Value(true), Value(int64_t{3})}, 1).ok());
  ASSERT_TRUE(builder.AddRow({Value(), Value(false), Value(2.5)}, 0).ok());
  const TrainingData& data = builder.data();
  ASSERT_EQ(data.values.size(), 6u);
  EXPECT_TRUE(std::isnan(data.values[0]));
  EXPECT_EQ(data.values[1], 1.0f);
  EXPECT_EQ(data.values[2], 3.0f);
  EXPECT_TRUE(std::isnan(data.values[3]));
  EXPECT_EQ(data.values[4], 0.0f);
  EXPECT_EQ(data.values[5], 2.5f);
  EXPECT_EQ(data.labels, (std::vector<float>{1, 0}));
}

TEST(TrainingSetBuilderTest, RefusesAWrongWidthOrLabel) {
  TrainingSetBuilder builder({"a", "b"});
  EXPECT_EQ(builder.AddRow({Value(1.0)}, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builder.AddRow({Value(1.0), Value(2.0)}, 2).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builder.rows(), 0);
}

TEST(InputTypesTest, FeaturesByTheirValueTypeAndFieldsByTheirDeclaredType) {
  Definitions defs;
  Source source;
  source.name = "txns";
  Column code;
  code.name = "code";
  code.type = ColumnType::kString;
  source.columns = {code};
  defs.sources.push_back(source);
  FeatureView view;
  view.name = "v";
  view.source = "txns";
  view.features = {{"code", AggregateFunction::kLast, "code", 0, 0, {}},
                   {"n", AggregateFunction::kCount, "", 3600, 0, {}}};
  defs.feature_views.push_back(view);
  FeatureBinding binding;
  binding.feature_names = {"v:code", "v:n", "amount"};
  binding.request_fields = {{"amount", ColumnType::kDouble}};
  EXPECT_EQ(
      InputTypes(binding, defs).value(),
      (std::vector<ColumnType>{ColumnType::kString, ColumnType::kInt64, ColumnType::kDouble}));
  binding.feature_names.push_back("v:gone");
  EXPECT_TRUE(absl::IsNotFound(InputTypes(binding, defs).status()));
}

}  // namespace
}  // namespace fstore
