// historical_bench: point-in-time historical retrieval (GetHistoricalFeatures)
// in-process, on data that bench/historical_pandas.py reads too, so the two
// can be compared on the same machine in the same run (docs/design.md §5:
// historical retrieval, 20 features, >= 10x pandas merge_asof).
//
//   build/bench/historical_bench --events=2000000 --accounts=100000
//       --rows=1000000 --dir=/tmp/h --keep     (one command line)
//   or: bash bench/run_historical.sh
//
// Steps:
//   1. A store in a temp directory with one entity (account), one source
//      `ev` (id, account_id, ts, amount, kind) and one view `acct` of 20
//      features: COUNT, SUM, MEAN, MAX of amount over 10m, 1h, 6h, 24h, 7d.
//   2. Ingests --events random events over 30 days, in time order, through
//      WriteValues in chunks of 10,000 (durable, as the library does it);
//      prints events/s. Then flushes and compacts the event log so both
//      retrieval runs read the same settled files.
//   3. Writes events.csv (account_id, ts in integer microseconds, amount)
//      and entities.csv (account_id, ts, label: --rows rows at random times
//      for random accounts) into --dir.
//   4. Takes a snapshot and runs GetHistoricalFeatures for the entity rows
//      --runs times (default 2) at it (the output is hashed by the library
//      and then discarded by a sink that counts bytes, or written to
//      --output); prints the wall time, CPU time (all threads), rows/s and
//      fingerprint of each run, fails if the fingerprints differ, and
//      checks the first --verify_rows output rows against a brute-force
//      computation from the generated events.
//   5. Prints one line for scripts, with the best of the runs by wall
//      time and by CPU time:
//      fstore_rows_per_s=... fstore_rows_per_cpu_s=... ...
//
// The store (in a temp directory) is removed at the end unless --store names
// where to keep it; a kept store is reused by the next run with the same
// --events, --accounts and --seed, which then skips step 2 (for profiling
// the retrieval alone: perf record build/bench/historical_bench --store=DIR
// --runs=3, after one run that fills DIR; add --perf_control to leave the
// store's opening out of the profile). The CSVs (in --dir, or the temp
// directory without it) are kept with --keep.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/program_flags.h"
#include "common/status_macros.h"
#include "featurestore/feature_store.h"
#include "gflags/gflags.h"
#include "storage/database.h"

DEFINE_int64(events, 2000000, "events to ingest, spread over 30 days");
DEFINE_int32(accounts, 100000, "distinct accounts");
DEFINE_int64(rows, 1000000, "entity rows to retrieve features for");
DEFINE_string(dir, "", "where to write events.csv and entities.csv (default: the temp dir)");
DEFINE_bool(keep, false, "keep the CSVs after the run (the store is always removed)");
DEFINE_string(output, "", "write the retrieval CSV to this file (default: count and discard)");
DEFINE_int64(verify_rows, 2000, "output rows checked against a brute-force computation");
DEFINE_uint64(seed, 1, "random seed");
DEFINE_string(store, "",
              "keep the store in this directory and reuse it when it holds the events of the same "
              "--events, --accounts and --seed (skips ingest; for profiling the retrieval alone)");
DEFINE_int32(runs, 2, "retrieval runs at the snapshot (the best is reported)");
DEFINE_string(perf_control, "",
              "a perf control FIFO: 'enable' is written to it before each retrieval run and "
              "'disable' after, so that perf record -D -1 --control=fifo:FIFO profiles the runs "
              "alone");

