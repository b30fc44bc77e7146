#include "client/registry_commands.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "client/command_line.h"
#include "client/fsctl.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

struct FsctlRunResult {
  int code;
  std::string out, err;
};

TEST(ParseMetricBoundTest, ParsesMetricAndBound) {
  auto b = ParseMetricBound("auc>=0.9");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->metric, "auc");
  EXPECT_DOUBLE_EQ(b->value, 0.9);
  EXPECT_FALSE(b->at_most);
  EXPECT_EQ(ParseMetricBound("pr_auc >= 0.25")->metric, "pr_auc");
}

TEST(ParseMetricBoundTest, ParsesAtMostBounds) {
  auto b = ParseMetricBound("logloss<=0.3");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->metric, "logloss");
  EXPECT_DOUBLE_EQ(b->value, 0.3);
  EXPECT_TRUE(b->at_most);
  EXPECT_TRUE(ParseMetricBound(" logloss <= 0.3")->at_most);
}

TEST(ParseMetricBoundTest, RefusesOtherShapesNamingTheText) {
  for (const char* bad : {"auc>0.9", "auc", ">=0.9", "auc>=high", "auc>=nan", "auc>=inf",
                          "logloss<0.3", "<=0.3", "logloss<=x", " <=1"}) {
    auto b = ParseMetricBound(bad);
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(b.status().message().find(bad), absl::string_view::npos) << b.status();
  }
}

TEST(GateFlagsTest, SplitBoundsByDirectionAndPrintByMetric) {
  std::map<std::string, double> min;
  std::map<std::string, double> max;
  ASSERT_TRUE(ParseGateFlags({"auc>=0.9", "logloss<=0.3", "auc<=0.99"}, &min, &max).ok());
  EXPECT_EQ(min, (std::map<std::string, double>{{"auc", 0.9}}));
  EXPECT_EQ(max, (std::map<std::string, double>{{"auc", 0.99}, {"logloss", 0.3}}));
  v1::Model model;
  model.mutable_production_gate()->insert(min.begin(), min.end());
  model.mutable_production_gate_max()->insert(max.begin(), max.end());
  EXPECT_EQ(ModelGateText(model), "auc>=0.9, auc<=0.99, logloss<=0.3");
  EXPECT_EQ(ModelGateText(v1::Model()), "none");
  absl::Status bad = ParseGateFlags({"auc=0.9"}, &min, &max);
  EXPECT_TRUE(IsUsageError(bad));
  EXPECT_NE(bad.message().find("--gate 'auc=0.9'"), absl::string_view::npos) << bad;
}

FsctlRunResult RunOffline(std::vector<std::string> args) {
  std::ostringstream out, err;
  // An address nothing listens on: usage errors come before any call.
  args.insert(args.begin(), "--server=127.0.0.1:1");
  const int code = RunFsctl(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(ModelsUpdateCommandTest, NeedsAGateOrADescriptionAndWellFormedGates) {
  FsctlRunResult nothing = RunOffline({"models", "update", "fraud"});
  EXPECT_EQ(nothing.code, kExitUsage);
  EXPECT_NE(nothing.err.find("give --gate or --description"), std::string::npos) << nothing.err;
  FsctlRunResult bad = RunOffline({"models", "update", "fraud", "--gate", "logloss<0.3"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_NE(bad.err.find("METRIC<=VALUE"), std::string::npos) << bad.err;
  EXPECT_EQ(RunOffline({"models", "update"}).code, kExitUsage);
}

TEST(TrainCommandTest, AMalformedGateIsAUsageError) {
  FsctlRunResult bad = RunOffline(
      {"train", "--service", "s", "--labels", "l.csv", "--model", "m", "--gate", "auc=0.9"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_NE(bad.err.find("--gate 'auc=0.9'"), std::string::npos) << bad.err;
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
