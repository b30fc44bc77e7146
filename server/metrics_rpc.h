// RpcMetrics: what every gRPC call costs and how it ends, recorded by a
// server interceptor (NewInterceptorFactory) so the services stay thin.
//
//   fstore_rpc_requests_total{method}        calls finished
//   fstore_rpc_errors_total{method,code}     calls finished with a status
//                                            other than OK (code: NOT_FOUND, ...)
//   fstore_rpc_latency_seconds{method}       histogram, from the call's arrival
//                                            to its status being sent (for a
//                                            stream: the whole stream)
//
// method is "package.Service/Method" ("fstore.v1.Serving/Score"). The
// methods are fixed at Create, and their series exist from the start (at
// zero); a call to any other method is recorded as method="other", so a
// client cannot grow the label set. A call that ends without sending a
// status (the client vanished first) counts as CANCELLED.
//
// Cost per call: one hash lookup and one heap allocation (the interceptor),
// two clock reads, and relaxed atomic adds on per-thread shards; no lock
// (an error's first occurrence per method and code takes the family's lock
// once).
//
// Thread-safety: safe for concurrent use; constant after Create except for
// the counts. The RpcMetrics must outlive every server using its factory.
#ifndef FSTORE_SERVER_METRICS_RPC_H_
#define FSTORE_SERVER_METRICS_RPC_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "metrics/metrics_registry.h"

namespace fstore {

class RpcMetrics {
 public:
  // `methods`: full method paths as gRPC names them ("/pkg.Service/Method").
  // Fails when the families cannot be registered (names taken).
  static absl::StatusOr<std::unique_ptr<RpcMetrics>> Create(
      MetricsRegistry* registry, const std::vector<std::string>& methods);

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // The series one method's calls update; stable for the RpcMetrics' life.
  class Method;
  // The method for a full path, or the "other" method.
  Method* Find(absl::string_view path);
  // Records one finished call (the interceptor calls this).
  static void Record(Method* method, grpc::StatusCode code, absl::Duration elapsed);

 private:
  RpcMetrics() = default;

  // Constant after Create.
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_;
  std::unique_ptr<Method> other_;
};

class RpcMetrics::Method {
 public:
  Method(std::string label, std::shared_ptr<Counter> requests, std::shared_ptr<Histogram> latency,
         CounterFamily<2>* errors)
      : label_(std::move(label)),
        requests_(std::move(requests)),
        latency_(std::move(latency)),
        errors_family_(errors) {}

 private:
  friend class RpcMetrics;
  static constexpr int kCodes = 17;  // grpc::StatusCode 0..16

  const std::string label_;
  const std::shared_ptr<Counter> requests_;
  const std::shared_ptr<Histogram> latency_;
  CounterFamily<2>* const errors_family_;
  // Filled on each code's first error; the family keeps the series alive.
  std::array<std::atomic<Counter*>, kCodes> errors_{};
};

}  // namespace fstore

#endif  // FSTORE_SERVER_METRICS_RPC_H_
