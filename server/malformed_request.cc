#include "server/malformed_request.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace fstore {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/fstore.v1.Serving/Score" -> the descriptor of fstore.v1.ScoreRequest,
// or null for a method the generated pool does not know.
const google::protobuf::Descriptor* RequestType(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  const std::string full_name = absl::StrReplaceAll(method, {{"/", "."}});
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  return m == nullptr ? nullptr : m->input_type();
}

class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MalformedRequestInterceptor(const char* method)
      : method_(method == nullptr ? "" : method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL ||
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        methods->ModifySendStatus(MalformedRequestStatus(method_, status));
      }
    }
    methods->Proceed();
  }

 private:
  const absl::string_view method_;  // gRPC's, alive for the call
};

class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MalformedRequestInterceptor(info->method());
  }
};

}  // namespace

grpc::Status MalformedRequestStatus(absl::string_view method, const grpc::Status& status) {
  // gRPC's answers: a unary request that does not parse gets UNIMPLEMENTED
  // with an empty message from the synchronous server (gRPC 1.51), or
  // INTERNAL with the message's InitializationErrorString (empty for
  // proto3; grpcpp/impl/codegen/proto_utils.h), or INTERNAL "No payload"
  // when the call carried no message. fstore's own errors always say what
  // failed, and every method of its services is implemented, so an empty
  // UNIMPLEMENTED for a method the generated pool knows is a parse failure.
  const google::protobuf::Descriptor* type = RequestType(method);
  const bool empty_unimplemented = status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
                                   status.error_message().empty() && type != nullptr;
  if (status.error_code() != grpc::StatusCode::INTERNAL && !empty_unimplemented) return status;
  if (status.error_message() == "No payload") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("malformed request to ", method, ": no request message"));
  }
  if (!status.error_message().empty()) return status;
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("malformed request to ", method, ": the bytes received are not a valid ",
                   type == nullptr ? "request" : type->full_name(),
                   " (not protobuf, a field of the wrong wire type, or invalid UTF-8 in a "
                   "string field)"));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewMalformedRequestInterceptorFactory() {
  return std::make_unique<MalformedRequestInterceptorFactory>();
}

}  // namespace fstore
