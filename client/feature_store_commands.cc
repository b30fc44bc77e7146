#include "client/feature_store_commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/csv_reader.h"
#include "client/file_io.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "google/protobuf/util/json_util.h"

namespace fstore::cli {
namespace {

// Rows per streamed ingest message, and the most bytes of cells in one.
constexpr size_t kDefaultBatchRows = 1000;
constexpr size_t kBatchBytes = 1 << 20;

// "row", "column", "value", "rule", "reason" of a rejected row, added to `j`.
void AddRejectionFields(const v1::Rejection& r, Json* j) {
  (*j)["row"] = r.row_number();
  (*j)["column"] = r.column();
  (*j)["value"] = r.value();
  (*j)["rule"] = r.rule();
  (*j)["reason"] = r.reason();
}

Json SnapshotJson(const v1::Snapshot& s) {
  Json j;
  j["name"] = s.name();
  j["created_at"] = FormatIsoTime(s.created_at_us());
  j["high_water_mark"] = static_cast<int64_t>(s.high_water_mark());
  return j;
}

absl::string_view ChangeName(v1::DefinitionChange::Kind kind, bool dry_run) {
  switch (kind) {
    case v1::DefinitionChange::CREATED:
      return dry_run ? "would create" : "created";
    case v1::DefinitionChange::UPDATED:
      return dry_run ? "would update" : "updated";
    default:
      return "unchanged";
  }
}

// REF as a selector: "view:feature,..." refs, or the name of a feature
// service or view (the server is asked which).
absl::Status ResolveSelector(Invocation& inv, const std::string& ref,
                             v1::FeatureSelector* selector) {
  if (ref.find(':') != std::string::npos) {
    for (absl::string_view r : absl::StrSplit(ref, ',', absl::SkipEmpty())) {
      selector->mutable_refs()->add_refs(std::string(r));
    }
    return absl::OkStatus();
  }
  v1::ListDefinitionsRequest lookup;
  lookup.set_name(ref);
  absl::StatusOr<v1::ListDefinitionsResponse> found = inv.client().ListDefinitions(lookup);
  if (!found.ok()) return found.status();
  if (found->definitions().feature_services_size() > 0) {
    selector->set_feature_service(ref);
  } else if (found->definitions().feature_views_size() > 0) {
    selector->set_feature_view(ref);
  } else {
    return absl::NotFoundError(absl::StrCat(
        "'", ref, "' is neither a feature view nor a feature service (fsctl definitions list)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyCommand(Invocation& inv) {
  const std::string& path = inv.operands[0];
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) return content.status();
  v1::ApplyDefinitionsRequest request;
  request.set_content(*content);
  if (absl::EndsWith(path, ".json")) request.set_format("json");
  request.set_dry_run(inv.args.Has("dry-run"));
  absl::StatusOr<v1::ApplyDefinitionsResponse> response = inv.client().ApplyDefinitions(request);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(path, ": ", response.status().message()));
  }
  if (inv.json()) {
    Json j;
    j["dry_run"] = response->dry_run();
    Json& changes_json = j["changes"] = Json::array();
    for (const v1::DefinitionChange& c : response->changes()) {
      Json change = Json::object();
      change["type"] = c.object_type();
      change["name"] = c.name();
      change["change"] = v1::DefinitionChange::Kind_Name(c.kind());
      change["detail"] = c.detail();
      changes_json.push_back(std::move(change));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  int changed = 0;
  for (const v1::DefinitionChange& c : response->changes()) {
    rows.push_back({std::string(ChangeName(c.kind(), response->dry_run())), c.object_type(),
                    c.name(), c.detail()});
    if (c.kind() != v1::DefinitionChange::UNCHANGED) ++changed;
  }
  PrintTable(inv.out, rows);
  inv.out << (response->dry_run() ? "dry run: " : "") << changed << " of "
          << response->changes_size() << " definitions "
          << (response->dry_run() ? "would change" : "changed") << "\n";
  return absl::OkStatus();
}

absl::Status DefinitionsHistoryCommand(Invocation& inv) {
  v1::GetDefinitionsHistoryRequest request;
  FSTORE_ASSIGN_OR_RETURN(const std::optional<int64_t> limit,
                          IntFlag(inv.args, "limit", 1, 1 << 30));
  if (limit) request.set_limit(static_cast<int32_t>(*limit));
  absl::StatusOr<v1::GetDefinitionsHistoryResponse> history = inv.client().Call(
      &v1::FeatureStore::Stub::GetDefinitionsHistory, request, "GetDefinitionsHistory");
  if (!history.ok()) return history.status();
  auto kind = [](const v1::DefinitionChange& c) {
    return absl::AsciiStrToLower(v1::DefinitionChange::Kind_Name(c.kind()));
  };
  if (inv.json()) {
    Json j = Json::array();
    for (const v1::ApplyRecord& r : history->applies()) {
      Json record = Json::object();
      record["number"] = r.number();
      record["at"] = FormatIsoTime(r.applied_at_us());
      record["by"] = r.actor();
      Json& changes = record["changes"] = Json::array();
      for (const v1::DefinitionChange& c : r.changes()) {
        changes.push_back({{"type", c.object_type()},
                           {"name", c.name()},
                           {"change", kind(c)},
                           {"detail", c.detail()}});
      }
      j.push_back(std::move(record));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"APPLY", "AT", "BY", "CHANGE", "TYPE", "NAME"}};
  for (const v1::ApplyRecord& r : history->applies()) {
    for (const v1::DefinitionChange& c : r.changes()) {
      rows.push_back({absl::StrCat(r.number()), FormatIsoTime(r.applied_at_us()), r.actor(),
                      kind(c), c.object_type(), c.name()});
    }
  }
  PrintTable(inv.out, rows);
  return absl::OkStatus();
}

namespace {

// The definitions as --output=json prints them (proto field names).
std::string DefinitionsJson(const v1::Definitions& d) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  google::protobuf::util::MessageToJsonString(d, &json, options);
  return json;
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

template <typename Strings>
std::string Joined(const Strings& strings) {
  return strings.empty() ? "-" : absl::StrJoin(strings, ", ");
}

// The join keys of a view's entities, looked up in `all`.
std::vector<std::string> KeyColumns(const v1::FeatureView& v, const v1::Definitions& all) {
  std::vector<std::string> keys;
  for (const std::string& name : v.entities()) {
    std::string key = "?";
    for (const v1::Entity& e : all.entities()) {
      if (e.name() == name) key = e.join_key();
    }
    keys.push_back(key);
  }
  return keys;
}

// A view's windows, shortest first ("1h, 1d, 7d"), then its LAST features'
// TTLs ("last ttl 2d", or "last" without one).
std::string Windows(const v1::FeatureView& v) {
  std::set<int64_t> windows;
  std::set<int64_t> ttls;
  for (const v1::Feature& f : v.features()) {
    if (f.function() == v1::AGGREGATE_FUNCTION_LAST) {
      ttls.insert(f.ttl_us());
    } else {
      windows.insert(f.window_us());
    }
  }
  std::vector<std::string> parts;
  for (int64_t w : windows) parts.push_back(FormatDuration(w));
  for (int64_t t : ttls) parts.push_back(t == 0 ? "last" : "last ttl " + FormatDuration(t));
  return Joined(parts);
}

// One table per kind present in `d`, each under its title; `all` holds the
// entities that views name.
void PrintDefinitionTables(std::ostream& out, const v1::Definitions& d,
                           const v1::Definitions& all) {
  bool first = true;
  auto title = [&](absl::string_view text) {
    out << (first ? "" : "\n") << text << "\n";
    first = false;
  };
  if (d.entities_size() > 0) {
    title("ENTITIES");
    std::vector<std::vector<std::string>> rows = {{"NAME", "JOIN KEY", "DESCRIPTION"}};
    for (const v1::Entity& e : d.entities()) {
      rows.push_back({e.name(), e.join_key(), OrDash(e.description())});
    }
    PrintTable(out, rows);
  }
  if (d.sources_size() > 0) {
    title("SOURCES");
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "KEY COLUMNS", "TIMESTAMP", "EVENT ID", "COLUMNS", "DESCRIPTION"}};
    for (const v1::Source& s : d.sources()) {
      rows.push_back({s.name(), Joined(s.entity_columns()), s.timestamp_column(),
                      OrDash(s.event_id_column()), absl::StrCat(s.columns_size()),
                      OrDash(s.description())});
    }
    PrintTable(out, rows);
  }
  if (d.feature_views_size() > 0) {
    title("FEATURE VIEWS");
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "ENTITIES", "KEY COLUMNS", "SOURCE", "FEATURES", "WINDOWS"}};
    for (const v1::FeatureView& v : d.feature_views()) {
      rows.push_back({v.name(), Joined(v.entities()), Joined(KeyColumns(v, all)), v.source(),
                      absl::StrCat(v.features_size()), Windows(v)});
    }
    PrintTable(out, rows);
  }
  if (d.feature_services_size() > 0) {
    title("FEATURE SERVICES");
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "FEATURES", "VIEWS", "REQUEST FIELDS", "VERSION"}};
    for (const v1::FeatureService& s : d.feature_services()) {
      std::vector<std::string> views;  // in the order of first use
      for (const std::string& ref : s.features()) {
        const std::string view = ref.substr(0, ref.find(':'));
        if (std::find(views.begin(), views.end(), view) == views.end()) views.push_back(view);
      }
      std::vector<std::string> fields;
      for (const v1::RequestField& f : s.request_fields()) fields.push_back(f.name());
      rows.push_back({s.name(), absl::StrCat(s.features_size()), Joined(views), Joined(fields),
                      s.version_hash()});
    }
    PrintTable(out, rows);
  }
  if (first) out << "no definitions (fsctl apply FILE stores some)\n";
}

