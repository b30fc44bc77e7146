#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

constexpr char kTextContentType[] = "text/plain; charset=utf-8";

// httplib keeps a connection for this many requests, then closes it.
constexpr size_t kKeepAliveMaxRequests = 5;

bool IsNumericAddress(const std::string& address) {
  in6_addr buffer;
  return ::inet_pton(AF_INET, address.c_str(), &buffer) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), &buffer) == 1;
}

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "payload too large";
    case 414:
      return "URI too long";
    case 500:
      return "internal server error";
    default:
      return "error";
  }
}

// The listening socket's options. httplib's default sets SO_REUSEPORT,
// which would let a second server bind the same port and take half of its
// connections; SO_REUSEADDR only lets a restarted server bind while old
// connections sit in TIME_WAIT.
void ListenSocketOptions(int fd) {
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// {seconds, microseconds} of a non-negative duration.
std::pair<time_t, time_t> SecondsAndMicros(absl::Duration d) {
  const int64_t micros = absl::ToInt64Microseconds(d);
  return {static_cast<time_t>(micros / 1000000), static_cast<time_t>(micros % 1000000)};
}

absl::Status Validate(const HttpServer::Options& options) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.name, " port ", options.port, " is not a TCP port (0-65535)"));
  }
  if (!IsNumericAddress(options.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(options.name, " listen address ", options.listen,
                                                   " is not a numeric IPv4 or IPv6 address"));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.name, " server threads ", options.threads, " is below 1"));
  }
  if (options.read_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(options.name, " read timeout ",
                                                   absl::FormatDuration(options.read_timeout),
                                                   " is not positive"));
  }
  return absl::OkStatus();
}

}  // namespace

HttpServer::HttpServer(Options options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Handle(absl::string_view method, absl::string_view path, Handler handler) {
  routes_[std::string(path)][std::string(method)] = std::move(handler);
}

absl::Status HttpServer::Start() {
  if (server_ != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(options_.name, " server already started"));
  }
  FSTORE_RETURN_IF_ERROR(Validate(options_));
  auto server = std::make_unique<httplib::Server>();
  const size_t threads = static_cast<size_t>(options_.threads);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_socket_options(ListenSocketOptions);
  server->set_keep_alive_max_count(kKeepAliveMaxRequests);
  server->set_keep_alive_timeout(static_cast<time_t>(std::max<int64_t>(
      1, absl::ToInt64Seconds(absl::Ceil(options_.idle_timeout, absl::Seconds(1))))));
  const auto [timeout_s, timeout_us] = SecondsAndMicros(options_.read_timeout);
  server->set_read_timeout(timeout_s, timeout_us);
  server->set_write_timeout(timeout_s, timeout_us);
  // 404 and 405 are decided before httplib reads a request body.
  server->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Reject(req, &res) ? httplib::Server::HandlerResponse::Handled
                             : httplib::Server::HandlerResponse::Unhandled;
  });
  server->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(absl::StrCat(res.status, " ", Reason(res.status), ": ", req.path, "\n"),
                    kTextContentType);
  });
  // Every method reaches one dispatcher, past Reject.
  const auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, &res);
  };
  server->Get(".*", dispatch);
  server->Post(".*", dispatch);
  server->Put(".*", dispatch);
  server->Delete(".*", dispatch);

  errno = 0;
  const int port =
      options_.port == 0
          ? server->bind_to_any_port(options_.listen)
          : (server->bind_to_port(options_.listen, options_.port) ? options_.port : -1);
  if (port <= 0) {
    const std::string reason = errno != 0 ? std::strerror(errno) : "bind failed";
    return absl::UnavailableError(absl::StrCat("cannot listen for ", options_.name, " on ",
                                               options_.listen, ":", options_.port, ": ", reason));
  }
  bound_port_ = port;
  server_ = std::move(server);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    accept_loop_done_ = true;
  });
  // httplib's stop() does nothing until the accept loop runs: wait for it,
  // so that a Shutdown right after Start cannot miss it.
  while (!server_->is_running() && !accept_loop_done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void HttpServer::Shutdown() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

bool HttpServer::Reject(const httplib::Request& req, httplib::Response* res) const {
  const auto route = routes_.find(req.path);
  if (route == routes_.end()) {
    std::vector<std::string> paths;
    for (const auto& [path, methods] : routes_) paths.push_back(path);
    res->status = 404;
    res->set_content(absl::StrCat("404 not found: ", req.path,
                                  "; paths served: ", absl::StrJoin(paths, " "), "\n"),
                     kTextContentType);
    return true;
  }
  if (route->second.contains(req.method == "HEAD" ? "GET" : req.method)) return false;
  std::vector<std::string> allowed;
  for (const auto& [method, handler] : route->second) {
    allowed.push_back(method);
    if (method == "GET") allowed.push_back("HEAD");
  }
  res->status = 405;
  res->set_header("Allow", absl::StrJoin(allowed, ", "));
  res->set_content(absl::StrCat("405 method ", req.method, " not allowed on ", req.path,
                                " (allowed: ", absl::StrJoin(allowed, ", "), ")\n"),
                   kTextContentType);
  return true;
}

void HttpServer::Dispatch(const httplib::Request& req, httplib::Response* res) const {
  const auto route = routes_.find(req.path);
  if (route == routes_.end()) return;  // not reached: Reject answered 404
  const auto handler = route->second.find(req.method == "HEAD" ? "GET" : req.method);
  if (handler == route->second.end()) return;  // not reached: Reject answered 405
  Request request{req.method, req.path, {}, req.body, req.get_header_value("Authorization")};
  for (const auto& [name, value] : req.params) request.params.emplace(name, value);
  Response response = handler->second(request);
  res->status = response.status;
  res->set_content(std::move(response.body), response.content_type);
}

}  // namespace fstore
