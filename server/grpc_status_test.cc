#include "server/grpc_status.h"

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(GrpcStatusTest, EveryCodeMapsOneToOneBothWays) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "msg");
    const grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
}

TEST(GrpcStatusTest, KeepsTheMessage) {
  const grpc::Status g = ToGrpcStatus(absl::NotFoundError("model 'fraud' not found"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "model 'fraud' not found");
}

}  // namespace
}  // namespace fstore
