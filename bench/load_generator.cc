// fstore_load: drives a running fsd over loopback and reports latency
// percentiles and throughput.
//
//   fstore_load --server=127.0.0.1:50051 --mode=ingest --events=1000000
//       --definitions=tests/data/txns_features.yaml   (one command line)
//   fstore_load --server=127.0.0.1:50051 --mode=lookup --clients=1 --seconds=10
//
// ingest: applies --definitions, then streams generated txns rows
//   (--accounts accounts, --hot_events extra events for account A-hot) in
//   chunks of --chunk rows through IngestStream; prints events/s.
// lookup: --clients threads on one channel alternate nothing else: first an
//   empty unary call (the health check) for --seconds, then
//   GetOnlineFeatures(acct, --account) for --seconds; prints p50/p90/p99/max
//   and calls/s of both and their ratio.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_format.h"
#include "client/fstore_client.h"
#include "common/time_util.h"
#include "gflags/gflags.h"
#include "grpcpp/client_context.h"

DEFINE_string(server, "127.0.0.1:50051", "fsd address");
DEFINE_string(mode, "lookup", "ingest or lookup");
DEFINE_string(definitions, "tests/data/txns_features.yaml", "ingest: definitions to apply");
DEFINE_int64(events, 1000000, "ingest: events to send");
DEFINE_int32(accounts, 10000, "ingest: distinct accounts");
DEFINE_int64(hot_events, 100000, "ingest: extra events for account A-hot in the last 6 days");
DEFINE_int32(chunk, 1000, "ingest: rows per message");
DEFINE_int32(clients, 1, "lookup: concurrent client threads");
DEFINE_int32(seconds, 10, "lookup: seconds per measured call");
DEFINE_string(account, "A-hot", "lookup: account to read");

namespace fstore {
namespace {

constexpr TimestampUs kT0 = 1767607200LL * 1000000;

struct Stats {
  std::vector<double> micros;
  double seconds = 0;
};

void Print(const char* name, Stats& s) {
  std::sort(s.micros.begin(), s.micros.end());
  auto pct = [&](double p) { return s.micros[std::min(s.micros.size() - 1, size_t(p * s.micros.size()))]; };
  std::cout << absl::StrFormat("%-18s calls=%-8d p50=%7.1fus p90=%7.1fus p99=%7.1fus max=%8.1fus  %9.0f calls/s\n",
                               name, s.micros.size(), pct(0.5), pct(0.9), pct(0.99), s.micros.back(),
                               s.micros.size() / s.seconds);
}

template <typename Call>
Stats Measure(int clients, int seconds, Call call) {
  std::vector<std::vector<double>> per(clients);
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      while (std::chrono::steady_clock::now() < end) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!call()) failed = true;
        per[c].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  Stats s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& v : per) s.micros.insert(s.micros.end(), v.begin(), v.end());
  if (failed) std::cerr << "some calls failed\n";
  return s;
}

int Ingest(FstoreClient& client) {
  std::ifstream in(FLAGS_definitions);
  std::stringstream ss;
  ss << in.rdbuf();
  v1::ApplyDefinitionsRequest apply;
  apply.set_content(ss.str());
  if (auto r = client.ApplyDefinitions(apply); !r.ok()) {
    std::cerr << "apply: " << r.status() << "\n";
    return 1;
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> account(0, FLAGS_accounts - 1);
  std::uniform_real_distribution<double> amount(1, 500);
  auto stream = client.StartIngestStream();
  const auto start = std::chrono::steady_clock::now();
  const int64_t total = FLAGS_events + FLAGS_hot_events;
  v1::IngestRequest request;
  request.set_source("txns");
  for (const char* c : {"txn_id", "account_id", "device_id", "ts", "amount", "kind"}) request.add_columns(c);
  for (int64_t i = 0; i < total; ++i) {
    const bool hot = i >= FLAGS_events;
    const int a = account(rng);
    v1::Row* row = request.add_rows();
    row->add_values()->set_string_value(absl::StrCat("t", i));
    row->add_values()->set_string_value(hot ? std::string("A-hot") : absl::StrCat("A-", a));
    row->add_values()->set_string_value(absl::StrCat("D-", a % 997));
    // Hot events arrive in time order, spread over the 6 days before the
    // lookup time (kT0 + 6d); the others every half second from kT0.
    const TimestampUs ts =
        hot ? kT0 + (i - FLAGS_events) * (6LL * 86400 * kMicrosPerSecond / FLAGS_hot_events)
            : kT0 + i * 500000;
    row->add_values()->set_int64_value(ts);
    row->add_values()->set_double_value(amount(rng));
    row->add_values()->set_string_value(i % 7 == 0 ? "XFER" : "PAY");
    if (request.rows_size() == FLAGS_chunk || i + 1 == total) {
      if (!stream->Write(request)) break;
      request.Clear();
    }
  }
  auto summary = stream->Finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!summary.ok()) {
    std::cerr << "ingest: " << summary.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat("ingest: %d accepted, %d rejected in %.2f s: %.0f events/s\n",
                               summary->accepted(), summary->rejected(), seconds,
                               summary->accepted() / seconds);
  return 0;
}

int Lookup(FstoreClient& client) {
  auto stub = grpc::health::v1::Health::NewStub(client.channel());
  auto fs = v1::FeatureStore::NewStub(client.channel());
  v1::GetOnlineFeaturesRequest request;
  request.mutable_selector()->set_feature_view("acct");
  (*request.mutable_entity()->mutable_values())["account_id"] = FLAGS_account;
  request.set_at_us(kT0 + 6LL * 86400 * kMicrosPerSecond);
  Stats empty = Measure(FLAGS_clients, FLAGS_seconds, [&] {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return stub->Check(&ctx, req, &resp).ok();
  });
  Stats lookup = Measure(FLAGS_clients, FLAGS_seconds, [&] {
    grpc::ClientContext ctx;
    v1::GetOnlineFeaturesResponse resp;
    return fs->GetOnlineFeatures(&ctx, request, &resp).ok();
  });
  std::cout << "clients=" << FLAGS_clients << "\n";
  Print("empty (health)", empty);
  Print("GetOnlineFeatures", lookup);
  std::sort(empty.micros.begin(), empty.micros.end());
  std::sort(lookup.micros.begin(), lookup.micros.end());
  std::cout << absl::StrFormat("ratio: p50 %.2fx of empty call, throughput %.2fx of empty call\n",
                               lookup.micros[lookup.micros.size() / 2] / empty.micros[empty.micros.size() / 2],
                               (lookup.micros.size() / lookup.seconds) / (empty.micros.size() / empty.seconds));
  return 0;
}

}  // namespace
}  // namespace fstore

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  fstore::FstoreClient client({FLAGS_server, absl::Seconds(600)});
  if (FLAGS_mode == "ingest") return fstore::Ingest(client);
  if (FLAGS_mode == "lookup") return fstore::Lookup(client);
  std::cerr << "--mode must be ingest or lookup\n";
  return 2;
}
