// ModelRegistry: registered models, their versions, stages and aliases, the
// artifacts (XGBoost model bytes) they point at, and the audit history of
// every change (docs/design.md §4), over the shared Database.
//
// Storage. Models live in ColumnFamily::kModels, versions in kModelVersions,
// artifact bytes in kArtifacts (keyed by the lower-case hex sha256 of the
// bytes) and one audit record per change in kAudit. Every change (version
// created or deleted, stage transition, alias set or deleted) is one
// WriteBatch holding the records it changes AND its audit records, so the
// history never disagrees with the state. Writes are acknowledged after the
// batch is in the WAL (fsynced unless Options::sync_writes is false).
//
// Versions are numbered 1, 2, ... per model. A number is never reused: the
// highest number ever assigned is persisted with the model, so deleting the
// newest version and creating another yields the next number.
//
// Stages: None -> Staging -> Production -> Archived; any transition is
// allowed, except that a deleted version is gone (NotFound). At most one
// version of a model is in Production at any time, including under
// concurrent promotions: promoting while another version is in Production
// requires archive_existing, which archives it in the same WriteBatch.
//
// Errors are values; messages name the model, version, alias, sha or metric
// at fault. Common codes: InvalidArgument (bad names, malformed requests or
// artifacts), NotFound (unknown model, version, alias, artifact, or a stage or
// alias that holds no version), AlreadyExists, FailedPrecondition (a state
// that forbids the change: deleting a Production version, a promotion gate,
// a feature-count mismatch), DataLoss (stored bytes that fail verification).
//
// Models and versions (not artifacts) are mirrored in memory, loaded on Open
// and updated after each commit, so GetModel, GetVersion, ListVersions and
// Resolve read no disk; GetArtifact and History read RocksDB.
//
// Thread-safety: a ModelRegistry is safe for concurrent use from multiple
// threads without external synchronization. Reads see a consistent state
// (each call sees every change committed before it, none half-applied) and
// never wait for a change being written. Changes are serialized.
#ifndef FSTORE_REGISTRY_MODEL_REGISTRY_H_
#define FSTORE_REGISTRY_MODEL_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "registry/model_ref.h"
#include "registry/stage.h"
#include "storage/database.h"