namespace fstore {
namespace {

// 2026-01-05T10:00:00Z.
constexpr TimestampUs kT0 = 1767607200LL * kMicrosPerSecond;
constexpr DurationUs kDay = 86400 * kMicrosPerSecond;
constexpr DurationUs kSpan = 30 * kDay;
constexpr int kChunk = 10000;
// The first output bytes kept for verification (at least --verify_rows
// lines of about 100 bytes).
constexpr size_t kHeadBytes = 1 << 20;

constexpr const char* kKinds[] = {"PAY", "XFER", "REFUND", "FEE"};

struct Window {
  const char* name;
  DurationUs length;
};
constexpr Window kWindows[] = {{"10m", 600 * kMicrosPerSecond},
                               {"1h", 3600 * kMicrosPerSecond},
                               {"6h", 6 * 3600 * kMicrosPerSecond},
                               {"24h", kDay},
                               {"7d", 7 * kDay}};

// One entity, one source, one view: 4 functions x 5 windows = 20 features,
// in the order window by window: n_W, amt_sum_W, amt_mean_W, amt_max_W.
std::string Definitions() {
  std::string yaml = R"yaml(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: ev
    timestamp_column: ts
    event_id_column: id
    columns:
      - {name: id, type: STRING}
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: amount, type: DOUBLE, min: 0}
      - {name: kind, type: STRING, allowed: [PAY, XFER, REFUND, FEE]}
feature_views:
  - name: acct
    entities: [account]
    source: ev
    features:
)yaml";
  for (const Window& w : kWindows) {
    absl::StrAppend(&yaml, "      - {name: n_", w.name, ", function: COUNT, window: ", w.name,
                    "}\n");
    for (const char* f : {"sum", "mean", "max"}) {
      std::string upper = f;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      absl::StrAppend(&yaml, "      - {name: amt_", f, "_", w.name, ", function: ", upper,
                      ", column: amount, window: ", w.name, "}\n");
    }
  }
  return yaml;
}

// The generated events, in time order.
struct Events {
  std::vector<TimestampUs> ts;
  std::vector<int32_t> account;
  std::vector<double> amount;  // whole cents
  std::vector<uint8_t> kind;
};

Events MakeEvents(int64_t n, int accounts, std::mt19937_64* rng) {
  Events e;
  std::uniform_int_distribution<TimestampUs> time(kT0, kT0 + kSpan - 1);
  std::uniform_int_distribution<int32_t> account(0, accounts - 1);
  std::uniform_int_distribution<int> cents(100, 50000);
  std::uniform_int_distribution<int> kind(0, 3);
  e.ts.resize(n);
  for (TimestampUs& t : e.ts) t = time(*rng);
  std::sort(e.ts.begin(), e.ts.end());
  e.account.resize(n);
  e.amount.resize(n);
  e.kind.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    e.account[i] = account(*rng);
    e.amount[i] = cents(*rng) / 100.0;
    e.kind[i] = static_cast<uint8_t>(kind(*rng));
  }
  return e;
}

std::string AccountId(int32_t a) { return absl::StrCat("A-", a); }

void AppendDouble(std::string* out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

// Writes `text` to `path`; false (with a message) on failure.
bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    return false;
  }
  return true;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double CurrentRssMiB() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024.0) / 1024.0;
}

