// FsdServer: the fsd process's gRPC server around one data directory.
//
// Start() opens the data directory, registers the FeatureStore, Registry and
// Serving services, the standard health service and server reflection, and
// listens. It fails, naming the cause, when the data directory is unusable
// (FailedPrecondition / InvalidArgument) or the address cannot be bound
// (Unavailable: typically the port is taken; SO_REUSEPORT is off so a second
// server cannot silently share a port).
//
// With options.metrics_port >= 0, Start() also serves Prometheus metrics
// (server/metrics.h) over HTTP (server/http_server.h) at /metrics on
// metrics_listen:metrics_port, failing with Unavailable when that cannot be
// bound, and every monitor_interval recomputes Production models' drift and
// live metrics into them (MonitoringService::RefreshMetrics) on a background thread.
//
// Access (README "Security"): with tls_cert/tls_key fsd serves TLS only
// (with tls_client_ca, clients must present a certificate that CA signed);
// without TLS it accepts loopback peers only. Start() refuses a listen
// address other than loopback unless the server is both encrypted and
// authenticated (TLS with auth_tokens or tls_client_ca), or `insecure` is
// set. With auth_tokens every call but the health check needs a bearer
// token whose principal holds the role server/rpc_roles.h names; see
// server/access_control.h. ReloadTokens() re-reads the token file.
//
// Shutdown() stops the metrics endpoint, marks health NOT_SERVING, lets in-flight calls finish
// until the grace period ends (then cancels them), and flushes and closes the store.
//
// Thread-safety: Start and Shutdown are called from one controlling thread.
// Shutdown is idempotent and runs on destruction.
#ifndef FSTORE_SERVER_FSD_SERVER_H_
#define FSTORE_SERVER_FSD_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "featurestore/feature_store.h"
#include "grpcpp/server.h"
#include "registry/model_registry.h"
#include "server/access_control.h"
#include "serving/serving_core.h"
#include "storage/database.h"

namespace fstore {

class FsdMetrics;
class HttpServer;
class PeriodicTask;

struct FsdOptions {
  // Address to listen on. Default: loopback only.
  std::string listen = "127.0.0.1";
  // TCP port; 0 picks a free one (see bound_port()). Default: 50051.
  int port = 50051;
  // Data directory; created when missing. Default: ./fstore-data.
  std::string data_dir = "fstore-data";
  // Most threads serving RPCs at once. Default: 16.
  int threads = 16;
  // How long Shutdown() waits for in-flight calls. Default: 10 s.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // How long the serving log keeps scored requests (drift windows cannot
  // reach further back). Default: 7 days.
  DurationUs serving_log_retention = 7 * 86400 * kMicrosPerSecond;
  // Address the Prometheus /metrics endpoint listens on. Default: loopback.
  std::string metrics_listen = "127.0.0.1";
  // Its TCP port; 0 picks a free one (see metrics_bound_port()), -1 turns
  // metrics off (no endpoint, nothing recorded). Default: -1.
  int metrics_port = -1;
  // With metrics on, how often Production models' drift and live metrics
  // are recomputed into the gauges; zero: only when asked. Default: 60 s.
  absl::Duration monitor_interval = absl::Seconds(60);
  // When set, a scrape of /metrics must carry "Authorization: Bearer T"
  // with this token. Default: none.
  std::string metrics_token;
  // PEM files of the server's certificate chain and private key: serve TLS
  // only. Default: none (plain text, loopback peers only).
  std::string tls_cert;
  std::string tls_key;
  // PEM file of the CA that signs client certificates: mutual TLS, a client
  // without such a certificate cannot connect; the certificate's subject
  // names the caller. Needs tls_cert. Default: none.
  std::string tls_client_ca;
  // Allows a non-loopback listen without TLS and authentication. Default: false.
  bool insecure = false;
  // Tokens, rate limits, streams and rows per caller (auth_tokens is
  // AccessControl::Options::tokens_path).
  AccessControl::Options access;
  // Largest message received or sent. Default: 64 MiB.
  int max_message_bytes = 64 << 20;
  // Events timestamped further than this after now are dead letters (rule
  // "future"; FeatureStore::Options::max_future_skew). Default: 1 day.
  DurationUs max_future_skew = 86400 * kMicrosPerSecond;
};

class FsdServer {
 public:
  explicit FsdServer(FsdOptions options);
  FsdServer(const FsdServer&) = delete;
  FsdServer& operator=(const FsdServer&) = delete;
  ~FsdServer();

  absl::Status Start();
  // The port actually bound (differs from options.port when that was 0).
  int bound_port() const { return bound_port_; }
  // The metrics port bound; 0 when metrics are off.
  int metrics_bound_port() const;
  // Re-reads the token file (SIGHUP); the old table stays on error.
  absl::Status ReloadTokens();
  void Shutdown();

 private:
  struct Services;

  const FsdOptions options_;
  int bound_port_ = 0;
  std::unique_ptr<Database> database_;
  std::unique_ptr<FeatureStore> feature_store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<ServingCore> serving_;
  std::unique_ptr<FsdMetrics> metrics_;  // null when metrics are off
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpServer> http_;       // /metrics; null when metrics are off
  std::unique_ptr<PeriodicTask> monitor_;  // null unless metrics and monitor_interval
};

}  // namespace fstore

#endif  // FSTORE_SERVER_FSD_SERVER_H_
