#include "server/metrics_rpc.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

// From 50 us (an in-process score) to 10 s (a large historical retrieval).
std::vector<double> LatencyBounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

using grpc::experimental::InterceptionHookPoints;

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(RpcMetrics::Method* method)
      : method_(method), start_(std::chrono::steady_clock::now()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) Finish(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!recorded_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    recorded_ = true;
    RpcMetrics::Record(method_, code, absl::FromChrono(std::chrono::steady_clock::now() - start_));
  }

  RpcMetrics::Method* const method_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(RpcMetrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_->Find(info->method() != nullptr ? info->method() : ""));
  }

 private:
  RpcMetrics* const metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RpcMetrics>> RpcMetrics::Create(
    MetricsRegistry* registry, const std::vector<std::string>& methods) {
  FSTORE_ASSIGN_OR_RETURN(CounterFamily<1> * requests,
                          registry->AddCounter("fstore_rpc_requests_total",
                                               "gRPC calls finished, by method.", {"method"}));
  FSTORE_ASSIGN_OR_RETURN(
      CounterFamily<2> * errors,
      registry->AddCounter("fstore_rpc_errors_total",
                           "gRPC calls finished with a status other than OK, by method and "
                           "status code.",
                           {"method", "code"}));
  FSTORE_ASSIGN_OR_RETURN(
      HistogramFamily<1> * latency,
      registry->AddHistogram("fstore_rpc_latency_seconds",
                             "gRPC call latency in seconds, from arrival to the status being "
                             "sent (a stream's whole life), by method.",
                             {"method"}, LatencyBounds()));
  std::unique_ptr<RpcMetrics> metrics(new RpcMetrics());
  auto make = [&](std::string label) {
    return std::make_unique<Method>(label, requests->WithLabels({label}),
                                    latency->WithLabels({label}), errors);
  };
  for (const std::string& path : methods) {
    absl::string_view label = path;
    if (!label.empty() && label[0] == '/') label.remove_prefix(1);
    metrics->methods_.emplace(path, make(std::string(label)));
  }
  metrics->other_ = make("other");
  return metrics;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

RpcMetrics::Method* RpcMetrics::Find(absl::string_view path) {
  auto it = methods_.find(path);
  return it != methods_.end() ? it->second.get() : other_.get();
}

void RpcMetrics::Record(Method* method, grpc::StatusCode code, absl::Duration elapsed) {
  method->requests_->Increment();
  method->latency_->Observe(absl::ToDoubleSeconds(elapsed));
  if (code == grpc::StatusCode::OK) return;
  const int index = static_cast<int>(code);
  if (index < 0 || index >= Method::kCodes) return;
  Counter* counter = method->errors_[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Two threads may race here; both get the same series from the family.
    counter = method->errors_family_
                  ->WithLabels({method->label_, std::string(absl::StatusCodeToString(
                                                    static_cast<absl::StatusCode>(code)))})
                  .get();
    method->errors_[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

}  // namespace fstore
