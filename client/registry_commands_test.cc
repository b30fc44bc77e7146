#include "client/registry_commands.h"

#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

TEST(ParseMetricBoundTest, ParsesMetricAndBound) {
  auto b = ParseMetricBound("auc>=0.9");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->first, "auc");
  EXPECT_DOUBLE_EQ(b->second, 0.9);
  EXPECT_EQ(ParseMetricBound("pr_auc >= 0.25")->first, "pr_auc");
}

TEST(ParseMetricBoundTest, RefusesOtherShapesNamingTheText) {
  for (const char* bad : {"auc>0.9", "auc", ">=0.9", "auc>=high", "auc>=nan", "auc>=inf"}) {
    auto b = ParseMetricBound(bad);
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(b.status().message().find(bad), absl::string_view::npos) << b.status();
  }
}

TEST(ParseMetricsJsonTest, ReadsAFlatObjectOfNumbers) {
  auto m = ParseMetricsJson(R"({"auc": 0.93, "pr_auc": 0.41, "rounds": 120})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->size(), 3u);
  EXPECT_DOUBLE_EQ(m->at("auc"), 0.93);
  EXPECT_DOUBLE_EQ(m->at("rounds"), 120);
}

TEST(ParseMetricsJsonTest, RefusesNonNumbersNamingTheKey) {
  auto m = ParseMetricsJson(R"({"auc": "high"})");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("'auc'"), absl::string_view::npos);
  EXPECT_FALSE(ParseMetricsJson(R"({"auc": {"mean": 1}})").ok());
  EXPECT_FALSE(ParseMetricsJson("[0.9]").ok());
  EXPECT_FALSE(ParseMetricsJson("{\"auc\": 0.9").ok());
  EXPECT_FALSE(ParseMetricsJson("").ok());
}

}  // namespace
}  // namespace fstore::cli
