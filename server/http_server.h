// HttpServer: fsd's HTTP endpoint (Prometheus /metrics today, a web console
// with a JSON API later), over Debian's cpp-httplib, serving handlers
// registered by exact path and method.
//
// Routing: a request whose path (the query string excluded) no handler was
// registered for is 404; a registered path asked with a method it has no
// handler for is 405 with an Allow header; a request that does not parse is
// 400. HEAD is answered by the GET handler, headers only. 404 and 405 are
// decided before a request body is read. A handler's Response is sent with its
// Content-Type and Content-Length; an error response without a body gets a
// one-line text body naming the status and path.
//
// Connections: HTTP/1.1 keep-alive (up to 5 requests per connection); a
// request with "Connection: close", or HTTP/1.0 without keep-alive, closes
// after its response. Each open connection holds one of Options::threads
// worker threads until it closes, and the server closes a connection that
// has been idle for Options::idle_timeout, so up to threads - 1 idle or slow
// clients never delay another client's request; with more, a new connection
// waits for a thread to free (within idle_timeout for an idle one). A
// client that stalls in the middle of a request, or does not take its
// response, is dropped after Options::read_timeout.
//
// Start validates the options, binds and listens, then accepts on its own
// thread: InvalidArgument for an address that is not a numeric IPv4 or IPv6
// address, a port outside 0-65535, or threads < 1; Unavailable when the
// address cannot be bound (typically the port is taken: the socket sets
// SO_REUSEADDR, not SO_REUSEPORT, so a second listener is refused);
// FailedPrecondition when called twice. Shutdown stops accepting, lets the
// requests in progress finish, closes idle connections within idle_timeout,
// and joins the threads; it is idempotent and runs on destruction.
//
// Start constructs an httplib::Server, which ignores SIGPIPE process-wide.
//
// Thread-safety: Handle, Start and Shutdown are called from one controlling
// thread, Handle before Start. Handlers run on the worker threads, several
// at once, and must be safe for that.
#ifndef FSTORE_SERVER_HTTP_SERVER_H_
#define FSTORE_SERVER_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace fstore {

class HttpServer {
 public:
  struct Options {
    // Address to listen on: numeric IPv4 or IPv6 ("0.0.0.0", "::1").
    // Default: loopback only.
    std::string listen = "127.0.0.1";
    // TCP port; 0 picks a free one (see bound_port()). Default: 0.
    int port = 0;
    // What the server is for, named in errors ("cannot listen for metrics
    // on ..."). Default: "HTTP".
    std::string name = "HTTP";
    // Worker threads: connections served at once. Default: 8.
    int threads = 8;
    // How long a connection may stay open without starting a request, before
    // its first one or between two; rounded up to whole seconds, at least 1.
    // Default: 1 s.
    absl::Duration idle_timeout = absl::Seconds(1);
    // How long a client may take to send the rest of a request it started,
    // and to take its response. Default: 5 s.
    absl::Duration read_timeout = absl::Seconds(5);
  };

  struct Request {
    std::string method;  // "GET", "HEAD", "POST", ...
    std::string path;    // without the query string
    // Query parameters; the first value of a repeated name.
    std::map<std::string, std::string> params;
    std::string body;
    std::string authorization;  // the Authorization header; "" when absent
  };
  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Handler = std::function<Response(const Request&)>;

  explicit HttpServer(Options options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Serves `method` ("GET", "POST", "PUT", "DELETE") requests for exactly
  // `path` ("/metrics") with `handler`, replacing an earlier registration.
  void Handle(absl::string_view method, absl::string_view path, Handler handler);

  absl::Status Start();
  // The port actually bound (differs from options.port when that was 0);
  // 0 before Start.
  int bound_port() const { return bound_port_; }
  void Shutdown();

 private:
  // Answers 404 or 405 and returns true when `req` has no handler.
  bool Reject(const httplib::Request& req, httplib::Response* res) const;
  // Runs the handler of `req` (past Reject) and fills `res`.
  void Dispatch(const httplib::Request& req, httplib::Response* res) const;

  // Methods served per path; constant after Start.
  using Routes = std::map<std::string, std::map<std::string, Handler>, std::less<>>;

  const Options options_;
  Routes routes_;
  std::unique_ptr<httplib::Server> server_;
  int bound_port_ = 0;
  std::thread thread_;
  std::atomic<bool> accept_loop_done_{false};
};

}  // namespace fstore

#endif  // FSTORE_SERVER_HTTP_SERVER_H_
