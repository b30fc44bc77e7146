// HttpGet: a GET over a plain loopback socket for tests that read fsd's
// /metrics (HTTP/1.0, so the server answers without chunking and closes).
#ifndef FSTORE_TESTS_INTEGRATION_HTTP_GET_H_
#define FSTORE_TESTS_INTEGRATION_HTTP_GET_H_

#include <string>

namespace fstore::testing {

struct HttpResponse {
  int status = 0;  // 0: no connection
  std::string body;
};

// GET http://127.0.0.1:port/target; gives up after 5 s without data.
// `headers` are extra header lines, each ending in "\r\n".
HttpResponse HttpGet(int port, const std::string& target, const std::string& headers = "");

}  // namespace fstore::testing

#endif  // FSTORE_TESTS_INTEGRATION_HTTP_GET_H_
