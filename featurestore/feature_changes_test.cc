#include "featurestore/feature_changes.h"

#include <memory>
#include <string>
#include <vector>

#include "featurestore/feature_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Definitions Parse(const std::string& yaml) {
  absl::StatusOr<Definitions> d = ParseDefinitions(yaml, "yaml");
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : Definitions();
}

const char* kBase = R"(
feature_views:
  - name: acct
    entities: [account]
    source: txns
    description: per account
    features:
      - {name: n_1h, function: COUNT, window: 1h}
      - {name: amt_sum_1d, function: SUM, column: amount, window: 1d}
      - {name: last_amt, function: LAST, column: amount}
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: n_1d, function: COUNT, window: 1d}
)";

TEST(ChangedFeaturesTest, SameDefinitionsOrNewObjectsChangeNothing) {
  const Definitions base = Parse(kBase);
  EXPECT_THAT(ChangedFeatures(base, base), IsEmpty());
  Definitions more = base;
  more.feature_views[0].description = "edited";
  Feature n_7d;
  n_7d.name = "n_7d";
  n_7d.window = 7 * 86400 * kMicrosPerSecond;
  more.feature_views[0].features.push_back(n_7d);
  more.feature_views.push_back(FeatureView{"new_view", {"account"}, "txns", {}, ""});
  EXPECT_THAT(ChangedFeatures(base, more), IsEmpty());
}

TEST(ChangedFeaturesTest, NamesEachChangedFeatureAndWhatChanged) {
  const Definitions base = Parse(kBase);
  Definitions after = base;
  after.feature_views[0].features[0].window = 30 * 86400 * kMicrosPerSecond;
  after.feature_views[0].features[1].where = EqualsFilter{"type", "card"};
  after.feature_views[0].features.erase(after.feature_views[0].features.begin() + 2);
  EXPECT_THAT(ChangedFeatures(base, after),
              ElementsAre(FeatureChange{"acct:n_1h", "window 1h -> 30d"},
                          FeatureChange{"acct:amt_sum_1d", "where none -> type=card"},
                          FeatureChange{"acct:last_amt", "removed"}));
}

TEST(ChangedFeaturesTest, AViewsEntitiesOrSourceChangeEveryFeature) {
  const Definitions base = Parse(kBase);
  Definitions after = base;
  after.feature_views[1].entities = {"device", "account"};
  EXPECT_THAT(ChangedFeatures(base, after),
              ElementsAre(FeatureChange{"dev:n_1d", "view entities device -> device,account"}));
  after = base;
  after.feature_views.erase(after.feature_views.begin() + 1);
  EXPECT_THAT(ChangedFeatures(base, after), ElementsAre(FeatureChange{"dev:n_1d", "removed"}));
}

constexpr char kStoreDefinitions[] = R"yaml(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: txns
    timestamp_column: ts
    columns:
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: 1h}
)yaml";

constexpr char kWiderWindow[] = R"yaml(
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: 30d}
)yaml";

// The store asks its guard before storing an apply that changes features,
// dry runs included, and stores nothing when the guard refuses.
TEST(FeatureChangeGuardTest, ApplyAsksTheGuardAndKeepsTheOldDefinitionsWhenRefused) {
  auto temp = TempDatabase::Create("fstore-feature-changes-test");
  ASSERT_TRUE(temp.ok()) << temp.status();
  auto store = FeatureStore::Open((*temp)->db());
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<std::vector<FeatureChange>> asked;
  (*store)->SetFeatureChangeGuard([&](const std::vector<FeatureChange>& changed) {
    asked.push_back(changed);
    return absl::FailedPreconditionError("acct:n_1h is an input of fraud:3 (Production)");
  });
  ASSERT_TRUE((*store)->Apply(kStoreDefinitions, "yaml", false).ok());
  ASSERT_TRUE((*store)->Apply(kStoreDefinitions, "yaml", false).ok());  // a no-op
  EXPECT_THAT(asked, IsEmpty());

  for (bool dry_run : {true, false}) {
    absl::StatusOr<ApplyResult> refused = (*store)->Apply(kWiderWindow, "yaml", dry_run);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(refused.status().message(), "acct:n_1h is an input of fraud:3 (Production)");
  }
  EXPECT_THAT(asked, ElementsAre(ElementsAre(FeatureChange{"acct:n_1h", "window 1h -> 30d"}),
                                 ElementsAre(FeatureChange{"acct:n_1h", "window 1h -> 30d"})));
  EXPECT_EQ((*store)->GetDefinitions().feature_views[0].features[0].window,
            3600 * kMicrosPerSecond);

  (*store)->SetFeatureChangeGuard(nullptr);
  ASSERT_TRUE((*store)->Apply(kWiderWindow, "yaml", false).ok());
  EXPECT_EQ((*store)->GetDefinitions().feature_views[0].features[0].window,
            30 * 86400 * kMicrosPerSecond);
}

}  // namespace
}  // namespace fstore
