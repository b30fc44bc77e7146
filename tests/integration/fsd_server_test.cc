// fsd as a process: health, reflection, start-up failures, clean shutdown.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "client/fstore_client.h"
#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

TEST(FsdServerTest, AnswersHealthForServerAndEachService) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  FstoreClient client({fsd->address(), absl::Seconds(5)});
  for (const char* service : {"", "fstore.v1.FeatureStore", "fstore.v1.Registry",
                              "fstore.v1.Serving", "fstore.v1.Monitoring"}) {
    absl::StatusOr<std::string> health = client.Health(service);
    ASSERT_TRUE(health.ok()) << service << ": " << health.status();
    EXPECT_EQ(*health, "SERVING") << service;
  }
  absl::StatusOr<std::string> unknown = client.Health("no.such.Service");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

TEST(FsdServerTest, ReflectionListsTheFstoreServices) {
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  auto channel = grpc::CreateChannel(fsd->address(), grpc::InsecureChannelCredentials());
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& s : response.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names,
              IsSupersetOf({"fstore.v1.FeatureStore", "fstore.v1.Registry", "fstore.v1.Serving",
                            "fstore.v1.Monitoring", "grpc.health.v1.Health"}));

  // A service's descriptor is available too, so generic tools can call it.
  request.set_file_containing_symbol("fstore.v1.Serving");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(FsdServerTest, PortTakenFailsWithClearMessage) {
  auto first = FsdProcess::Start();
  ASSERT_NE(first, nullptr);
  std::string log;
  FsdProcess::Options options;
  options.port = first->port();
  auto second = FsdProcess::Start(options, &log);
  EXPECT_EQ(second, nullptr);
  EXPECT_THAT(log, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(first->port())));
}

TEST(FsdServerTest, DataDirThatIsAFileFailsWithClearMessage) {
  TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  std::ofstream(file) << "x";
  std::string log;
  FsdProcess::Options options;
  options.data_dir = file;
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr(file + " exists but is not a directory"));
}

TEST(FsdServerTest, DataDirInUseByAnotherServerIsRefused) {
  auto first = FsdProcess::Start();
  ASSERT_NE(first, nullptr);
  std::string log;
  FsdProcess::Options options;
  options.data_dir = first->data_dir();
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("in use by another process"));
}

TEST(FsdServerTest, BadFlagValuesFailWithClearMessage) {
  std::string log;
  FsdProcess::Options options;
  options.extra_flags = {"--threads=0"};
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("--threads 0 must be at least 1"));
  options.extra_flags = {"--monitor_interval=often"};
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("--monitor_interval 'often'"));
  options.extra_flags = {"--serving_log_retention=-1h"};
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("--serving_log_retention '-1h'"));
}

TEST(FsdServerTest, SigtermStopsCleanlyAndTheDataDirReopens) {
  TempDir dir;
  FsdProcess::Options options;
  options.data_dir = dir.path() + "/data";
  auto fsd = FsdProcess::Start(options);
  ASSERT_NE(fsd, nullptr);
  const std::string first_log_path = fsd->Log();
  EXPECT_EQ(fsd->Stop(), 0);
  // Every column family was created on disk.
  EXPECT_TRUE(std::filesystem::exists(options.data_dir + "/CURRENT"));
  auto again = FsdProcess::Start(options);
  ASSERT_NE(again, nullptr) << "restart on the same data directory failed";
  EXPECT_EQ(again->Stop(), 0);
  EXPECT_THAT(again->Log(), HasSubstr("shut down cleanly"));
}

}  // namespace
}  // namespace fstore::testing