namespace fstore {

struct RegisteredModel {
  std::string name;  // ValidateRegistryName
  std::string description;
  std::map<std::string, std::string> tags;
  TimestampUs created_at = 0;
  // The last change to the model, its versions, stages or aliases.
  TimestampUs updated_at = 0;
  // The highest version number ever assigned (deleted versions included);
  // 0 before the first version. The next version is latest_version + 1.
  int64_t latest_version = 0;
  // Promotion gate, checked (with the request's own requirements) on every
  // transition to Production: metric name -> minimum value (the version's
  // metric must be >= it, e.g. auc), and metric name -> maximum value (<=,
  // for losses such as logloss).
  std::map<std::string, double> production_gate;
  std::map<std::string, double> production_gate_max;
};

// Size limits on what users write into the registry. A larger value is
// refused with InvalidArgument naming the field, the limit and the size,
// quoting at most a bounded prefix (common/quoted_value.h).
inline constexpr size_t kMaxDescriptionBytes = 16 << 10;  // model and version descriptions
inline constexpr size_t kMaxTags = 64;                    // tags of a model
inline constexpr size_t kMaxTagKeyBytes = 256;
inline constexpr size_t kMaxTagValueBytes = 4 << 10;
inline constexpr size_t kMaxCommentBytes = 4 << 10;  // the comment of a stage transition

// The signature of a model version: the feature service version it reads
// and the model's input columns in order.
struct FeatureBinding {
  std::string service;
  // The service's content version (ContentHash of its definition).
  std::string service_version;
  // Every model input in model column order: feature names and the request
  // fields, as the caller laid them out for training.
  std::vector<std::string> feature_names;
  // The request-time fields among feature_names.
  std::vector<RequestField> request_fields;
};

// Training-time distribution of one feature, for drift monitoring.
struct FeatureStatistics {
  std::string feature;
  int64_t count = 0;
  int64_t missing = 0;
  double mean = 0;
  double stddev = 0;
  double min = 0;
  double max = 0;
  std::vector<double> bin_edges;    // ascending; bin i is [edge i, edge i+1)
  std::vector<int64_t> bin_counts;  // bin_edges.size() - 1 entries (or both empty)
};

// The name of the FeatureStatistics entry that holds the distribution of the
// training predictions (out-of-fold scores): the baseline of prediction
// drift (serving/drift_report.h), written by training (training/
// model_trainer.h, PredictionBaseline).
inline constexpr absl::string_view kPredictionStatistics = "__prediction__";

// A score at or above min_score falls in `bucket` (the bucket with the
// highest min_score not above the score).
struct RiskThreshold {
  std::string bucket;
  double min_score = 0;
};

struct ModelVersion {
  std::string model;
  int64_t version = 0;
  Stage stage = Stage::kNone;
  std::vector<std::string> aliases;  // aliases pointing here, sorted
  std::string artifact_sha256;       // lower-case hex
  int64_t artifact_size = 0;
  std::string artifact_format;  // "json" | "ubjson"
  FeatureBinding binding;
  std::string training_snapshot;
  std::string dataset_fingerprint;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;  // "auc", "pr_auc", "logloss", "fold_0_auc", ...
  std::vector<FeatureStatistics> feature_statistics;
  std::vector<RiskThreshold> risk_thresholds;
  std::string description;
  std::string created_by;
  TimestampUs created_at = 0;
  TimestampUs updated_at = 0;  // the last stage change
  // Set only on what CreateVersion returns, never stored: what registration
  // noticed but accepted (an artifact without feature names).
  std::vector<std::string> warnings;
};

// One audited change. `kind` is one of the kTransition* names below.
//   version_created: from "", to "None"
//   stage:           from and to are stage names ("Staging" -> "Production")
//   alias_set:       alias set or moved; from is the version it pointed at
//                    ("" when new), to the version it points at now
//   alias_deleted:   from is the version it pointed at, to ""
//   version_deleted: from is the version's stage, to ""
//   model_updated:   the model's gate or description changed (version 0);
//                    from and to list the changed fields as they were and
//                    are, e.g. "gate: auc>=0.9" -> "gate: auc>=0.9,
//                    logloss<=0.3" (descriptions shortened to 200 bytes)
struct Transition {
  std::string model;
  int64_t version = 0;  // the version changed (for aliases: the one pointed at)
  std::string kind;
  std::string alias;  // alias_set / alias_deleted only
  std::string from;
  std::string to;
  std::string actor;
  std::string comment;
  TimestampUs at = 0;
};

inline constexpr absl::string_view kTransitionVersionCreated = "version_created";
inline constexpr absl::string_view kTransitionStage = "stage";
inline constexpr absl::string_view kTransitionAliasSet = "alias_set";
inline constexpr absl::string_view kTransitionAliasDeleted = "alias_deleted";
inline constexpr absl::string_view kTransitionVersionDeleted = "version_deleted";
inline constexpr absl::string_view kTransitionModelUpdated = "model_updated";

// A model's stages and aliases at a point in time (ModelRegistry::StateAt).
struct ModelStateAt {
  // Every version that existed then (created, not yet deleted): its stage.
  std::map<int64_t, Stage> version_stages;
  // Stage name -> the version MODEL@STAGE resolved to (the highest-numbered
  // version in the stage); stages holding no version are absent.
  std::map<std::string, int64_t> stages;
  // Alias -> version.
  std::map<std::string, int64_t> aliases;
};

struct CreateVersionRequest {
  // Created (with no description or tags) when it does not exist.
  std::string model;
  // A sha256 returned by PutArtifact.
  std::string artifact_sha256;
  FeatureBinding binding;
  std::string training_snapshot;
  std::string dataset_fingerprint;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  std::vector<FeatureStatistics> feature_statistics;
  std::vector<RiskThreshold> risk_thresholds;
  std::string description;
  std::string created_by;
};

// A metric bound a promotion must meet: metrics[metric] >= bound, or
// metrics[metric] <= bound when at_most.
struct MetricRequirement {
  std::string metric;
  double bound = 0;
  bool at_most = false;
};

// The text of a gate: "auc>=0.9, logloss<=0.3" (by metric; "none" when
// empty).
std::string GateText(const std::map<std::string, double>& min,
                     const std::map<std::string, double>& max);

// A change to a registered model (ModelRegistry::UpdateModel): the fields
// set are replaced.
struct ModelUpdate {
  std::string model;
  std::optional<std::string> description;
  // When set, the gate is replaced by these bounds (both empty: no gate).
  bool set_gate = false;
  std::map<std::string, double> production_gate;
  std::map<std::string, double> production_gate_max;
  std::string actor;
};

struct StageTransitionRequest {
  std::string model;
  int64_t version = 0;
  Stage stage = Stage::kNone;
  // With stage == Production: archive the version now in Production in the
  // same write. Ignored for other stages.
  bool archive_existing = false;
  std::string comment;
  // Checked, with the model's production_gate, when stage == Production.
  std::vector<MetricRequirement> requirements;
  std::string actor;
};

class ModelRegistry {
 public:
  struct Options {
    // The registry's clock: every created_at, updated_at and Transition::at.
    // Called with the registry's write lock held. Default: NowUs.
    std::function<TimestampUs()> clock = NowUs;
    // fsync the WAL on every registry write. Registry changes are rare and
    // a promotion must survive a power loss. Default: true.
    bool sync_writes = true;
    // The largest artifact PutArtifact accepts. Default: 1 GiB.
    int64_t max_artifact_bytes = int64_t{1} << 30;
  };

