// The one conversion between absl::Status and grpc::Status. Codes map one to
// one (absl's codes are gRPC's); the message is kept.
#ifndef FSTORE_SERVER_GRPC_STATUS_H_
#define FSTORE_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace fstore {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace fstore

#endif  // FSTORE_SERVER_GRPC_STATUS_H_
