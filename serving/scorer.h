// Scorer: scores one event with a registered model and the features the
// store holds for its entities (docs/design.md §4). For each request it
//   1. resolves the model reference (NAME@STAGE, NAME@ALIAS, NAME:VERSION)
//      against the registry's in-memory state, so a promotion or alias move
//      takes effect on the next request;
//   2. reads the online features of the version's binding (feature service
//      features, in order) as of `at` for the given join keys;
//   3. appends the request fields in binding order, checked against their
//      declared types;
//   4. evaluates the trees natively (TreeEnsemble) and, when asked, explains
//      the score (FAST path attribution or EXACT TreeSHAP).
//
// Model inputs are floats, converted by the one rule training uses too
// (featurestore/model_input.h): INT64, DOUBLE and BOOL values convert; a
// null feature (no data, or outside its window's TTL) is a missing value
// (NaN, XGBoost's default direction) and is listed in missing_features.
// STRING features are not numeric and are always missing, in training as
// here.
//
// Versions are loaded once (artifact verified by sha256, UBJSON converted to
// JSON, trees flattened, bound features prepared in the store, which
// resolves them again when definitions change) and cached by (model,
// version); concurrent requests share a loaded model without copying it,
// and resolving a reference copies nothing either (ModelRegistry::
// ResolveShared), so a request allocates little beyond its result. A version is loaded when first
// scored, or as soon as a stage or alias moves to it (a registry watch), so
// a promotion does not make the next request pay for the load. Deleted
// versions are dropped from the cache.
//
// Errors (absl::Status): InvalidArgument for a malformed ref, a missing,
// empty or blank join key, a missing request field, a request field the
// feature service does not declare (naming it and listing those it does), a
// field of the wrong type, a NaN or infinite field;
// NotFound for an unknown model, version, stage or alias; DataLoss when the
// stored artifact no longer matches its hash; FailedPrecondition when the
// bound features no longer exist in the store's definitions.
//
// Thread-safety: safe for concurrent use; Score never blocks on another
// Score except while a version is first loaded.
#ifndef FSTORE_SERVING_SCORER_H_
#define FSTORE_SERVING_SCORER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"
#include "featurestore/feature_store.h"
#include "featurestore/value.h"
#include "registry/model_registry.h"

namespace fstore {

enum class Explain { kNone, kFast, kExact };

struct ScoreRequest {
  std::string model_ref;
  std::map<std::string, std::string> entity;  // join key -> value
  std::map<std::string, Value> request_fields;
  Explain explain = Explain::kNone;
  TimestampUs at = 0;  // features as of this time; 0 = now
};

struct FeatureContribution {
  std::string feature;
  Value value;          // the input as scored (null when missing)
  double contribution;  // margin (log-odds) units
};

struct ScoreResult {
  double score = 0;  // after the objective's link: a probability
  std::string risk_bucket;
  std::string model;
  int64_t version = 0;
  // With an explanation: the top contributions by |contribution|, and the
  // bias (the expected margin) they add to.
  std::vector<FeatureContribution> contributions;
  double bias = 0;
  // Bound features that read as null, or whose entity has no event in the
  // view before `at` (their counts and sums still enter the model as 0,
  // exactly as training saw such rows).
  std::vector<std::string> missing_features;
  // The model inputs as scored (NaN = missing), in binding order.
  std::vector<float> inputs;
  TimestampUs at = 0;  // the time features were read as of
  // Which path read the features: the online state, or the stored events
  // for a time older than it keeps (FeatureStore::GetOnlineFeatures).
  ServedFrom served_from = ServedFrom::kOnlineState;
};

class Scorer {
 public:
  struct Options {
    // Contributions returned with an explanation. Default: 10.
    int top_contributions = 10;
  };

  // `registry` and `store` must outlive the scorer.
  static std::unique_ptr<Scorer> Create(ModelRegistry* registry, const FeatureStore* store,
                                        const Options& options);
  static std::unique_ptr<Scorer> Create(ModelRegistry* registry, const FeatureStore* store) {
    return Create(registry, store, Options());
  }
  virtual ~Scorer() = default;

  virtual absl::StatusOr<ScoreResult> Score(const ScoreRequest& request) const = 0;

  // The version a reference names now, loaded (for batch scoring, which
  // pins one version for a whole run).
  virtual absl::StatusOr<ModelVersion> ResolveVersion(absl::string_view model_ref) const = 0;
  // Scores with an exact version (ScoreRequest::model_ref is ignored).
  virtual absl::StatusOr<ScoreResult> ScoreVersion(const ModelVersion& version,
                                                   const ScoreRequest& request) const = 0;

  // Versions loaded now (for tests and metrics).
  virtual size_t CachedVersions() const = 0;

 protected:
  Scorer() = default;
};

// The bucket of `score`: the threshold with the highest min_score not above
// it; "" when there are no thresholds or the score is below all of them.
std::string RiskBucket(const std::vector<RiskThreshold>& thresholds, double score);

}  // namespace fstore

#endif  // FSTORE_SERVING_SCORER_H_
