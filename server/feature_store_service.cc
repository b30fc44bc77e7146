#include "server/feature_store_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "featurestore/definition_selection.h"
#include "server/grpc_status.h"
#include "server/metrics.h"
#include "server/proto_convert.h"

namespace fstore {
namespace {

// GetSourceQuality's defaults (the request's 0).
constexpr DurationUs kDefaultQualityWindow = 24 * 3600 * kMicrosPerSecond;
constexpr DurationUs kDefaultQualityBucket = 3600 * kMicrosPerSecond;

// Writes one message's rows (typed or text) to an ingest.
absl::Status WriteRows(const v1::IngestRequest& request, FeatureStore::IngestWriter* writer,
                       std::vector<std::vector<std::string>>* text,
                       std::vector<std::vector<Value>>* typed) {
  if (request.rows_size() > 0 && request.text_rows_size() > 0) {
    return absl::InvalidArgumentError("a message carries rows or text_rows, not both");
  }
  if (request.text_rows_size() > 0) {
    text->resize(request.text_rows_size());
    for (int i = 0; i < request.text_rows_size(); ++i) {
      const auto& cells = request.text_rows(i).cells();
      (*text)[i].assign(cells.begin(), cells.end());
    }
    return writer->WriteText(*text, request.first_row_number());
  }
  if (request.rows_size() > 0) {
    typed->resize(request.rows_size());
    for (int i = 0; i < request.rows_size(); ++i) {
      std::vector<Value>& row = (*typed)[i];
      row.clear();
      for (const v1::Value& v : request.rows(i).values()) row.push_back(FromProto(v));
    }
    return writer->WriteValues(*typed, request.first_row_number());
  }
  return absl::OkStatus();
}

int64_t RowCount(const v1::IngestRequest& request) {
  return int64_t{request.rows_size()} + request.text_rows_size();
}

// Counts in `metrics` (when set) the rows an ingest committed since the
// summary `counted` was taken, and advances `counted`.
void CountIngested(FsdMetrics* metrics, const std::string& source, const IngestSummary& now,
                   IngestSummary* counted) {
  if (metrics == nullptr) return;
  metrics->RecordIngest(source, now.accepted - counted->accepted, now.rejected - counted->rejected,
                        now.duplicates - counted->duplicates);
  counted->accepted = now.accepted;
  counted->rejected = now.rejected;
  counted->duplicates = now.duplicates;
}

// `rpc` ("Ingest", "IngestStream") is the origin of dead letters when the
// client names none.
absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> StartIngest(
    FeatureStore* store, const v1::IngestRequest& first, absl::string_view rpc) {
  if (first.source().empty()) {
    return absl::InvalidArgumentError("the first ingest message must name the source");
  }
  if (first.columns_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the first ingest message for ", first.source(), " must name its columns"));
  }
  return store->StartIngest(
      first.source(), std::vector<std::string>(first.columns().begin(), first.columns().end()),
      first.origin().empty() ? rpc : absl::string_view(first.origin()));
}

}  // namespace

grpc::Status FeatureStoreService::ApplyDefinitions(grpc::ServerContext* context,
                                                   const v1::ApplyDefinitionsRequest* request,
                                                   v1::ApplyDefinitionsResponse* response) {
  absl::StatusOr<ApplyResult> result = store_->Apply(
      request->content(), request->format(), request->dry_run(), access_->CallerOf(*context).name);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const DefinitionChange& c : result->changes) ToProto(c, response->add_changes());
  response->set_dry_run(result->dry_run);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::ListDefinitions(grpc::ServerContext*,
                                                  const v1::ListDefinitionsRequest* request,
                                                  v1::ListDefinitionsResponse* response) {
  const Definitions all = store_->GetDefinitions();
  absl::StatusOr<Definitions> selected =
      SelectDefinitions(all, request->object_type(), request->name());
  if (!selected.ok()) return ToGrpcStatus(selected.status());
  // Entity columns of sources come from the views, which may be filtered out.
  ToProto(*selected, all, response->mutable_definitions());
  if (request->include_yaml()) {
    absl::StatusOr<std::string> yaml = DefinitionsYaml(*selected);
    if (!yaml.ok()) return ToGrpcStatus(yaml.status());
    response->set_yaml(*std::move(yaml));
  }
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::GetDefinitionsHistory(
    grpc::ServerContext*, const v1::GetDefinitionsHistoryRequest* request,
    v1::GetDefinitionsHistoryResponse* response) {
  absl::StatusOr<std::vector<ApplyRecord>> history = store_->DefinitionsHistory(request->limit());
  if (!history.ok()) return ToGrpcStatus(history.status());
  for (const ApplyRecord& record : *history) ToProto(record, response->add_applies());
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::Ingest(grpc::ServerContext*, const v1::IngestRequest* request,
                                         v1::IngestResponse* response) {
  if (absl::Status rows = access_->CheckRows(RowCount(*request), "ingest message"); !rows.ok()) {
    return ToGrpcStatus(rows);
  }
  absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> writer =
      StartIngest(store_, *request, "Ingest");
  if (!writer.ok()) return ToGrpcStatus(writer.status());
  std::vector<std::vector<std::string>> text;
  std::vector<std::vector<Value>> typed;
  const absl::Status written = WriteRows(*request, writer->get(), &text, &typed);
  IngestSummary counted;
  CountIngested(metrics_, request->source(), (*writer)->summary(), &counted);
  if (!written.ok()) return ToGrpcStatus(written);
  ToProto((*writer)->summary(), response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::IngestStream(grpc::ServerContext* context,
                                               grpc::ServerReader<v1::IngestRequest>* reader,
                                               v1::IngestResponse* response) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.FeatureStore/IngestStream");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  v1::IngestRequest request;
  if (!reader->Read(&request)) {
    return ToGrpcStatus(absl::InvalidArgumentError("the ingest stream carried no message"));
  }
  absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> writer =
      StartIngest(store_, request, "IngestStream");
  if (!writer.ok()) return ToGrpcStatus(writer.status());
  std::vector<std::vector<std::string>> text;
  std::vector<std::vector<Value>> typed;
  const std::string source = request.source();
  IngestSummary counted;
  do {
    if (!request.source().empty() && request.source() != source) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("one ingest stream feeds one source: started with ", source, ", then got ",
                       request.source())));
    }
    absl::Status s = access_->CheckRows(RowCount(request), "ingest message");
    if (s.ok()) s = WriteRows(request, writer->get(), &text, &typed);
    CountIngested(metrics_, source, (*writer)->summary(), &counted);
    if (!s.ok()) {
      // Chunks before this one are committed; say how far the stream got.
      const IngestSummary& done = (*writer)->summary();
      return ToGrpcStatus(absl::Status(
          s.code(), absl::StrCat(s.message(), " (committed before the failure: ", done.accepted,
                                 " accepted, ", done.rejected, " rejected, ", done.duplicates,
                                 " duplicates)")));
    }
  } while (reader->Read(&request));
  ToProto((*writer)->summary(), response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::ListDeadLetters(grpc::ServerContext*,
                                                  const v1::ListDeadLettersRequest* request,
                                                  v1::ListDeadLettersResponse* response) {
  absl::StatusOr<DeadLetterPage> page =
      store_->ListDeadLetters(request->source(), request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpcStatus(page.status());
  ToProto(*page, response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::GetSourceQuality(grpc::ServerContext*,
                                                   const v1::GetSourceQualityRequest* request,
                                                   v1::GetSourceQualityResponse* response) {
  if (request->window_us() < 0 || request->bucket_us() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat(request->window_us() < 0 ? "window_us " : "bucket_us ",
                     request->window_us() < 0 ? request->window_us() : request->bucket_us(),
                     " must be positive (0 = the default)")));
  }
  const DurationUs window =
      request->window_us() == 0 ? kDefaultQualityWindow : request->window_us();
  const DurationUs bucket =
      request->bucket_us() == 0 ? kDefaultQualityBucket : request->bucket_us();
  absl::StatusOr<SourceQualityReport> report =
      store_->GetRecentSourceQuality(request->source(), window, bucket);
  if (!report.ok()) return ToGrpcStatus(report.status());
  ToProto(*report, response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::GetOnlineFeatures(grpc::ServerContext*,
                                                    const v1::GetOnlineFeaturesRequest* request,
                                                    v1::GetOnlineFeaturesResponse* response) {
  absl::StatusOr<FeatureSelector> selector = FromProto(request->selector());
  if (!selector.ok()) return ToGrpcStatus(selector.status());
  if (!request->snapshot().empty()) {
    return ToGrpcStatus(absl::UnimplementedError(
        "online reads at a snapshot are not implemented yet; omit snapshot"));
  }
  absl::StatusOr<OnlineFeatures> features =
      store_->GetOnlineFeatures(*selector, FromProto(request->entity()), request->at_us());
  if (!features.ok()) return ToGrpcStatus(features.status());
  ToProto(*features, response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::CreateSnapshot(grpc::ServerContext*,
                                                 const v1::CreateSnapshotRequest* request,
                                                 v1::Snapshot* response) {
  absl::StatusOr<Snapshot> snapshot = store_->CreateSnapshot(request->name());
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  ToProto(*snapshot, response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::ListSnapshots(grpc::ServerContext*,
                                                const v1::ListSnapshotsRequest*,
                                                v1::ListSnapshotsResponse* response) {
  absl::StatusOr<std::vector<Snapshot>> snapshots = store_->ListSnapshots();
  if (!snapshots.ok()) return ToGrpcStatus(snapshots.status());
  for (const Snapshot& s : *snapshots) ToProto(s, response->add_snapshots());
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::DeleteSnapshot(grpc::ServerContext*,
                                                 const v1::DeleteSnapshotRequest* request,
                                                 v1::DeleteSnapshotResponse*) {
  return ToGrpcStatus(store_->DeleteSnapshot(request->name()));
}

grpc::Status FeatureStoreService::GetHistoricalFeatures(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::GetHistoricalFeaturesResponse, v1::GetHistoricalFeaturesRequest>*
        stream) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.FeatureStore/GetHistoricalFeatures");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  v1::GetHistoricalFeaturesRequest request;
  if (!stream->Read(&request) || !request.has_header()) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("the first message must carry the header (selector, columns)"));
  }
  const v1::HistoricalHeader header = request.header();
  absl::StatusOr<FeatureSelector> selector = FromProto(header.selector());
  if (!selector.ok()) return ToGrpcStatus(selector.status());
  // The whole input is read before the join: every row's features depend
  // on one pass over the event log.
  EntityRows rows;
  rows.columns.assign(header.columns().begin(), header.columns().end());
  if (!header.timestamp_column().empty()) rows.timestamp_column = header.timestamp_column();
  do {
    if (absl::Status n = access_->CheckRows(request.rows_size(), "entity rows message"); !n.ok()) {
      return ToGrpcStatus(n);
    }
    for (const v1::Row& row : request.rows()) {
      std::vector<std::string>& cells = rows.rows.emplace_back();
      for (const v1::Value& v : row.values()) cells.push_back(ValueToText(FromProto(v)));
    }
  } while (stream->Read(&request));

  // CSV chunks stream as they are produced; the header (with the snapshot
  // name and columns) and the trailer (with the fingerprint) come last.
  v1::GetHistoricalFeaturesResponse response;
  auto sink = [&](absl::string_view csv) -> absl::Status {
    response.Clear();
    response.set_csv(std::string(csv));
    if (!stream->Write(response)) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  };
  absl::StatusOr<HistoricalResult> result = store_->GetHistoricalFeatures(
      *selector, rows, header.snapshot(), sink,
      header.read_latest() ? UnnamedReadPoint::kLatest : UnnamedReadPoint::kNewSnapshot);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response.Clear();
  response.mutable_header()->set_snapshot(result->snapshot);
  response.mutable_header()->set_high_water_mark(result->high_water_mark);
  for (const std::string& c : result->join.columns) response.mutable_header()->add_columns(c);
  response.mutable_trailer()->set_row_count(result->join.row_count);
  response.mutable_trailer()->set_dataset_fingerprint(result->join.fingerprint);
  stream->Write(response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::ExportFeatures(
    grpc::ServerContext* context, const v1::ExportFeaturesRequest* request,
    grpc::ServerWriter<v1::ExportFeaturesResponse>* writer) {
  absl::StatusOr<AccessControl::StreamSlot> slot =
      access_->AcquireStream(*context, "/fstore.v1.FeatureStore/ExportFeatures");
  if (!slot.ok()) return ToGrpcStatus(slot.status());
  absl::StatusOr<FeatureSelector> selector = FromProto(request->selector());
  if (!selector.ok()) return ToGrpcStatus(selector.status());
  v1::ExportFeaturesResponse response;
  auto sink = [&](absl::string_view csv) -> absl::Status {
    response.Clear();
    response.set_csv(std::string(csv));
    if (!writer->Write(response)) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  };
  absl::StatusOr<HistoricalResult> result = store_->ExportFeatures(
      *selector, request->at_us(), request->snapshot(), sink,
      request->read_latest() ? UnnamedReadPoint::kLatest : UnnamedReadPoint::kNewSnapshot);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response.Clear();
  response.set_snapshot(result->snapshot);
  response.set_high_water_mark(result->high_water_mark);
  for (const std::string& c : result->join.columns) response.add_columns(c);
  response.set_row_count(result->join.row_count);
  writer->Write(response);
  return grpc::Status::OK;
}

}  // namespace fstore
