#include "client/fstore_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

// A loopback port nobody listens on (bound, read, released).
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(FstoreClientTest, UnreachableServerIsUnavailableNamingTheAddress) {
  FstoreClient::Options options;
  options.server = "127.0.0.1:" + std::to_string(UnusedPort());
  options.timeout = absl::Seconds(5);
  FstoreClient client(options);
  absl::StatusOr<std::string> health = client.Health();
  ASSERT_EQ(health.status().code(), absl::StatusCode::kUnavailable) << health.status();
  EXPECT_THAT(std::string(health.status().message()), HasSubstr(options.server));
  absl::StatusOr<v1::ListDefinitionsResponse> definitions =
      client.ListDefinitions(v1::ListDefinitionsRequest());
  EXPECT_EQ(definitions.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fstore
