#include "serving/batch_scorer.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

constexpr size_t kChunk = 10000;

std::string EntityText(const std::map<std::string, std::string>& entity) {
  return absl::StrJoin(entity, ",", absl::PairFormatter("="));
}

}  // namespace

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
  for (size_t i = 0; i < spec.entities.size(); ++i) {
    request.entity = spec.entities[i];
    absl::StatusOr<ScoreResult> result = scorer.ScoreVersion(version, request);
    if (!result.ok()) {
      return absl::Status(
          result.status().code(),
          absl::StrCat("batch scoring stopped at entity ", EntityText(spec.entities[i]),
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
