// MetricsHttpServer: the minimal HTTP/1.1 server Prometheus scrapes.
//
// GET (or HEAD) /metrics answers 200 with the text the render callback
// returns, as the Prometheus text format (metrics_text_format.h); a query
// string is ignored. Any other path is 404, any other method 405, a request
// that does not parse 400. Each response closes its connection
// (Connection: close). Connections are served one at a time on one thread;
// a client that has not sent its request headers within
// Options::read_timeout is dropped, so a stuck client delays a scrape by at
// most that long.
//
// Start binds and listens, then serves on its own thread: InvalidArgument
// for an address that is not a numeric IP address or a port outside
// 0-65535, Unavailable when the address cannot be bound (typically the port
// is taken). Shutdown
// stops accepting, finishes the connection in progress, and joins the
// thread; it is idempotent and runs on destruction.
//
// Thread-safety: Start and Shutdown are called from one controlling thread;
// the render callback runs on the server's thread.
#ifndef FSTORE_SERVER_METRICS_HTTP_SERVER_H_
#define FSTORE_SERVER_METRICS_HTTP_SERVER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace fstore {

class MetricsHttpServer {
 public:
  struct Options {
    // Address to listen on: numeric IPv4 or IPv6 ("0.0.0.0", "::1").
    // Default: loopback only.
    std::string listen = "127.0.0.1";
    // TCP port; 0 picks a free one (see bound_port()). Default: 0.
    int port = 0;
    // How long a connection may take to send its request. Default: 5 s.
    absl::Duration read_timeout = absl::Seconds(5);
  };
  using RenderFn = std::function<std::string()>;

  MetricsHttpServer(Options options, RenderFn render);
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;
  ~MetricsHttpServer();

  absl::Status Start();
  // The port actually bound (differs from options.port when that was 0).
  int bound_port() const { return bound_port_; }
  void Shutdown();

 private:
  void Serve();
  void HandleConnection(int fd);

  const Options options_;
  const RenderFn render_;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;  // readable once Shutdown starts
  int wake_write_fd_ = -1;
  int bound_port_ = 0;
  std::thread thread_;
};

}  // namespace fstore

#endif  // FSTORE_SERVER_METRICS_HTTP_SERVER_H_
