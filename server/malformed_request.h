// A request that gRPC cannot parse (bytes that are not the method's
// protobuf message, invalid UTF-8 in a string field, no message at all) is
// answered by gRPC before any handler runs, with INTERNAL and an empty
// message. The interceptor made here rewrites that answer to
// INVALID_ARGUMENT naming the method and the message type it expects, so
// the caller learns it sent a bad request, not that fsd failed.
//
// Limit: in a client stream (IngestStream, Feedback, UploadArtifact,
// GetHistoricalFeatures, ScoreStream) gRPC's synchronous API reports a
// message that does not parse as the end of the stream; the handler
// cannot tell the two apart, so the stream ends as if the client had
// finished it.
#ifndef FSTORE_SERVER_MALFORMED_REQUEST_H_
#define FSTORE_SERVER_MALFORMED_REQUEST_H_

#include <memory>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"

namespace fstore {

// The status to send for `method` (e.g. "/fstore.v1.Serving/Score") in
// place of `status`: INVALID_ARGUMENT when `status` is gRPC's answer to a
// request it could not parse, `status` itself otherwise.
grpc::Status MalformedRequestStatus(absl::string_view method, const grpc::Status& status);

// For grpc::ServerBuilder::experimental().SetInterceptorCreators; put it
// before interceptors that should see the rewritten status (metrics).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMalformedRequestInterceptorFactory();

}  // namespace fstore

#endif  // FSTORE_SERVER_MALFORMED_REQUEST_H_
