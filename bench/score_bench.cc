// In-process serving benchmarks (no network), docs/design.md §5 "Score
// in-process (2 entity lookups, ~40 features, 200 trees depth 6, FAST
// explain): p50 <= 20 us".
//
// Fixture (built once, ~30 s): a temp Database with examples/fraud's
// definitions and the synthetic events of bench/fraud_workload.h (2,000
// accounts, 1,000 devices, ~900,000 events over 7 days), a 200-tree depth-6
// booster bound to fraud_v1 (36 features from 9 views of 2 entities + 2
// request fields), registered with a trained version's metadata and promoted
// to Production. Requests cycle through 1,024 random (account, device,
// amount, type) tuples so that neither entities nor tree paths stay hot.
//
//   BM_Score/explain        Scorer::Score("fraud@Production"), explain
//                           0 = NONE, 1 = FAST, 2 = EXACT
//   BM_ResolveVersion       Scorer::ResolveVersion("fraud@Production") (a
//                           copy of the version, as batch scoring uses)
//   BM_ResolveShared        ParseModelRef + ModelRegistry::ResolveShared (what
//                           Score resolves with: no copy of the version)
//   BM_GetOnlineFeatures    FeatureStore::GetOnlineFeatures of the binding's
//                           36 refs for both entities
//   BM_GetOnlineFeaturesPrepared  the same through a PreparedSelection into
//                           a reused OnlineFeatures (what Score reads with)
//   BM_Predict/explain      TreeEnsemble::Predict / PredictWithFast-
//                           Contributions on the inputs of the requests
//
// --no_mutex_deadlock_detection turns off abseil's deadlock detection
// (see main). Each reports its mean (Google Benchmark's time column) and p50/p99 of the
// per-call times as counters (p50_us, p99_us). Figures and the command that
// produced them: bench/README.md ("Serving").
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/fraud_workload.h"
#include "benchmark/benchmark.h"
#include "featurestore/feature_store.h"
#include "registry/feature_binding.h"
#include "registry/model_registry.h"
#include "registry/tree_ensemble.h"
#include "serving/scorer.h"
#include "storage/database.h"

namespace fstore {
namespace {

constexpr int kRequests = 1024;

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::cerr << what << ": " << v.status() << "\n";
    std::abort();
  }
  return *std::move(v);
}

void OrDie(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s << "\n";
    std::abort();
  }
}

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/fstore-score-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    db = OrDie(Database::Open(dir + "/data"), "open database");
    store = OrDie(FeatureStore::Open(db.get()), "open store");
    std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/examples/fraud/features.yaml");
    std::stringstream yaml;
    yaml << in.rdbuf();
    OrDie(store->Apply(yaml.str(), "yaml", false).status(), "apply");

    const auto t0 = std::chrono::steady_clock::now();
    int64_t events = 0;
    std::string current;
    std::unique_ptr<FeatureStore::IngestWriter> writer;
    OrDie(ForEachFraudChunk(workload, 1000,
                            [&](const std::string& source, const std::vector<std::string>& columns,
                                const std::vector<std::vector<Value>>& rows) -> absl::Status {
                              if (source != current) {
                                auto w = store->StartIngest(source, columns);
                                if (!w.ok()) return w.status();
                                writer = *std::move(w);
                                current = source;
                              }
                              if (absl::Status s = writer->WriteValues(rows, 0); !s.ok()) return s;
                              if (writer->summary().rejected > 0) {
                                return absl::InternalError(absl::StrCat(
                                    source, ": ", writer->summary().rejections[0].reason));
                              }
                              events += static_cast<int64_t>(rows.size());
                              return absl::OkStatus();
                            }),
          "ingest");
    const double ingest_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    ModelRegistry::Options registry_options;
    registry_options.sync_writes = false;
    registry = OrDie(ModelRegistry::Open(db.get(), registry_options), "open registry");
    const std::string model_json = OrDie(TrainFraudModel(200, 6), "train");
    trees = std::make_unique<TreeEnsemble>(
        OrDie(TreeEnsemble::FromXgboostJson(model_json), "flatten trees"));
    CreateVersionRequest create;
    create.model = "fraud";
    create.artifact_sha256 = OrDie(registry->PutArtifact(model_json), "put artifact");
    const Definitions defs = store->GetDefinitions();
    create.binding = BindFeatureService(*defs.FindService("fraud_v1"));
    FillFraudVersionMetadata(create.binding.feature_names, &create);
    const ModelVersion version = OrDie(registry->CreateVersion(create), "create version");
    StageTransitionRequest promote;
    promote.model = "fraud";
    promote.version = version.version;
    promote.stage = Stage::kProduction;
    OrDie(registry->TransitionStage(promote).status(), "promote");
    scorer = Scorer::Create(registry.get(), store.get());

    selector.kind = FeatureSelector::Kind::kRefs;
    for (const std::string& name : create.binding.feature_names) {
      if (name.find(':') != std::string::npos) selector.refs.push_back(name);
    }
    for (const FraudRequest& r : MakeFraudRequests(workload, kRequests, 11)) {
      ScoreRequest request;
      request.model_ref = "fraud@Production";
      request.entity = {{"account_id", r.account_id}, {"device_id", r.device_id}};
      request.request_fields = {{"amount", Value(r.amount)}, {"type_code", Value(r.type_code)}};
      request.at = kFraudScoreAt;
      requests.push_back(std::move(request));
    }
    // Warm up: load the version, and record each request's model inputs.
    for (const ScoreRequest& request : requests) {
      inputs.push_back(OrDie(scorer->Score(request), "score").inputs);
    }
    std::cerr << "fixture: " << events << " events ingested in " << ingest_s << " s ("
              << events / ingest_s << "/s); model of " << trees->num_trees() << " trees, "
              << trees->num_features() << " inputs; " << selector.refs.size()
              << " stored features\n";
  }

  ~Fixture() {
    scorer.reset();
    registry.reset();
    store.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  FraudWorkloadOptions workload;
  std::string dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<FeatureStore> store;
  std::unique_ptr<ModelRegistry> registry;
  std::unique_ptr<Scorer> scorer;
  std::unique_ptr<TreeEnsemble> trees;
  FeatureSelector selector;
  std::vector<ScoreRequest> requests;
  std::vector<std::vector<float>> inputs;
};

