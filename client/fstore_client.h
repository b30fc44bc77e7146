// FstoreClient: a small C++ client over fsd's gRPC stubs. Every call carries
// a deadline (Options::timeout) and returns absl::Status[Or]; gRPC errors are
// converted with their code and message kept, and "server unreachable" names
// the address.
//
// Thread-safety: a FstoreClient may be used from many threads at once.
#ifndef FSTORE_CLIENT_FSTORE_CLIENT_H_
#define FSTORE_CLIENT_FSTORE_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"

namespace fstore {

class FstoreClient {
 public:
  struct Options {
    // host:port of fsd. Default: 127.0.0.1:50051.
    std::string server = "127.0.0.1:50051";
    // Deadline of each call. Default: 30 s.
    absl::Duration timeout = absl::Seconds(30);
  };

  explicit FstoreClient(Options options);

  // The health status of `service` ("" = the whole server): "SERVING",
  // "NOT_SERVING", ... Unavailable when fsd cannot be reached.
  absl::StatusOr<std::string> Health(const std::string& service = "");

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const Options& options() const { return options_; }

 private:
  // Fills the deadline of a call's context.
  void Prepare(grpc::ClientContext* context) const;
  // Converts a failed call's status, naming the server when unreachable.
  absl::Status CallError(const grpc::Status& status, const char* method) const;

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace fstore

#endif  // FSTORE_CLIENT_FSTORE_CLIENT_H_
