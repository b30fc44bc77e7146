// FsdMetrics: everything fsd exports on /metrics, in one MetricsRegistry.
//
//   fstore_rpc_requests_total{method}          RPCs; see metrics_rpc.h
//   fstore_rpc_errors_total{method,code}
//   fstore_rpc_latency_seconds{method}         (histogram)
//   fstore_rpc_denied_total{method,reason}   calls refused by access control
//                                              (server/access_control.h);
//                                              reason: unauthenticated,
//                                              permission_denied, rate_limited
//                                              or stream_limit
//   fstore_ingest_rows_total{source,result}    rows ingested; result is
//                                              accepted, rejected or duplicate
//   fstore_online_entities{view}               entities holding online state,
//                                              per feature view (read at scrape)
//   fstore_model_stage_info{model,stage,version}
//                                              1 for every live model version
//                                              (read at scrape)
//   fstore_feature_drift_psi{model,version,feature}
//                                              population stability index of a
//                                              Production model's input feature;
//                                              set by the drift monitor through
//                                              drift_psi(), absent until it does
//   fstore_model_labelled_requests{model,version}
//   fstore_model_live_auc{model,version}
//   fstore_model_live_precision_at_high{model,version}
//                                              labelled traffic of a model
//                                              version (feedback) and how the
//                                              version did on it; set through
//                                              PublishLive, AUC and precision
//                                              absent while undefined
//
// Scrape-time values come from the store and registry, so they are always
// current and cost nothing between scrapes.
//
// Thread-safety: safe for concurrent use. The store and registry must
// outlive the metrics, and the metrics every server using rpc().
#ifndef FSTORE_SERVER_METRICS_H_
#define FSTORE_SERVER_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/feature_store.h"
#include "metrics/metrics_registry.h"
#include "registry/model_registry.h"
#include "server/metrics_rpc.h"
#include "serving/live_metrics.h"

namespace fstore {

// The full method paths ("/fstore.v1.Serving/Score") of `services` (full
// service names), plus those of the health and reflection services every
// fsd serves. Read from the protobuf descriptors linked into the program
// (a service fsd registers always is); names not linked are skipped.
std::vector<std::string> FsdRpcMethods(absl::Span<const char* const> services);

class FsdMetrics {
 public:
  // `rpc_methods` as RpcMetrics::Create takes them (see FsdRpcMethods).
  static absl::StatusOr<std::unique_ptr<FsdMetrics>> Create(
      const FeatureStore* store, const ModelRegistry* registry,
      const std::vector<std::string>& rpc_methods);

  RpcMetrics& rpc() { return *rpc_; }

  // Counts one call to `method` ("/fstore.v1.Serving/Score"; a method fsd
  // does not serve counts as "other") refused for `reason`.
  void RecordDenied(absl::string_view method, absl::string_view reason);

  // Adds rows one ingest of `source` committed.
  void RecordIngest(absl::string_view source, int64_t accepted, int64_t rejected,
                    int64_t duplicates);

  // fstore_feature_drift_psi, labels {model, version, feature}: the drift
  // monitor sets a series per feature of each Production model it checks,
  // and removes (GaugeFamily::Remove / Clear) the series of versions that
  // leave Production.
  GaugeFamily<3>* drift_psi() { return drift_psi_; }

  // Sets the live-metric series of m's version (and removes the AUC or
  // precision series while that value is undefined).
  void PublishLive(const LiveMetrics& m);
  // Removes the drift and live series of every version for which `keep`
  // (model, version) is false.
  void RetainVersions(const std::function<bool(const std::string&, const std::string&)>& keep);

  // The text a scrape of /metrics returns.
  std::string Render() const { return registry_.Render(); }
  MetricsRegistry& registry() { return registry_; }

 private:
  FsdMetrics() = default;

  MetricsRegistry registry_;
  std::unique_ptr<RpcMetrics> rpc_;
  CounterFamily<2>* ingest_rows_ = nullptr;
  CounterFamily<2>* denied_ = nullptr;
  GaugeFamily<3>* drift_psi_ = nullptr;
  GaugeFamily<2>* labelled_ = nullptr;
  GaugeFamily<2>* live_auc_ = nullptr;
  GaugeFamily<2>* live_precision_ = nullptr;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_METRICS_H_
