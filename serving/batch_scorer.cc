#include "serving/batch_scorer.h"

#include <algorithm>
#include <atomic>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

constexpr size_t kChunk = 10000;

std::string EntityText(const std::map<std::string, std::string>& entity) {
  return absl::StrJoin(entity, ",", absl::PairFormatter("="));
}

// `text` as a value of `type`, or nullopt when it does not parse.
std::optional<Value> ParseFieldText(ColumnType type, const std::string& text) {
  switch (type) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp: {
      int64_t i = 0;
      if (absl::SimpleAtoi(text, &i)) return Value(i);
      return std::nullopt;
    }
    case ColumnType::kDouble: {
      double d = 0;
      if (absl::SimpleAtod(text, &d)) return Value(d);
      return std::nullopt;
    }
    case ColumnType::kBool: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower == "true" || lower == "1") return Value(true);
      if (lower == "false" || lower == "0") return Value(false);
      return std::nullopt;
    }
    default:
      return Value(text);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::map<std::string, Value>>> SplitEntityColumns(
    const FeatureBinding& binding, const std::vector<std::string>& join_keys,
    std::vector<std::map<std::string, std::string>>* entities) {
  std::vector<std::map<std::string, Value>> fields(entities->size());
  for (size_t i = 0; i < entities->size(); ++i) {
    std::map<std::string, std::string>& entity = (*entities)[i];
    for (auto it = entity.begin(); it != entity.end();) {
      if (std::find(join_keys.begin(), join_keys.end(), it->first) != join_keys.end()) {
        ++it;
        continue;
      }
      auto field = std::find_if(binding.request_fields.begin(), binding.request_fields.end(),
                                [&](const RequestField& f) { return f.name == it->first; });
      if (field == binding.request_fields.end()) {
        std::vector<std::string> names;
        for (const RequestField& f : binding.request_fields) names.push_back(f.name);
        return absl::InvalidArgumentError(absl::StrCat(
            "column ", QuotedValue(it->first), " of the entities is neither a join key (",
            absl::StrJoin(join_keys, ", "), ") nor a request field (",
            names.empty() ? "none" : absl::StrJoin(names, ", "), ") of feature service ",
            binding.service));
      }
      if (!it->second.empty()) {
        std::optional<Value> value = ParseFieldText(field->type, it->second);
        if (!value.has_value()) {
          return absl::InvalidArgumentError(
              absl::StrCat("entity ", i + 1, ": request field ", field->name, " is ",
                           ColumnTypeName(field->type), ", got ", QuotedValue(it->second)));
        }
        fields[i].emplace(field->name, *std::move(value));
      }
      it = entity.erase(it);
    }
  }
  return fields;
}

absl::StatusOr<BatchScoreSummary> RunBatchScore(const Scorer& scorer, ScoreTable* table,
                                                const BatchScoreSpec& spec,
                                                const BatchProgress& progress) {
  const ModelVersion& version = spec.version;
  BatchScoreSummary summary;
  summary.model = version.model;
  summary.model_version = version.version;
  summary.scored_at = spec.at == 0 ? NowUs() : spec.at;
  // Unique per process and time: the scoring time and a counter.
  static std::atomic<int64_t> counter{0};
  summary.batch_id =
      absl::StrCat("batch-", FormatIsoTime(summary.scored_at), "-", counter.fetch_add(1));

  std::vector<ScoreRecord> records;
  records.reserve(spec.entities.size());
  ScoreRequest request;
  request.request_fields = spec.request_fields;
  request.at = summary.scored_at;
  const bool own_fields = !spec.entity_fields.empty();
  if (own_fields && spec.entity_fields.size() != spec.entities.size()) {
    return absl::InvalidArgumentError(absl::StrCat("request fields for ", spec.entity_fields.size(),
                                                   " entities but ", spec.entities.size(),
                                                   " entities"));
  }
  for (size_t i = 0; i < spec.entities.size(); ++i) {
    request.entity = spec.entities[i];
    if (own_fields) {
      request.request_fields = spec.request_fields;
      for (const auto& [name, value] : spec.entity_fields[i]) request.request_fields[name] = value;
    }
    absl::StatusOr<ScoreResult> result = scorer.ScoreVersion(version, request);
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("batch scoring stopped at entity ",
                                       ShortenedValue(EntityText(spec.entities[i])),
                                       " (nothing was written): ", result.status().message()));
    }
    if (spec.on_scored) spec.on_scored(request, *result, summary.batch_id);
    ScoreRecord& r = records.emplace_back();
    r.entity = spec.entities[i];
    r.fraud_score = result->score;
    r.risk_bucket = result->risk_bucket;
    r.model = version.model;
    r.model_version = version.version;
    r.scored_at = summary.scored_at;
    r.batch_id = summary.batch_id;
    ++summary.buckets[r.risk_bucket];
    if (progress && (i + 1) % kChunk == 0)
      progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(spec.entities.size()));
  }
  for (size_t at = 0; at < records.size(); at += kChunk) {
    const size_t n = std::min(kChunk, records.size() - at);
    const bool last = at + n == records.size();
    FSTORE_RETURN_IF_ERROR(table->Append(absl::MakeConstSpan(records).subspan(at, n),
                                         static_cast<int64_t>(at), /*sync=*/last));
  }
  summary.scored = static_cast<int64_t>(records.size());
  if (progress) progress(summary.scored, summary.scored);
  return summary;
}

}  // namespace fstore
