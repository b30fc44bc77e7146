#include "serving/features_in_use.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "featurestore/feature_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/feature_binding.h"
#include "registry/xgboost_booster.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

class FeaturesInUseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-features-in-use-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    auto store = FeatureStore::Open(temp_->db());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
    std::stringstream text;
    text << in.rdbuf();
    ASSERT_TRUE(store_->Apply(text.str(), "yaml", false).ok());
    ModelRegistry::Options options;
    options.sync_writes = false;
    auto registry = ModelRegistry::Open(temp_->db(), options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    store_->SetFeatureChangeGuard(FeaturesInUseGuard(registry_.get()));

    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(5, 5, 1);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    CreateVersionRequest request;
    request.model = "fraud";
    request.artifact_sha256 = registry_->PutArtifact(*bytes).value();
    request.binding = BindFeatureService(*store_->GetDefinitions().FindService("acct_svc"));
    ASSERT_TRUE(registry_->CreateVersion(request).ok());
  }

  // The definitions with acct:n_1h's window set to `window`, as apply text.
  std::string WithWindow(DurationUs window) {
    FeatureView view = *store_->GetDefinitions().FindView("acct");
    for (Feature& f : view.features) {
      if (f.name == "n_1h") f.window = window;
    }
    return "{\"feature_views\":[" + CanonicalJson(view) + "]}";
  }

  void MoveTo(Stage stage) {
    StageTransitionRequest t;
    t.model = "fraud";
    t.version = 1;
    t.stage = stage;
    ASSERT_TRUE(registry_->TransitionStage(t).ok());
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
};

constexpr DurationUs kDay = 86400 * kMicrosPerSecond;

TEST_F(FeaturesInUseTest, AVersionInNoStageDoesNotHoldItsFeatures) {
  EXPECT_TRUE(store_->Apply(WithWindow(2 * kDay), "json", false).ok());
}

TEST_F(FeaturesInUseTest, StagingAndProductionVersionsHoldTheirFeaturesUntilArchived) {
  for (Stage stage : {Stage::kStaging, Stage::kProduction}) {
    MoveTo(stage);
    for (bool dry_run : {true, false}) {
      absl::StatusOr<ApplyResult> refused = store_->Apply(WithWindow(30 * kDay), "json", dry_run);
      ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
      EXPECT_THAT(refused.status().message(),
                  HasSubstr(std::string("acct:n_1h (window 1h -> 30d) is an input of fraud:1 (") +
                            std::string(StageName(stage)) + ")"));
      EXPECT_THAT(refused.status().message(),
                  HasSubstr("Add the changed feature under a new name"));
    }
  }
  // Unchanged features and new ones may still be applied.
  FeatureView view = *store_->GetDefinitions().FindView("acct");
  Feature n_30d;
  n_30d.name = "n_30d";
  n_30d.window = 30 * kDay;
  view.features.push_back(n_30d);
  EXPECT_TRUE(
      store_->Apply("{\"feature_views\":[" + CanonicalJson(view) + "]}", "json", false).ok());

  MoveTo(Stage::kArchived);
  EXPECT_TRUE(store_->Apply(WithWindow(30 * kDay), "json", false).ok());
}

}  // namespace
}  // namespace fstore