  // Loads models and versions (metadata only; artifacts stay on disk). `db`
  // must outlive the registry. DataLoss when a stored record does not decode.
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Open(Database* db, const Options& options);
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Open(Database* db) {
    return Open(db, Options());
  }

  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;
  virtual ~ModelRegistry() = default;

  // ---- Models ----

  // Registers `model` (name, description, tags, production_gate and
  // production_gate_max; the other fields are ignored and set by the
  // registry). InvalidArgument for a bad name, a gate bound that is not a
  // finite number (or a metric whose minimum exceeds its maximum), or a
  // description or tags over the size limits; AlreadyExists when the name
  // is taken.
  virtual absl::StatusOr<RegisteredModel> CreateModel(const RegisteredModel& model) = 0;
  // Replaces the description and/or the gate of an existing model and
  // audits the change (kTransitionModelUpdated, with update.actor) in the
  // same write; returns the model as updated. An update that changes
  // nothing writes and audits nothing. InvalidArgument when it sets neither
  // field, or for the values CreateModel refuses; NotFound for an unknown
  // model.
  virtual absl::StatusOr<RegisteredModel> UpdateModel(const ModelUpdate& update) = 0;
  // NotFound naming the model.
  virtual absl::StatusOr<RegisteredModel> GetModel(absl::string_view name) const = 0;
  // Every model, ordered by name.
  virtual std::vector<RegisteredModel> ListModels() const = 0;

  // ---- Artifacts ----

  // Stores `bytes` under their sha256 and returns it (64 lower-case hex
  // digits). Idempotent: storing the same bytes again stores nothing new.
  // The bytes are not checked here (CreateVersion does). InvalidArgument
  // when empty or larger than Options::max_artifact_bytes. Artifacts are
  // never deleted (versions may share them).
  virtual absl::StatusOr<std::string> PutArtifact(absl::string_view bytes) = 0;
  // The bytes stored under `sha256`, verified on every load: DataLoss naming
  // the sha when they no longer hash to it. NotFound when absent;
  // InvalidArgument when `sha256` is not 64 lower-case hex digits.
  virtual absl::StatusOr<std::string> GetArtifact(absl::string_view sha256) const = 0;

  // ---- Versions ----

  // Registers the next version of request.model (creating the model when
  // absent) in stage None, and audits it. Checks, before anything is
  // written:
  //   - names and the binding (non-empty, no duplicate feature names, every
  //     request field among feature_names), the description's size:
  //     InvalidArgument;
  //   - the artifact exists (NotFound) and is intact (DataLoss);
  //   - serving can run it and predicts as XGBoost does
  //     (registry/servable_artifact.h): InvalidArgument naming the reason
  //     ("artifact 3f2a... is refused: serving cannot run it: objective
  //     'count:poisson' is not supported ...");
  //   - the booster's feature count equals binding.feature_names.size():
  //     FailedPrecondition ("artifact ... has 12 features but feature
  //     service fraud_v1 binds 14");
  //   - when the booster carries feature names, they are the binding's in
  //     order (CheckInputNames): FailedPrecondition naming the first
  //     differing position. A booster without names is accepted with a
  //     warning in the returned version's `warnings`.
  virtual absl::StatusOr<ModelVersion> CreateVersion(const CreateVersionRequest& request) = 0;
  // NotFound naming the model and version (deleted versions included).
  virtual absl::StatusOr<ModelVersion> GetVersion(absl::string_view model,
                                                  int64_t version) const = 0;
  // The live versions of `model`, ordered by version. NotFound for an
  // unknown model.
  virtual absl::StatusOr<std::vector<ModelVersion>> ListVersions(absl::string_view model) const = 0;
  // Deletes a version (its number is never reused; its artifact stays).
  // FailedPrecondition when it is in Production or an alias points at it;
  // NotFound when absent.
  virtual absl::Status DeleteVersion(absl::string_view model, int64_t version,
                                     absl::string_view actor) = 0;

