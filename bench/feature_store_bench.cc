// In-process feature store benchmarks (no network):
//   BM_Ingest         durable ingest (WAL on) of the issue's txns source
//                     into the acct view (7 features) plus a device view, in
//                     chunks of 1000 rows: events/s.
//   BM_OnlineLookup   GetOnlineFeatures for one account (the acct view),
//                     against an entity holding N events in its 7d window.
//   BM_OnlineLookupManyDevices  the same with the events on 997 devices,
//                     as of "now" and as of the middle of the data.
// Figures and the command that produced them: bench/README.md.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "benchmark/benchmark.h"
#include "featurestore/feature_store.h"

namespace fstore {
namespace {

// The issue's definitions file, plus a device view so that each event
// updates state on two entities.
constexpr char kDeviceView[] = R"yaml(
feature_views:
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: n_24h, function: COUNT, window: 24h}
      - {name: accounts_7d, function: DISTINCT_COUNT, column: account_id, window: 7d}
)yaml";

std::string ReadDefinitionsFile() {
  std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr TimestampUs kT0 = 1767607200LL * 1000000;

struct TempStore {
  TempStore() {
    char tmpl[] = "/tmp/fstore-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    db = *Database::Open(dir + "/data");
    store = *FeatureStore::Open(db.get());
    if (!store->Apply(ReadDefinitionsFile(), "yaml", false).ok() ||
        !store->Apply(kDeviceView, "yaml", false).ok()) {
      std::abort();
    }
  }
  ~TempStore() {
    store.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<FeatureStore> store;
};

const std::vector<std::string> kColumns = {"txn_id", "account_id", "device_id",
                                           "ts",     "amount",     "kind"};

// `n` rows over `accounts` accounts and devices, one second apart.
std::vector<std::vector<Value>> MakeRows(int64_t first_id, int n, int accounts, std::mt19937* rng) {
  std::uniform_int_distribution<int> account(0, accounts - 1);
  std::uniform_real_distribution<double> amount(1, 500);
  std::vector<std::vector<Value>> rows;
  rows.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int64_t id = first_id + i;
    const int a = account(*rng);
    rows.push_back({std::string("t") + std::to_string(id), "A-" + std::to_string(a),
                    "D-" + std::to_string(a % 997), kT0 + id * kMicrosPerSecond, amount(*rng),
                    std::string(id % 7 == 0 ? "XFER" : "PAY")});
  }
  return rows;
}

void BM_Ingest(benchmark::State& state) {
  TempStore t;
  std::mt19937 rng(1);
  auto writer = *t.store->StartIngest("txns", kColumns);
  int64_t next_id = 0;
  constexpr int kChunk = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<Value>> rows = MakeRows(next_id, kChunk, 10000, &rng);
    next_id += kChunk;
    state.ResumeTiming();
    if (!writer->WriteValues(rows, 0).ok()) state.SkipWithError("ingest failed");
  }
  state.SetItemsProcessed(state.iterations() * kChunk);
}
BENCHMARK(BM_Ingest)->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_OnlineLookup(benchmark::State& state) {
  TempStore t;
  std::mt19937 rng(2);
  const int events = static_cast<int>(state.range(0));
  auto writer = *t.store->StartIngest("txns", kColumns);
  // All events for one hot account, spread over the last 6 days.
  for (int done = 0; done < events; done += 1000) {
    std::vector<std::vector<Value>> rows = MakeRows(done, std::min(1000, events - done), 1, &rng);
    for (auto& row : rows) {
      row[3] = kT0 + std::get<int64_t>(row[3]) % (6LL * 86400 * kMicrosPerSecond);
    }
    if (!writer->WriteValues(rows, 0).ok()) std::abort();
  }
  FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  const std::map<std::string, std::string> entity = {{"account_id", "A-0"}};
  const TimestampUs at = kT0 + 6LL * 86400 * kMicrosPerSecond;
  for (auto _ : state) {
    auto f = t.store->GetOnlineFeatures(selector, entity, at);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_OnlineLookup)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// As BM_OnlineLookup, but the hot account's events come from 997 devices
// (so dev_distinct_7d counts hundreds of values) and are evenly spread over
// 6 days. range(1): 0 reads "now" (past the newest event, the serving case);
// 1 reads as of the middle of the data (a historical read).
void BM_OnlineLookupManyDevices(benchmark::State& state) {
  TempStore t;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> device(0, 996);
  const int events = static_cast<int>(state.range(0));
  constexpr TimestampUs kSpan = 6LL * 86400 * kMicrosPerSecond;
  auto writer = *t.store->StartIngest("txns", kColumns);
  for (int done = 0; done < events; done += 1000) {
    std::vector<std::vector<Value>> rows = MakeRows(done, std::min(1000, events - done), 1, &rng);
    for (auto& row : rows) {
      row[2] = "D-" + std::to_string(device(rng));
      const int64_t id = (std::get<int64_t>(row[3]) - kT0) / kMicrosPerSecond;
      row[3] = kT0 + id * (kSpan / events);
    }
    if (!writer->WriteValues(rows, 0).ok()) std::abort();
  }
  FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  const std::map<std::string, std::string> entity = {{"account_id", "A-0"}};
  const TimestampUs at = state.range(1) == 0 ? kT0 + kSpan : kT0 + kSpan / 2;
  for (auto _ : state) {
    auto f = t.store->GetOnlineFeatures(selector, entity, at);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_OnlineLookupManyDevices)
    ->Args({1000, 0})
    ->Args({100000, 0})
    ->Args({100000, 1})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fstore

BENCHMARK_MAIN();
