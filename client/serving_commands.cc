#include "client/serving_commands.h"

#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/csv_reader.h"
#include "client/file_io.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "featurestore/csv_writer.h"

namespace fstore::cli {

v1::Value ParseFieldValue(absl::string_view text) {
  v1::Value v;
  int64_t i = 0;
  double d = 0;
  if (text == "true" || text == "false") {
    v.set_bool_value(text == "true");
  } else if (absl::SimpleAtoi(text, &i)) {
    v.set_int64_value(i);
  } else if (absl::SimpleAtod(text, &d)) {
    v.set_double_value(d);
  } else {
    v.set_string_value(std::string(text));
  }
  return v;
}

absl::Status ScoreCommand(Invocation& inv) {
  v1::ScoreRequest request;
  request.set_model_ref(inv.operands[0]);
  for (const std::string& entity : inv.args.GetAll("entity")) {
    FSTORE_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(entity, "entity"));
    (*request.mutable_entity()->mutable_values())[kv.first] = kv.second;
  }
  for (const std::string& field : inv.args.GetAll("field")) {
    FSTORE_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(field, "field"));
    (*request.mutable_request_fields())[kv.first] = ParseFieldValue(kv.second);
  }
  FSTORE_ASSIGN_OR_RETURN(const std::optional<TimestampUs> at, TimeFlag(inv.args, "at"));
  if (at) request.set_at_us(*at);
  if (std::optional<std::string> explain = inv.args.Get("explain")) {
    if (*explain == "fast") {
      request.set_explain(v1::EXPLAIN_FAST);
    } else if (*explain == "exact") {
      request.set_explain(v1::EXPLAIN_EXACT);
    } else if (*explain != "none") {
      return UsageError(absl::StrCat("--explain '", *explain, "' must be fast, exact or none"));
    }
  }
  absl::StatusOr<v1::ScoreResponse> r =
      inv.client().Call(&v1::Serving::Stub::Score, request, "Score");
  if (!r.ok()) return r.status();
  if (inv.json()) {
    Json j;
    j["score"] = r->score();
    j["risk_bucket"] = r->risk_bucket();
    j["model"] = r->model();
    j["version"] = r->model_version();
    j["request_id"] = r->request_id();
    j["served_from"] = r->served_from();
    Json& missing_features_json = j["missing_features"] = Json::array();
    for (const std::string& f : r->missing_features()) missing_features_json.push_back(f);
    if (request.explain() != v1::EXPLAIN_UNSPECIFIED) {
      j["bias"] = r->bias();
      Json& contributions_json = j["contributions"] = Json::array();
      for (const v1::Contribution& c : r->contributions()) {
        Json contribution = Json::object();
        contribution["feature"] = c.feature();
        contribution["value"] = ValueJson(c.value());
        contribution["contribution"] = c.contribution();
        contributions_json.push_back(std::move(contribution));
      }
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  inv.out << "score    " << absl::StrFormat("%.6f", r->score());
  if (!r->risk_bucket().empty()) inv.out << "  (" << r->risk_bucket() << " risk)";
  inv.out << "\nmodel    " << r->model() << ":" << r->model_version() << "\n";
  // The id that `fsctl feedback` labels (a request_id,label file).
  if (!r->request_id().empty()) inv.out << "request  " << r->request_id() << "\n";
  inv.out << "features " << ServedFromText(r->served_from()) << "\n";
  if (r->missing_features_size() > 0) {
    inv.out << "missing  " << absl::StrJoin(r->missing_features(), ", ")
            << "\n         (no events for the entity in the window: counts and sums\n"
               "         enter the model as 0, values without data as missing,\n"
               "         exactly as in training)\n";
  }
  if (r->contributions_size() > 0) {
    inv.out << "\nwhy (log-odds contributions, bias " << absl::StrFormat("%+.4f", r->bias())
            << "):\n";
    std::vector<std::vector<std::string>> rows = {{"  FEATURE", "VALUE", "CONTRIBUTION"}};
    for (const v1::Contribution& c : r->contributions()) {
      rows.push_back({absl::StrCat("  ", c.feature()), ValueText(c.value()),
                      absl::StrFormat("%+.4f", c.contribution())});
    }
    PrintTable(inv.out, rows);
  }
  return absl::OkStatus();
}

namespace {

// Every record of the scores table passing the flags' filter.
absl::StatusOr<std::vector<v1::ScoreRecord>> ReadScores(Invocation& inv, int32_t limit) {
  v1::ListScoresRequest request;
  request.set_model(inv.args.Get("model").value_or(""));
  request.set_batch_id(inv.args.Get("batch").value_or(""));
  request.set_limit(limit);
  std::vector<v1::ScoreRecord> records;
  FSTORE_RETURN_IF_ERROR(inv.client().ListScores(request, [&](const v1::ListScoresResponse& page) {
    records.insert(records.end(), page.records().begin(), page.records().end());
    return absl::OkStatus();
  }));
  return records;
}

// Join-key names over every record, sorted.
std::vector<std::string> EntityKeys(const std::vector<v1::ScoreRecord>& records) {
  std::set<std::string> keys;
  for (const v1::ScoreRecord& r : records) {
    for (const auto& [k, v] : r.entity().values()) keys.insert(k);
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

std::string EntityCell(const v1::ScoreRecord& r, const std::string& key) {
  auto it = r.entity().values().find(key);
  return it == r.entity().values().end() ? "" : it->second;
}

}  // namespace

absl::Status BatchScoreCommand(Invocation& inv) {
  v1::BatchScoreRequest request;
  request.set_model_ref(inv.operands[0]);
  for (const std::string& field : inv.args.GetAll("field")) {
    FSTORE_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(field, "field"));
    (*request.mutable_request_fields())[kv.first] = ParseFieldValue(kv.second);
  }
  std::optional<std::string> entities = inv.args.Get("entities");
  std::optional<std::string> lookback = inv.args.Get("lookback");
  if (entities && lookback) {
    return UsageError("give --lookback or --entities, not both");
  }
  if (entities) {
    std::ifstream in(*entities, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", *entities));
    CsvReader reader(in);
    std::vector<std::string> header, cells;
    absl::Status error;
    if (!reader.Next(&header, &error) || !error.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(*entities, ": no header row"));
    }
    while (reader.Next(&cells, &error)) {
      if (!error.ok())
        return absl::InvalidArgumentError(absl::StrCat(*entities, ": ", error.message()));
      v1::EntityKey* key = request.add_entities();
      for (size_t i = 0; i < header.size() && i < cells.size(); ++i) {
        (*key->mutable_values())[header[i]] = cells[i];
      }
    }
    if (request.entities_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(*entities, " holds no entity rows"));
    }
  } else {
    absl::StatusOr<DurationUs> d = ParseDuration(lookback.value_or("1h"));
    if (!d.ok() || *d <= 0) {
      return UsageError(absl::StrCat("--lookback '", lookback.value_or(""),
                                     "' must be a positive duration such as 24h"));
    }
    request.set_lookback_us(*d);
  }
  absl::StatusOr<v1::BatchScoreResponse> r =
      inv.client().Call(&v1::Serving::Stub::BatchScore, request, "BatchScore");
  if (!r.ok()) return r.status();
  const std::map<std::string, int64_t> buckets(r->buckets().begin(), r->buckets().end());
  if (inv.json()) {
    Json j;
    j["scored"] = r->scored();
    j["model"] = r->model();
    j["version"] = r->model_version();
    j["batch_id"] = r->batch_id();
    j["scored_at"] = FormatIsoTime(r->scored_at_us());
    Json& buckets_json = j["buckets"] = Json::object();
    for (const auto& [bucket, n] : buckets) {
      buckets_json[bucket] = n;
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  inv.out << "scored " << r->scored() << " entities with " << r->model() << ":"
          << r->model_version() << " into batch " << r->batch_id() << "\n";
  for (const auto& [bucket, n] : buckets) {
    inv.out << "  " << (bucket.empty() ? "(no bucket)" : bucket) << ": " << n << "\n";
  }
  inv.out << "(fsctl scores export --batch " << r->batch_id() << " --out FILE.csv)\n";
  return absl::OkStatus();
}

absl::Status ScoresListCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::optional<int64_t> limit_flag,
                          IntFlag(inv.args, "limit", 0, 1 << 30));
  const int64_t limit = limit_flag.value_or(100);
  FSTORE_ASSIGN_OR_RETURN(const std::vector<v1::ScoreRecord> records,
                          ReadScores(inv, static_cast<int32_t>(limit)));
  const std::vector<std::string> keys = EntityKeys(records);
  if (inv.json()) {
    Json j;
    Json& scores_json = j["scores"] = Json::array();
    for (const v1::ScoreRecord& r : records) {
      Json score = Json::object();
      Json& entity_json = score["entity"] = Json::object();
      for (const std::string& k : keys) {
        if (r.entity().values().count(k) == 0) continue;
        entity_json[k] = EntityCell(r, k);
      }
      score["fraud_score"] = r.fraud_score();
      score["risk_bucket"] = r.risk_bucket();
      score["model"] = r.model();
      score["version"] = r.model_version();
      score["scored_at"] = FormatIsoTime(r.scored_at_us());
      score["batch_id"] = r.batch_id();
      scores_json.push_back(std::move(score));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  if (records.empty()) {
    inv.out << "no scores (fsctl batch-score MODELREF --lookback 24h)\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = keys;
  for (const char* h : {"FRAUD_SCORE", "RISK", "MODEL", "SCORED_AT", "BATCH"}) header.push_back(h);
  for (std::string& h : header) h = absl::AsciiStrToUpper(h);
  rows.push_back(header);
  for (const v1::ScoreRecord& r : records) {
    std::vector<std::string> row;
    for (const std::string& k : keys) row.push_back(EntityCell(r, k));
    row.push_back(absl::StrFormat("%.6f", r.fraud_score()));
    row.push_back(r.risk_bucket());
    row.push_back(absl::StrCat(r.model(), ":", r.model_version()));
    row.push_back(FormatIsoTime(r.scored_at_us()));
    row.push_back(r.batch_id());
    rows.push_back(std::move(row));
  }
  PrintTable(inv.out, rows);
  return absl::OkStatus();
}

absl::Status ScoresExportCommand(Invocation& inv) {
  const std::optional<std::string> out_path = inv.args.Get("out");
  if (!out_path) return UsageError("--out FILE.csv is required");
  FSTORE_ASSIGN_OR_RETURN(const std::vector<v1::ScoreRecord> records, ReadScores(inv, 0));
  const std::vector<std::string> keys = EntityKeys(records);
  std::vector<std::string> header = keys;
  for (const char* h :
       {"fraud_score", "risk_bucket", "model", "model_version", "scored_at", "batch_id"}) {
    header.push_back(h);
  }
  std::string csv;
  AppendCsvLine(&csv, header);
  std::vector<std::string> row;
  for (const v1::ScoreRecord& r : records) {
    row.clear();
    for (const std::string& k : keys) row.push_back(EntityCell(r, k));
    row.push_back(absl::StrFormat("%.17g", r.fraud_score()));
    row.push_back(r.risk_bucket());
    row.push_back(r.model());
    row.push_back(absl::StrCat(r.model_version()));
    row.push_back(FormatIsoTime(r.scored_at_us()));
    row.push_back(r.batch_id());
    AppendCsvLine(&csv, row);
  }
  AtomicFile out(*out_path);
  FSTORE_RETURN_IF_ERROR(out.Write(csv));
  FSTORE_RETURN_IF_ERROR(out.Commit());
  if (inv.json()) {
    Json j;
    j["out"] = *out_path;
    j["rows"] = static_cast<int64_t>(records.size());
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "wrote " << records.size() << " scores to " << *out_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace fstore::cli
