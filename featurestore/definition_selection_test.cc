#include "featurestore/definition_selection.h"

#include <string>

#include "gtest/gtest.h"

namespace fstore {
namespace {

Definitions Sample() {
  Definitions d;
  d.entities = {{"account", "account_id", ""}, {"device", "device_id", ""}};
  Source txns;
  txns.name = "txns";
  d.sources = {txns};
  FeatureView acct;
  acct.name = "acct";
  acct.source = "txns";
  d.feature_views = {acct};
  FeatureService svc;
  svc.name = "acct";  // the same name as the view
  d.feature_services = {svc};
  return d;
}

TEST(SelectDefinitionsTest, EmptyTypeAndNameSelectEverything) {
  EXPECT_EQ(SelectDefinitions(Sample(), "", "").value(), Sample());
}

TEST(SelectDefinitionsTest, TypeAndNameNarrowTheSelection) {
  const Definitions byType = SelectDefinitions(Sample(), "entity", "").value();
  EXPECT_EQ(byType.entities.size(), 2u);
  EXPECT_TRUE(byType.sources.empty());
  const Definitions byName = SelectDefinitions(Sample(), "", "acct").value();
  EXPECT_TRUE(byName.entities.empty());
  EXPECT_EQ(byName.feature_views.size(), 1u);
  EXPECT_EQ(byName.feature_services.size(), 1u);
  const Definitions both = SelectDefinitions(Sample(), "feature_service", "acct").value();
  EXPECT_TRUE(both.feature_views.empty());
  EXPECT_EQ(both.feature_services.size(), 1u);
}

TEST(SelectDefinitionsTest, UnknownTypeFailsNamingIt) {
  absl::StatusOr<Definitions> d = SelectDefinitions(Sample(), "table", "");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("'table'"), std::string::npos);
}

}  // namespace
}  // namespace fstore