// Every name in `d`, of any kind.
std::vector<std::string> AllNames(const v1::Definitions& d) {
  std::vector<std::string> names;
  for (const v1::Entity& e : d.entities()) names.push_back(e.name());
  for (const v1::Source& s : d.sources()) names.push_back(s.name());
  for (const v1::FeatureView& v : d.feature_views()) names.push_back(v.name());
  for (const v1::FeatureService& s : d.feature_services()) names.push_back(s.name());
  return names;
}

}  // namespace

absl::Status DefinitionsListCommand(Invocation& inv) {
  v1::ListDefinitionsRequest request;
  if (!inv.operands.empty()) request.set_object_type(inv.operands[0]);
  request.set_include_yaml(inv.yaml());
  absl::StatusOr<v1::ListDefinitionsResponse> response = inv.client().ListDefinitions(request);
  if (!response.ok()) return response.status();
  const v1::Definitions& d = response->definitions();
  if (inv.json()) {
    inv.out << DefinitionsJson(d) << "\n";
    return absl::OkStatus();
  }
  if (inv.yaml()) {
    inv.out << response->yaml();
    return absl::OkStatus();
  }
  // A listing of one kind still names the join keys of views' entities.
  v1::Definitions all = d;
  if (!request.object_type().empty() && d.feature_views_size() > 0) {
    absl::StatusOr<v1::ListDefinitionsResponse> everything =
        inv.client().ListDefinitions(v1::ListDefinitionsRequest());
    if (!everything.ok()) return everything.status();
    all = everything->definitions();
  }
  PrintDefinitionTables(inv.out, d, all);
  return absl::OkStatus();
}

