#include "server/fsd_server.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "metrics/metrics_text_format.h"
#include "server/feature_store_service.h"
#include "server/http_server.h"
#include "server/malformed_request.h"
#include "server/metrics.h"
#include "server/monitoring_service.h"
#include "server/periodic_task.h"
#include "server/registry_service.h"
#include "server/rpc_roles.h"
#include "server/serving_service.h"
#include "serving/features_in_use.h"
#include "spdlog/spdlog.h"

namespace fstore {

// The registered services.
struct FsdServer::Services {
  Services(FeatureStore* store, ModelRegistry* models, ServingCore* core, FsdMetrics* metrics,
           AccessControl* access)
      : feature_store(store, access, metrics),
        registry(models, store, access),
        serving(core, access),
        monitoring(core, access, metrics) {}
  FeatureStoreService feature_store;
  RegistryService registry;
  ServingService serving;
  MonitoringService monitoring;
};

namespace {

bool IsLoopback(absl::string_view host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", flag, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is not a PEM file"));
  }
  return text.str();
}

// What fsd's port speaks: TLS with a certificate; else plain text that
// only loopback peers may reach (gRPC's local credentials), unless
// --insecure opened another address.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const FsdOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!options.tls_client_ca.empty() && options.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  if (options.tls_cert.empty()) {
    // gRPC runs the auth hook (tokens, rate limits) on secure credentials
    // only; local ones are secure for loopback peers. Without checks, plain
    // insecure credentials cost ~15 us less per call (bench/README.md).
    if (AccessControl::ChecksCalls(options.access) && IsLoopback(options.listen)) {
      return grpc::experimental::LocalServerCredentials(LOCAL_TCP);
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl(
      options.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                    : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  FSTORE_ASSIGN_OR_RETURN(pair.private_key, ReadPem(options.tls_key, "--tls_key"));
  FSTORE_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(options.tls_cert, "--tls_cert"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca.empty()) {
    FSTORE_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls_client_ca, "--tls_client_ca"));
  }
  return grpc::SslServerCredentials(ssl);
}

// Refuses to expose an unauthenticated or plain-text server beyond this
// machine unless told to.
absl::Status CheckExposure(const FsdOptions& options) {
  const bool tls = !options.tls_cert.empty();
  const bool authenticated = !options.access.tokens_path.empty() || !options.tls_client_ca.empty();
  if (IsLoopback(options.listen)) return absl::OkStatus();
  if (!tls && AccessControl::ChecksCalls(options.access)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen ", options.listen,
        " without TLS: bearer tokens (--auth_tokens) and per-caller limits (--rate_limits) need "
        "TLS off loopback, or tokens would cross the network in plain text; give --tls_cert and "
        "--tls_key"));
  }
  if ((tls && authenticated) || options.insecure) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--listen ", options.listen, " would serve other machines ",
      tls ? "without authentication" : "in plain text without authentication",
      ": anyone who reaches it could read every feature, apply definitions and promote models. "
      "Give --tls_cert and --tls_key with --auth_tokens (or --tls_client_ca), or --insecure to "
      "accept the risk"));
}

void SetHealth(grpc::Server* server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // "" and every registered service
  for (const char* name : kFsdServiceNames) health->SetServingStatus(name, serving);
}

}  // namespace

FsdServer::FsdServer(FsdOptions options) : options_(std::move(options)) {}

FsdServer::~FsdServer() { Shutdown(); }

