#include "server/feature_store_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"

namespace fstore {
namespace {

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

absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> StartIngest(
    FeatureStore* store, const v1::IngestRequest& first) {
  if (first.source().empty()) {
    return absl::InvalidArgumentError("the first ingest message must name the source");
  }
  if (first.columns_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the first ingest message for ", first.source(), " must name its columns"));
  }
  return store->StartIngest(first.source(),
                            std::vector<std::string>(first.columns().begin(), first.columns().end()));
}

}  // namespace

grpc::Status FeatureStoreService::ApplyDefinitions(grpc::ServerContext*,
                                                   const v1::ApplyDefinitionsRequest* request,
                                                   v1::ApplyDefinitionsResponse* response) {
  absl::StatusOr<ApplyResult> result =
      store_->Apply(request->content(), request->format(), request->dry_run());
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const DefinitionChange& c : result->changes) ToProto(c, response->add_changes());
  response->set_dry_run(result->dry_run);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::ListDefinitions(grpc::ServerContext*,
                                                  const v1::ListDefinitionsRequest* request,
                                                  v1::ListDefinitionsResponse* response) {
  const std::string& type = request->object_type();
  if (!type.empty() && type != "entity" && type != "source" && type != "feature_view" &&
      type != "feature_service") {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "unknown object type '", type,
        "': expected entity, source, feature_view or feature_service")));
  }
  Definitions all = store_->GetDefinitions();
  Definitions selected;
  auto keep = [&](absl::string_view t, const std::string& name) {
    return (type.empty() || type == t) && (request->name().empty() || request->name() == name);
  };
  for (const Entity& e : all.entities) {
    if (keep("entity", e.name)) selected.entities.push_back(e);
  }
  for (const Source& s : all.sources) {
    if (keep("source", s.name)) selected.sources.push_back(s);
  }
  for (const FeatureView& v : all.feature_views) {
    if (keep("feature_view", v.name)) selected.feature_views.push_back(v);
  }
  for (const FeatureService& s : all.feature_services) {
    if (keep("feature_service", s.name)) selected.feature_services.push_back(s);
  }
  // Entity columns of sources come from the views, which may be filtered out.
  ToProto(selected, response->mutable_definitions());
  if (!selected.sources.empty()) {
    v1::Definitions full;
    ToProto(all, &full);
    for (v1::Source& s : *response->mutable_definitions()->mutable_sources()) {
      for (const v1::Source& f : full.sources()) {
        if (f.name() == s.name()) *s.mutable_entity_columns() = f.entity_columns();
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::Ingest(grpc::ServerContext*, const v1::IngestRequest* request,
                                         v1::IngestResponse* response) {
  absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> writer =
      StartIngest(store_, *request);
  if (!writer.ok()) return ToGrpcStatus(writer.status());
  std::vector<std::vector<std::string>> text;
  std::vector<std::vector<Value>> typed;
  if (absl::Status s = WriteRows(*request, writer->get(), &text, &typed); !s.ok()) {
    return ToGrpcStatus(s);
  }
  ToProto((*writer)->summary(), response);
  return grpc::Status::OK;
}

grpc::Status FeatureStoreService::IngestStream(grpc::ServerContext*,
                                               grpc::ServerReader<v1::IngestRequest>* reader,
                                               v1::IngestResponse* response) {
  v1::IngestRequest request;
  if (!reader->Read(&request)) {
    return ToGrpcStatus(absl::InvalidArgumentError("the ingest stream carried no message"));
  }
  absl::StatusOr<std::unique_ptr<FeatureStore::IngestWriter>> writer =
      StartIngest(store_, request);
  if (!writer.ok()) return ToGrpcStatus(writer.status());
  std::vector<std::vector<std::string>> text;
  std::vector<std::vector<Value>> typed;
  const std::string source = request.source();
  do {
    if (!request.source().empty() && request.source() != source) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "one ingest stream feeds one source: started with ", source, ", then got ",
          request.source())));
    }
    if (absl::Status s = WriteRows(request, writer->get(), &text, &typed); !s.ok()) {
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

}  // namespace fstore
