// fstore_load: drives a running fsd over loopback and reports latency
// percentiles and throughput.
//
//   fstore_load --server=127.0.0.1:50051 --mode=ingest --events=1000000
//       --definitions=tests/data/txns_features.yaml   (one command line)
//   fstore_load --server=127.0.0.1:50051 --mode=lookup --clients=1 --seconds=10
//   fstore_load --server=127.0.0.1:50051 --mode=score --clients=1,16 --seconds=5
//
// ingest: applies --definitions, then streams generated txns rows
//   (--accounts accounts, --hot_events extra events for account A-hot) in
//   chunks of --chunk rows through IngestStream; prints events/s.
// lookup: --clients threads on one channel alternate nothing else: first an
//   empty unary call (the health check) for --seconds, then
//   GetOnlineFeatures(acct, --account) for --seconds; prints p50/p90/p99/max
//   and calls/s of both and their ratio.
// score: unless --setup=false, applies --fraud_definitions, streams the
//   synthetic events of bench/fraud_workload.h into its sources, trains a
//   --trees-tree depth-6 booster, uploads it, registers it as a version of
//   --model bound to fraud_v1 and promotes it to Production (all through the
//   public API). Then, for each entry of --clients, --rounds times: an empty
//   unary call (the health check) for --seconds, Score(--model@Production,
//   --explain) for --seconds, and Score refused at once (a malformed ref:
//   the RPC path without the scoring work) for --seconds, all on one
//   channel, the Score requests cycling through 1,024 random (account,
//   device, amount, type) tuples; prints each and their ratios to the empty
//   call (p50 and throughput), pooled over the rounds.
// --clients takes a comma-separated list (lookup and score).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/fraud_workload.h"
#include "client/fstore_client.h"
#include "common/program_flags.h"
#include "common/time_util.h"
#include "gflags/gflags.h"
#include "grpcpp/client_context.h"

DEFINE_string(server, "127.0.0.1:50051", "fsd address");
DEFINE_string(tls_ca, "", "CA certificate of a TLS fsd: connect with TLS");
DEFINE_string(token, "", "bearer token of an fsd that checks tokens (sent with every call)");
DEFINE_string(mode, "lookup", "ingest, lookup or score");
DEFINE_string(definitions, "tests/data/txns_features.yaml", "ingest: definitions to apply");
DEFINE_int64(events, 1000000, "ingest: events to send");
DEFINE_int32(accounts, 10000, "ingest: distinct accounts");
DEFINE_int64(hot_events, 100000, "ingest: extra events for account A-hot in the last 6 days");
DEFINE_int32(chunk, 1000, "ingest: rows per message");
DEFINE_string(clients, "1",
              "lookup, score: concurrent client threads; a comma-separated list "
              "runs each in turn");
DEFINE_int32(seconds, 10, "lookup: seconds per measured call; score: per call and round");
DEFINE_string(account, "A-hot", "lookup: account to read");
DEFINE_string(fraud_definitions, "examples/fraud/features.yaml", "score: definitions to apply");
DEFINE_bool(setup, true,
            "score: load the data and register the model first (false: the fsd "
            "already holds them from an earlier run)");
DEFINE_string(model, "fraud_bench", "score: the registered model scored as MODEL@Production");
DEFINE_string(explain, "fast", "score: none, fast or exact");
DEFINE_int32(trees, 200, "score: trees of the registered booster (depth 6)");
DEFINE_int32(rounds, 6, "score: rounds of (empty call, Score, refused Score), pooled");

namespace fstore {
namespace {

constexpr TimestampUs kT0 = 1767607200LL * 1000000;

struct Stats {
  std::vector<double> micros;
  double seconds = 0;
};

void Print(const char* name, Stats& s) {
  std::sort(s.micros.begin(), s.micros.end());
  auto pct = [&](double p) {
    return s.micros[std::min(s.micros.size() - 1, size_t(p * s.micros.size()))];
  };
  std::cout << absl::StrFormat(
      "%-18s calls=%-8d p50=%7.1fus p90=%7.1fus p99=%7.1fus max=%8.1fus  %9.0f calls/s\n", name,
      s.micros.size(), pct(0.5), pct(0.9), pct(0.99), s.micros.back(), s.micros.size() / s.seconds);
}

// Pools `more` into `into` (rounds of one measurement).
void Merge(Stats& into, const Stats& more) {
  into.micros.insert(into.micros.end(), more.micros.begin(), more.micros.end());
  into.seconds += more.seconds;
}

double P50(Stats& s) {
  std::sort(s.micros.begin(), s.micros.end());
  return s.micros[s.micros.size() / 2];
}

// Runs `call(client, i)` (i counting that client's calls) on `clients`
// threads for `seconds`, timing each call.
template <typename Call>
Stats Measure(int clients, int seconds, Call call) {
  std::vector<std::vector<double>> per(clients);
  std::atomic<int64_t> failed{0};
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (size_t i = 0; std::chrono::steady_clock::now() < end; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!call(c, i)) failed.fetch_add(1);
        per[c].push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
      }
    });
  }
  for (auto& t : threads) t.join();
  Stats s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& v : per) s.micros.insert(s.micros.end(), v.begin(), v.end());
  if (failed.load() > 0) std::cerr << failed.load() << " calls failed\n";
  return s;
}

