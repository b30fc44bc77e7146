#include "client/fstore_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace fstore {

FstoreClient::FstoreClient(Options options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.server,
                                   grpc::InsecureChannelCredentials())),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

void FstoreClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
}

absl::Status FstoreClient::CallError(const grpc::Status& status,
                                     const char* method) const {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach fsd at ", options_.server, " (", status.error_message(),
        "); is the server running? (--server=HOST:PORT)"));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(absl::StrCat(
        method, " to ", options_.server, " took longer than ",
        absl::FormatDuration(options_.timeout), " (--timeout)"));
  }
  return absl::Status(code, status.error_message());
}

absl::StatusOr<std::string> FstoreClient::Health(const std::string& service) {
  grpc::ClientContext context;
  Prepare(&context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = health_->Check(&context, request, &response);
  if (!status.ok()) return CallError(status, "Health.Check");
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
}

}  // namespace fstore
