#include "server/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/metrics_text_format.h"
#include "spdlog/spdlog.h"

namespace fstore {
namespace {

constexpr size_t kMaxRequestBytes = 16 << 10;

struct Response {
  int code = 200;
  absl::string_view reason = "OK";
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string extra_headers;
  bool head = false;  // headers only
};

// The request head (up to and including the blank line), or empty when the
// client closed, sent too much, timed out, or Shutdown began.
std::string ReadRequestHead(int fd, int wake_fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxRequestBytes) return "";
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return "";
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (ready < 0 && errno != EINTR) return "";
    if (fds[1].revents != 0) return "";
    if (ready <= 0 || fds[0].revents == 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    head.append(buffer, static_cast<size_t>(n));
  }
  return head;
}

Response Respond(absl::string_view head, const MetricsHttpServer::RenderFn& render) {
  Response r;
  const absl::string_view request_line = head.substr(0, head.find("\r\n"));
  const std::vector<absl::string_view> parts = absl::StrSplit(request_line, ' ');
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    r.code = 400;
    r.reason = "Bad Request";
    r.body = "malformed request line\n";
    return r;
  }
  const absl::string_view method = parts[0];
  const absl::string_view path = parts[1].substr(0, parts[1].find('?'));
  if (path != "/metrics") {
    r.code = 404;
    r.reason = "Not Found";
    r.body = absl::StrCat("404 not found: ", path, " (metrics are at /metrics)\n");
    return r;
  }
  if (method != "GET" && method != "HEAD") {
    r.code = 405;
    r.reason = "Method Not Allowed";
    r.extra_headers = "Allow: GET, HEAD\r\n";
    r.body = absl::StrCat("method ", method, " not allowed on /metrics\n");
    return r;
  }
  r.content_type = std::string(kPrometheusTextContentType);
  r.body = render();
  r.head = method == "HEAD";
  return r;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

}  // namespace

MetricsHttpServer::MetricsHttpServer(Options options, RenderFn render)
    : options_(std::move(options)), render_(std::move(render)) {}

MetricsHttpServer::~MetricsHttpServer() { Shutdown(); }

absl::Status MetricsHttpServer::Start() {
  if (options_.port < 0 || options_.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_port ", options_.port, " is not a TCP port (0-65535)"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  const std::string port = absl::StrCat(options_.port);
  if (int rc = ::getaddrinfo(options_.listen.c_str(), port.c_str(), &hints, &addresses); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen ", options_.listen,
                     " is not a numeric IPv4 or IPv6 address: ", gai_strerror(rc)));
  }
  std::string error = "no address";
  for (addrinfo* a = addresses; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    // Lets a restarted fsd bind while old connections sit in TIME_WAIT; a
    // second listener on the same port is still refused.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  ::freeaddrinfo(addresses);
  if (listen_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", options_.listen,
                                               ":", options_.port, ": ", error,
                                               " (try another --metrics_port)"));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  bound_port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    const std::string reason = std::strerror(errno);
    CloseFd(&listen_fd_);
    return absl::InternalError(absl::StrCat("metrics server: pipe: ", reason));
  }
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  thread_ = std::thread([this] { Serve(); });
  return absl::OkStatus();
}

void MetricsHttpServer::Shutdown() {
  if (!thread_.joinable()) {
    CloseFd(&listen_fd_);
    return;
  }
  const char byte = 0;
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  CloseFd(&listen_fd_);
  CloseFd(&wake_read_fd_);
  CloseFd(&wake_write_fd_);
}

void MetricsHttpServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("metrics server: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up already, or out of descriptors
    HandleConnection(fd);
    ::close(fd);
  }
}

void MetricsHttpServer::HandleConnection(int fd) {
  // A client too slow to take the response is dropped after the same time.
  timeval send_timeout{};
  send_timeout.tv_sec = absl::ToInt64Seconds(options_.read_timeout);
  send_timeout.tv_usec =
      static_cast<suseconds_t>(absl::ToInt64Microseconds(options_.read_timeout % absl::Seconds(1)));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));

  const std::string head = ReadRequestHead(fd, wake_read_fd_, options_.read_timeout);
  if (head.empty()) return;
  const Response r = Respond(head, render_);
  const std::string header = absl::StrCat(
      "HTTP/1.1 ", r.code, " ", r.reason, "\r\nContent-Type: ", r.content_type,
      "\r\nContent-Length: ", r.body.size(), "\r\n", r.extra_headers, "Connection: close\r\n\r\n");
  if (SendAll(fd, header) && !r.head) SendAll(fd, r.body);
  ::shutdown(fd, SHUT_WR);
}

}  // namespace fstore