// CPU time of the process (all threads), in seconds: unlike the wall time,
// not inflated when other processes compete for this machine's 2 cores.
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Checks the first output rows against COUNT/SUM/MEAN/MAX computed by
// scanning each account's events with T - w <= ts < T. Returns the number of
// mismatches (printing the first few).
int64_t Verify(const std::string& head, const Events& events,
               const std::vector<std::vector<int64_t>>& by_account, int64_t rows) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  int64_t checked = 0, mismatches = 0;
  auto bad = [&](int64_t row, const std::string& what) {
    if (++mismatches <= 5) std::cerr << "verify: row " << row << ": " << what << "\n";
  };
  // lines[0] is the header; the last line of the kept bytes may be partial.
  for (size_t l = 1; l + 1 < lines.size() && checked < rows; ++l, ++checked) {
    std::vector<std::string> cells = absl::StrSplit(lines[l], ',');
    if (cells.size() != 3 + 4 * std::size(kWindows)) {
      bad(checked + 1, absl::StrCat("has ", cells.size(), " cells"));
      continue;
    }
    const int32_t a = std::stoi(cells[0].substr(2));
    const TimestampUs at = std::stoll(cells[1]);
    for (size_t w = 0; w < std::size(kWindows); ++w) {
      int64_t n = 0;
      double sum = 0, max = 0;
      for (int64_t i : by_account[a]) {
        if (events.ts[i] < at - kWindows[w].length || events.ts[i] >= at) continue;
        max = n == 0 ? events.amount[i] : std::max(max, events.amount[i]);
        sum += events.amount[i];
        ++n;
      }
      const std::string* got = &cells[3 + 4 * w];
      auto near = [](const std::string& text, double want) {
        if (text.empty()) return false;
        const double v = std::strtod(text.c_str(), nullptr);
        return std::fabs(v - want) <= 1e-9 * std::max(1.0, std::fabs(want));
      };
      const std::string tag = absl::StrCat(" over ", kWindows[w].name, " at ", at, " for A-", a);
      if (got[0] != std::to_string(n)) bad(checked + 1, absl::StrCat("n ", got[0], " != ", n, tag));
      if (!near(got[1], sum)) bad(checked + 1, absl::StrCat("sum ", got[1], " != ", sum, tag));
      if (n == 0 ? !got[2].empty() || !got[3].empty()
                 : !near(got[2], sum / n) || !near(got[3], max)) {
        bad(checked + 1,
            absl::StrCat("mean/max ", got[2], "/", got[3], " != ", sum / n, "/", max, tag));
      }
    }
  }
  std::cout << absl::StrFormat("verify: %d rows checked against brute force, %d mismatches\n",
                               checked, mismatches);
  return checked == 0 && rows > 0 ? 1 : mismatches;
}

// Ingests `events` through WriteValues in chunks of kChunk, timing only
// those calls, then flushes and compacts the event log.
absl::Status IngestAndSettle(FeatureStore& fs, Database& db, const Events& events,
                             double* ingest_rate) {
  // Ingest, timing only the WriteValues calls.
  auto writer = fs.StartIngest("ev", {"id", "account_id", "ts", "amount", "kind"});
  if (!writer.ok()) return writer.status();
  double ingest_seconds = 0;
  std::vector<std::vector<Value>> chunk;
  for (int64_t first = 0; first < FLAGS_events; first += kChunk) {
    const int64_t end = std::min<int64_t>(FLAGS_events, first + kChunk);
    chunk.clear();
    for (int64_t i = first; i < end; ++i) {
      chunk.push_back({absl::StrCat("e", i), AccountId(events.account[i]), events.ts[i],
                       events.amount[i], std::string(kKinds[events.kind[i]])});
    }
    const auto start = std::chrono::steady_clock::now();
    absl::Status written = (*writer)->WriteValues(chunk, 0);
    ingest_seconds += Seconds(start);
    if (!written.ok()) return written;
  }
  const IngestSummary& summary = (*writer)->summary();
  if (summary.accepted != FLAGS_events) {
    return absl::InternalError(absl::StrCat("ingest: only ", summary.accepted, " of ", FLAGS_events,
                                            " events accepted (", summary.rejected, " rejected)"));
  }
  *ingest_rate = FLAGS_events / ingest_seconds;
  std::cout << absl::StrFormat(
      "ingest: %d events, %d accounts, 20 features, chunks of %d: %.2f s, %.0f events/s\n",
      summary.accepted, FLAGS_accounts, kChunk, ingest_seconds, *ingest_rate);

  // Settle the event log: flush memtables, compact the events column family.
  auto settle_start = std::chrono::steady_clock::now();
  FSTORE_RETURN_IF_ERROR(db.Flush());
  FSTORE_RETURN_IF_ERROR(db.CompactAll(ColumnFamily::kEvents));
  std::cout << absl::StrFormat("flush + compact events: %.2f s\n", Seconds(settle_start));
  return absl::OkStatus();
}

