#include "server/rpc_roles.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "gtest/gtest.h"
#include "server/metrics.h"

namespace fstore {
namespace {

// Every method of every service fsd serves (read from the protobuf
// descriptors, so a new RPC shows up here by itself) has a rule: an RPC
// added without one fails this test.
TEST(RpcRolesTest, EveryServedMethodHasARule) {
  const std::vector<std::string> methods = FsdRpcMethods(kFsdServiceNames);
  ASSERT_GT(methods.size(), 30u);
  for (const std::string& method : methods) {
    EXPECT_NE(FindRpcRule(method), nullptr) << method << " has no entry in server/rpc_roles.cc";
  }
}

// And the table names no method that does not exist (a renamed RPC would
// otherwise leave a stale rule and an unprotected new name).
TEST(RpcRolesTest, EveryRuleNamesAServedMethodOnce) {
  // Links the reflection service's descriptors in, as fsd does.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const std::vector<std::string> methods = FsdRpcMethods(kFsdServiceNames);
  const std::set<std::string> served(methods.begin(), methods.end());
  std::set<std::string> seen;
  for (const RpcRule& rule : RpcRules()) {
    EXPECT_TRUE(served.contains(std::string(rule.method))) << rule.method;
    EXPECT_TRUE(seen.insert(std::string(rule.method)).second) << rule.method << " twice";
  }
}

TEST(RpcRolesTest, RolesOfRepresentativeCalls) {
  auto role = [](absl::string_view method) { return FindRpcRule(method)->role; };
  EXPECT_EQ(role("/fstore.v1.Serving/Score"), Role::kScorer);
  EXPECT_EQ(role("/fstore.v1.FeatureStore/IngestStream"), Role::kIngester);
  EXPECT_EQ(role("/fstore.v1.Monitoring/Feedback"), Role::kIngester);
  EXPECT_EQ(role("/fstore.v1.FeatureStore/ApplyDefinitions"), Role::kAdmin);
  EXPECT_EQ(role("/fstore.v1.FeatureStore/CreateSnapshot"), Role::kAdmin);
  EXPECT_EQ(role("/fstore.v1.Registry/DeleteModelVersion"), Role::kAdmin);
  EXPECT_EQ(role("/fstore.v1.Registry/TransitionStage"), Role::kModeler);
  EXPECT_EQ(role("/fstore.v1.Registry/ListModels"), Role::kReader);
  EXPECT_EQ(role("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"), Role::kReader);
  EXPECT_EQ(role("/grpc.health.v1.Health/Check"), std::nullopt);
  EXPECT_EQ(FindRpcRule("/fstore.v1.Serving/Nope"), nullptr);
}

}  // namespace
}  // namespace fstore
