#include "server/fsd_server.h"

#include <utility>

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
#include "server/metrics.h"
#include "server/monitoring_service.h"
#include "server/periodic_task.h"
#include "server/registry_service.h"
#include "server/serving_service.h"
#include "spdlog/spdlog.h"

namespace fstore {

// The registered services.
struct FsdServer::Services {
  Services(FeatureStore* store, ModelRegistry* models, ServingCore* core, FsdMetrics* metrics)
      : feature_store(store, metrics),
        registry(models, store),
        serving(core),
        monitoring(core, metrics) {}
  FeatureStoreService feature_store;
  RegistryService registry;
  ServingService serving;
  MonitoringService monitoring;
};

namespace {

constexpr int kMaxMessageBytes = 64 << 20;

constexpr const char* kServiceNames[] = {"fstore.v1.FeatureStore", "fstore.v1.Registry",
                                         "fstore.v1.Serving", "fstore.v1.Monitoring"};

void SetHealth(grpc::Server* server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // "" and every registered service
  for (const char* name : kServiceNames) health->SetServingStatus(name, serving);
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
  FSTORE_ASSIGN_OR_RETURN(database_, Database::Open(options_.data_dir));
  FeatureStore::Options store_options;
  store_options.max_future_skew = options_.max_future_skew;
  FSTORE_ASSIGN_OR_RETURN(feature_store_, FeatureStore::Open(database_.get(), store_options));
  FSTORE_ASSIGN_OR_RETURN(registry_, ModelRegistry::Open(database_.get()));
  ServingCore::Options serving_options;
  serving_options.log.retention = options_.serving_log_retention;
  serving_ =
      ServingCore::Start(database_.get(), feature_store_.get(), registry_.get(), serving_options);
  if (options_.metrics_port >= 0) {
    FSTORE_ASSIGN_OR_RETURN(metrics_, FsdMetrics::Create(feature_store_.get(), registry_.get(),
                                                         FsdRpcMethods(kServiceNames)));
  }
  services_ = std::make_unique<Services>(feature_store_.get(), registry_.get(), serving_.get(),
                                         metrics_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.listen.find(':') != std::string::npos
                                               ? absl::StrCat("[", options_.listen, "]")
                                               : options_.listen,
                                           ":", options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port_);
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
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&services_->feature_store);
  builder.RegisterService(&services_->registry);
  builder.RegisterService(&services_->serving);
  builder.RegisterService(&services_->monitoring);
  if (metrics_ != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(metrics_->rpc().NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }

  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port_ == 0) {
    server_.reset();
    services_.reset();
    serving_.reset();
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
    http_->Handle("GET", "/metrics", [metrics = metrics_.get()](const HttpServer::Request&) {
      return HttpServer::Response{200, std::string(kPrometheusTextContentType), metrics->Render()};
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
  spdlog::info("fsd serving on {}:{} with data directory {}", options_.listen, bound_port_,
               options_.data_dir);
  return absl::OkStatus();
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
  metrics_.reset();
  serving_.reset();  // the serving log writes what is still queued
  registry_.reset();
  feature_store_.reset();
  database_.reset();  // flushes and closes the store
  spdlog::info("shut down cleanly");
}

}  // namespace fstore
