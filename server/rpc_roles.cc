#include "server/rpc_roles.h"

#include "absl/container/flat_hash_map.h"

namespace fstore {
namespace {

constexpr Role kReader = Role::kReader;
constexpr Role kScorer = Role::kScorer;
constexpr Role kIngester = Role::kIngester;
constexpr Role kModeler = Role::kModeler;
constexpr Role kAdmin = Role::kAdmin;

constexpr RpcRule kRules[] = {
    // fstore.v1.FeatureStore
    {"/fstore.v1.FeatureStore/ApplyDefinitions", kAdmin},
    {"/fstore.v1.FeatureStore/ListDefinitions", kReader},
    {"/fstore.v1.FeatureStore/GetDefinitionsHistory", kReader},
    {"/fstore.v1.FeatureStore/Ingest", kIngester},
    {"/fstore.v1.FeatureStore/IngestStream", kIngester},
    {"/fstore.v1.FeatureStore/ListDeadLetters", kReader},
    {"/fstore.v1.FeatureStore/GetSourceQuality", kReader},
    {"/fstore.v1.FeatureStore/GetOnlineFeatures", kReader},
    {"/fstore.v1.FeatureStore/CreateSnapshot", kAdmin},
    {"/fstore.v1.FeatureStore/ListSnapshots", kReader},
    {"/fstore.v1.FeatureStore/DeleteSnapshot", kAdmin},
    {"/fstore.v1.FeatureStore/GetHistoricalFeatures", kReader},
    {"/fstore.v1.FeatureStore/ExportFeatures", kReader},
    // fstore.v1.Registry
    {"/fstore.v1.Registry/CreateModel", kModeler},
    {"/fstore.v1.Registry/GetModel", kReader},
    {"/fstore.v1.Registry/ListModels", kReader},
    {"/fstore.v1.Registry/UploadArtifact", kModeler},
    {"/fstore.v1.Registry/DownloadArtifact", kReader},
    {"/fstore.v1.Registry/CreateModelVersion", kModeler},
    {"/fstore.v1.Registry/GetModelVersion", kReader},
    {"/fstore.v1.Registry/ListModelVersions", kReader},
    {"/fstore.v1.Registry/DeleteModelVersion", kAdmin},
    {"/fstore.v1.Registry/ResolveModelRef", kReader},
    {"/fstore.v1.Registry/TransitionStage", kModeler},  // admin for Production
    {"/fstore.v1.Registry/SetAlias", kModeler},         // admin for Production
    {"/fstore.v1.Registry/DeleteAlias", kModeler},      // admin for Production
    {"/fstore.v1.Registry/GetModelHistory", kReader},
    {"/fstore.v1.Registry/WatchModels", kReader},
    {"/fstore.v1.Registry/UpdateModel", kModeler},
    // fstore.v1.Serving
    {"/fstore.v1.Serving/Score", kScorer},
    {"/fstore.v1.Serving/ScoreStream", kScorer},
    {"/fstore.v1.Serving/BatchScore", kScorer},
    {"/fstore.v1.Serving/ListScores", kReader},
    // fstore.v1.Monitoring
    {"/fstore.v1.Monitoring/GetDrift", kReader},
    {"/fstore.v1.Monitoring/Feedback", kIngester},
    {"/fstore.v1.Monitoring/GetLiveMetrics", kReader},
    {"/fstore.v1.Monitoring/ExportLabelled", kReader},
    {"/fstore.v1.Monitoring/GetServerInfo", kReader},
    // Standard services: health is public (load balancers and probes carry
    // no token); reflection describes every API, so it needs a reader.
    {"/grpc.health.v1.Health/Check", std::nullopt},
    {"/grpc.health.v1.Health/Watch", std::nullopt},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", kReader},
};

}  // namespace

absl::Span<const RpcRule> RpcRules() { return kRules; }

const RpcRule* FindRpcRule(absl::string_view method) {
  static const auto* const kIndex = [] {
    auto* index = new absl::flat_hash_map<absl::string_view, const RpcRule*>();
    for (const RpcRule& rule : kRules) (*index)[rule.method] = &rule;
    return index;
  }();
  auto it = kIndex->find(method);
  return it == kIndex->end() ? nullptr : it->second;
}

}  // namespace fstore