absl::Status DefinitionsShowCommand(Invocation& inv) {
  const std::string& name = inv.operands[0];
  v1::ListDefinitionsRequest request;
  request.set_name(name);
  request.set_include_yaml(true);
  absl::StatusOr<v1::ListDefinitionsResponse> response = inv.client().ListDefinitions(request);
  if (!response.ok()) return response.status();
  if (AllNames(response->definitions()).empty()) {
    absl::StatusOr<v1::ListDefinitionsResponse> everything =
        inv.client().ListDefinitions(v1::ListDefinitionsRequest());
    if (!everything.ok()) return everything.status();
    std::string message = absl::StrCat("no entity, source, feature view or feature service named ",
                                       QuotedValue(name));
    if (std::string near = NearestName(name, AllNames(everything->definitions())); !near.empty()) {
      absl::StrAppend(&message, "; did you mean '", near, "'?");
    } else {
      absl::StrAppend(&message, " (fsctl definitions list shows them)");
    }
    return absl::NotFoundError(message);
  }
  if (inv.json()) {
    inv.out << DefinitionsJson(response->definitions()) << "\n";
  } else {
    inv.out << response->yaml();
  }
  return absl::OkStatus();
}

void PrintIngestSummary(std::ostream& out, const std::string& source, const std::string& path,
                        int64_t rows_sent, const v1::IngestResponse& response, bool brief) {
  out << "ingest " << source << " from " << path << ": " << rows_sent << " rows, "
      << response.accepted() << " accepted, " << response.rejected() << " rejected, "
      << response.duplicates() << " duplicates";
  if (!response.ingest_id().empty()) out << " (" << response.ingest_id() << ")";
  out << "\n";
  if (response.rejected() == 0) return;
  std::vector<std::string> by_rule;
  for (const v1::SourceQualityCounts::RuleCount& c : response.rejected_by_rule()) {
    by_rule.push_back(absl::StrCat(c.rule(), " ", c.rows()));
  }
  if (!by_rule.empty()) out << "rejected by rule: " << absl::StrJoin(by_rule, ", ") << "\n";
  const int shown =
      brief ? std::min(kBriefRejectedRows, response.rejections_size()) : response.rejections_size();
  out << (shown < response.rejected() ? absl::StrCat("first ", shown, " of ") : "")
      << response.rejected() << " rejected rows (row = line in " << path << "):\n";
  for (int i = 0; i < shown; ++i) {
    const v1::Rejection& r = response.rejections(i);
    out << "  " << r.reason() << " [" << r.rule() << "]\n";
  }
  out << "all are kept: fsctl deadletters " << source;
  if (!response.ingest_id().empty()) out << " --ingest " << response.ingest_id();
  out << "\n";
}

