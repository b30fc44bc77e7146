#include "server/metrics.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FsdMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-metrics-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto db = Database::Open(dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = FeatureStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ModelRegistry::Options options;
    options.sync_writes = false;
    auto registry = ModelRegistry::Open(db_.get(), options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    const char* const services[] = {"fstore.v1.FeatureStore"};
    auto metrics = FsdMetrics::Create(store_.get(), registry_.get(), FsdRpcMethods(services));
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    metrics_ = std::move(*metrics);
  }

  void TearDown() override {
    metrics_.reset();
    registry_.reset();
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Registers version `n` of model "fraud" (2 inputs).
  void NewVersion() {
    auto bytes = TrainBoosterForTesting(2, 2, 7);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto sha = registry_->PutArtifact(*bytes);
    ASSERT_TRUE(sha.ok()) << sha.status();
    CreateVersionRequest request;
    request.model = "fraud";
    request.artifact_sha256 = *sha;
    request.binding.service = "svc";
    request.binding.service_version = "0123456789abcdef";
    request.binding.feature_names = {"a", "b"};
    auto v = registry_->CreateVersion(request);
    ASSERT_TRUE(v.ok()) << v.status();
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<FsdMetrics> metrics_;
};

TEST_F(FsdMetricsTest, IngestCountsEveryResultOfASourceOnceItIsIngested) {
  EXPECT_THAT(metrics_->Render(), Not(HasSubstr("fstore_ingest_rows_total{")));
  metrics_->RecordIngest("txns", 5, 2, 0);
  metrics_->RecordIngest("txns", 1, 0, 1);
  const std::string text = metrics_->Render();
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_ingest_rows_total counter\n"));
  EXPECT_THAT(text, HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"accepted\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"rejected\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"duplicate\"} 1\n"));
}

TEST_F(FsdMetricsTest, OnlineEntitiesAreCountedPerViewAtScrapeTime) {
  const std::string yaml =
      ReadFile(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
  ASSERT_TRUE(store_->Apply(yaml, "yaml", false).ok());
  EXPECT_THAT(metrics_->Render(), HasSubstr("fstore_online_entities{view=\"acct\"} 0\n"));
  auto writer =
      store_->StartIngest("txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const std::vector<std::vector<std::string>> rows = {
      {"t1", "A-1", "D-1", "2026-01-05T10:00:00Z", "10", "PAY"},
      {"t2", "A-2", "D-1", "2026-01-05T10:01:00Z", "20", "PAY"},
      {"t3", "A-1", "D-1", "2026-01-05T10:02:00Z", "30", "PAY"}};
  ASSERT_TRUE((*writer)->WriteText(rows, 1).ok());
  EXPECT_THAT(metrics_->Render(), HasSubstr("fstore_online_entities{view=\"acct\"} 2\n"));
}

TEST_F(FsdMetricsTest, ModelStageInfoFollowsTheRegistry) {
  EXPECT_THAT(metrics_->Render(), Not(HasSubstr("fstore_model_stage_info{")));
  NewVersion();
  NewVersion();
  EXPECT_THAT(
      metrics_->Render(),
      HasSubstr("fstore_model_stage_info{model=\"fraud\",stage=\"None\",version=\"2\"} 1\n"));
  StageTransitionRequest promote;
  promote.model = "fraud";
  promote.version = 2;
  promote.stage = Stage::kProduction;
  ASSERT_TRUE(registry_->TransitionStage(promote).ok());
  const std::string text = metrics_->Render();
  EXPECT_THAT(text, HasSubstr("fstore_model_stage_info{model=\"fraud\",stage=\"None\",version="
                              "\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fstore_model_stage_info{model=\"fraud\",stage=\"Production\","
                              "version=\"2\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("stage=\"None\",version=\"2\"")));
}

TEST_F(FsdMetricsTest, DriftPsiIsAbsentUntilTheDriftMonitorSetsIt) {
  EXPECT_THAT(metrics_->Render(), HasSubstr("# TYPE fstore_feature_drift_psi gauge\n"));
  EXPECT_THAT(metrics_->Render(), Not(HasSubstr("fstore_feature_drift_psi{")));
  metrics_->drift_psi()->WithLabels({"fraud", "2", "amount"})->Set(0.25);
  EXPECT_THAT(metrics_->Render(),
              HasSubstr("fstore_feature_drift_psi{model=\"fraud\",version=\"2\",feature="
                        "\"amount\"} 0.25\n"));
}

TEST_F(FsdMetricsTest, RpcFamiliesAreRegistered) {
  const std::string text = metrics_->Render();
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_rpc_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_rpc_errors_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_rpc_latency_seconds histogram\n"));
}

}  // namespace
}  // namespace fstore
