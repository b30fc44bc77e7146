#include "server/metrics_rpc.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "featurestore/feature_store.h"
#include "fstore/v1/feature_store.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "server/feature_store_service.h"
#include "server/metrics.h"
#include "storage/database.h"

namespace fstore {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// A FeatureStore service on a loopback port with the metrics interceptor.
class RpcMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-rpc-metrics-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto db = Database::Open(dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto store = FeatureStore::Open(db_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    const char* const services[] = {"fstore.v1.FeatureStore"};
    auto metrics = RpcMetrics::Create(&registry_, FsdRpcMethods(services));
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    metrics_ = std::move(*metrics);
    auto access = AccessControl::Create(AccessControl::Options());
    ASSERT_TRUE(access.ok()) << access.status();
    access_ = std::move(*access);
    service_ = std::make_unique<FeatureStoreService>(store_.get(), access_.get());

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(metrics_->NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::FeatureStore::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    service_.reset();
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  grpc::Status ListDefinitions(const std::string& object_type) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListDefinitionsRequest request;
    request.set_object_type(object_type);
    v1::ListDefinitionsResponse response;
    return stub_->ListDefinitions(&context, request, &response);
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FeatureStore> store_;
  MetricsRegistry registry_;
  std::unique_ptr<RpcMetrics> metrics_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<FeatureStoreService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::FeatureStore::Stub> stub_;
};

TEST_F(RpcMetricsTest, CountsCallsErrorsByCodeAndLatencyPerMethod) {
  ASSERT_TRUE(ListDefinitions("").ok());
  ASSERT_TRUE(ListDefinitions("entity").ok());
  ASSERT_EQ(ListDefinitions("bogus").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The status is recorded before it is sent, so the client has seen it.
  const std::string text = registry_.Render();
  const std::string method = "method=\"fstore.v1.FeatureStore/ListDefinitions\"";
  EXPECT_THAT(text, HasSubstr("fstore_rpc_requests_total{" + method + "} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("fstore_rpc_errors_total{" + method + ",code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_latency_seconds_count{" + method + "} 3\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_latency_seconds_bucket{" + method + ",le=\"+Inf\"} 3\n"));
}

TEST_F(RpcMetricsTest, EveryMethodStartsAtZeroAndHasNoErrorSeries) {
  const std::string text = registry_.Render();
  EXPECT_THAT(text,
              HasSubstr("fstore_rpc_requests_total{method=\"fstore.v1.FeatureStore/Ingest\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_latency_seconds_count{method=\"fstore.v1.FeatureStore/"
                              "GetOnlineFeatures\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("fstore_rpc_errors_total{")));
}

TEST_F(RpcMetricsTest, UnknownMethodsShareTheOtherLabel) {
  RpcMetrics::Record(metrics_->Find("/evil.Service/Method1"), grpc::StatusCode::UNIMPLEMENTED,
                     absl::Milliseconds(1));
  RpcMetrics::Record(metrics_->Find("/evil.Service/Method2"), grpc::StatusCode::UNIMPLEMENTED,
                     absl::Milliseconds(1));
  const std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("fstore_rpc_requests_total{method=\"other\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("fstore_rpc_errors_total{method=\"other\",code=\"UNIMPLEMENTED\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("evil")));
}

TEST(FsdRpcMethodsTest, ListsTheNamedServicesAndHealth) {
  // This binary links the FeatureStore service (above), not every service.
  const char* const services[] = {"fstore.v1.FeatureStore", "no.such.Service"};
  const std::vector<std::string> methods = FsdRpcMethods(services);
  EXPECT_THAT(methods, Contains("/fstore.v1.FeatureStore/IngestStream"));
  EXPECT_THAT(methods, Contains("/fstore.v1.FeatureStore/GetOnlineFeatures"));
  EXPECT_THAT(methods, Contains("/grpc.health.v1.Health/Check"));
  EXPECT_THAT(methods, Contains("/grpc.health.v1.Health/Watch"));
}

}  // namespace
}  // namespace fstore