absl::Status IngestCommand(Invocation& inv) {
  const std::string& source = inv.operands[0];
  const std::string& path = inv.operands[1];
  size_t batch_rows = kDefaultBatchRows;
  if (std::optional<std::string> b = inv.args.Get("batch-rows")) {
    if (!absl::SimpleAtoi(*b, &batch_rows) || batch_rows == 0 || batch_rows > 100000) {
      return UsageError(
          absl::StrCat("--batch-rows '", *b, "' must be a whole number from 1 to 100000"));
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  in.seekg(0, std::ios::end);
  const int64_t file_bytes = in.tellg();
  in.seekg(0);
  CsvReader reader(in);
  std::vector<std::string> header;
  absl::Status csv_error;
  if (!reader.Next(&header, &csv_error) || !csv_error.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no header row (", csv_error.ok() ? "empty file" : csv_error.message(), ")"));
  }
  std::unique_ptr<FstoreClient::IngestStream> stream = inv.client().StartIngestStream();
  v1::IngestRequest request;
  request.set_source(source);
  request.set_origin(path);
  for (const std::string& h : header) request.add_columns(h);

  const bool progress = !inv.json() && ::isatty(STDERR_FILENO);
  auto last_progress = std::chrono::steady_clock::now();
  int64_t rows_sent = 0;
  size_t bytes_in_batch = 0;
  bool stream_open = true;
  std::vector<std::string> cells;
  std::vector<std::string> malformed;
  int64_t expected_line = 0;
  auto flush = [&]() {
    if (request.text_rows_size() == 0 && request.columns_size() == 0) return;
    stream_open = stream_open && stream->Write(request);
    request.Clear();
    bytes_in_batch = 0;
  };
  while (stream_open && reader.Next(&cells, &csv_error)) {
    if (!csv_error.ok()) malformed.push_back(std::string(csv_error.message()));
    // Rows are numbered by their line in the file and the server counts on
    // from first_row_number, so a record that starts elsewhere than the line
    // after the previous one (a quoted cell spanned lines) starts a message.
    if (request.text_rows_size() > 0 && reader.record_line() != expected_line) flush();
    if (request.text_rows_size() == 0) request.set_first_row_number(reader.record_line());
    expected_line = reader.record_line() + 1;
    v1::TextRow* row = request.add_text_rows();
    for (std::string& c : cells) {
      bytes_in_batch += c.size();
      row->add_cells(std::move(c));
    }
    ++rows_sent;
    if (static_cast<size_t>(request.text_rows_size()) >= batch_rows ||
        bytes_in_batch >= kBatchBytes) {
      flush();
    }
    if (progress &&
        std::chrono::steady_clock::now() - last_progress > std::chrono::milliseconds(250)) {
      last_progress = std::chrono::steady_clock::now();
      inv.err << "\ringest " << source << ": " << rows_sent << " rows ("
              << (file_bytes > 0 ? 100 * reader.bytes_read() / file_bytes : 100) << "%)"
              << std::flush;
    }
  }
  if (stream_open) flush();
  if (progress) inv.err << "\r" << std::string(60, ' ') << "\r" << std::flush;
  absl::StatusOr<v1::IngestResponse> response = stream->Finish();
  if (!response.ok()) {
    return absl::Status(response.status().code(), absl::StrCat("ingest ", source, " from ", path,
                                                               ": ", response.status().message()));
  }
  if (inv.json()) {
    Json j;
    j["source"] = source;
    j["file"] = path;
    j["ingest_id"] = response->ingest_id();
    j["rows"] = rows_sent;
    j["accepted"] = response->accepted();
    j["rejected"] = response->rejected();
    j["duplicates"] = response->duplicates();
    Json& by_rule = j["rejected_by_rule"] = Json::object();
    for (const v1::SourceQualityCounts::RuleCount& c : response->rejected_by_rule()) {
      by_rule[c.rule()] = c.rows();
    }
    Json& rejections_json = j["rejections"] = Json::array();
    for (const v1::Rejection& r : response->rejections()) {
      Json rejection;
      AddRejectionFields(r, &rejection);
      rejections_json.push_back(std::move(rejection));
    }
    inv.out << JsonText(j) << "\n";
  } else {
    PrintIngestSummary(inv.out, source, path, rows_sent, *response,
                       /*brief=*/::isatty(STDOUT_FILENO) != 0);
  }
  for (const std::string& m : malformed) inv.err << "fsctl ingest: " << path << ": " << m << "\n";
  return absl::OkStatus();
}

absl::Status DeadLettersCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::optional<int64_t> limit_flag,
                          IntFlag(inv.args, "limit", 1, 1 << 30));
  const int limit = static_cast<int>(limit_flag.value_or(100));
  const std::optional<std::string> ingest = inv.args.Get("ingest");
  v1::ListDeadLettersRequest request;
  request.set_source(inv.operands[0]);
  request.set_page_size(ingest ? 1000 : std::min(limit, 1000));
  std::vector<v1::DeadLetter> letters;
  int64_t total = 0;
  while (static_cast<int>(letters.size()) < limit) {
    absl::StatusOr<v1::ListDeadLettersResponse> page = inv.client().ListDeadLetters(request);
    if (!page.ok()) return page.status();
    total = page->total();
    for (const v1::DeadLetter& d : page->dead_letters()) {
      if (ingest && d.ingest_id() != *ingest) continue;
      if (static_cast<int>(letters.size()) < limit) letters.push_back(d);
    }
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  if (inv.json()) {
    Json j;
    j["source"] = inv.operands[0];
    j["total"] = total;
    Json& dead_letters_json = j["dead_letters"] = Json::array();
    for (const v1::DeadLetter& d : letters) {
      Json letter;
      AddRejectionFields(d.rejection(), &letter);
      letter["received_at"] = FormatIsoTime(d.received_at_us());
      letter["ingest_id"] = d.ingest_id();
      letter["origin"] = d.origin();
      Json& raw_json = letter["raw"] = Json::array();
      for (const std::string& r : d.raw_values()) raw_json.push_back(r);
      dead_letters_json.push_back(std::move(letter));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"INGEST", "FROM", "ROW", "COLUMN", "RULE", "VALUE", "REASON"}};
  for (const v1::DeadLetter& d : letters) {
    const v1::Rejection& r = d.rejection();
    rows.push_back({OrDash(d.ingest_id()), OrDash(d.origin()), absl::StrCat(r.row_number()),
                    r.column(), r.rule(), r.value(), r.reason()});
  }
  PrintTable(inv.out, rows);
  if (ingest) {
    inv.out << letters.size() << " rejected rows of ingest " << *ingest << " (" << total << " of "
            << inv.operands[0] << " in all)\n";
  } else {
    inv.out << letters.size() << " of " << total << " rejected rows of " << inv.operands[0] << "\n";
  }
  return absl::OkStatus();
}

absl::Status FeaturesGetCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::optional<TimestampUs> at, TimeFlag(inv.args, "at"));
  v1::GetOnlineFeaturesRequest request;
  const std::vector<std::string> entities = inv.args.GetAll("entity");
  if (entities.empty()) {
    return UsageError("give the entity with --entity KEY=VALUE (e.g. --entity account_id=A-1)");
  }
  for (const std::string& e : entities) {
    absl::StatusOr<std::pair<std::string, std::string>> kv = ParseKeyValue(e, "entity");
    if (!kv.ok()) return kv.status();
    (*request.mutable_entity()->mutable_values())[kv->first] = kv->second;
  }
  if (absl::Status s = ResolveSelector(inv, inv.operands[0], request.mutable_selector()); !s.ok()) {
    return s;
  }
  if (at) request.set_at_us(*at);
  absl::StatusOr<v1::GetOnlineFeaturesResponse> response = inv.client().GetOnlineFeatures(request);
  if (!response.ok()) return response.status();
  if (inv.json()) {
    Json j;
    Json& features_json = j["features"] = Json::object();
    for (const v1::FeatureValue& f : response->features()) {
      features_json[f.name()] = ValueJson(f.value());
    }
    Json& freshness_json = j["freshness"] = Json::object();
    for (const v1::ViewFreshness& f : response->freshness()) {
      freshness_json[f.feature_view()] =
          f.newest_event_us() == 0 ? Json() : Json(FormatIsoTime(f.newest_event_us()));
    }
    j["at"] = FormatIsoTime(response->at_us());
    j["served_from"] = response->served_from();
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"FEATURE", "VALUE"}};
  for (const v1::FeatureValue& f : response->features())
    rows.push_back({f.name(), ValueText(f.value())});
  PrintTable(inv.out, rows);
  inv.out << "as of " << FormatIsoTime(response->at_us()) << ", "
          << ServedFromText(response->served_from()) << "\n";
  for (const v1::ViewFreshness& f : response->freshness()) {
    inv.out << "view " << f.feature_view() << ": "
            << (f.newest_event_us() == 0 ? std::string("no events for this entity")
                                         : "newest event " + FormatIsoTime(f.newest_event_us()))
            << "\n";
  }
  return absl::OkStatus();
}

