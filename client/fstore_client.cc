#include "client/fstore_client.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace fstore {
namespace {

// Messages up to 64 MiB: one oversized ingest row must reach the server to
// be rejected with a reason rather than fail the stream.
grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return args;
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const FstoreClient::Options& options) {
  if (options.tls_ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;
  ssl.pem_cert_chain = options.tls_cert_pem;
  ssl.pem_private_key = options.tls_key_pem;
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is not PEM"));
  }
  return text.str();
}

}  // namespace

absl::Status FstoreClient::ReadTlsFiles(const std::string& ca_path, const std::string& cert_path,
                                        const std::string& key_path, Options* options) {
  if (cert_path.empty() != key_path.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate and its key go together (--tls-cert with --tls-key)");
  }
  if (!cert_path.empty() && ca_path.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs the server's CA too (--tls-ca): it is for TLS");
  }
  if (!ca_path.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(ca_path, "TLS CA certificate");
    if (!ca.ok()) return ca.status();
    options->tls_ca_pem = *std::move(ca);
  }
  if (!cert_path.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(cert_path, "TLS client certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(key_path, "TLS client key");
    if (!key.ok()) return key.status();
    options->tls_cert_pem = *std::move(cert);
    options->tls_key_pem = *std::move(key);
  }
  return absl::OkStatus();
}

FstoreClient::FstoreClient(Options options)
    : options_(std::move(options)),
      channel_(grpc::CreateCustomChannel(options_.server, Credentials(options_), ChannelArgs())),
      health_(grpc::health::v1::Health::NewStub(channel_)),
      feature_store_(v1::FeatureStore::NewStub(channel_)),
      registry_(v1::Registry::NewStub(channel_)),
      serving_(v1::Serving::NewStub(channel_)),
      monitoring_(v1::Monitoring::NewStub(channel_)) {}

void FstoreClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  Authorize(context);
}

void FstoreClient::Authorize(grpc::ClientContext* context) const {
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
}

absl::Status FstoreClient::CallError(const grpc::Status& status, const char* method) const {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach fsd at ", options_.server, " (", status.error_message(),
                     "); is the server running? (--server=HOST:PORT)",
                     options_.tls_ca_pem.empty()
                         ? "; if it serves TLS, give its CA with --tls-ca"
                         : "; check that --tls-ca signed its certificate and that it serves TLS"));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(
        absl::StrCat(method, " to ", options_.server, " took longer than ",
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
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<v1::ApplyDefinitionsResponse> FstoreClient::ApplyDefinitions(
    const v1::ApplyDefinitionsRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::ApplyDefinitions, request,
                   "ApplyDefinitions");
}

absl::StatusOr<v1::ListDefinitionsResponse> FstoreClient::ListDefinitions(
    const v1::ListDefinitionsRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::ListDefinitions, request,
                   "ListDefinitions");
}

absl::StatusOr<v1::ListDeadLettersResponse> FstoreClient::ListDeadLetters(
    const v1::ListDeadLettersRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::ListDeadLetters, request,
                   "ListDeadLetters");
}

absl::StatusOr<v1::GetSourceQualityResponse> FstoreClient::GetSourceQuality(
    const v1::GetSourceQualityRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::GetSourceQuality, request,
                   "GetSourceQuality");
}

absl::StatusOr<v1::GetOnlineFeaturesResponse> FstoreClient::GetOnlineFeatures(
    const v1::GetOnlineFeaturesRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::GetOnlineFeatures, request,
                   "GetOnlineFeatures");
}

absl::StatusOr<v1::Snapshot> FstoreClient::CreateSnapshot(
    const v1::CreateSnapshotRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::CreateSnapshot, request,
                   "CreateSnapshot");
}

absl::StatusOr<v1::ListSnapshotsResponse> FstoreClient::ListSnapshots(
    const v1::ListSnapshotsRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::ListSnapshots, request,
                   "ListSnapshots");
}

absl::StatusOr<v1::DeleteSnapshotResponse> FstoreClient::DeleteSnapshot(
    const v1::DeleteSnapshotRequest& request) {
  return CallUnary(feature_store_.get(), &v1::FeatureStore::Stub::DeleteSnapshot, request,
                   "DeleteSnapshot");
}

absl::StatusOr<v1::GetHistoricalFeaturesResponse> FstoreClient::GetHistoricalFeatures(
    const v1::HistoricalHeader& header, const std::vector<std::vector<std::string>>& rows,
    size_t chunk_rows, const std::function<absl::Status(const std::string&)>& on_csv) {
  grpc::ClientContext context;
  Authorize(&context);
  auto stream = feature_store_->GetHistoricalFeatures(&context);
  v1::GetHistoricalFeaturesRequest request;
  *request.mutable_header() = header;
  bool open = true;
  for (size_t i = 0; i < rows.size() && open; ++i) {
    v1::Row* row = request.add_rows();
    for (const std::string& cell : rows[i]) row->add_values()->set_string_value(cell);
    if (static_cast<size_t>(request.rows_size()) >= chunk_rows) {
      open = stream->Write(request);
      request.Clear();
    }
  }
  if (open && (request.has_header() || request.rows_size() > 0)) stream->Write(request);
  stream->WritesDone();
  v1::GetHistoricalFeaturesResponse response, last;
  absl::Status sink_status;
  while (stream->Read(&response)) {
    if (!response.csv().empty() && sink_status.ok()) sink_status = on_csv(response.csv());
    if (response.has_trailer()) last = response;
    if (!sink_status.ok()) context.TryCancel();
  }
  const grpc::Status status = stream->Finish();
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return CallError(status, "GetHistoricalFeatures");
  return last;
}

