// fsd: the fstore server. See --help.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/program_flags.h"
#include "common/time_util.h"
#include "gflags/gflags.h"
#include "server/fsd_server.h"
#include "server/roles.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

DEFINE_string(listen, "127.0.0.1",
              "Address to listen on. The default serves loopback only; use "
              "0.0.0.0 to serve every interface.");
DEFINE_int32(port, 50051,
             "TCP port to listen on; 0 picks a free port "
             "(see --port_file).");
DEFINE_string(data_dir, "fstore-data",
              "Data directory (one RocksDB instance); created when missing.");
DEFINE_int32(threads, 16, "Most RPCs served at once.");
DEFINE_string(port_file, "",
              "When set, the bound port is written to this file once the "
              "server accepts calls (useful with --port=0).");
DEFINE_string(log_level, "info", "trace, debug, info, warn, error or critical.");
DEFINE_int32(metrics_port, -1,
             "TCP port of the Prometheus endpoint (HTTP GET /metrics, text format "
             "0.0.4); -1 turns metrics off, 0 picks a free port (see "
             "--metrics_port_file). deploy/prometheus.yml scrapes 9464.");
DEFINE_string(metrics_listen, "127.0.0.1",
              "Address the metrics endpoint listens on. The default serves "
              "loopback only; use 0.0.0.0 for a Prometheus on another host.");
DEFINE_string(metrics_port_file, "",
              "When set, the bound metrics port is written to this file once "
              "the server accepts calls (useful with --metrics_port=0).");
DEFINE_string(serving_log_retention, "7d",
              "How long every scored request (features and score) is kept for "
              "drift monitoring, e.g. 24h or 30d; drift windows cannot reach "
              "further back.");
DEFINE_string(monitor_interval, "60s",
              "With metrics on, how often drift (last 24h) and live metrics "
              "(labelled traffic, last 30d) of every Production model are "
              "recomputed into /metrics, e.g. 30s or 5m; 0 recomputes them only "
              "when fsctl drift or feedback asks.");
DEFINE_string(max_future_skew, "1d",
              "Events timestamped further than this after now are refused as dead "
              "letters (rule 'future'), e.g. 1d or 2h: one far-future event must not "
              "move what other entities can read.");
DEFINE_int32(shutdown_grace_ms, 10000,
             "On SIGINT/SIGTERM, how long in-flight calls may take to finish.");
DEFINE_string(tls_cert, "",
              "PEM certificate chain of the server: serve TLS only (with --tls_key). "
              "Without TLS, fsd accepts loopback peers only.");
DEFINE_string(tls_key, "", "PEM private key of --tls_cert.");
DEFINE_string(tls_client_ca, "",
              "PEM CA certificate that signs client certificates: mutual TLS; a client "
              "without a certificate it signed cannot connect, and the certificate's "
              "subject names the caller in audit records.");
DEFINE_string(auth_tokens, "",
              "Token file: one line per token, 'SHA256-OF-TOKEN PRINCIPAL ROLES' (roles "
              "reader, scorer, ingester, modeler, admin, comma-separated). Every call but "
              "the health check then needs 'authorization: Bearer TOKEN' whose principal "
              "holds the call's role (README, Security). Re-read on SIGHUP.");
DEFINE_bool(insecure, false,
            "Allow --listen on a non-loopback address without TLS and authentication: "
            "anyone who reaches the port may then read and change everything.");
DEFINE_string(rate_limits, "",
              "Calls per second one principal may make with each role, e.g. "
              "'scorer=5000,reader=100'; a burst of one second's worth is allowed. "
              "Refused calls get RESOURCE_EXHAUSTED. Default: unlimited.");
DEFINE_int32(max_streams_per_principal, 64,
             "Streams (ingest, score, watch, export, ...) one principal may hold open at "
             "once; 0 = unlimited.");
DEFINE_int64(max_rows_per_message, 100000,
             "Rows one ingest, entity-rows or feedback message may carry.");
DEFINE_int32(max_message_bytes, 64 << 20, "Largest gRPC message received or sent, in bytes.");
DEFINE_string(metrics_token_file, "",
              "File holding a token that every /metrics scrape must send as "
              "'Authorization: Bearer TOKEN' (Prometheus: authorization.credentials_file).");

namespace {

// Parses --rate_limits ("scorer=5000,reader=100").
absl::StatusOr<std::map<fstore::Role, double>> ParseRateLimits(absl::string_view text) {
  std::map<fstore::Role, double> limits;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(item, '=');
    absl::StatusOr<fstore::Role> role = fstore::ParseRole(absl::StripAsciiWhitespace(kv.first));
    double rate = 0;
    if (!role.ok()) return role.status();
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(kv.second), &rate) || !(rate > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", item, "': the rate must be a positive number of calls per second (ROLE=N)"));
    }
    limits[*role] = rate;
  }
  return limits;
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    return absl::NotFoundError(absl::StrCat("cannot read a token from ", path));
  }
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no token"));
  return token;
}