// --clients as numbers.
std::vector<int> ClientCounts() {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(FLAGS_clients, ',', absl::SkipWhitespace())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1) {
      std::cerr << "--clients: '" << part << "' is not a positive number\n";
      std::exit(2);
    }
    out.push_back(n);
  }
  return out;
}

void PrintRatios(const char* name, Stats& measured, Stats& empty) {
  std::cout << absl::StrFormat(
      "ratio: %s p50 %.2fx of empty call, throughput %.2fx of empty call\n", name,
      P50(measured) / P50(empty),
      (measured.micros.size() / measured.seconds) / (empty.micros.size() / empty.seconds));
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
  for (const char* c : {"txn_id", "account_id", "device_id", "ts", "amount", "kind"})
    request.add_columns(c);
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
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  for (const int clients : ClientCounts()) {
    Stats empty = Measure(clients, FLAGS_seconds, [&](int, size_t) {
      grpc::ClientContext ctx;
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      return stub->Check(&ctx, req, &resp).ok();
    });
    Stats lookup = Measure(clients, FLAGS_seconds, [&](int, size_t) {
      grpc::ClientContext ctx;
      v1::GetOnlineFeaturesResponse resp;
      return fs->GetOnlineFeatures(&ctx, request, &resp).ok();
    });
    std::cout << "clients=" << clients << "\n";
    Print("empty (health)", empty);
    Print("GetOnlineFeatures", lookup);
    PrintRatios("GetOnlineFeatures", lookup, empty);
  }
  return 0;
}

// ---- score ----

v1::Value ToWire(const Value& v) {
  v1::Value out;
  switch (v.index()) {
    case 1:
      out.set_int64_value(std::get<int64_t>(v));
      break;
    case 2:
      out.set_double_value(std::get<double>(v));
      break;
    case 3:
      out.set_string_value(std::get<std::string>(v));
      break;
    case 4:
      out.set_bool_value(std::get<bool>(v));
      break;
    default:
      break;  // null: no kind set
  }
  return out;
}

template <typename T>
bool Check(const absl::StatusOr<T>& r, const char* what) {
  if (!r.ok()) std::cerr << what << ": " << r.status() << "\n";
  return r.ok();
}

