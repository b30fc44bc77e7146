// FstoreClient: a small C++ client over fsd's gRPC stubs. Every call carries
// a deadline (Options::timeout) and returns absl::Status[Or]; gRPC errors are
// converted with their code and message kept, and "server unreachable" names
// the address. With Options::token every call carries "authorization: Bearer
// TOKEN"; with a TLS CA the channel is TLS (README, Security).
//
// Thread-safety: a FstoreClient may be used from many threads at once.
#ifndef FSTORE_CLIENT_FSTORE_CLIENT_H_
#define FSTORE_CLIENT_FSTORE_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fstore/v1/feature_store.grpc.pb.h"
#include "fstore/v1/monitoring.grpc.pb.h"
#include "fstore/v1/registry.grpc.pb.h"
#include "fstore/v1/serving.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace fstore {

class FstoreClient {
 public:
  struct Options {
    // host:port of fsd. Default: 127.0.0.1:50051.
    std::string server = "127.0.0.1:50051";
    // Deadline of each call. Default: 30 s.
    absl::Duration timeout = absl::Seconds(30);
    // Bearer token sent with every call. Default: none.
    std::string token = "";
    // PEM of the CA that signed fsd's certificate: connect with TLS.
    // Default: none (plain text).
    std::string tls_ca_pem = "";
    // PEM client certificate and key, for fsd's mutual TLS. Need tls_ca_pem.
    std::string tls_cert_pem = "";
    std::string tls_key_pem = "";
  };

  // Reads the PEM files named (empty paths are skipped) into `options`;
  // NotFound naming a file that cannot be read, InvalidArgument when a
  // certificate or key is given without the CA, or one without the other.
  static absl::Status ReadTlsFiles(const std::string& ca_path, const std::string& cert_path,
                                   const std::string& key_path, Options* options);

  explicit FstoreClient(Options options);

  // The health status of `service` ("" = the whole server): "SERVING",
  // "NOT_SERVING", ... Unavailable when fsd cannot be reached.
  absl::StatusOr<std::string> Health(const std::string& service = "");

