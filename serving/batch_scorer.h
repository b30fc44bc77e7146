// Batch scoring (docs/design.md §4): scores a list of entities with one model
// version, pinned for the whole run even if a promotion lands meanwhile, and
// writes fraud_score, risk_bucket, model version and time to the scores
// table under a new batch id.
//
// Each entity is scored with the batch's request fields, or its own where
// it gives them (SplitEntityColumns splits a listed entity's columns).
//
// Every entity is scored before anything is written, so a failure (a
// missing join key or request field) leaves no partial
// batch behind; the error names the entity.
#ifndef FSTORE_SERVING_BATCH_SCORER_H_
#define FSTORE_SERVING_BATCH_SCORER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "featurestore/value.h"
#include "serving/score_table.h"
#include "serving/scorer.h"

namespace fstore {

struct BatchScoreSpec {
  // The version, resolved once by the caller: pinned for the whole run.
  ModelVersion version;
  std::vector<std::map<std::string, std::string>> entities;  // join keys of each
  // Values of the model's request fields for every entity (a batch has no
  // triggering event) ...
  std::map<std::string, Value> request_fields;
  // ... unless the entity gives its own: empty, or one map per entity whose
  // fields replace those of `request_fields` for that entity.
  std::vector<std::map<std::string, Value>> entity_fields;
  TimestampUs at = 0;  // features as of; 0 = now
  // Called for each entity scored, with the batch id (e.g. to log it).
  std::function<void(const ScoreRequest&, const ScoreResult&, const std::string& batch_id)>
      on_scored;
};

struct BatchScoreSummary {
  int64_t scored = 0;
  std::string model;
  int64_t model_version = 0;
  TimestampUs scored_at = 0;
  std::string batch_id;
  // Entities per risk bucket.
  std::map<std::string, int64_t> buckets;
};

// The columns of listed entities (an entities file) split by the version's
// binding: a join key in `join_keys` stays an entity key; a request field of
// the binding becomes that entity's own request field (its text parsed as the
// field's declared type; an empty cell gives none, so the batch's default
// applies), returned one map per entity. InvalidArgument naming the column
// that is neither (and listing both kinds), or the entity (1-based), field
// and text that does not parse.
absl::StatusOr<std::vector<std::map<std::string, Value>>> SplitEntityColumns(
    const FeatureBinding& binding, const std::vector<std::string>& join_keys,
    std::vector<std::map<std::string, std::string>>* entities);

// Progress: entities scored so far, of the total.
using BatchProgress = std::function<void(int64_t done, int64_t total)>;

absl::StatusOr<BatchScoreSummary> RunBatchScore(const Scorer& scorer, ScoreTable* table,
                                                const BatchScoreSpec& spec,
                                                const BatchProgress& progress = {});

}  // namespace fstore

#endif  // FSTORE_SERVING_BATCH_SCORER_H_
