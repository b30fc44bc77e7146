// fsd as a process: health, reflection, start-up failures, clean shutdown.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "client/fstore_client.h"
#include "gmock/gmock.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::MatchesRegex;
using ::testing::Not;

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

TEST(FsdServerTest, HelpListsOnlyFsdsOwnFlags) {
  ProgramResult help = RunProgram({FSD_PATH, "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_THAT(help.out, HasSubstr("fsd: the fstore server"));
  EXPECT_THAT(help.out, HasSubstr("  --data_dir (string, default \"fstore-data\")"));
  EXPECT_THAT(help.out, HasSubstr("  --auth_tokens (string, default empty)"));
  // Not the flags of the libraries fsd links (RocksDB's tools, gflags').
  EXPECT_THAT(help.out, Not(HasSubstr("rocksdb")));
  EXPECT_THAT(help.out, Not(HasSubstr("--flagfile")));
  EXPECT_LT(std::count(help.out.begin(), help.out.end(), '\n'), 200);
  EXPECT_EQ(RunProgram({FSD_PATH, "-h"}).out, help.out);
}

TEST(FsdServerTest, VersionNamesTheCommit) {
  ProgramResult version = RunProgram({FSD_PATH, "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_THAT(version.out, MatchesRegex("fsd [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                                        "([0-9a-f]{12}(-dirty)?|unknown)\\)\n"));

  // fsctl version prints its own line, then the server's.
  auto fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  ProgramResult both = fsd->Fsctl({"version"});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  const std::string commit = version.out.substr(version.out.find("(commit"));
  EXPECT_THAT(both.out, HasSubstr("fsctl " + version.out.substr(4, version.out.find(' ', 4) - 4)));
  EXPECT_THAT(both.out, HasSubstr("\nfsd " + version.out.substr(4, version.out.size() - 5) +
                                  " at " + fsd->address() + ", started 20"));
  ProgramResult json = fsd->Fsctl({"--output=json", "version"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"server\":{\"address\":\"" + fsd->address() + "\""));
  EXPECT_EQ(RunFsctl({"--version"}).out, both.out.substr(0, both.out.find('\n') + 1));

  // Without a server, --client still answers; the plain form fails after
  // printing fsctl's line.
  const int port = fsd->port();
  fsd->Stop();
  const std::string gone = "--server=127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(RunFsctl({gone, "version", "--client"}).exit_code, 0);
  ProgramResult down = RunFsctl({gone, "--timeout=2s", "version"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.out, HasSubstr("fsctl "));
}

TEST(FsdServerTest, FlagUsageErrorsExitTwoNamingTheFlag) {
  ProgramResult unknown = RunProgram({FSD_PATH, "--data_dri=/tmp/x"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown flag --data_dri; did you mean --data_dir?"));
  ProgramResult bad = RunProgram({FSD_PATH, "--port=fifty"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--port='fifty' is not a valid int32"));
  ProgramResult missing = RunProgram({FSD_PATH, "--data_dir"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("flag --data_dir needs a value"));
}

// Bytes that are not the method's message, sent with a generic stub: gRPC
// refuses them before any handler; fsd says INVALID_ARGUMENT and why.
TEST(FsdServerTest, MalformedRequestsAreInvalidArgument) {
  for (bool metrics : {false, true}) {
    FsdProcess::Options options;
    options.metrics = metrics;
    auto fsd = FsdProcess::Start(options);
    ASSERT_NE(fsd, nullptr);
    auto channel = grpc::CreateChannel(fsd->address(), grpc::InsecureChannelCredentials());
    grpc::GenericStub stub(channel);
    // A string field (ScoreRequest.model_ref = 1) holding invalid UTF-8,
    // then plain garbage.
    for (const std::string& bytes :
         {std::string("\x0a\x02\xff\xfe", 4), std::string("\xff\xff\xff\xff\x0f", 5)}) {
      grpc::Slice slice(bytes);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      grpc::Status status;
      stub.UnaryCall(&context, "/fstore.v1.Serving/Score", grpc::StubOptions(), &request, &response,
                     [&](grpc::Status s) {
                       std::lock_guard<std::mutex> lock(mu);
                       status = std::move(s);
                       done = true;
                       cv.notify_one();
                     });
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done; });
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      EXPECT_THAT(status.error_message(),
                  HasSubstr("malformed request to /fstore.v1.Serving/Score: the bytes received "
                            "are not a valid fstore.v1.ScoreRequest"));
    }
  }
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