// Loads the fraud workload and registers a model through the public API.
bool SetUpScoring(FstoreClient& client) {
  std::ifstream in(FLAGS_fraud_definitions);
  if (!in) {
    std::cerr << "cannot read " << FLAGS_fraud_definitions << "\n";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  v1::ApplyDefinitionsRequest apply;
  apply.set_content(ss.str());
  if (!Check(client.ApplyDefinitions(apply), "apply")) return false;

  const auto start = std::chrono::steady_clock::now();
  int64_t accepted = 0, rejected = 0;
  std::string current;
  std::unique_ptr<FstoreClient::IngestStream> stream;
  auto finish = [&]() -> absl::Status {
    if (stream == nullptr) return absl::OkStatus();
    absl::StatusOr<v1::IngestResponse> summary = stream->Finish();
    stream.reset();
    if (!summary.ok()) return summary.status();
    accepted += summary->accepted();
    rejected += summary->rejected();
    return absl::OkStatus();
  };
  absl::Status ingested =
      ForEachFraudChunk(FraudWorkloadOptions(), 1000,
                        [&](const std::string& source, const std::vector<std::string>& columns,
                            const std::vector<std::vector<Value>>& rows) -> absl::Status {
                          if (source != current) {
                            if (absl::Status s = finish(); !s.ok()) return s;
                            stream = client.StartIngestStream();
                            current = source;
                          }
                          v1::IngestRequest request;
                          request.set_source(source);
                          for (const std::string& c : columns) request.add_columns(c);
                          for (const std::vector<Value>& row : rows) {
                            v1::Row* out = request.add_rows();
                            for (const Value& v : row) *out->add_values() = ToWire(v);
                          }
                          if (!stream->Write(request)) return finish();
                          return absl::OkStatus();
                        });
  if (ingested.ok()) ingested = finish();
  if (!ingested.ok()) {
    std::cerr << "ingest: " << ingested << "\n";
    return false;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << absl::StrFormat("ingest: %d accepted, %d rejected in %.1f s\n", accepted, rejected,
                               seconds);

  absl::StatusOr<std::string> model = TrainFraudModel(FLAGS_trees, 6);
  if (!Check(model, "train")) return false;
  absl::StatusOr<v1::UploadArtifactResponse> artifact = client.UploadArtifact(*model);
  if (!Check(artifact, "upload")) return false;
  // The version's metadata as fsctl train would register it.
  CreateVersionRequest metadata;
  absl::StatusOr<v1::ListDefinitionsResponse> defs =
      client.ListDefinitions(v1::ListDefinitionsRequest());
  if (!Check(defs, "list definitions")) return false;
  std::vector<std::string> names;
  for (const v1::FeatureService& service : defs->definitions().feature_services()) {
    if (service.name() != "fraud_v1") continue;
    names.assign(service.features().begin(), service.features().end());
    for (const auto& field : service.request_fields()) names.push_back(field.name());
  }
  FillFraudVersionMetadata(names, &metadata);
  v1::CreateModelVersionRequest create;
  create.set_model(FLAGS_model);
  create.set_artifact_sha256(artifact->sha256());
  create.set_feature_service("fraud_v1");
  create.set_training_snapshot(metadata.training_snapshot);
  create.set_dataset_fingerprint(metadata.dataset_fingerprint);
  create.mutable_params()->insert(metadata.params.begin(), metadata.params.end());
  create.mutable_metrics()->insert(metadata.metrics.begin(), metadata.metrics.end());
  for (const FeatureStatistics& s : metadata.feature_statistics) {
    v1::FeatureStatistics* out = create.add_feature_statistics();
    out->set_feature(s.feature);
    out->set_count(s.count);
    out->set_missing(s.missing);
    out->set_mean(s.mean);
    out->set_stddev(s.stddev);
    out->set_min(s.min);
    out->set_max(s.max);
    for (double e : s.bin_edges) out->add_bin_edges(e);
    for (int64_t c : s.bin_counts) out->add_bin_counts(c);
  }
  for (const RiskThreshold& t : metadata.risk_thresholds) {
    v1::RiskThreshold* out = create.add_risk_thresholds();
    out->set_bucket(t.bucket);
    out->set_min_score(t.min_score);
  }
  create.set_description(metadata.description);
  absl::StatusOr<v1::ModelVersion> version =
      client.Call(&v1::Registry::Stub::CreateModelVersion, create, "CreateModelVersion");
  if (!Check(version, "register")) return false;
  v1::TransitionStageRequest promote;
  promote.set_model(FLAGS_model);
  promote.set_version(version->version());
  promote.set_stage(v1::STAGE_PRODUCTION);
  promote.set_archive_existing(true);
  if (!Check(client.Call(&v1::Registry::Stub::TransitionStage, promote, "TransitionStage"),
             "promote")) {
    return false;
  }
  std::cout << "registered " << FLAGS_model << ":" << version->version() << " (" << FLAGS_trees
            << " trees) in Production\n";
  return true;
}

int Score(FstoreClient& client) {
  v1::Explain explain = v1::EXPLAIN_FAST;
  if (FLAGS_explain == "none") {
    explain = v1::EXPLAIN_NONE;
  } else if (FLAGS_explain == "exact") {
    explain = v1::EXPLAIN_EXACT;
  } else if (FLAGS_explain != "fast") {
    std::cerr << "--explain must be none, fast or exact\n";
    return 2;
  }
  if (FLAGS_setup && !SetUpScoring(client)) return 1;

  std::vector<v1::ScoreRequest> requests;
  for (const FraudRequest& r : MakeFraudRequests(FraudWorkloadOptions(), 1024, 11)) {
    v1::ScoreRequest request;
    request.set_model_ref(FLAGS_model + "@Production");
    auto& keys = *request.mutable_entity()->mutable_values();
    keys["account_id"] = r.account_id;
    keys["device_id"] = r.device_id;
    (*request.mutable_request_fields())["amount"].set_double_value(r.amount);
    (*request.mutable_request_fields())["type_code"].set_int64_value(r.type_code);
    request.set_explain(explain);
    request.set_at_us(kFraudScoreAt);
    requests.push_back(std::move(request));
  }
  auto health = grpc::health::v1::Health::NewStub(client.channel());
  auto serving = v1::Serving::NewStub(client.channel());
  const auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(10); };
  // Every Score carries the token, as a real client's would.
  const std::string authorization = "Bearer " + FLAGS_token;
  const auto authorize = [&](grpc::ClientContext& ctx) {
    if (!FLAGS_token.empty()) ctx.AddMetadata("authorization", authorization);
  };
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    authorize(ctx);
    v1::ScoreResponse first;
    const grpc::Status status = serving->Score(&ctx, requests[0], &first);
    if (!status.ok()) {
      std::cerr << "score: " << status.error_message() << "\n";
      return 1;
    }
    std::cout << absl::StrFormat(
        "first score: %s:%d score %.4f (%s), %d contributions, %d "
        "missing features\n",
        first.model(), first.model_version(), first.score(), first.risk_bucket(),
        first.contributions_size(), first.missing_features_size());
  }
  // The same method refused at once (a malformed ref): what the
  // server, the interceptors and the translation cost without the scoring
  // work.
  v1::ScoreRequest refused = requests[0];
  refused.set_model_ref("!");
  for (const int clients : ClientCounts()) {
    // Interleaved in short rounds, so that load from elsewhere on the
    // machine falls on all three alike.
    Stats empty, score, refused_stats;
    for (int round = 0; round < FLAGS_rounds; ++round) {
      Merge(empty, Measure(clients, FLAGS_seconds, [&](int, size_t) {
              grpc::ClientContext ctx;
              ctx.set_deadline(deadline());
              grpc::health::v1::HealthCheckRequest req;
              grpc::health::v1::HealthCheckResponse resp;
              return health->Check(&ctx, req, &resp).ok();
            }));
      Merge(score, Measure(clients, FLAGS_seconds, [&](int c, size_t i) {
              grpc::ClientContext ctx;
              ctx.set_deadline(deadline());
              authorize(ctx);
              v1::ScoreResponse resp;
              return serving->Score(&ctx, requests[(c * 64 + i) % requests.size()], &resp).ok();
            }));
      Merge(refused_stats, Measure(clients, FLAGS_seconds, [&](int, size_t) {
              grpc::ClientContext ctx;
              ctx.set_deadline(deadline());
              authorize(ctx);
              v1::ScoreResponse resp;
              return serving->Score(&ctx, refused, &resp).error_code() ==
                     grpc::StatusCode::INVALID_ARGUMENT;
            }));
    }
    std::cout << "clients=" << clients << " explain=" << FLAGS_explain << " rounds=" << FLAGS_rounds
              << " x " << FLAGS_seconds << " s\n";
    Print("empty (health)", empty);
    Print("Score", score);
    Print("Score (refused)", refused_stats);
    PrintRatios("Score", score, empty);
    PrintRatios("Score (refused)", refused_stats, empty);
  }
  return 0;
}

}  // namespace
}  // namespace fstore

int main(int argc, char** argv) {
  fstore::ParseProgramFlags({"fstore_load",
                             "fstore_load: drives a running fsd over gRPC with ingest, lookup or "
                             "score load\nand prints throughput and latency (bench/README.md).",
                             "bench/load_generator.cc"},
                            &argc, &argv);
  fstore::FstoreClient::Options options;
  options.server = FLAGS_server;
  options.timeout = absl::Seconds(600);
  options.token = FLAGS_token;
  if (absl::Status tls = fstore::FstoreClient::ReadTlsFiles(FLAGS_tls_ca, "", "", &options);
      !tls.ok()) {
    std::cerr << "--tls_ca: " << tls.message() << "\n";
    return 2;
  }
  fstore::FstoreClient client(options);
  if (FLAGS_mode == "ingest") return fstore::Ingest(client);
  if (FLAGS_mode == "lookup") return fstore::Lookup(client);
  if (FLAGS_mode == "score") return fstore::Score(client);
  std::cerr << "--mode must be ingest, lookup or score\n";
  return 2;
}