  // FeatureStore RPCs; the request and reply are the wire messages.
  absl::StatusOr<v1::ApplyDefinitionsResponse> ApplyDefinitions(
      const v1::ApplyDefinitionsRequest& request);
  absl::StatusOr<v1::ListDefinitionsResponse> ListDefinitions(
      const v1::ListDefinitionsRequest& request);
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const v1::ListDeadLettersRequest& request);
  absl::StatusOr<v1::GetSourceQualityResponse> GetSourceQuality(
      const v1::GetSourceQualityRequest& request);
  absl::StatusOr<v1::GetOnlineFeaturesResponse> GetOnlineFeatures(
      const v1::GetOnlineFeaturesRequest& request);
  absl::StatusOr<v1::Snapshot> CreateSnapshot(const v1::CreateSnapshotRequest& request);
  absl::StatusOr<v1::ListSnapshotsResponse> ListSnapshots(const v1::ListSnapshotsRequest& request);
  absl::StatusOr<v1::DeleteSnapshotResponse> DeleteSnapshot(
      const v1::DeleteSnapshotRequest& request);

  // Point-in-time retrieval: sends `header`, then `rows` in chunks of
  // `chunk_rows`, and hands each CSV chunk of the reply to `on_csv`.
  // Returns the last message (header with the snapshot, trailer with the
  // fingerprint). No deadline: a large dataset may take long.
  absl::StatusOr<v1::GetHistoricalFeaturesResponse> GetHistoricalFeatures(
      const v1::HistoricalHeader& header, const std::vector<std::vector<std::string>>& rows,
      size_t chunk_rows, const std::function<absl::Status(const std::string&)>& on_csv);
  // Export: hands each CSV chunk to `on_csv`; returns the last message.
  absl::StatusOr<v1::ExportFeaturesResponse> ExportFeatures(
      const v1::ExportFeaturesRequest& request,
      const std::function<absl::Status(const std::string&)>& on_csv);

  // A client-streaming ingest: Write() messages, then Finish() for the
  // summary. The stream has no deadline (a backfill may take long); it is
  // cancelled when the IngestStream is destroyed unfinished.
  class IngestStream {
   public:
    ~IngestStream();
    // False when the server has ended the stream (Finish() says why).
    bool Write(const v1::IngestRequest& request);
    absl::StatusOr<v1::IngestResponse> Finish();

   private:
    friend class FstoreClient;
    IngestStream(const FstoreClient* client) : client_(client) {}
    const FstoreClient* client_;
    grpc::ClientContext context_;
    v1::IngestResponse response_;
    std::unique_ptr<grpc::ClientWriter<v1::IngestRequest>> writer_;
    bool finished_ = false;
  };
  std::unique_ptr<IngestStream> StartIngestStream();

  // Any unary FeatureStore, Registry, Serving or Monitoring RPC, e.g.
  //   client.Call(&v1::Registry::Stub::GetModel, request, "GetModel").
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::FeatureStore::Stub::*method)(grpc::ClientContext*,
                                                                               const Request&,
                                                                               Response*),
                                const Request& request, const char* name) const {
    return CallUnary(feature_store_.get(), method, request, name);
  }
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::Registry::Stub::*method)(grpc::ClientContext*,
                                                                           const Request&,
                                                                           Response*),
                                const Request& request, const char* name) const {
    return CallUnary(registry_.get(), method, request, name);
  }
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::Serving::Stub::*method)(grpc::ClientContext*,
                                                                          const Request&,
                                                                          Response*),
                                const Request& request, const char* name) const {
    return CallUnary(serving_.get(), method, request, name);
  }
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::Monitoring::Stub::*method)(grpc::ClientContext*,
                                                                             const Request&,
                                                                             Response*),
                                const Request& request, const char* name) const {
    return CallUnary(monitoring_.get(), method, request, name);
  }

  // Uploads artifact bytes in 1 MiB chunks; the reply names their sha256.
  absl::StatusOr<v1::UploadArtifactResponse> UploadArtifact(const std::string& bytes);
  // Hands each chunk of the artifact of `model_ref` to `on_chunk`.
  absl::Status DownloadArtifact(const std::string& model_ref,
                                const std::function<absl::Status(const std::string&)>& on_chunk);

  // Streams the scores table, one page of records at a time, to `on_page`.
  absl::Status ListScores(
      const v1::ListScoresRequest& request,
      const std::function<absl::Status(const v1::ListScoresResponse&)>& on_page);

  // Sends labels as a client stream, one message per chunk (options in the
  // first); the server records all of them or none.
  absl::StatusOr<v1::FeedbackResponse> SendFeedback(const std::vector<v1::FeedbackRequest>& chunks);
  // Streams a model's labelled traffic, one message at a time, to
  // `on_message` (the first carries the header).
  absl::Status ExportLabelled(
      const v1::ExportLabelledRequest& request,
      const std::function<absl::Status(const v1::ExportLabelledResponse&)>& on_message);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const Options& options() const { return options_; }

 private:
  // Fills the deadline of a call's context, and its token (Authorize).
  void Prepare(grpc::ClientContext* context) const;
  // Adds the bearer token, if any, to a call's context.
  void Authorize(grpc::ClientContext* context) const;
  // One unary call with the deadline set and the status converted.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> CallUnary(Stub* stub,
                                     grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                  const Request&, Response*),
                                     const Request& request, const char* name) const {
    grpc::ClientContext context;
    Prepare(&context);
    Response response;
    const grpc::Status status = (stub->*method)(&context, request, &response);
    if (!status.ok()) return CallError(status, name);
    return response;
  }
  // Converts a failed call's status, naming the server when unreachable.
  absl::Status CallError(const grpc::Status& status, const char* method) const;

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::unique_ptr<v1::FeatureStore::Stub> feature_store_;
  std::unique_ptr<v1::Registry::Stub> registry_;
  std::unique_ptr<v1::Serving::Stub> serving_;
  std::unique_ptr<v1::Monitoring::Stub> monitoring_;
};

}  // namespace fstore

#endif  // FSTORE_CLIENT_FSTORE_CLIENT_H_
