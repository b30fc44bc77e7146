// fsd: the fstore server. See --help.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time_util.h"
#include "gflags/gflags.h"
#include "server/fsd_server.h"
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
DEFINE_int32(shutdown_grace_ms, 10000,
             "On SIGINT/SIGTERM, how long in-flight calls may take to finish.");

namespace {

// Writes `port` then renames, so a reader never sees a partial number.
bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "fsd: the fstore server (feature store, model registry, serving).\n\n"
      "  fsd --data_dir=/var/lib/fstore --port=50051\n\n"
      "Serves the gRPC services fstore.v1.FeatureStore, fstore.v1.Registry,\n"
      "fstore.v1.Serving and fstore.v1.Monitoring, plus grpc.health.v1.Health\n"
      "and server reflection.\n"
      "With --metrics_port, also serves Prometheus metrics over HTTP at /metrics.\n"
      "Stops cleanly on SIGINT or SIGTERM: in-flight calls finish, the store\n"
      "is flushed and closed. Exit status: 0 after a clean stop, 1 when the\n"
      "server cannot start (the message says why).");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  // Debian's abseil is built without NDEBUG: every absl::Mutex acquisition
  // (gRPC's included) would also update a global deadlock-detection graph,
  // about 3% of fsd's CPU under Score load (bench/README.md, Serving).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  auto logger = spdlog::stderr_color_mt("fsd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(FLAGS_log_level));
  if (argc > 1) {
    spdlog::critical("unexpected argument '{}'; see fsd --help", argv[1]);
    return 1;
  }

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  fstore::FsdOptions options;
  options.listen = FLAGS_listen;
  options.port = FLAGS_port;
  options.data_dir = FLAGS_data_dir;
  options.threads = FLAGS_threads;
  options.shutdown_grace = absl::Milliseconds(FLAGS_shutdown_grace_ms);
  options.metrics_listen = FLAGS_metrics_listen;
  options.metrics_port = FLAGS_metrics_port;
  absl::StatusOr<fstore::DurationUs> retention = fstore::ParseDuration(FLAGS_serving_log_retention);
  if (!retention.ok() || *retention <= 0) {
    spdlog::critical("--serving_log_retention '{}' must be a positive duration such as 7d",
                     FLAGS_serving_log_retention);
    return 1;
  }
  options.serving_log_retention = *retention;
  if (FLAGS_monitor_interval != "0") {
    absl::StatusOr<fstore::DurationUs> interval = fstore::ParseDuration(FLAGS_monitor_interval);
    if (!interval.ok() || *interval <= 0) {
      spdlog::critical("--monitor_interval '{}' must be a positive duration such as 60s, or 0",
                       FLAGS_monitor_interval);
      return 1;
    }
    options.monitor_interval = absl::Microseconds(*interval);
  } else {
    options.monitor_interval = absl::ZeroDuration();
  }
  fstore::FsdServer server(options);
  if (absl::Status started = server.Start(); !started.ok()) {
    spdlog::critical("fsd cannot start: {}", std::string(started.message()));
    return 1;
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
  sigwait(&stop_signals, &signal);
  spdlog::info("received {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
  server.Shutdown();
  return 0;
}