absl::Status FsdServer::Start() {
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port ", options_.port, " is not a TCP port (0-65535)"));
  }
  if (options_.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads ", options_.threads, " must be at least 1"));
  }
  if (options_.metrics_port < -1 || options_.metrics_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics_port ", options_.metrics_port,
                                                   " is not a TCP port (0-65535) or -1 (off)"));
  }
  if (options_.max_message_bytes < 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes ", options_.max_message_bytes, " must be at least 1024"));
  }
  FSTORE_RETURN_IF_ERROR(CheckExposure(options_));
  FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                          Credentials(options_));
  FSTORE_ASSIGN_OR_RETURN(database_, Database::Open(options_.data_dir));
  FeatureStore::Options store_options;
  store_options.max_future_skew = options_.max_future_skew;
  FSTORE_ASSIGN_OR_RETURN(feature_store_, FeatureStore::Open(database_.get(), store_options));
  FSTORE_ASSIGN_OR_RETURN(registry_, ModelRegistry::Open(database_.get()));
  feature_store_->SetFeatureChangeGuard(FeaturesInUseGuard(registry_.get()));
  ServingCore::Options serving_options;
  serving_options.log.retention = options_.serving_log_retention;
  serving_ =
      ServingCore::Start(database_.get(), feature_store_.get(), registry_.get(), serving_options);
  if (options_.metrics_port >= 0) {
    FSTORE_ASSIGN_OR_RETURN(metrics_, FsdMetrics::Create(feature_store_.get(), registry_.get(),
                                                         FsdRpcMethods(kFsdServiceNames)));
  }
  AccessControl::Options access = options_.access;
  if (metrics_ != nullptr) {
    access.on_denied = [metrics = metrics_.get()](absl::string_view method,
                                                  absl::string_view reason) {
      metrics->RecordDenied(method, reason);
    };
  }
  FSTORE_ASSIGN_OR_RETURN(access_, AccessControl::Create(std::move(access)));
  if (access_->checks_calls()) credentials->SetAuthMetadataProcessor(access_->NewAuthProcessor());
  services_ = std::make_unique<Services>(feature_store_.get(), registry_.get(), serving_.get(),
                                         metrics_.get(), access_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.listen.find(':') != std::string::npos
                                               ? absl::StrCat("[", options_.listen, "]")
                                               : options_.listen,
                                           ":", options_.port);
  builder.AddListeningPort(address, credentials, &bound_port_);
  // Without this a second fsd could bind the same port and share traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("fsd");
  // The sync server's pollers (up to 2 by default) and its handlers share
  // the quota; a call that finds no thread fails with RESOURCE_EXHAUSTED, so
  // leave room for the pollers and for calls arriving while others finish.
  quota.SetMaxThreads(2 * options_.threads + 4);
  builder.SetResourceQuota(quota);
  // Ingest chunks and definitions files may be large; clients keep each
  // message under a few MiB, this leaves room for one oversized row.
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.RegisterService(&services_->feature_store);
  builder.RegisterService(&services_->registry);
  builder.RegisterService(&services_->serving);
  builder.RegisterService(&services_->monitoring);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(NewMalformedRequestInterceptorFactory());  // first: metrics count its code
  if (metrics_ != nullptr) creators.push_back(metrics_->rpc().NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(creators));

  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port_ == 0) {
    server_.reset();
    services_.reset();
    serving_.reset();
    feature_store_->SetFeatureChangeGuard(nullptr);
    registry_.reset();
    feature_store_.reset();
    database_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address,
                     ": the port is taken or the address is not local (try another --port)"));
  }
  if (metrics_ != nullptr) {
    HttpServer::Options http;
    http.listen = options_.metrics_listen;
    http.port = options_.metrics_port;
    http.name = "metrics";
    http_ = std::make_unique<HttpServer>(http);
    http_->Handle("GET", "/metrics",
                  [metrics = metrics_.get(),
                   token = options_.metrics_token](const HttpServer::Request& request) {
                    if (!token.empty() && request.authorization != absl::StrCat("Bearer ", token)) {
                      return HttpServer::Response{
                          401, "text/plain; charset=utf-8",
                          "/metrics needs \"Authorization: Bearer TOKEN\" with fsd's "
                          "--metrics_token_file token\n"};
                    }
                    return HttpServer::Response{200, std::string(kPrometheusTextContentType),
                                                metrics->Render()};
                  });
    if (absl::Status started = http_->Start(); !started.ok()) {
      http_.reset();
      Shutdown();
      if (started.code() != absl::StatusCode::kUnavailable) return started;
      return absl::UnavailableError(
          absl::StrCat(started.message(), " (try another --metrics_port)"));
    }
    spdlog::info("fsd metrics on http://{}:{}/metrics", options_.metrics_listen,
                 http_->bound_port());
    if (options_.monitor_interval > absl::ZeroDuration()) {
      monitor_ = std::make_unique<PeriodicTask>(
          options_.monitor_interval, [monitoring = &services_->monitoring] {
            if (absl::Status s = monitoring->RefreshMetrics(); !s.ok()) {
              spdlog::warn("monitoring refresh: {}", std::string(s.message()));
            }
          });
    }
  }
  SetHealth(server_.get(), true);
  spdlog::info("fsd serving on {}:{} ({}{}) with data directory {}", options_.listen, bound_port_,
               options_.tls_cert.empty()
                   ? (IsLoopback(options_.listen) ? "plain text, loopback peers only"
                                                  : "plain text, --insecure")
                   : (options_.tls_client_ca.empty() ? "TLS" : "mutual TLS"),
               access_->tokens_enabled() ? ", bearer tokens required" : "", options_.data_dir);
  return absl::OkStatus();
}

absl::Status FsdServer::ReloadTokens() {
  if (access_ == nullptr) return absl::FailedPreconditionError("fsd is not running");
  return access_->Reload();
}

int FsdServer::metrics_bound_port() const { return http_ != nullptr ? http_->bound_port() : 0; }

void FsdServer::Shutdown() {
  if (server_ == nullptr) return;
  monitor_.reset();  // waits for a refresh in progress
  http_.reset();     // no scrape reads the store while it closes
  spdlog::info("shutting down: finishing in-flight calls (up to {})",
               absl::FormatDuration(options_.shutdown_grace));
  SetHealth(server_.get(), false);
  services_->registry.Stop();  // watchers end now instead of at the deadline
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.shutdown_grace));
  server_->Wait();
  server_.reset();
  services_.reset();
  access_.reset();
  metrics_.reset();
  serving_.reset();  // the serving log writes what is still queued
  feature_store_->SetFeatureChangeGuard(nullptr);
  registry_.reset();
  feature_store_.reset();
  database_.reset();  // flushes and closes the store
  spdlog::info("shut down cleanly");
}

}  // namespace fstore
