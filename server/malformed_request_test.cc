#include "server/malformed_request.h"

#include <string>

#include "fstore/v1/serving.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(MalformedRequestStatusTest, GrpcsParseFailureBecomesInvalidArgumentNamingTheType) {
  v1::ScoreRequest linked;  // links serving.proto's descriptors into the pool
  (void)linked;
  grpc::Status s = MalformedRequestStatus("/fstore.v1.Serving/Score",
                                          grpc::Status(grpc::StatusCode::INTERNAL, ""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("malformed request to /fstore.v1.Serving/Score: the bytes received are not "
                        "a valid fstore.v1.ScoreRequest"));
  // gRPC 1.51's synchronous server answers a unary parse failure so.
  s = MalformedRequestStatus("/fstore.v1.Serving/Score",
                             grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not a valid fstore.v1.ScoreRequest"));
  s = MalformedRequestStatus("/no.Such/Method", grpc::Status(grpc::StatusCode::INTERNAL, ""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not a valid request"));
  s = MalformedRequestStatus("/fstore.v1.Serving/Score",
                             grpc::Status(grpc::StatusCode::INTERNAL, "No payload"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("no request message"));
}

TEST(MalformedRequestStatusTest, OtherStatusesPassUnchanged) {
  for (const grpc::Status& s :
       {grpc::Status(grpc::StatusCode::INTERNAL, "store write failed: disk full"),
        grpc::Status(grpc::StatusCode::NOT_FOUND, ""),
        // A method fstore does not serve is gRPC's plain UNIMPLEMENTED.
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""), grpc::Status::OK}) {
    grpc::Status out = MalformedRequestStatus(s.error_code() == grpc::StatusCode::UNIMPLEMENTED
                                                  ? "/no.Such/Method"
                                                  : "/fstore.v1.Serving/Score",
                                              s);
    EXPECT_EQ(out.error_code(), s.error_code());
    EXPECT_EQ(out.error_message(), s.error_message());
  }
}

}  // namespace
}  // namespace fstore