absl::Status SnapshotCreateCommand(Invocation& inv) {
  v1::CreateSnapshotRequest request;
  if (!inv.operands.empty()) request.set_name(inv.operands[0]);
  absl::StatusOr<v1::Snapshot> s = inv.client().CreateSnapshot(request);
  if (!s.ok()) return s.status();
  if (inv.json()) {
    inv.out << JsonText(SnapshotJson(*s)) << "\n";
  } else {
    inv.out << "snapshot " << s->name() << " created: it sees the " << s->high_water_mark()
            << " events ingested before " << FormatIsoTime(s->created_at_us()) << "\n";
  }
  return absl::OkStatus();
}

absl::Status SnapshotListCommand(Invocation& inv) {
  absl::StatusOr<v1::ListSnapshotsResponse> r = inv.client().ListSnapshots({});
  if (!r.ok()) return r.status();
  if (inv.json()) {
    Json j = Json::array();
    for (const v1::Snapshot& s : r->snapshots()) j.push_back(SnapshotJson(s));
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "CREATED", "EVENTS"}};
  for (const v1::Snapshot& s : r->snapshots()) {
    rows.push_back({s.name(), FormatIsoTime(s.created_at_us()), absl::StrCat(s.high_water_mark())});
  }
  PrintTable(inv.out, rows);
  return absl::OkStatus();
}

