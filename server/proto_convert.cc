#include "server/proto_convert.h"

#include "absl/status/status.h"

namespace fstore {

void ToProto(const Value& value, v1::Value* out) {
  switch (value.index()) {
    case 1:
      out->set_int64_value(std::get<int64_t>(value));
      break;
    case 2:
      out->set_double_value(std::get<double>(value));
      break;
    case 3:
      out->set_string_value(std::get<std::string>(value));
      break;
    case 4:
      out->set_bool_value(std::get<bool>(value));
      break;
    default:
      out->clear_kind();
  }
}

Value FromProto(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kInt64Value:
      return value.int64_value();
    case v1::Value::kDoubleValue:
      return value.double_value();
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kBoolValue:
      return value.bool_value();
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return std::monostate();
}

v1::ColumnType ToProto(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return v1::COLUMN_TYPE_INT64;
    case ColumnType::kDouble:
      return v1::COLUMN_TYPE_DOUBLE;
    case ColumnType::kString:
      return v1::COLUMN_TYPE_STRING;
    case ColumnType::kBool:
      return v1::COLUMN_TYPE_BOOL;
    case ColumnType::kTimestamp:
      return v1::COLUMN_TYPE_TIMESTAMP;
  }
  return v1::COLUMN_TYPE_UNSPECIFIED;
}

v1::AggregateFunction ToProto(AggregateFunction function) {
  switch (function) {
    case AggregateFunction::kCount:
      return v1::AGGREGATE_FUNCTION_COUNT;
    case AggregateFunction::kSum:
      return v1::AGGREGATE_FUNCTION_SUM;
    case AggregateFunction::kMean:
      return v1::AGGREGATE_FUNCTION_MEAN;
    case AggregateFunction::kMin:
      return v1::AGGREGATE_FUNCTION_MIN;
    case AggregateFunction::kMax:
      return v1::AGGREGATE_FUNCTION_MAX;
    case AggregateFunction::kDistinctCount:
      return v1::AGGREGATE_FUNCTION_DISTINCT_COUNT;
    case AggregateFunction::kLast:
      return v1::AGGREGATE_FUNCTION_LAST;
  }
  return v1::AGGREGATE_FUNCTION_UNSPECIFIED;
}

void ToProto(const Definitions& definitions, v1::Definitions* out) {
  ToProto(definitions, definitions, out);
}

void ToProto(const Definitions& definitions, const Definitions& all, v1::Definitions* out) {
  for (const Entity& e : definitions.entities) {
    v1::Entity* p = out->add_entities();
    p->set_name(e.name);
    p->set_join_key(e.join_key);
    p->set_description(e.description);
  }
  for (const Source& s : definitions.sources) {
    v1::Source* p = out->add_sources();
    p->set_name(s.name);
    p->set_timestamp_column(s.timestamp_column);
    p->set_event_id_column(s.event_id_column);
    p->set_description(s.description);
    for (const Column& c : s.columns) {
      v1::Column* pc = p->add_columns();
      pc->set_name(c.name);
      pc->set_type(ToProto(c.type));
      pc->set_nullable(c.nullable);
      if (c.min) pc->set_min(*c.min);
      if (c.max) pc->set_max(*c.max);
      for (const std::string& a : c.allowed) pc->add_allowed(a);
      pc->set_epoch_unit(c.epoch_unit);
    }
    for (const FeatureView& v : all.feature_views) {
      if (v.source != s.name) continue;
      for (const std::string& entity : v.entities) {
        if (const Entity* e = all.FindEntity(entity)) {
          bool seen = false;
          for (const std::string& k : p->entity_columns()) seen = seen || k == e->join_key;
          if (!seen) p->add_entity_columns(e->join_key);
        }
      }
    }
  }
  for (const FeatureView& v : definitions.feature_views) {
    v1::FeatureView* p = out->add_feature_views();
    p->set_name(v.name);
    p->set_source(v.source);
    p->set_description(v.description);
    for (const std::string& e : v.entities) p->add_entities(e);
    for (const Feature& f : v.features) {
      v1::Feature* pf = p->add_features();
      pf->set_name(f.name);
      pf->set_function(ToProto(f.function));
      pf->set_column(f.column);
      pf->set_window_us(f.window);
      pf->set_ttl_us(f.ttl);
      if (f.where) {
        pf->mutable_where()->set_column(f.where->column);
        pf->mutable_where()->set_equals(f.where->equals);
      }
    }
  }
  for (const FeatureService& s : definitions.feature_services) {
    v1::FeatureService* p = out->add_feature_services();
    p->set_name(s.name);
    p->set_description(s.description);
    p->set_version_hash(ContentHash(s));
    for (const std::string& f : s.features) p->add_features(f);
    for (const RequestField& r : s.request_fields) {
      v1::RequestField* pr = p->add_request_fields();
      pr->set_name(r.name);
      pr->set_type(ToProto(r.type));
    }
  }
}