// Writes `port` then renames, so a reader never sees a partial number.
bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  fstore::ParseProgramFlags(
      {"fsd",
       "fsd: the fstore server (feature store, model registry, serving).\n\n"
       "  fsd --data_dir=/var/lib/fstore --port=50051\n\n"
       "Serves the gRPC services fstore.v1.FeatureStore, fstore.v1.Registry,\n"
       "fstore.v1.Serving and fstore.v1.Monitoring, plus grpc.health.v1.Health\n"
       "and server reflection.\n"
       "With --metrics_port, also serves Prometheus metrics over HTTP at /metrics.\n"
       "Stops cleanly on SIGINT or SIGTERM: in-flight calls finish, the store\n"
       "is flushed and closed; SIGHUP re-reads --auth_tokens.\n\n"
       "Security (README, Security): without TLS fsd serves loopback peers only.\n"
       "  fsd --tls_cert=server.pem --tls_key=server.key --auth_tokens=tokens \\\n"
       "      --listen=0.0.0.0\n"
       "serves TLS and requires a bearer token with the call's role.\n\n"
       "Exit status: 0 after a clean stop, 1 when the server cannot start (the\n"
       "message says why), 2 for a bad flag.",
       "server/main.cc"},
      &argc, &argv);
  // Debian's abseil is built without NDEBUG: every absl::Mutex acquisition
  // (gRPC's included) would also update a global deadlock-detection graph,
  // about 3% of fsd's CPU under Score load (bench/README.md, Serving).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  auto logger = spdlog::stderr_color_mt("fsd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(FLAGS_log_level));
  if (argc > 1) {
    spdlog::critical("unexpected argument '{}'; see fsd --help", argv[1]);
    return 2;
  }

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  fstore::FsdOptions options;
  options.listen = FLAGS_listen;
  options.port = FLAGS_port;
  options.data_dir = FLAGS_data_dir;
  options.threads = FLAGS_threads;
  options.shutdown_grace = absl::Milliseconds(FLAGS_shutdown_grace_ms);
  options.metrics_listen = FLAGS_metrics_listen;
  options.metrics_port = FLAGS_metrics_port;
  options.tls_cert = FLAGS_tls_cert;
  options.tls_key = FLAGS_tls_key;
  options.tls_client_ca = FLAGS_tls_client_ca;
  options.insecure = FLAGS_insecure;
  options.max_message_bytes = FLAGS_max_message_bytes;
  options.access.tokens_path = FLAGS_auth_tokens;
  options.access.max_streams_per_principal = FLAGS_max_streams_per_principal;
  options.access.max_rows_per_message = FLAGS_max_rows_per_message;
  absl::StatusOr<std::map<fstore::Role, double>> rate_limits = ParseRateLimits(FLAGS_rate_limits);
  if (!rate_limits.ok()) {
    spdlog::critical("--rate_limits: {}", std::string(rate_limits.status().message()));
    return 2;
  }
  options.access.rate_limits = *std::move(rate_limits);
  if (!FLAGS_metrics_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken(FLAGS_metrics_token_file);
    if (!token.ok()) {
      spdlog::critical("--metrics_token_file: {}", std::string(token.status().message()));
      return 2;
    }
    options.metrics_token = *std::move(token);
  }
  absl::StatusOr<fstore::DurationUs> retention = fstore::ParseDuration(FLAGS_serving_log_retention);
  if (!retention.ok() || *retention <= 0) {
    spdlog::critical("--serving_log_retention '{}' must be a positive duration such as 7d",
                     FLAGS_serving_log_retention);
    return 2;
  }
  options.serving_log_retention = *retention;
  absl::StatusOr<fstore::DurationUs> skew = fstore::ParseDuration(FLAGS_max_future_skew);
  if (!skew.ok() || *skew < 0) {
    spdlog::critical("--max_future_skew '{}' must be a duration such as 1d or 2h",
                     FLAGS_max_future_skew);
    return 2;
  }
  options.max_future_skew = *skew;
  if (FLAGS_monitor_interval != "0") {
    absl::StatusOr<fstore::DurationUs> interval = fstore::ParseDuration(FLAGS_monitor_interval);
    if (!interval.ok() || *interval <= 0) {
      spdlog::critical("--monitor_interval '{}' must be a positive duration such as 60s, or 0",
                       FLAGS_monitor_interval);
      return 2;
    }
    options.monitor_interval = absl::Microseconds(*interval);
  } else {
    options.monitor_interval = absl::ZeroDuration();
  }
  fstore::FsdServer server(options);
  if (absl::Status started = server.Start(); !started.ok()) {
    spdlog::critical("fsd cannot start: {}", std::string(started.message()));
    return started.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // The metrics port first: a reader waiting for --port_file then finds both.
  if (!FLAGS_metrics_port_file.empty() &&
      !WritePortFile(FLAGS_metrics_port_file, server.metrics_bound_port())) {
    spdlog::critical("cannot write --metrics_port_file {}", FLAGS_metrics_port_file);
    return 1;
  }
  if (!FLAGS_port_file.empty() && !WritePortFile(FLAGS_port_file, server.bound_port())) {
    spdlog::critical("cannot write --port_file {}", FLAGS_port_file);
    return 1;
  }

  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
    if (absl::Status reloaded = server.ReloadTokens(); !reloaded.ok()) {
      spdlog::error("SIGHUP: keeping the previous tokens: {}", std::string(reloaded.message()));
    }
  }
  spdlog::info("received {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.Shutdown();
  return 0;
}
