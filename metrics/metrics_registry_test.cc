#include "metrics/metrics_registry.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistryTest, CounterRendersHelpTypeAndOneLinePerSeries) {
  MetricsRegistry registry;
  absl::StatusOr<CounterFamily<1>*> requests =
      registry.AddCounter("calls_total", "Calls.", {"method"});
  ASSERT_TRUE(requests.ok()) << requests.status();
  (*requests)->WithLabels({"b"})->Increment(2);
  (*requests)->WithLabels({"a"})->Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP calls_total Calls.\n"
            "# TYPE calls_total counter\n"
            "calls_total{method=\"a\"} 1\n"
            "calls_total{method=\"b\"} 2\n");
}

TEST(MetricsRegistryTest, UnlabelledGaugeRendersWithoutBraces) {
  MetricsRegistry registry;
  absl::StatusOr<GaugeFamily<0>*> size = registry.AddGauge("queue_size", "Items queued.");
  ASSERT_TRUE(size.ok());
  std::shared_ptr<Gauge> g = (*size)->WithLabels({});
  g->Set(2.5);
  g->Add(-1);
  EXPECT_THAT(registry.Render(), HasSubstr("\nqueue_size 1.5\n"));
}

TEST(MetricsRegistryTest, FamilyWithoutSeriesRendersOnlyItsHeader) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddGauge("psi", "Drift.", {"feature"}).ok());
  EXPECT_EQ(registry.Render(), "# HELP psi Drift.\n# TYPE psi gauge\n");
}

TEST(MetricsRegistryTest, LabelValuesAreEscapedInTheRender) {
  MetricsRegistry registry;
  auto family = registry.AddCounter("c_total", "C.", {"source"});
  ASSERT_TRUE(family.ok());
  (*family)->WithLabels({"we\"ird\\name\n"})->Increment();
  EXPECT_THAT(registry.Render(), HasSubstr("c_total{source=\"we\\\"ird\\\\name\\n\"} 1\n"));
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  auto latency = registry.AddHistogram("latency_seconds", "Latency.", {"method"}, {0.25, 1, 4});
  ASSERT_TRUE(latency.ok()) << latency.status();
  std::shared_ptr<Histogram> h = (*latency)->WithLabels({"m"});
  h->Observe(0.125);
  h->Observe(0.25);  // on a bound: counted in that bucket (le)
  h->Observe(2);
  h->Observe(8);
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{method=\"m\",le=\"0.25\"} 2\n"
            "latency_seconds_bucket{method=\"m\",le=\"1\"} 2\n"
            "latency_seconds_bucket{method=\"m\",le=\"4\"} 3\n"
            "latency_seconds_bucket{method=\"m\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{method=\"m\"} 10.375\n"
            "latency_seconds_count{method=\"m\"} 4\n");
}

TEST(MetricsRegistryTest, HistogramIgnoresNaN) {
  MetricsRegistry registry;
  auto h = registry.AddHistogram("h", "H.", {"x"}, {1});
  ASSERT_TRUE(h.ok());
  (*h)->WithLabels({"x"})->Observe(std::nan(""));
  EXPECT_EQ((*h)->WithLabels({"x"})->Read().count, 0u);
}

TEST(MetricsRegistryTest, CallbackGaugeIsComputedAtRenderAndSorted) {
  MetricsRegistry registry;
  int calls = 0;
  ASSERT_TRUE(
      registry
          .AddGaugeCallback<2>(
              "model_stage_info", "Stages.", {"model", "stage"},
              [&calls] {
                ++calls;
                return std::vector<GaugeSample<2>>{{{"m", "Staging"}, 1}, {{"m", "Production"}, 1}};
              })
          .ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(registry.Render(),
            "# HELP model_stage_info Stages.\n"
            "# TYPE model_stage_info gauge\n"
            "model_stage_info{model=\"m\",stage=\"Production\"} 1\n"
            "model_stage_info{model=\"m\",stage=\"Staging\"} 1\n");
  EXPECT_EQ(calls, 1);
}

TEST(MetricsRegistryTest, FamiliesRenderInRegistrationOrder) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddCounter("z_total", "Z.").ok());
  ASSERT_TRUE(registry.AddCounter("a_total", "A.").ok());
  const std::string out = registry.Render();
  EXPECT_LT(out.find("z_total"), out.find("a_total"));
}

TEST(MetricsRegistryTest, RemoveAndClearDropSeriesFromTheRender) {
  MetricsRegistry registry;
  auto psi = registry.AddGauge("psi", "PSI.", {"feature"});
  ASSERT_TRUE(psi.ok());
  std::shared_ptr<Gauge> held = (*psi)->WithLabels({"amount"});
  held->Set(0.3);
  (*psi)->WithLabels({"count"})->Set(0.1);
  (*psi)->Remove({"amount"});
  held->Set(0.5);  // still safe to use, no longer rendered
  std::string out = registry.Render();
  EXPECT_THAT(out, Not(HasSubstr("amount")));
  EXPECT_THAT(out, HasSubstr("psi{feature=\"count\"} 0.1\n"));
  (*psi)->Clear();
  EXPECT_THAT(registry.Render(), Not(HasSubstr("count")));
}

TEST(MetricsRegistryTest, RetainIfKeepsOnlyTheSeriesItAccepts) {
  MetricsRegistry registry;
  auto psi = registry.AddGauge("psi", "PSI.", {"model", "version"});
  ASSERT_TRUE(psi.ok());
  (*psi)->WithLabels({"fraud", "1"})->Set(0.1);
  (*psi)->WithLabels({"fraud", "2"})->Set(0.2);
  (*psi)->WithLabels({"aml", "1"})->Set(0.3);
  (*psi)->RetainIf([](const std::array<std::string, 2>& l) { return l[1] == "1"; });
  const std::string out = registry.Render();
  EXPECT_THAT(out, HasSubstr("psi{model=\"fraud\",version=\"1\"} 0.1\n"));
  EXPECT_THAT(out, HasSubstr("psi{model=\"aml\",version=\"1\"} 0.3\n"));
  EXPECT_THAT(out, Not(HasSubstr("version=\"2\"")));
}

TEST(MetricsRegistryTest, RefusesBadNamesDuplicatesAndBadBounds) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.AddCounter("bad-name", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok_total", "x", {"__reserved"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddCounter("ok_total", "x", {"a", "a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {"le"}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {"m"}, {1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "x", {"m"}, {1, std::numeric_limits<double>::infinity()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(registry.AddCounter("ok_total", "x").ok());
  absl::Status again = registry.AddGauge("ok_total", "y").status();
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.message()), HasSubstr("ok_total"));
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto counter = registry.AddCounter("n_total", "N.");
  auto histogram = registry.AddHistogram("h", "H.", {"m"}, {0.5});
  ASSERT_TRUE(counter.ok() && histogram.ok());
  std::shared_ptr<Counter> c = (*counter)->WithLabels({});
  std::shared_ptr<Histogram> h = (*histogram)->WithLabels({"m"});
  constexpr int kThreads = 12;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        c->Increment();
        h->Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c->Value(), uint64_t{kThreads} * kEach);
  const Histogram::Reading r = h->Read();
  EXPECT_EQ(r.count, uint64_t{kThreads} * kEach);
  EXPECT_EQ(r.cumulative[0], uint64_t{kThreads} * kEach / 2);
  EXPECT_DOUBLE_EQ(r.sum, kThreads * (kEach / 2) * 1.25);
}

}  // namespace
}  // namespace fstore
