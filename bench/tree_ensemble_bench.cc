// Tree-ensemble prediction for one row, side by side (no network), on the
// serving model of docs/design.md §5: 200 trees of depth 6 over 40 features,
// binary:logistic, trained on rows with missing values:
//   BM_NativePredict        TreeEnsemble::Predict
//   BM_NativePredictFast    TreeEnsemble::PredictWithFastContributions
//   BM_NativePredictExact   TreeEnsemble::PredictWithExactContributions (TreeSHAP)
//   BM_XgboostPredict       XgboostBooster::Predict (XGBoost's C API: DMatrix + predict)
//   BM_XgboostPredictFast   XgboostBooster::PredictContributions, approximate
//   BM_XgboostPredictExact  XgboostBooster::PredictContributions, TreeSHAP
//   BM_BuildFromJson        TreeEnsemble::FromXgboostJson of the model (what a
//                           promotion costs before the first score)
// Rows cycle through 1024 random rows (10% missing) so that branches are not
// learned. XGBoost predicts with its default OpenMP threads; run with
// OMP_NUM_THREADS=1 for its single-threaded cost (on a busy 2-vCPU machine
// its threads' barriers dominate). Figures and the command that produced
// them: bench/README.md.
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "registry/tree_ensemble.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

constexpr int kFeatures = 40;
constexpr int kRows = 1024;

struct Fixture {
  Fixture() {
    TestBoosterSpec spec;
    spec.num_features = kFeatures;
    spec.num_rows = 5000;
    spec.rounds = 200;
    spec.max_depth = 6;
    spec.missing_fraction = 0.1;
    spec.params = {{"tree_method", "hist"}};
    auto json = TrainBoosterForTesting(spec);
    if (!json.ok()) {
      std::cerr << json.status() << "\n";
      std::abort();
    }
    model_json = *json;
    auto loaded_booster = XgboostBooster::Load(*json);
    auto loaded_ensemble = TreeEnsemble::FromXgboostJson(*json);
    if (!loaded_booster.ok() || !loaded_ensemble.ok()) {
      std::cerr << loaded_booster.status() << " " << loaded_ensemble.status() << "\n";
      std::abort();
    }
    booster = std::make_unique<XgboostBooster>(std::move(*loaded_booster));
    ensemble = std::make_unique<TreeEnsemble>(std::move(*loaded_ensemble));
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> value(0.0f, 1.0f);
    rows.resize(static_cast<size_t>(kRows) * kFeatures);
    for (float& cell : rows) {
      cell = value(rng) < 0.1f ? std::numeric_limits<float>::quiet_NaN() : value(rng);
    }
  }
  const float* Row(int i) const { return &rows[static_cast<size_t>(i % kRows) * kFeatures]; }
  std::vector<float> RowVector(int i) const {
    return std::vector<float>(Row(i), Row(i) + kFeatures);
  }

  std::string model_json;
  std::unique_ptr<XgboostBooster> booster;
  std::unique_ptr<TreeEnsemble> ensemble;
  std::vector<float> rows;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = new Fixture();
  return *fixture;
}

void BM_NativePredict(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.ensemble->Predict(f.Row(i++)));
}
BENCHMARK(BM_NativePredict);

void BM_NativePredictFast(benchmark::State& state) {
  const Fixture& f = GetFixture();
  std::vector<float> contributions(kFeatures + 1);
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        f.ensemble->PredictWithFastContributions(f.Row(i++), contributions.data()));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_NativePredictFast);

void BM_NativePredictExact(benchmark::State& state) {
  const Fixture& f = GetFixture();
  std::vector<float> contributions(kFeatures + 1);
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        f.ensemble->PredictWithExactContributions(f.Row(i++), contributions.data()));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_NativePredictExact);

void BM_XgboostPredict(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int i = 0;
  for (auto _ : state) {
    auto out = f.booster->Predict(f.RowVector(i++), 1, kFeatures);
    if (!out.ok()) state.SkipWithError("XGBoost predict failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_XgboostPredict);

void BM_XgboostPredictFast(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int i = 0;
  for (auto _ : state) {
    auto out = f.booster->PredictContributions(f.RowVector(i++), 1, kFeatures, true);
    if (!out.ok()) state.SkipWithError("XGBoost predict failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_XgboostPredictFast);

void BM_XgboostPredictExact(benchmark::State& state) {
  const Fixture& f = GetFixture();
  int i = 0;
  for (auto _ : state) {
    auto out = f.booster->PredictContributions(f.RowVector(i++), 1, kFeatures, false);
    if (!out.ok()) state.SkipWithError("XGBoost predict failed");
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_XgboostPredictExact);

void BM_BuildFromJson(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto ensemble = TreeEnsemble::FromXgboostJson(f.model_json);
    if (!ensemble.ok()) state.SkipWithError("FromXgboostJson failed");
    benchmark::DoNotOptimize(ensemble);
  }
  state.SetLabel(std::to_string(f.model_json.size() / 1024) + " KiB of JSON");
}
BENCHMARK(BM_BuildFromJson)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fstore

BENCHMARK_MAIN();