void ToProto(const DefinitionChange& change, v1::DefinitionChange* out) {
  out->set_object_type(change.object_type);
  out->set_name(change.name);
  out->set_detail(change.detail);
  switch (change.kind) {
    case DefinitionChange::Kind::kCreated:
      out->set_kind(v1::DefinitionChange::CREATED);
      break;
    case DefinitionChange::Kind::kUpdated:
      out->set_kind(v1::DefinitionChange::UPDATED);
      break;
    case DefinitionChange::Kind::kUnchanged:
      out->set_kind(v1::DefinitionChange::UNCHANGED);
      break;
  }
}

void ToProto(const ApplyRecord& record, v1::ApplyRecord* out) {
  out->set_number(record.number);
  out->set_applied_at_us(record.applied_at);
  out->set_actor(record.actor);
  for (const DefinitionChange& c : record.changes) ToProto(c, out->add_changes());
}

void ToProto(const Rejection& rejection, v1::Rejection* out) {
  out->set_row_number(rejection.row_number);
  out->set_column(rejection.column);
  out->set_value(rejection.value);
  out->set_rule(rejection.rule);
  out->set_reason(rejection.reason);
}

void ToProto(const IngestSummary& summary, v1::IngestResponse* out) {
  out->set_accepted(summary.accepted);
  out->set_rejected(summary.rejected);
  out->set_duplicates(summary.duplicates);
  for (const Rejection& r : summary.rejections) ToProto(r, out->add_rejections());
  out->set_ingest_id(summary.ingest_id);
  for (const auto& [rule, rows] : summary.rejected_by_rule) {
    v1::SourceQualityCounts::RuleCount* count = out->add_rejected_by_rule();
    count->set_rule(rule);
    count->set_rows(rows);
  }
}

void ToProto(const DeadLetterPage& page, v1::ListDeadLettersResponse* out) {
  for (const DeadLetter& d : page.dead_letters) {
    v1::DeadLetter* p = out->add_dead_letters();
    p->set_source(d.source);
    ToProto(d.rejection, p->mutable_rejection());
    p->set_received_at_us(d.received_at);
    for (const std::string& raw : d.raw_values) p->add_raw_values(raw);
    p->set_ingest_id(d.ingest_id);
    p->set_origin(d.origin);
  }
  out->set_next_page_token(page.next_page_token);
  out->set_total(page.total);
}

void ToProto(const QualityCounts& counts, const std::vector<std::string>& columns,
             v1::SourceQualityCounts* out) {
  out->set_accepted(counts.accepted);
  out->set_rejected(counts.rejected);
  out->set_duplicates(counts.duplicates);
  for (const auto& [rule, rows] : counts.rejected_by_rule) {
    v1::SourceQualityCounts::RuleCount* r = out->add_rejected_by_rule();
    r->set_rule(rule);
    r->set_rows(rows);
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    v1::SourceQualityCounts::ColumnNulls* n = out->add_nulls();
    n->set_column(columns[c]);
    n->set_nulls(c < counts.nulls.size() ? counts.nulls[c] : 0);
  }
}

void ToProto(const SourceQualityReport& report, v1::GetSourceQualityResponse* out) {
  out->set_source(report.source);
  out->set_since_us(report.since);
  out->set_until_us(report.until);
  out->set_bucket_us(report.bucket);
  for (const SourceQualityBucket& b : report.buckets) {
    v1::SourceQualityBucket* p = out->add_buckets();
    p->set_start_us(b.start);
    ToProto(b.counts, report.columns, p->mutable_counts());
  }
  ToProto(report.total, report.columns, out->mutable_total());
}

void ToProto(const OnlineFeatures& features, v1::GetOnlineFeaturesResponse* out) {
  for (const NamedValue& f : features.features) {
    v1::FeatureValue* p = out->add_features();
    p->set_name(f.name);
    ToProto(f.value, p->mutable_value());
  }
  for (const ViewFreshness& f : features.freshness) {
    v1::ViewFreshness* p = out->add_freshness();
    p->set_feature_view(f.view);
    p->set_newest_event_us(f.newest_event);
  }
  out->set_at_us(features.at);
  out->set_served_from(std::string(ServedFromName(features.served_from)));
}

void ToProto(const Snapshot& snapshot, v1::Snapshot* out) {
  out->set_name(snapshot.name);
  out->set_created_at_us(snapshot.created_at);
  out->set_high_water_mark(snapshot.high_water_mark);
}

absl::StatusOr<FeatureSelector> FromProto(const v1::FeatureSelector& selector) {
  FeatureSelector out;
  switch (selector.target_case()) {
    case v1::FeatureSelector::kFeatureView:
      out.kind = FeatureSelector::Kind::kView;
      out.name = selector.feature_view();
      return out;
    case v1::FeatureSelector::kFeatureService:
      out.kind = FeatureSelector::Kind::kService;
      out.name = selector.feature_service();
      return out;
    case v1::FeatureSelector::kRefs:
      out.kind = FeatureSelector::Kind::kRefs;
      out.refs.assign(selector.refs().refs().begin(), selector.refs().refs().end());
      return out;
    case v1::FeatureSelector::TARGET_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "selector names no feature view, feature service or feature refs");
}

std::map<std::string, std::string> FromProto(const v1::EntityKey& key) {
  return std::map<std::string, std::string>(key.values().begin(), key.values().end());
}

}  // namespace fstore