absl::Status SnapshotDeleteCommand(Invocation& inv) {
  v1::DeleteSnapshotRequest request;
  request.set_name(inv.operands[0]);
  absl::StatusOr<v1::DeleteSnapshotResponse> r = inv.client().DeleteSnapshot(request);
  if (!r.ok()) return r.status();
  if (!inv.json()) inv.out << "snapshot " << inv.operands[0] << " deleted\n";
  return absl::OkStatus();
}

absl::Status ReadEntitiesFile(const std::string& path, v1::HistoricalHeader* header,
                              std::vector<std::vector<std::string>>* rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  CsvReader reader(in);
  std::vector<std::string> columns;
  absl::Status csv_error;
  if (!reader.Next(&columns, &csv_error) || !csv_error.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no header row"));
  }
  for (const std::string& c : columns) header->add_columns(c);
  std::vector<std::string> cells;
  while (reader.Next(&cells, &csv_error)) {
    if (!csv_error.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", csv_error.message()));
    }
    rows->push_back(cells);
  }
  return absl::OkStatus();
}

absl::Status DatasetBuildCommand(Invocation& inv) {
  const std::optional<std::string> service = inv.args.Get("service");
  const std::optional<std::string> refs = inv.args.Get("features");
  const std::optional<std::string> entities_path = inv.args.Get("entities");
  const std::optional<std::string> out_path = inv.args.Get("out");
  if (service.has_value() == refs.has_value()) {
    return UsageError("give exactly one of --service NAME or --features VIEW:FEATURE,...");
  }
  if (!entities_path || !out_path) {
    return UsageError("--entities FILE.csv and --out FILE.csv are required");
  }
  v1::HistoricalHeader header;
  if (service) {
    header.mutable_selector()->set_feature_service(*service);
  } else {
    for (absl::string_view r : absl::StrSplit(*refs, ',', absl::SkipEmpty())) {
      header.mutable_selector()->mutable_refs()->add_refs(std::string(r));
    }
  }
  header.set_timestamp_column(inv.args.Get("timestamp-column").value_or("ts"));
  if (std::optional<std::string> snapshot = inv.args.Get("snapshot")) {
    header.set_snapshot(*snapshot);
  } else {
    // Everything ingested so far, without leaving a snapshot behind.
    header.set_read_latest(true);
  }

  std::vector<std::vector<std::string>> rows;
  FSTORE_RETURN_IF_ERROR(ReadEntitiesFile(*entities_path, &header, &rows));
  AtomicFile out(*out_path);
  if (absl::Status s = out.status(); !s.ok()) return s;
  absl::StatusOr<v1::GetHistoricalFeaturesResponse> last = inv.client().GetHistoricalFeatures(
      header, rows, 1000, [&](const std::string& csv) { return out.Write(csv); });
  if (!last.ok()) {
    return absl::Status(last.status().code(), absl::StrCat(last.status().message(), " (", *out_path,
                                                           " was not written)"));
  }
  if (absl::Status s = out.Commit(); !s.ok()) return s;
  const auto& trailer = last->trailer();
  if (inv.json()) {
    Json j;
    j["out"] = *out_path;
    j["rows"] = trailer.row_count();
    j["snapshot"] = last->header().snapshot();
    j["high_water_mark"] = last->header().high_water_mark();
    j["dataset_fingerprint"] = trailer.dataset_fingerprint();
    Json& columns_json = j["columns"] = Json::array();
    for (const std::string& c : last->header().columns()) columns_json.push_back(c);
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "wrote " << trailer.row_count() << " rows x " << last->header().columns_size()
            << " columns to " << *out_path << "\n";
    if (header.snapshot().empty()) {
      inv.out << "read: the latest events (" << last->header().high_water_mark()
              << " ingested; no snapshot kept: to rebuild these bytes later, fsctl snapshot "
                 "create NAME first and pass --snapshot NAME)\n";
    } else {
      inv.out << "snapshot: " << last->header().snapshot() << "\n";
    }
    inv.out << "dataset fingerprint (sha256): " << trailer.dataset_fingerprint() << "\n";
  }
  return absl::OkStatus();
}