int Run() {
  if (FLAGS_events <= 0 || FLAGS_accounts <= 0 || FLAGS_rows <= 0) {
    std::cerr << "--events, --accounts and --rows must be positive\n";
    return 2;
  }
  char tmpl[] = "/tmp/fstore-historical-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string work = tmpl;
  const std::string csv_dir = FLAGS_dir.empty() ? work : FLAGS_dir;
  std::filesystem::create_directories(csv_dir);
  // Destroyed after the store and database below: removes the store, and
  // the CSVs unless --keep.
  struct Cleanup {
    std::string work, csv_dir;
    ~Cleanup() {
      std::error_code ignored;
      if (FLAGS_store.empty()) std::filesystem::remove_all(work + "/data", ignored);
      if (!FLAGS_keep) {
        std::filesystem::remove(csv_dir + "/events.csv", ignored);
        std::filesystem::remove(csv_dir + "/entities.csv", ignored);
      }
      if (!FLAGS_keep || csv_dir != work) std::filesystem::remove(work, ignored);
    }
  } cleanup{work, csv_dir};
  std::mt19937_64 rng(FLAGS_seed);

  // A kept store is reused when its marker names the same events.
  const std::string params = absl::StrCat("events=", FLAGS_events, " accounts=", FLAGS_accounts,
                                          " seed=", FLAGS_seed, "\n");
  std::string data_dir = work + "/data";
  bool reuse = false;
  if (!FLAGS_store.empty()) {
    data_dir = FLAGS_store + "/data";
    std::ifstream marker(FLAGS_store + "/params.txt");
    std::string line;
    reuse = std::getline(marker, line) && line + "\n" == params;
    if (!reuse) {
      std::filesystem::remove_all(FLAGS_store);
      std::filesystem::create_directories(FLAGS_store);
    }
  }
  auto db = Database::Open(data_dir);
  if (!db.ok()) {
    std::cerr << db.status() << "\n";
    return 1;
  }
  auto store = FeatureStore::Open(db->get());
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  FeatureStore& fs = **store;
  if (auto applied = fs.Apply(Definitions(), "yaml", false); !applied.ok()) {
    std::cerr << "apply: " << applied.status() << "\n";
    return 1;
  }

  const Events events = MakeEvents(FLAGS_events, FLAGS_accounts, &rng);
  double ingest_rate = 0;
  if (reuse) {
    std::cout << "reusing the store in " << FLAGS_store << " (no ingest)\n";
  } else {
    absl::Status ingested = IngestAndSettle(fs, **db, events, &ingest_rate);
    if (!ingested.ok()) {
      std::cerr << ingested << "\n";
      return 1;
    }
    if (!FLAGS_store.empty() && !WriteFile(FLAGS_store + "/params.txt", params)) return 1;
  }

  // The CSVs for pandas, and the entity rows.
  std::string text = "account_id,ts,amount\n";
  text.reserve(static_cast<size_t>(FLAGS_events) * 32);
  for (int64_t i = 0; i < FLAGS_events; ++i) {
    absl::StrAppend(&text, "A-", events.account[i], ",", events.ts[i], ",");
    AppendDouble(&text, events.amount[i]);
    text.push_back('\n');
  }
  const std::string events_csv = csv_dir + "/events.csv";
  if (!WriteFile(events_csv, text)) return 1;
  EntityRows entity_rows;
  entity_rows.columns = {"account_id", "ts", "label"};
  entity_rows.timestamp_column = "ts";
  entity_rows.rows.reserve(FLAGS_rows);
  {
    std::uniform_int_distribution<TimestampUs> time(kT0, kT0 + kSpan);
    std::uniform_int_distribution<int32_t> account(0, FLAGS_accounts - 1);
    std::bernoulli_distribution label(0.1);
    text = "account_id,ts,label\n";
    for (int64_t r = 0; r < FLAGS_rows; ++r) {
      std::vector<std::string> row = {AccountId(account(rng)), absl::StrCat(time(rng)),
                                      label(rng) ? "1" : "0"};
      absl::StrAppend(&text, row[0], ",", row[1], ",", row[2], "\n");
      entity_rows.rows.push_back(std::move(row));
    }
  }
  const std::string entities_csv = csv_dir + "/entities.csv";
  if (!WriteFile(entities_csv, text)) return 1;
  std::string().swap(text);
  std::cout << "wrote " << events_csv << " and " << entities_csv << "\n";

  // A reused store already has the named snapshot: take a generated name.
  auto snapshot = fs.CreateSnapshot(reuse ? "" : "historical-bench");
  if (!snapshot.ok()) {
    std::cerr << snapshot.status() << "\n";
    return 1;
  }
  const FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  const double rss_before = CurrentRssMiB();

  // --runs runs at the same snapshot; the first keeps its first bytes for
  // verification.
  std::string head;
  double best = 0, best_cpu = 0;
  const int runs = std::max(FLAGS_runs, 1);
  std::ofstream perf_control;
  if (!FLAGS_perf_control.empty()) perf_control.open(FLAGS_perf_control);
  std::vector<std::string> fingerprints(runs);
  for (int run = 0; run < runs; ++run) {
    int64_t bytes = 0;
    std::unique_ptr<std::ofstream> out;
    if (!FLAGS_output.empty())
      out = std::make_unique<std::ofstream>(FLAGS_output, std::ios::binary);
    const CsvSink sink = [&](absl::string_view chunk_bytes) -> absl::Status {
      if (run == 0 && head.size() < kHeadBytes) head.append(chunk_bytes.data(), chunk_bytes.size());
      bytes += static_cast<int64_t>(chunk_bytes.size());
      if (out != nullptr) {
        out->write(chunk_bytes.data(), static_cast<std::streamsize>(chunk_bytes.size()));
        if (!*out) return absl::InternalError(absl::StrCat("cannot write ", FLAGS_output));
      }
      return absl::OkStatus();
    };
    if (perf_control) perf_control << "enable" << std::endl;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    auto result = fs.GetHistoricalFeatures(selector, entity_rows, snapshot->name, sink);
    const double seconds = Seconds(start);
    const double cpu_seconds = CpuSeconds() - cpu_start;
    if (perf_control) perf_control << "disable" << std::endl;
    if (!result.ok()) {
      std::cerr << "historical: " << result.status() << "\n";
      return 1;
    }
    const double rate = result->join.row_count / seconds;
    best = std::max(best, rate);
    best_cpu = std::max(best_cpu, result->join.row_count / cpu_seconds);
    fingerprints[run] = result->join.fingerprint;
    std::cout << absl::StrFormat(
        "historical run %d: %d rows x %d features, %d bytes: %.3f s (cpu %.3f s), %.0f rows/s, "
        "fingerprint %s\n",
        run + 1, result->join.row_count, result->join.columns.size() - 3, bytes, seconds,
        cpu_seconds, rate, result->join.fingerprint);
  }
  if (std::count(fingerprints.begin(), fingerprints.end(), fingerprints[0]) !=
      static_cast<int64_t>(fingerprints.size())) {
    std::cerr << "fingerprints differ between runs at the same snapshot\n";
    return 1;
  }
  std::cout << "fingerprints equal\n";
  const double rss_peak = PeakRssMiB();

  std::vector<std::vector<int64_t>> by_account(FLAGS_accounts);
  for (int64_t i = 0; i < FLAGS_events; ++i) by_account[events.account[i]].push_back(i);
  if (Verify(head, events, by_account, FLAGS_verify_rows) != 0) return 1;

  std::cout << absl::StrFormat(
      "fstore_rows_per_s=%.0f fstore_rows_per_cpu_s=%.0f fstore_ingest_events_per_s=%.0f "
      "fstore_rows=%d fstore_peak_rss_mib=%.0f fstore_rss_before_join_mib=%.0f\n",
      best, best_cpu, ingest_rate, FLAGS_rows, rss_peak, rss_before);

  if (FLAGS_keep) std::cout << "kept " << events_csv << " and " << entities_csv << "\n";
  return 0;
}

}  // namespace
}  // namespace fstore

int main(int argc, char** argv) {
  fstore::ParseProgramFlags({"historical_bench",
                             "historical_bench: the point-in-time historical retrieval benchmark "
                             "(bench/README.md).",
                             "bench/historical_bench.cc"},
                            &argc, &argv);
  return fstore::Run();
}