absl::StatusOr<v1::ExportFeaturesResponse> FstoreClient::ExportFeatures(
    const v1::ExportFeaturesRequest& request,
    const std::function<absl::Status(const std::string&)>& on_csv) {
  grpc::ClientContext context;
  Authorize(&context);
  auto reader = feature_store_->ExportFeatures(&context, request);
  v1::ExportFeaturesResponse response, last;
  absl::Status sink_status;
  while (reader->Read(&response)) {
    if (!response.csv().empty() && sink_status.ok()) sink_status = on_csv(response.csv());
    if (response.columns_size() > 0) last = response;  // the last message
    if (!sink_status.ok()) context.TryCancel();
  }
  const grpc::Status status = reader->Finish();
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return CallError(status, "ExportFeatures");
  return last;
}

absl::StatusOr<v1::UploadArtifactResponse> FstoreClient::UploadArtifact(const std::string& bytes) {
  constexpr size_t kChunk = 1 << 20;
  grpc::ClientContext context;
  Prepare(&context);
  v1::UploadArtifactResponse response;
  auto writer = registry_->UploadArtifact(&context, &response);
  v1::UploadArtifactRequest request;
  for (size_t at = 0; at < bytes.size(); at += kChunk) {
    request.set_chunk(bytes.substr(at, kChunk));
    if (!writer->Write(request)) break;  // Finish says why
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return CallError(status, "UploadArtifact");
  return response;
}

absl::Status FstoreClient::DownloadArtifact(
    const std::string& model_ref, const std::function<absl::Status(const std::string&)>& on_chunk) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::DownloadArtifactRequest request;
  request.set_model_ref(model_ref);
  auto reader = registry_->DownloadArtifact(&context, request);
  v1::DownloadArtifactResponse response;
  absl::Status sink_status;
  while (reader->Read(&response)) {
    if (sink_status.ok()) sink_status = on_chunk(response.chunk());
    if (!sink_status.ok()) context.TryCancel();
  }
  const grpc::Status status = reader->Finish();
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return CallError(status, "DownloadArtifact");
  return absl::OkStatus();
}

absl::Status FstoreClient::ListScores(
    const v1::ListScoresRequest& request,
    const std::function<absl::Status(const v1::ListScoresResponse&)>& on_page) {
  grpc::ClientContext context;
  Authorize(&context);
  auto reader = serving_->ListScores(&context, request);
  v1::ListScoresResponse page;
  absl::Status sink_status;
  while (reader->Read(&page)) {
    if (sink_status.ok()) sink_status = on_page(page);
    if (!sink_status.ok()) context.TryCancel();
  }
  const grpc::Status status = reader->Finish();
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return CallError(status, "ListScores");
  return absl::OkStatus();
}

absl::StatusOr<v1::FeedbackResponse> FstoreClient::SendFeedback(
    const std::vector<v1::FeedbackRequest>& chunks) {
  grpc::ClientContext context;  // no deadline: a large file takes a while
  Authorize(&context);
  v1::FeedbackResponse response;
  auto writer = monitoring_->Feedback(&context, &response);
  for (const v1::FeedbackRequest& chunk : chunks) {
    if (!writer->Write(chunk)) break;  // Finish says why
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) return CallError(status, "Feedback");
  return response;
}

absl::Status FstoreClient::ExportLabelled(
    const v1::ExportLabelledRequest& request,
    const std::function<absl::Status(const v1::ExportLabelledResponse&)>& on_message) {
  grpc::ClientContext context;
  Authorize(&context);
  auto reader = monitoring_->ExportLabelled(&context, request);
  v1::ExportLabelledResponse message;
  absl::Status sink_status;
  while (reader->Read(&message)) {
    if (sink_status.ok()) sink_status = on_message(message);
    if (!sink_status.ok()) context.TryCancel();
  }
  const grpc::Status status = reader->Finish();
  if (!sink_status.ok()) return sink_status;
  if (!status.ok()) return CallError(status, "ExportLabelled");
  return absl::OkStatus();
}

std::unique_ptr<FstoreClient::IngestStream> FstoreClient::StartIngestStream() {
  std::unique_ptr<IngestStream> stream(new IngestStream(this));
  Authorize(&stream->context_);
  stream->writer_ = feature_store_->IngestStream(&stream->context_, &stream->response_);
  return stream;
}

FstoreClient::IngestStream::~IngestStream() {
  if (!finished_) context_.TryCancel();
}

bool FstoreClient::IngestStream::Write(const v1::IngestRequest& request) {
  return writer_->Write(request);
}

absl::StatusOr<v1::IngestResponse> FstoreClient::IngestStream::Finish() {
  finished_ = true;
  writer_->WritesDone();
  const grpc::Status status = writer_->Finish();
  if (!status.ok()) return client_->CallError(status, "IngestStream");
  return response_;
}

}  // namespace fstore
