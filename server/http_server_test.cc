#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/metrics_text_format.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Clock = std::chrono::steady_clock;

// A connected loopback socket that gives up reading after 10 s, or -1.
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
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

void Send(int fd, const std::string& data) { ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); }

// Reads one response from `fd`: the head, then Content-Length bytes of body
// (none when `head_only`). Empty when the connection closes first.
std::string ReadResponse(int fd, bool head_only = false) {
  std::string response;
  char c;
  while (response.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) return "";
    response.push_back(c);
  }
  const size_t length_at = response.find("Content-Length: ");
  size_t length = length_at == std::string::npos ? 0 : std::atoi(response.c_str() + length_at + 16);
  if (head_only) length = 0;
  std::vector<char> body(length);
  size_t read = 0;
  while (read < length) {
    const ssize_t n = ::recv(fd, body.data() + read, length - read, 0);
    if (n <= 0) return "";
    read += static_cast<size_t>(n);
  }
  return response.append(body.data(), length);
}

// Sends `request` on a new connection and reads one response.
std::string Exchange(int port, const std::string& request, bool head_only = false) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  Send(fd, request);
  std::string response = ReadResponse(fd, head_only);
  ::close(fd);
  return response;
}

std::string Body(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

// True when the server closes `fd` (recv sees end of stream) within `limit`.
bool ClosedWithin(int fd, std::chrono::milliseconds limit) {
  const auto start = Clock::now();
  char c;
  const ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 && Clock::now() - start < limit;
}

HttpServer::Response Metrics(const HttpServer::Request&) {
  return {200, std::string(kPrometheusTextContentType), "up 1\n"};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(HttpServer::Options{});
    server_->Handle("GET", "/metrics", Metrics);
    server_->Handle("POST", "/echo", [](const HttpServer::Request& r) {
      std::string params;
      for (const auto& [name, value] : r.params) params += name + "=" + value + ";";
      return HttpServer::Response{201, "application/json", r.method + " " + params + " " + r.body};
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->bound_port(), 0);
  }
  int port() const { return server_->bound_port(); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, GetReturnsTheHandlersBodyAndContentType) {
  const std::string response =
      Exchange(port(), "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(Body(response), "up 1\n");
}

TEST_F(HttpServerTest, QueryStringIsIgnoredAndRequestsMayArriveInPieces) {
  const int fd = Connect(port());
  ASSERT_GE(fd, 0);
  for (const char* piece : {"GET /metrics?x=1 HT", "TP/1.0\r\n", "\r\n"}) {
    Send(fd, piece);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  ::close(fd);  // HTTP/1.0 without keep-alive: the server closed
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Body(response), "up 1\n");
}

TEST_F(HttpServerTest, HeadReturnsHeadersOnly) {
  const int fd = Connect(port());
  ASSERT_GE(fd, 0);
  Send(fd, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  ::close(fd);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_EQ(Body(response), "");
}

TEST_F(HttpServerTest, PostHandlerGetsMethodParamsAndBody) {
  const std::string response = Exchange(
      port(), "POST /echo?b=2&a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"k\":1}");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 201 Created\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_EQ(Body(response), "POST a=1;b=2; {\"k\":1}");
}

TEST_F(HttpServerTest, OtherPathsAre404OtherMethods405AndGarbage400) {
  const std::string missing = Exchange(port(), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(missing, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(Body(missing), HasSubstr("/metrics"));
  // Decided before the body is read: no Content-Length needed, no wait.
  const auto start = Clock::now();
  const std::string post = Exchange(port(), "POST /metrics HTTP/1.1\r\n\r\n");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(post, HasSubstr("Allow: GET, HEAD\r\n"));
  EXPECT_THAT(Exchange(port(), "GET /echo HTTP/1.1\r\n\r\n"), HasSubstr("Allow: POST\r\n"));
  EXPECT_THAT(Exchange(port(), "hello\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const int fd = Connect(port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    Send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string response = ReadResponse(fd);
    EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n")) << "request " << i;
    EXPECT_THAT(response, Not(HasSubstr("Connection: close")));
  }
  ::close(fd);
}

TEST(HttpServerConnectionsTest, IdleConnectionsDoNotDelayAScrape) {
  HttpServer::Options options;
  options.idle_timeout = absl::Seconds(10);  // the idle clients keep their threads
  HttpServer server(options);
  server.Handle("GET", "/metrics", Metrics);
  ASSERT_TRUE(server.Start().ok());
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(Connect(server.bound_port()));
  // One idle connection in the middle of a request, too.
  Send(idle[0], "GET /metr");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all accepted
  const auto start = Clock::now();
  EXPECT_THAT(Exchange(server.bound_port(), "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  for (int fd : idle) ::close(fd);
}

TEST(HttpServerConnectionsTest, IdleConnectionIsClosedAfterIdleTimeout) {
  HttpServer::Options options;
  options.idle_timeout = absl::Seconds(1);
  options.threads = 1;
  HttpServer server(options);
  server.Handle("GET", "/metrics", Metrics);
  ASSERT_TRUE(server.Start().ok());
  const int silent = Connect(server.bound_port());
  ASSERT_GE(silent, 0);
  // The only thread is taken; the scrape waits for the idle timeout.
  EXPECT_THAT(Exchange(server.bound_port(), "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(ClosedWithin(silent, std::chrono::seconds(3)));
  ::close(silent);
}

TEST(HttpServerConnectionsTest, ClientStalledMidRequestIsDroppedAfterReadTimeout) {
  HttpServer::Options options;
  options.read_timeout = absl::Milliseconds(200);
  HttpServer server(options);
  server.Handle("GET", "/metrics", Metrics);
  ASSERT_TRUE(server.Start().ok());
  const int stalled = Connect(server.bound_port());
  ASSERT_GE(stalled, 0);
  Send(stalled, "GET /metrics HT");
  EXPECT_TRUE(ClosedWithin(stalled, std::chrono::seconds(2)));
  ::close(stalled);
}

TEST_F(HttpServerTest, ShutdownIsPromptWithAClientConnectedAndIdempotent) {
  const int idle = Connect(port());
  ASSERT_GE(idle, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // accepted, waiting to read
  const auto start = Clock::now();
  server_->Shutdown();
  // Waits out the idle connection: idle_timeout (1 s) at most.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  server_->Shutdown();
  ::close(idle);
  EXPECT_EQ(Connect(port()), -1);
}

TEST(HttpServerLifecycleTest, ShutdownRightAfterStartAndWithoutStart) {
  for (int i = 0; i < 20; ++i) {
    HttpServer server(HttpServer::Options{});
    ASSERT_TRUE(server.Start().ok());
    server.Shutdown();
  }
  HttpServer never_started(HttpServer::Options{});
  never_started.Shutdown();
  EXPECT_EQ(never_started.bound_port(), 0);
}

TEST_F(HttpServerTest, PortTakenIsUnavailableNamingThePort) {
  HttpServer::Options options;
  options.port = port();
  options.name = "metrics";
  HttpServer second(options);
  absl::Status s = second.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("cannot listen for metrics on 127.0.0.1:" + std::to_string(port())));
  // The first server still answers every scrape (no SO_REUSEPORT sharing).
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(Exchange(port(), "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"),
                StartsWith("HTTP/1.1 200 OK\r\n"));
  }
}

TEST_F(HttpServerTest, StartTwiceIsFailedPrecondition) {
  EXPECT_EQ(server_->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HttpServerOptionsTest, BadAddressPortOrThreadsIsInvalidArgument) {
  HttpServer::Options bad_port;
  bad_port.port = 70000;
  absl::Status s = HttpServer(bad_port).Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("70000"));
  HttpServer::Options bad_address;
  bad_address.listen = "localhost";  // numeric addresses only
  s = HttpServer(bad_address).Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("localhost"));
  HttpServer::Options no_threads;
  no_threads.threads = 0;
  EXPECT_EQ(HttpServer(no_threads).Start().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpServerOptionsTest, ListensOnIpv6Loopback) {
  HttpServer::Options options;
  options.listen = "::1";
  HttpServer server(options);
  absl::Status s = server.Start();
  if (s.code() == absl::StatusCode::kUnavailable) GTEST_SKIP() << "no IPv6 here: " << s;
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GT(server.bound_port(), 0);
}

}  // namespace
}  // namespace fstore
