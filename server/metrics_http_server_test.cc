#include "server/metrics_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A connected loopback socket, or -1.
int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` and reads the whole response (the server closes).
std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  ::close(fd);
  return response;
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<MetricsHttpServer>(MetricsHttpServer::Options{},
                                                  [] { return std::string("up 1\n"); });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->bound_port(), 0);
  }
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, GetMetricsReturnsTheRenderedTextFormat) {
  const std::string response = Exchange(
      server_->bound_port(), "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(response.substr(response.find("\r\n\r\n") + 4), "up 1\n");
}

TEST_F(MetricsHttpServerTest, QueryStringIsIgnoredAndRequestsMayArriveInPieces) {
  const int fd = Connect(server_->bound_port());
  ASSERT_GE(fd, 0);
  for (const char* piece : {"GET /metrics?x=1 HT", "TP/1.0\r\n", "\r\n"}) {
    ::send(fd, piece, strlen(piece), MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  ::close(fd);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(MetricsHttpServerTest, HeadReturnsHeadersOnly) {
  const std::string response =
      Exchange(server_->bound_port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(response.substr(response.find("\r\n\r\n") + 4), "");
}

TEST_F(MetricsHttpServerTest, OtherPathsAre404OtherMethods405AndGarbage400) {
  EXPECT_THAT(Exchange(server_->bound_port(), "GET / HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404 Not Found\r\n"));
  const std::string post = Exchange(server_->bound_port(), "POST /metrics HTTP/1.1\r\n\r\n");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(post, HasSubstr("Allow: GET, HEAD\r\n"));
  EXPECT_THAT(Exchange(server_->bound_port(), "hello\r\n\r\n"),
              StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(MetricsHttpServerTest, SilentClientIsDroppedAndLaterClientsAreServed) {
  MetricsHttpServer::Options options;
  options.read_timeout = absl::Milliseconds(200);
  MetricsHttpServer server(options, [] { return std::string("x 1\n"); });
  ASSERT_TRUE(server.Start().ok());
  const int silent = Connect(server.bound_port());
  ASSERT_GE(silent, 0);
  EXPECT_THAT(Exchange(server.bound_port(), "GET /metrics HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
  ::close(silent);
}

TEST_F(MetricsHttpServerTest, ShutdownIsPromptWithAClientConnectedAndIdempotent) {
  const int idle = Connect(server_->bound_port());
  ASSERT_GE(idle, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // accepted, waiting to read
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  server_->Shutdown();
  ::close(idle);
  EXPECT_EQ(Connect(server_->bound_port()), -1);
}

TEST_F(MetricsHttpServerTest, PortTakenIsUnavailableNamingThePort) {
  MetricsHttpServer::Options options;
  options.port = server_->bound_port();
  MetricsHttpServer second(options, [] { return std::string(); });
  absl::Status s = second.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("127.0.0.1:" + std::to_string(server_->bound_port())));
}

TEST(MetricsHttpServerOptionsTest, BadAddressOrPortIsInvalidArgument) {
  MetricsHttpServer::Options bad_port;
  bad_port.port = 70000;
  EXPECT_EQ(MetricsHttpServer(bad_port, [] { return std::string(); }).Start().code(),
            absl::StatusCode::kInvalidArgument);
  MetricsHttpServer::Options bad_address;
  bad_address.listen = "localhost";  // numeric addresses only
  EXPECT_EQ(MetricsHttpServer(bad_address, [] { return std::string(); }).Start().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fstore