  // The version a reference names: NAME:VERSION, NAME@ALIAS, or NAME@STAGE
  // (the highest-numbered version in that stage; Production holds at most
  // one). NotFound naming the ref when the model, version, alias or stage
  // holds no version.
  virtual absl::StatusOr<ModelVersion> Resolve(const ModelRef& ref) const = 0;
  // Resolve without copying the version: the registry's own immutable
  // record, which the pointer keeps alive after later changes replace it
  // (it then describes the version as it was when resolved). Same errors as
  // Resolve. What serving calls on every request.
  virtual absl::StatusOr<std::shared_ptr<const ModelVersion>> ResolveShared(
      const ModelRef& ref) const = 0;

  // ---- Stages ----

  // Moves a version to request.stage and returns it as updated. Moving a
  // version to the stage it is in changes nothing and audits nothing. A
  // comment over kMaxCommentBytes is InvalidArgument. For stage ==
  // Production:
  //   - every requirement and every gate bound (production_gate and
  //     production_gate_max) must hold, else FailedPrecondition naming the
  //     metric, its value and the bound (a missing metric fails too);
  //   - when another version is in Production: with archive_existing it is
  //     moved to Archived in the same WriteBatch; without it,
  //     FailedPrecondition ("version 2 is in Production; pass
  //     archive_existing").
  // NotFound for an unknown model or a deleted or unknown version.
  virtual absl::StatusOr<ModelVersion> TransitionStage(const StageTransitionRequest& request) = 0;

  // ---- Aliases ----

  // Points `alias` at `version`, moving it when it points elsewhere. Alias
  // names follow ValidateRegistryName and may not be stage names
  // (InvalidArgument). NotFound for an unknown model or version. Setting an
  // alias to the version it already names changes nothing.
  virtual absl::Status SetAlias(absl::string_view model, absl::string_view alias, int64_t version,
                                absl::string_view actor) = 0;
  // NotFound when the model has no such alias.
  virtual absl::Status DeleteAlias(absl::string_view model, absl::string_view alias,
                                   absl::string_view actor) = 0;

  // ---- History ----

  // Every audited change of `model`, oldest (first committed) first.
  // NotFound for an unknown model; DataLoss for an undecodable record.
  virtual absl::StatusOr<std::vector<Transition>> History(absl::string_view model) const = 0;
  // The model's stages and aliases as of `at`: the audit history replayed
  // through every change with Transition::at <= at.
  virtual absl::StatusOr<ModelStateAt> StateAt(absl::string_view model, TimestampUs at) const = 0;

  // ---- Watch ----

  // Called once per audited change with the Transition and the version as
  // it is after the change (for version_deleted: as it was; for alias
  // changes: the version the transition names; for model_updated, which
  // concerns no version: a ModelVersion with only `model` set). Refused changes and changes
  // that change nothing are not delivered.
  using WatchCallback = std::function<void(const Transition&, const ModelVersion&)>;

  // A subscription to changes; destroying it (or Cancel) unsubscribes.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { Cancel(); }

    // Unsubscribes. When Cancel returns, the callback is not running (unless
    // Cancel is called from inside the callback itself) and will not be
    // called again. Safe to call more than once, and after the registry is
    // gone.
    void Cancel();

    struct State;  // implementation detail

   private:
    friend class ModelRegistry;
    explicit Subscription(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };

  // Delivers every change committed after Subscribe returns to `callback`,
  // in commit order, after the change is durable, on a thread that made a
  // change, with none of the registry's locks held (the callback may call
  // the registry, including to change it). When no other change is in
  // flight, a change's callbacks have run before the call that made it
  // returns. A callback must not throw, and must not block for long: it
  // delays later deliveries to every subscriber.
  [[nodiscard]] virtual Subscription Subscribe(WatchCallback callback) = 0;

 protected:
  ModelRegistry() = default;
  // For implementations: a Subscription owning `state`.
  static Subscription MakeSubscription(std::shared_ptr<Subscription::State> state) {
    return Subscription(std::move(state));
  }
};

}  // namespace fstore

#endif  // FSTORE_REGISTRY_MODEL_REGISTRY_H_
