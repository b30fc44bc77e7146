#include "registry/feature_binding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(FeatureBindingTest, FeaturesInServiceOrderThenRequestFields) {
  FeatureService service;
  service.name = "fraud_v1";
  service.features = {"account_txn:count_1h", "device:accounts_7d"};
  service.request_fields = {{"amount", ColumnType::kDouble}, {"type_code", ColumnType::kInt64}};
  const FeatureBinding binding = BindFeatureService(service);
  EXPECT_EQ(binding.service, "fraud_v1");
  EXPECT_EQ(binding.service_version, ContentHash(service));
  EXPECT_EQ(binding.feature_names,
            (std::vector<std::string>{"account_txn:count_1h", "device:accounts_7d", "amount",
                                      "type_code"}));
  ASSERT_EQ(binding.request_fields.size(), 2u);
  EXPECT_EQ(binding.request_fields[1].name, "type_code");
  EXPECT_EQ(binding.request_fields[1].type, ColumnType::kInt64);
}

TEST(FeatureBindingTest, BindsAServiceByNameOrFailsNamingIt) {
  Definitions definitions;
  FeatureService service;
  service.name = "s";
  service.features = {"v:a"};
  definitions.feature_services.push_back(service);
  absl::StatusOr<FeatureBinding> bound = BindFeatureService(definitions, "s");
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->service_version, BindFeatureService(service).service_version);
  absl::StatusOr<FeatureBinding> unknown = BindFeatureService(definitions, "nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos);
}

TEST(FeatureBindingTest, VersionChangesWithTheServiceContent) {
  FeatureService service;
  service.name = "s";
  service.features = {"v:a"};
  const std::string before = BindFeatureService(service).service_version;
  service.features.push_back("v:b");
  EXPECT_NE(BindFeatureService(service).service_version, before);
}

}  // namespace
}  // namespace fstore

namespace fstore {
namespace {

TEST(JoinKeysOfTest, KeysOfEveryViewSortedAndUnique) {
  Definitions d;
  d.entities = {{"account", "account_id", ""}, {"device", "device_id", ""}};
  FeatureView acct;
  acct.name = "acct";
  acct.entities = {"account"};
  FeatureView dev;
  dev.name = "dev";
  dev.entities = {"device"};
  d.feature_views = {acct, dev};
  FeatureBinding b;
  b.service = "s";
  b.feature_names = {"dev:n", "acct:n", "acct:m", "amount"};
  EXPECT_EQ(JoinKeysOf(b, d).value(), (std::vector<std::string>{"account_id", "device_id"}));
  b.feature_names.push_back("gone:x");
  absl::StatusOr<std::vector<std::string>> missing = JoinKeysOf(b, d);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("gone"), absl::string_view::npos);
}

TEST(FeatureBindingTest, InputNamesMustBeTheBindingsInOrderInEitherSpelling) {
  FeatureBinding binding;
  binding.service = "svc";
  binding.feature_names = {"a:x", "a:y", "amount"};
  EXPECT_TRUE(CheckInputNames({}, binding).ok());
  EXPECT_TRUE(CheckInputNames({"a__x", "a:y", "amount"}, binding).ok());
  EXPECT_THAT(std::string(CheckInputNames({"a:x", "a:y"}, binding).message()),
              HasSubstr("names 2 inputs but feature service svc binds 3"));
  EXPECT_THAT(std::string(CheckInputNames({"a:x", "a__x", "amount"}, binding).message()),
              HasSubstr("input 1 is 'a__x' but the service binds 'a:y'"));
  EXPECT_FALSE(CheckInputNames({"a:x", "a:y", "a__amount"}, binding).ok());
}

}  // namespace
}  // namespace fstore