Fixture* fixture = nullptr;

Fixture& GetFixture() {
  if (fixture == nullptr) fixture = new Fixture();
  return *fixture;
}

// Runs `call(i)` once per iteration (i cycling through the requests), timing
// each call, and reports p50/p99 of those times.
template <typename Call>
void RunTimed(benchmark::State& state, Call call) {
  std::vector<double> nanos;
  nanos.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call(i % kRequests);
    const auto t1 = std::chrono::steady_clock::now();
    if (nanos.size() < nanos.capacity()) {
      nanos.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    ++i;
  }
  if (nanos.empty()) return;
  std::sort(nanos.begin(), nanos.end());
  auto pct = [&](double p) {
    return nanos[std::min(nanos.size() - 1, static_cast<size_t>(p * nanos.size()))] / 1000;
  };
  state.counters["p50_us"] = pct(0.5);
  state.counters["p99_us"] = pct(0.99);
}

void BM_Score(benchmark::State& state) {
  Fixture& f = GetFixture();
  const Explain explain = static_cast<Explain>(state.range(0));
  std::vector<ScoreRequest> requests = f.requests;
  for (ScoreRequest& r : requests) r.explain = explain;
  RunTimed(state, [&](size_t i) {
    absl::StatusOr<ScoreResult> r = f.scorer->Score(requests[i]);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_Score)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(2);
BENCHMARK(BM_Score)->Arg(2)->Unit(benchmark::kMicrosecond);

void BM_ResolveVersion(benchmark::State& state) {
  Fixture& f = GetFixture();
  RunTimed(state, [&](size_t) {
    auto v = f.scorer->ResolveVersion("fraud@Production");
    benchmark::DoNotOptimize(v);
  });
}
BENCHMARK(BM_ResolveVersion)->Unit(benchmark::kMicrosecond)->MinTime(1);

void BM_GetOnlineFeatures(benchmark::State& state) {
  Fixture& f = GetFixture();
  RunTimed(state, [&](size_t i) {
    auto features = f.store->GetOnlineFeatures(f.selector, f.requests[i].entity, kFraudScoreAt);
    benchmark::DoNotOptimize(features);
  });
}
BENCHMARK(BM_GetOnlineFeatures)->Unit(benchmark::kMicrosecond)->MinTime(1);

void BM_ResolveShared(benchmark::State& state) {
  Fixture& f = GetFixture();
  RunTimed(state, [&](size_t) {
    absl::StatusOr<ModelRef> ref = ParseModelRef("fraud@Production");
    auto v = f.registry->ResolveShared(*ref);
    benchmark::DoNotOptimize(v);
  });
}
BENCHMARK(BM_ResolveShared)->Unit(benchmark::kMicrosecond)->MinTime(1);

void BM_GetOnlineFeaturesPrepared(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::shared_ptr<const PreparedSelection> prepared =
      OrDie(f.store->PrepareSelection(f.selector), "prepare");
  OnlineFeatures out;
  RunTimed(state, [&](size_t i) {
    absl::Status s =
        f.store->GetOnlineFeatures(*prepared, f.requests[i].entity, kFraudScoreAt, &out);
    benchmark::DoNotOptimize(s);
  });
}
BENCHMARK(BM_GetOnlineFeaturesPrepared)->Unit(benchmark::kMicrosecond)->MinTime(1);

void BM_Predict(benchmark::State& state) {
  Fixture& f = GetFixture();
  const bool fast = state.range(0) == 1;
  std::vector<float> contributions(f.trees->num_features() + 1);
  RunTimed(state, [&](size_t i) {
    const double p =
        fast ? f.trees->PredictWithFastContributions(f.inputs[i].data(), contributions.data())
             : f.trees->Predict(f.inputs[i].data());
    benchmark::DoNotOptimize(p);
  });
}
BENCHMARK(BM_Predict)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(1);

}  // namespace
}  // namespace fstore

int main(int argc, char** argv) {
  // --no_mutex_deadlock_detection: Debian's abseil is built without NDEBUG,
  // so every absl::Mutex acquisition checks for deadlocks (a global graph
  // behind a spin lock) unless told not to; this shows what that costs.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no_mutex_deadlock_detection") {
      absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      break;
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete fstore::fixture;  // removes the temp data directory
  return 0;
}