absl::Status ExportCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::optional<TimestampUs> at, TimeFlag(inv.args, "at"));
  const std::optional<std::string> out_path = inv.args.Get("out");
  if (!out_path) return UsageError("--out FILE.csv is required");
  v1::ExportFeaturesRequest request;
  if (absl::Status s = ResolveSelector(inv, inv.operands[0], request.mutable_selector()); !s.ok()) {
    return s;
  }
  if (at) request.set_at_us(*at);
  if (std::optional<std::string> snapshot = inv.args.Get("snapshot")) {
    request.set_snapshot(*snapshot);
  } else {
    // Everything ingested so far, without leaving a snapshot behind.
    request.set_read_latest(true);
  }
  AtomicFile out(*out_path);
  if (absl::Status s = out.status(); !s.ok()) return s;
  absl::StatusOr<v1::ExportFeaturesResponse> last =
      inv.client().ExportFeatures(request, [&](const std::string& csv) { return out.Write(csv); });
  if (!last.ok()) {
    return absl::Status(last.status().code(), absl::StrCat(last.status().message(), " (", *out_path,
                                                           " was not written)"));
  }
  if (absl::Status s = out.Commit(); !s.ok()) return s;
  if (inv.json()) {
    Json j;
    j["out"] = *out_path;
    j["rows"] = last->row_count();
    j["snapshot"] = last->snapshot();
    j["high_water_mark"] = last->high_water_mark();
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "exported " << last->row_count() << " entities to " << *out_path << " ("
            << (last->snapshot().empty()
                    ? absl::StrCat("the latest ", last->high_water_mark(), " events")
                    : "snapshot " + last->snapshot())
            << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace fstore::cli
