#include "registry/model_registry.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "registry/feature_binding.h"
#include "registry/keys.h"
#include "registry/servable_artifact.h"
#include "spdlog/spdlog.h"
#include "storage/record_codec.h"
#include "storage/sha256.h"

namespace fstore {
namespace {

// ---------------------------------------------------------------------------
// Record values (keys: registry/keys.h). A value starts with a format byte;
// fields follow in a fixed order, written with storage/record_codec.h's
// RecordWriter (strings length-prefixed, int64 and double fixed-width).
// Aliases live in the model record; ModelVersion::aliases is derived.
// ---------------------------------------------------------------------------

constexpr char kFormatV1 = 1;

// A RecordWriter over a new value that opens with the format byte.
class RecordWriter : public codec::RecordWriter {
 public:
  RecordWriter() : codec::RecordWriter(&out_) { Format(kFormatV1); }
  std::string Finish() && { return std::move(out_); }

 private:
  std::string out_;
};

// A RecordReader that first checks the format byte.
class RecordReader : public codec::RecordReader {
 public:
  explicit RecordReader(absl::string_view in) : codec::RecordReader(in) { Format(kFormatV1); }
};

// The model record: the public RegisteredModel plus what the registry keeps
// with it.
struct ModelRecord {
  RegisteredModel model;
  std::map<std::string, int64_t> aliases;
  int64_t next_audit_sequence = 1;
};

std::string EncodeModel(const ModelRecord& r) {
  RecordWriter w;
  w.Str(r.model.name);
  w.Str(r.model.description);
  w.StrMap(r.model.tags);
  w.Int(r.model.created_at);
  w.Int(r.model.updated_at);
  w.Int(r.model.latest_version);
  w.DoubleMap(r.model.production_gate);
  w.List(r.aliases, [&w](const auto& kv) {
    w.Str(kv.first);
    w.Int(kv.second);
  });
  w.Int(r.next_audit_sequence);
  // Appended after the first release: records written before it end here.
  w.DoubleMap(r.model.production_gate_max);
  return std::move(w).Finish();
}

bool DecodeModel(absl::string_view value, ModelRecord* r) {
  RecordReader in(value);
  r->model.name = in.Str();
  r->model.description = in.Str();
  r->model.tags = in.StrMap();
  r->model.created_at = in.Int();
  r->model.updated_at = in.Int();
  r->model.latest_version = in.Int();
  r->model.production_gate = in.DoubleMap();
  for (int64_t i = 0, n = in.Count(); i < n; ++i) {
    std::string alias = in.Str();
    r->aliases[std::move(alias)] = in.Int();
  }
  r->next_audit_sequence = in.Int();
  if (!in.AtEnd()) r->model.production_gate_max = in.DoubleMap();
  return in.ok();
}

std::string EncodeVersion(const ModelVersion& v) {
  RecordWriter w;
  w.Str(v.model);
  w.Int(v.version);
  w.Int(static_cast<int64_t>(v.stage));
  w.Str(v.artifact_sha256);
  w.Int(v.artifact_size);
  w.Str(v.artifact_format);
  w.Str(v.binding.service);
  w.Str(v.binding.service_version);
  w.List(v.binding.feature_names, [&w](const std::string& f) { w.Str(f); });
  w.List(v.binding.request_fields, [&w](const RequestField& f) {
    w.Str(f.name);
    w.Str(std::string(ColumnTypeName(f.type)));
  });
  w.Str(v.training_snapshot);
  w.Str(v.dataset_fingerprint);
  w.StrMap(v.params);
  w.DoubleMap(v.metrics);
  w.List(v.feature_statistics, [&w](const FeatureStatistics& s) {
    w.Str(s.feature);
    w.Int(s.count);
    w.Int(s.missing);
    w.Double(s.mean);
    w.Double(s.stddev);
    w.Double(s.min);
    w.Double(s.max);
    w.List(s.bin_edges, [&w](double e) { w.Double(e); });
    w.List(s.bin_counts, [&w](int64_t c) { w.Int(c); });
  });
  w.List(v.risk_thresholds, [&w](const RiskThreshold& t) {
    w.Str(t.bucket);
    w.Double(t.min_score);
  });
  w.Str(v.description);
  w.Str(v.created_by);
  w.Int(v.created_at);
  w.Int(v.updated_at);
  return std::move(w).Finish();
}

bool DecodeVersion(absl::string_view value, ModelVersion* v) {
  RecordReader in(value);
  v->model = in.Str();
  v->version = in.Int();
  const int64_t stage = in.Int();
  if (stage < 0 || stage > static_cast<int64_t>(Stage::kArchived)) return false;
  v->stage = static_cast<Stage>(stage);
  v->artifact_sha256 = in.Str();
  v->artifact_size = in.Int();
  v->artifact_format = in.Str();
  v->binding.service = in.Str();
  v->binding.service_version = in.Str();
  for (int64_t i = 0, n = in.Count(); i < n; ++i) v->binding.feature_names.push_back(in.Str());
  for (int64_t i = 0, n = in.Count(); i < n; ++i) {
    RequestField f;
    f.name = in.Str();
    absl::StatusOr<ColumnType> type = ParseColumnType(in.Str());
    if (!type.ok()) return false;
    f.type = *type;
    v->binding.request_fields.push_back(std::move(f));
  }
  v->training_snapshot = in.Str();
  v->dataset_fingerprint = in.Str();
  v->params = in.StrMap();
  v->metrics = in.DoubleMap();
  for (int64_t i = 0, n = in.Count(); i < n; ++i) {
    FeatureStatistics s;
    s.feature = in.Str();
    s.count = in.Int();
    s.missing = in.Int();
    s.mean = in.Double();
    s.stddev = in.Double();
    s.min = in.Double();
    s.max = in.Double();
    for (int64_t j = 0, m = in.Count(); j < m; ++j) s.bin_edges.push_back(in.Double());
    for (int64_t j = 0, m = in.Count(); j < m; ++j) s.bin_counts.push_back(in.Int());
    v->feature_statistics.push_back(std::move(s));
  }
  for (int64_t i = 0, n = in.Count(); i < n; ++i) {
    RiskThreshold t;
    t.bucket = in.Str();
    t.min_score = in.Double();
    v->risk_thresholds.push_back(std::move(t));
  }
  v->description = in.Str();
  v->created_by = in.Str();
  v->created_at = in.Int();
  v->updated_at = in.Int();
  return in.ok();
}

std::string EncodeTransition(const Transition& t) {
  RecordWriter w;
  w.Str(t.model);
  w.Int(t.version);
  w.Str(t.kind);
  w.Str(t.alias);
  w.Str(t.from);
  w.Str(t.to);
  w.Str(t.actor);
  w.Str(t.comment);
  w.Int(t.at);
  return std::move(w).Finish();
}

bool DecodeTransition(absl::string_view value, Transition* t) {
  RecordReader in(value);
  t->model = in.Str();
  t->version = in.Int();
  t->kind = in.Str();
  t->alias = in.Str();
  t->from = in.Str();
  t->to = in.Str();
  t->actor = in.Str();
  t->comment = in.Str();
  t->at = in.Int();
  return in.ok();
}

// ---------------------------------------------------------------------------
// In-memory state: a copy-on-write mirror of kModels and kModelVersions.
// ---------------------------------------------------------------------------

struct ModelEntry {
  ModelRecord record;
  std::map<int64_t, ModelVersion> versions;  // live versions, aliases filled in
};

struct RegistryState {
  std::map<std::string, std::shared_ptr<const ModelEntry>> models;

  const ModelEntry* Find(absl::string_view name) const {
    auto it = models.find(std::string(name));
    return it == models.end() ? nullptr : it->second.get();
  }
};

// Recomputes ModelVersion::aliases from the model record.
void RefreshAliases(ModelEntry* entry) {
  for (auto& [number, version] : entry->versions) version.aliases.clear();
  for (const auto& [alias, number] : entry->record.aliases) {  // sorted by alias
    auto it = entry->versions.find(number);
    if (it != entry->versions.end()) it->second.aliases.push_back(alias);
  }
}

absl::Status ModelNotFound(absl::string_view model) {
  return absl::NotFoundError(absl::StrCat("model ", ShortenedValue(model), " not found"));
}

absl::Status VersionNotFound(const ModelEntry& entry, int64_t version) {
  const std::string& model = entry.record.model.name;
  if (version >= 1 && version <= entry.record.model.latest_version) {
    return absl::NotFoundError(
        absl::StrCat("version ", version, " of model ", model, " was deleted"));
  }
  return absl::NotFoundError(absl::StrCat("model ", model, " has no version ", version,
                                          " (latest is ", entry.record.model.latest_version, ")"));
}

absl::StatusOr<const ModelVersion*> FindVersion(const ModelEntry& entry, int64_t version) {
  auto it = entry.versions.find(version);
  if (it == entry.versions.end()) return VersionNotFound(entry, version);
  return &it->second;
}

absl::Status ValidateSha256(absl::string_view sha) {
  const bool hex = sha.size() == 64 && std::all_of(sha.begin(), sha.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (hex) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("artifact sha256 ", QuotedValue(sha), " is not 64 lower-case hex digits"));
}

// InvalidArgument when `value` (the `field`) is larger than `limit` bytes.
absl::Status CheckSize(absl::string_view field, absl::string_view value, size_t limit) {
  if (value.size() <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is ", value.size(),
                                                 " bytes, more than the limit of ", limit,
                                                 " bytes: ", QuotedValue(value)));
}

absl::Status ValidateBinding(const FeatureBinding& binding) {
  if (binding.service.empty()) {
    return absl::InvalidArgumentError("binding: the feature service name is empty");
  }
  const std::string where = absl::StrCat("binding to feature service ", binding.service);
  if (binding.feature_names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no feature names"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < binding.feature_names.size(); ++i) {
    const std::string& name = binding.feature_names[i];
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": feature name ", i, " is empty"));
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": feature ", name, " appears more than once"));
    }
  }
  std::set<std::string> fields;
  for (const RequestField& field : binding.request_fields) {
    if (!names.count(field.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": request field '", field.name,
          "' is not among the feature names (list every model input, in model column order)"));
    }
    if (!fields.insert(field.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": request field ", field.name, " appears more than once"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateVersionRequest(const CreateVersionRequest& request) {
  FSTORE_RETURN_IF_ERROR(ValidateRegistryName(request.model, "model name"));
  FSTORE_RETURN_IF_ERROR(
      CheckSize("the version's description", request.description, kMaxDescriptionBytes));
  FSTORE_RETURN_IF_ERROR(ValidateSha256(request.artifact_sha256));
  FSTORE_RETURN_IF_ERROR(ValidateBinding(request.binding));
  for (const auto& [metric, value] : request.metrics) {
    if (metric.empty()) return absl::InvalidArgumentError("a metric has an empty name");
    if (std::isnan(value)) {
      return absl::InvalidArgumentError(absl::StrCat("metric ", metric, " is NaN"));
    }
  }
  for (const FeatureStatistics& s : request.feature_statistics) {
    const bool bins_ok = (s.bin_edges.empty() && s.bin_counts.empty()) ||
                         s.bin_counts.size() + 1 == s.bin_edges.size();
    if (!bins_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature statistics of ", s.feature, ": ", s.bin_edges.size(),
                       " bin edges need ", s.bin_edges.empty() ? 0 : s.bin_edges.size() - 1,
                       " bin counts, got ", s.bin_counts.size()));
    }
    if (!std::is_sorted(s.bin_edges.begin(), s.bin_edges.end())) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature statistics of ", s.feature, ": bin edges are not ascending"));
    }
  }
  std::set<std::string> buckets;
  for (const RiskThreshold& t : request.risk_thresholds) {
    if (t.bucket.empty()) return absl::InvalidArgumentError("a risk bucket has an empty name");
    if (!buckets.insert(t.bucket).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("risk bucket ", t.bucket, " appears more than once"));
    }
    if (!std::isfinite(t.min_score)) {
      return absl::InvalidArgumentError(
          absl::StrCat("risk bucket ", t.bucket, ": min_score ", t.min_score, " is not finite"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTags(absl::string_view model, const std::map<std::string, std::string>& tags) {
  if (tags.size() > kMaxTags) {
    return absl::InvalidArgumentError(absl::StrCat("model ", ShortenedValue(model), " has ",
                                                   tags.size(), " tags, more than the limit of ",
                                                   kMaxTags));
  }
  for (const auto& [key, value] : tags) {
    FSTORE_RETURN_IF_ERROR(CheckSize("a tag key", key, kMaxTagKeyBytes));
    FSTORE_RETURN_IF_ERROR(CheckSize(absl::StrCat("tag ", ShortenedValue(key, 64), "'s value"),
                                     value, kMaxTagValueBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateGate(absl::string_view model, const std::map<std::string, double>& min,
                          const std::map<std::string, double>& max) {
  for (const auto* bounds : {&min, &max}) {
    const char* op = bounds == &min ? ">=" : "<=";
    for (const auto& [metric, bound] : *bounds) {
      if (metric.empty() || !std::isfinite(bound)) {
        return absl::InvalidArgumentError(
            absl::StrCat("model ", ShortenedValue(model), ": production gate bound '",
                         ShortenedValue(metric), "' ", op, " ", bound, " is invalid"));
      }
      FSTORE_RETURN_IF_ERROR(CheckSize("a gate's metric name", metric, kMaxTagKeyBytes));
    }
  }
  for (const auto& [metric, lowest] : min) {
    auto highest = max.find(metric);
    if (highest != max.end() && lowest > highest->second) {
      return absl::InvalidArgumentError(
          absl::StrCat("model ", ShortenedValue(model), ": production gate ", metric, ">=", lowest,
                       " and ", metric, "<=", highest->second, " can never both hold"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAliasName(absl::string_view alias) {
  FSTORE_RETURN_IF_ERROR(ValidateRegistryName(alias, "alias"));
  if (ParseStage(alias).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alias ", QuotedValue(alias), " is a stage name: MODEL@", alias, " would be ambiguous"));
  }
  return absl::OkStatus();
}

// Checks one promotion bound; `source` says where it came from.
absl::Status CheckRequirement(const ModelVersion& v, const MetricRequirement& r,
                              absl::string_view source) {
  const std::string subject =
      absl::StrCat("cannot promote ", v.model, ":", v.version, " to Production: ");
  auto it = v.metrics.find(r.metric);
  if (it == v.metrics.end()) {
    return absl::FailedPreconditionError(absl::StrCat(subject, "it has no metric ", r.metric,
                                                      ", and ", source, " requires ", r.metric,
                                                      r.at_most ? " <= " : " >= ", r.bound));
  }
  const double value = it->second;
  if (r.at_most ? !(value <= r.bound) : !(value >= r.bound)) {
    return absl::FailedPreconditionError(absl::StrCat(
        subject, "metric ", r.metric, " is ", value,
        r.at_most ? ", above the maximum " : ", below the minimum ", r.bound, " (", source, ")"));
  }
  return absl::OkStatus();
}

// The gate's bounds as requirements.
std::vector<MetricRequirement> GateRequirements(const RegisteredModel& model) {
  std::vector<MetricRequirement> out;
  for (const auto& [metric, min] : model.production_gate) out.push_back({metric, min, false});
  for (const auto& [metric, max] : model.production_gate_max) out.push_back({metric, max, true});
  return out;
}

}  // namespace

std::string GateText(const std::map<std::string, double>& min,
                     const std::map<std::string, double>& max) {
  std::map<std::string, std::vector<std::string>> bounds;  // by metric
  for (const auto& [metric, bound] : min)
    bounds[metric].push_back(absl::StrCat(metric, ">=", bound));
  for (const auto& [metric, bound] : max)
    bounds[metric].push_back(absl::StrCat(metric, "<=", bound));
  std::vector<std::string> parts;
  for (auto& [metric, texts] : bounds) {
    for (std::string& text : texts) parts.push_back(std::move(text));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

// ---------------------------------------------------------------------------
// Watch: subscribers and in-order delivery outside the registry's locks.
// ---------------------------------------------------------------------------

class WatchNotifier;

struct ModelRegistry::Subscription::State {
  WatchCallback callback;
  std::weak_ptr<WatchNotifier> notifier;
  std::atomic<bool> active{true};
  // The thread running the callback, if any (to let a callback cancel its
  // own subscription without waiting for itself).
  std::atomic<std::thread::id> calling_thread{};
  // Held while the callback runs, so that Cancel can wait for it.
  absl::Mutex call_mu;
};

using SubscriberState = ModelRegistry::Subscription::State;

// Queues committed changes and delivers them, one drainer at a time, in
// commit order. Changes are enqueued with the registry's write lock held (so
// queue order is commit order) and drained by the committing thread after it
// releases that lock. Each change goes to the subscribers present when it
// committed.
class WatchNotifier {
 public:
  struct Event {
    Transition transition;
    ModelVersion version;
    std::vector<std::shared_ptr<SubscriberState>> targets;
  };

  void Add(std::shared_ptr<SubscriberState> subscriber) {
    absl::MutexLock lock(&mu_);
    subscribers_.push_back(std::move(subscriber));
  }

  void Remove(const SubscriberState* subscriber) {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(
        std::remove_if(subscribers_.begin(), subscribers_.end(),
                       [subscriber](const auto& s) { return s.get() == subscriber; }),
        subscribers_.end());
  }

  void Enqueue(std::vector<std::pair<Transition, ModelVersion>> changes) {
    absl::MutexLock lock(&mu_);
    if (subscribers_.empty()) return;
    for (auto& [transition, version] : changes) {
      queue_.push_back(Event{std::move(transition), std::move(version), subscribers_});
    }
  }

  // Delivers queued events unless another thread is already doing so (it
  // will deliver ours too, after its own, in order).
  void Drain() {
    {
      absl::MutexLock lock(&mu_);
      if (draining_ || queue_.empty()) return;
      draining_ = true;
    }
    for (;;) {
      Event event;
      {
        absl::MutexLock lock(&mu_);
        if (queue_.empty()) {
          draining_ = false;
          return;
        }
        event = std::move(queue_.front());
        queue_.pop_front();
      }
      for (const std::shared_ptr<SubscriberState>& target : event.targets) {
        Deliver(*target, event.transition, event.version);
      }
    }
  }

 private:
  static void Deliver(SubscriberState& s, const Transition& t, const ModelVersion& v) {
    absl::MutexLock lock(&s.call_mu);
    if (!s.active.load()) return;
    s.calling_thread.store(std::this_thread::get_id());
    s.callback(t, v);
    s.calling_thread.store(std::thread::id());
  }

  absl::Mutex mu_;
  std::vector<std::shared_ptr<SubscriberState>> subscribers_ ABSL_GUARDED_BY(mu_);
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

ModelRegistry::Subscription& ModelRegistry::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}

void ModelRegistry::Subscription::Cancel() {
  std::shared_ptr<State> state = std::move(state_);
  if (state == nullptr) return;
  state->active.store(false);
  if (state->calling_thread.load() != std::this_thread::get_id()) {
    absl::MutexLock wait_for_running_callback(&state->call_mu);
  }
  if (auto notifier = state->notifier.lock()) notifier->Remove(state.get());
}

// ---------------------------------------------------------------------------
// The RocksDB-backed registry.
// ---------------------------------------------------------------------------

namespace {

class ModelRegistryImpl final : public ModelRegistry {
 public:
  ModelRegistryImpl(Database* db, Options options, std::shared_ptr<const RegistryState> state)
      : db_(db),
        options_(std::move(options)),
        notifier_(std::make_shared<WatchNotifier>()),
        state_(std::move(state)) {}

  absl::StatusOr<RegisteredModel> CreateModel(const RegisteredModel& model) override;
  absl::StatusOr<RegisteredModel> UpdateModel(const ModelUpdate& update) override;
  absl::StatusOr<RegisteredModel> GetModel(absl::string_view name) const override;
  std::vector<RegisteredModel> ListModels() const override;
  absl::StatusOr<std::string> PutArtifact(absl::string_view bytes) override;
  absl::StatusOr<std::string> GetArtifact(absl::string_view sha256) const override;
  absl::StatusOr<ModelVersion> CreateVersion(const CreateVersionRequest& request) override;
  absl::StatusOr<ModelVersion> GetVersion(absl::string_view model, int64_t version) const override;
  absl::StatusOr<std::vector<ModelVersion>> ListVersions(absl::string_view model) const override;
  absl::Status DeleteVersion(absl::string_view model, int64_t version,
                             absl::string_view actor) override;
  absl::StatusOr<ModelVersion> Resolve(const ModelRef& ref) const override;
  absl::StatusOr<std::shared_ptr<const ModelVersion>> ResolveShared(
      const ModelRef& ref) const override;
  absl::StatusOr<ModelVersion> TransitionStage(const StageTransitionRequest& request) override;
  absl::Status SetAlias(absl::string_view model, absl::string_view alias, int64_t version,
                        absl::string_view actor) override;
  absl::Status DeleteAlias(absl::string_view model, absl::string_view alias,
                           absl::string_view actor) override;
  absl::StatusOr<std::vector<Transition>> History(absl::string_view model) const override;
  absl::StatusOr<ModelStateAt> StateAt(absl::string_view model, TimestampUs at) const override;
  Subscription Subscribe(WatchCallback callback) override;

 private:
  // One change in the making: the model's next entry, the batch, and the
  // audited transitions (each with the version it concerns).
  struct Change {
    explicit Change(const Database& db) : batch(db) {}
    std::shared_ptr<ModelEntry> entry;
    WriteBatch batch;
    std::vector<std::pair<Transition, ModelVersion>> audited;
  };

  // The current state; never null. Held briefly.
  std::shared_ptr<const RegistryState> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return state_;
  }

  // A change to `model`'s current entry (or to a new, empty entry when
  // `model` is unknown and create_if_missing; else NotFound).
  absl::StatusOr<Change> BeginChange(absl::string_view model, bool create_if_missing,
                                     TimestampUs now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Audits `transition` (about `version`, as it will be after the change).
  void Audit(Change* change, Transition transition, const ModelVersion& version);
  // Writes the model record, the audit records and the batch in one write,
  // then publishes the entry and queues the transitions for watchers.
  absl::Status Commit(Change change, TimestampUs now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  absl::StatusOr<ModelVersion> CreateVersionLocked(const CreateVersionRequest& request,
                                                   int64_t artifact_size,
                                                   const std::string& artifact_format)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<ModelVersion> TransitionStageLocked(const StageTransitionRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<RegisteredModel> UpdateModelLocked(const ModelUpdate& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status DeleteVersionLocked(absl::string_view model, int64_t version,
                                   absl::string_view actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status SetAliasLocked(absl::string_view model, absl::string_view alias, int64_t version,
                              absl::string_view actor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status DeleteAliasLocked(absl::string_view model, absl::string_view alias,
                                 absl::string_view actor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Constant after construction.
  Database* const db_;
  const Options options_;
  const WriteOptions write_options_{.sync = options_.sync_writes};
  const std::shared_ptr<WatchNotifier> notifier_;

  // Serializes changes: held from reading the state a change starts from
  // through its RocksDB write and publication, so no two changes interleave
  // (and no two promotions both see "nothing in Production").
  absl::Mutex write_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  std::shared_ptr<const RegistryState> state_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<ModelRegistryImpl::Change> ModelRegistryImpl::BeginChange(absl::string_view model,
                                                                         bool create_if_missing,
                                                                         TimestampUs now) {
  Change change(*db_);
  const ModelEntry* current = Snapshot()->Find(model);
  if (current != nullptr) {
    change.entry = std::make_shared<ModelEntry>(*current);
  } else if (create_if_missing) {
    change.entry = std::make_shared<ModelEntry>();
    change.entry->record.model.name = std::string(model);
    change.entry->record.model.created_at = now;
  } else {
    return ModelNotFound(model);
  }
  return change;
}

void ModelRegistryImpl::Audit(Change* change, Transition transition, const ModelVersion& version) {
  change->audited.emplace_back(std::move(transition), version);
}

absl::Status ModelRegistryImpl::Commit(Change change, TimestampUs now) {
  ModelEntry& entry = *change.entry;
  const std::string& model = entry.record.model.name;
  for (auto& [transition, version] : change.audited) {
    transition.model = model;
    transition.at = now;
    change.batch.Put(ColumnFamily::kAudit,
                     registry_keys::Audit(model, entry.record.next_audit_sequence++),
                     EncodeTransition(transition));
  }
  entry.record.model.updated_at = now;
  change.batch.Put(ColumnFamily::kModels, model, EncodeModel(entry.record));
  FSTORE_RETURN_IF_ERROR(
      db_->Write(change.batch, absl::StrCat("writing registry model ", model), write_options_));

  auto next = std::make_shared<RegistryState>(*Snapshot());
  next->models[model] = std::move(change.entry);
  {
    absl::MutexLock lock(&mu_);
    state_ = std::move(next);
  }
  for (const auto& [transition, version] : change.audited) {
    spdlog::info("registry: {}:{} {} {}{}{} -> {} by {}", model, transition.version,
                 transition.kind, transition.alias, transition.alias.empty() ? "" : " ",
                 transition.from.empty() ? "-" : transition.from,
                 transition.to.empty() ? "-" : transition.to,
                 transition.actor.empty() ? "(unknown)" : transition.actor);
  }
  notifier_->Enqueue(std::move(change.audited));
  return absl::OkStatus();
}

// ---- Models ----

absl::StatusOr<RegisteredModel> ModelRegistryImpl::CreateModel(const RegisteredModel& model) {
  FSTORE_RETURN_IF_ERROR(ValidateRegistryName(model.name, "model name"));
  FSTORE_RETURN_IF_ERROR(
      CheckSize("the model's description", model.description, kMaxDescriptionBytes));
  FSTORE_RETURN_IF_ERROR(ValidateTags(model.name, model.tags));
  FSTORE_RETURN_IF_ERROR(
      ValidateGate(model.name, model.production_gate, model.production_gate_max));
  absl::MutexLock lock(&write_mu_);
  if (Snapshot()->Find(model.name) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("model ", model.name, " already exists"));
  }
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(model.name, true, now));
  RegisteredModel& created = change.entry->record.model;
  created.description = model.description;
  created.tags = model.tags;
  created.production_gate = model.production_gate;
  created.production_gate_max = model.production_gate_max;
  FSTORE_RETURN_IF_ERROR(Commit(std::move(change), now));
  return Snapshot()->Find(model.name)->record.model;
}

absl::StatusOr<RegisteredModel> ModelRegistryImpl::UpdateModel(const ModelUpdate& update) {
  if (!update.description.has_value() && !update.set_gate) {
    return absl::InvalidArgumentError(absl::StrCat("update of model ", ShortenedValue(update.model),
                                                   " changes nothing: set the description "
                                                   "or the gate"));
  }
  if (update.description.has_value()) {
    FSTORE_RETURN_IF_ERROR(
        CheckSize("the model's description", *update.description, kMaxDescriptionBytes));
  }
  if (update.set_gate) {
    FSTORE_RETURN_IF_ERROR(
        ValidateGate(update.model, update.production_gate, update.production_gate_max));
  }
  absl::StatusOr<RegisteredModel> updated;
  {
    absl::MutexLock lock(&write_mu_);
    updated = UpdateModelLocked(update);
  }
  notifier_->Drain();
  return updated;
}

absl::StatusOr<RegisteredModel> ModelRegistryImpl::UpdateModelLocked(const ModelUpdate& update) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(update.model, false, now));
  RegisteredModel& model = change.entry->record.model;
  std::vector<std::string> from;
  std::vector<std::string> to;
  if (update.set_gate && (model.production_gate != update.production_gate ||
                          model.production_gate_max != update.production_gate_max)) {
    from.push_back(
        absl::StrCat("gate: ", GateText(model.production_gate, model.production_gate_max)));
    to.push_back(
        absl::StrCat("gate: ", GateText(update.production_gate, update.production_gate_max)));
    model.production_gate = update.production_gate;
    model.production_gate_max = update.production_gate_max;
  }
  if (update.description.has_value() && model.description != *update.description) {
    from.push_back(absl::StrCat("description: ", ShortenedValue(model.description)));
    to.push_back(absl::StrCat("description: ", ShortenedValue(*update.description)));
    model.description = *update.description;
  }
  if (from.empty()) return model;
  Transition t;
  t.kind = std::string(kTransitionModelUpdated);
  t.from = absl::StrJoin(from, "; ");
  t.to = absl::StrJoin(to, "; ");
  t.actor = update.actor;
  ModelVersion concerned;
  concerned.model = model.name;
  Audit(&change, std::move(t), concerned);
  RegisteredModel result = model;
  FSTORE_RETURN_IF_ERROR(Commit(std::move(change), now));
  result.updated_at = now;
  return result;
}

absl::StatusOr<RegisteredModel> ModelRegistryImpl::GetModel(absl::string_view name) const {
  std::shared_ptr<const RegistryState> state = Snapshot();
  const ModelEntry* entry = state->Find(name);
  if (entry == nullptr) return ModelNotFound(name);
  return entry->record.model;
}

std::vector<RegisteredModel> ModelRegistryImpl::ListModels() const {
  std::shared_ptr<const RegistryState> state = Snapshot();
  std::vector<RegisteredModel> models;
  models.reserve(state->models.size());
  for (const auto& [name, entry] : state->models) models.push_back(entry->record.model);
  return models;
}

// ---- Artifacts ----

absl::StatusOr<std::string> ModelRegistryImpl::PutArtifact(absl::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("artifact is empty");
  if (static_cast<int64_t>(bytes.size()) > options_.max_artifact_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("artifact of ", bytes.size(),
                                                   " bytes is larger than the limit of ",
                                                   options_.max_artifact_bytes, " bytes"));
  }
  std::string sha = Sha256::Hex(bytes);
  // Content-addressed: an intact copy already stored means nothing to do; a
  // damaged one is replaced by these bytes, which hash to its key.
  absl::StatusOr<std::string> stored = GetArtifact(sha);
  if (stored.ok()) return sha;
  if (!absl::IsNotFound(stored.status()) && !absl::IsDataLoss(stored.status())) {
    return stored.status();
  }
  FSTORE_RETURN_IF_ERROR(db_->Put(ColumnFamily::kArtifacts, sha, bytes, write_options_));
  return sha;
}

absl::StatusOr<std::string> ModelRegistryImpl::GetArtifact(absl::string_view sha256) const {
  FSTORE_RETURN_IF_ERROR(ValidateSha256(sha256));
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          db_->Get(ColumnFamily::kArtifacts, sha256));
  if (!bytes.has_value()) {
    return absl::NotFoundError(absl::StrCat("artifact ", sha256, " not found"));
  }
  const std::string actual = Sha256::Hex(*bytes);
  if (actual != sha256) {
    return absl::DataLossError(absl::StrCat("artifact ", sha256, " is corrupt: its ", bytes->size(),
                                            " stored bytes hash to ", actual));
  }
  return std::move(*bytes);
}

// ---- Versions ----

absl::StatusOr<ModelVersion> ModelRegistryImpl::CreateVersion(const CreateVersionRequest& request) {
  FSTORE_RETURN_IF_ERROR(ValidateVersionRequest(request));
  // Artifacts are never deleted, so checking one before taking the write
  // lock is as good as checking it under the lock, and keeps XGBoost out of
  // the lock.
  FSTORE_ASSIGN_OR_RETURN(const std::string bytes, GetArtifact(request.artifact_sha256));
  const std::string short_sha = request.artifact_sha256.substr(0, 12);
  absl::StatusOr<ServableArtifact> artifact = CheckServableArtifact(bytes);
  if (!artifact.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact ", short_sha, " is refused: ", artifact.status().message()));
  }
  const size_t bound = request.binding.feature_names.size();
  if (artifact->num_features != static_cast<int64_t>(bound)) {
    return absl::FailedPreconditionError(
        absl::StrCat("artifact ", short_sha, " has ", artifact->num_features,
                     " features but feature service ", request.binding.service, " binds ", bound));
  }
  const std::vector<std::string>& names = artifact->feature_names;
  absl::Status names_match = CheckInputNames(names, request.binding);
  if (!names_match.ok()) {
    return absl::Status(names_match.code(),
                        absl::StrCat("artifact ", short_sha, ": ", names_match.message()));
  }
  const std::string& format = artifact->format;

  absl::StatusOr<ModelVersion> created;
  {
    absl::MutexLock lock(&write_mu_);
    created = CreateVersionLocked(request, static_cast<int64_t>(bytes.size()), format);
  }
  notifier_->Drain();
  if (created.ok() && names.empty()) {
    created->warnings.push_back(absl::StrCat(
        "artifact ", short_sha, " carries no feature names, so only its input count (", bound,
        ") could be checked against feature service ", request.binding.service,
        "; its inputs must be, in order: ", absl::StrJoin(request.binding.feature_names, ", ")));
  }
  return created;
}

absl::StatusOr<ModelVersion> ModelRegistryImpl::CreateVersionLocked(
    const CreateVersionRequest& request, int64_t artifact_size,
    const std::string& artifact_format) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(request.model, true, now));
  ModelEntry& entry = *change.entry;
  ModelVersion v;
  v.model = request.model;
  v.version = ++entry.record.model.latest_version;
  v.stage = Stage::kNone;
  v.artifact_sha256 = request.artifact_sha256;
  v.artifact_size = artifact_size;
  v.artifact_format = artifact_format;
  v.binding = request.binding;
  v.training_snapshot = request.training_snapshot;
  v.dataset_fingerprint = request.dataset_fingerprint;
  v.params = request.params;
  v.metrics = request.metrics;
  v.feature_statistics = request.feature_statistics;
  v.risk_thresholds = request.risk_thresholds;
  v.description = request.description;
  v.created_by = request.created_by;
  v.created_at = now;
  v.updated_at = now;
  change.batch.Put(ColumnFamily::kModelVersions, registry_keys::Version(v.model, v.version),
                   EncodeVersion(v));
  entry.versions[v.version] = v;
  Transition t;
  t.version = v.version;
  t.kind = std::string(kTransitionVersionCreated);
  t.to = std::string(StageName(Stage::kNone));
  t.actor = request.created_by;
  t.comment = request.description;
  Audit(&change, std::move(t), v);
  FSTORE_RETURN_IF_ERROR(Commit(std::move(change), now));
  return v;
}

absl::StatusOr<ModelVersion> ModelRegistryImpl::GetVersion(absl::string_view model,
                                                           int64_t version) const {
  std::shared_ptr<const RegistryState> state = Snapshot();
  const ModelEntry* entry = state->Find(model);
  if (entry == nullptr) return ModelNotFound(model);
  FSTORE_ASSIGN_OR_RETURN(const ModelVersion* v, FindVersion(*entry, version));
  return *v;
}

absl::StatusOr<std::vector<ModelVersion>> ModelRegistryImpl::ListVersions(
    absl::string_view model) const {
  std::shared_ptr<const RegistryState> state = Snapshot();
  const ModelEntry* entry = state->Find(model);
  if (entry == nullptr) return ModelNotFound(model);
  std::vector<ModelVersion> versions;
  versions.reserve(entry->versions.size());
  for (const auto& [number, v] : entry->versions) versions.push_back(v);
  return versions;
}

absl::Status ModelRegistryImpl::DeleteVersion(absl::string_view model, int64_t version,
                                              absl::string_view actor) {
  absl::Status deleted;
  {
    absl::MutexLock lock(&write_mu_);
    deleted = DeleteVersionLocked(model, version, actor);
  }
  notifier_->Drain();
  return deleted;
}

absl::Status ModelRegistryImpl::DeleteVersionLocked(absl::string_view model, int64_t version,
                                                    absl::string_view actor) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(model, false, now));
  ModelEntry& entry = *change.entry;
  FSTORE_ASSIGN_OR_RETURN(const ModelVersion* found, FindVersion(entry, version));
  const ModelVersion v = *found;
  if (v.stage == Stage::kProduction) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot delete ", model, ":", version,
        ": it is in Production; promote another version or move it to Archived first"));
  }
  if (!v.aliases.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot delete ", model, ":", version, ": ", v.aliases.size() == 1 ? "alias " : "aliases ",
        absl::StrJoin(v.aliases, ", "), v.aliases.size() == 1 ? " points" : " point",
        " at it; move or delete them first"));
  }
  change.batch.Delete(ColumnFamily::kModelVersions, registry_keys::Version(model, version));
  entry.versions.erase(version);
  Transition t;
  t.version = version;
  t.kind = std::string(kTransitionVersionDeleted);
  t.from = std::string(StageName(v.stage));
  t.actor = std::string(actor);
  Audit(&change, std::move(t), v);
  return Commit(std::move(change), now);
}

absl::StatusOr<ModelVersion> ModelRegistryImpl::Resolve(const ModelRef& ref) const {
  FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const ModelVersion> version, ResolveShared(ref));
  return *version;
}

absl::StatusOr<std::shared_ptr<const ModelVersion>> ModelRegistryImpl::ResolveShared(
    const ModelRef& ref) const {
  const std::shared_ptr<const RegistryState> state = Snapshot();
  auto model = state->models.find(ref.model);
  if (model == state->models.end()) {
    return absl::NotFoundError(absl::StrCat(ref.ToString(), ": model ", ref.model, " not found"));
  }
  const ModelEntry& entry = *model->second;
  // The version shares ownership of its (immutable) entry.
  auto shared = [&](const ModelVersion& version) {
    return std::shared_ptr<const ModelVersion>(model->second, &version);
  };
  switch (ref.kind) {
    case ModelRef::Kind::kVersion: {
      absl::StatusOr<const ModelVersion*> v = FindVersion(entry, ref.version);
      if (!v.ok()) {
        return absl::NotFoundError(absl::StrCat(ref.ToString(), ": ", v.status().message()));
      }
      return shared(**v);
    }
    case ModelRef::Kind::kStage:
      for (auto it = entry.versions.rbegin(); it != entry.versions.rend(); ++it) {
        if (it->second.stage == ref.stage) return shared(it->second);
      }
      return absl::NotFoundError(absl::StrCat(ref.ToString(), ": no version of model ", ref.model,
                                              " is in stage ", StageName(ref.stage)));
    case ModelRef::Kind::kAlias: {
      auto alias = entry.record.aliases.find(ref.alias);
      if (alias == entry.record.aliases.end()) {
        return absl::NotFoundError(
            absl::StrCat(ref.ToString(), ": model ", ref.model, " has no alias ", ref.alias));
      }
      absl::StatusOr<const ModelVersion*> v = FindVersion(entry, alias->second);
      if (!v.ok()) {
        return absl::NotFoundError(absl::StrCat(ref.ToString(), ": ", v.status().message()));
      }
      return shared(**v);
    }
  }
  return absl::InternalError(absl::StrCat(ref.ToString(), ": unknown reference kind"));
}

// ---- Stages ----

absl::StatusOr<ModelVersion> ModelRegistryImpl::TransitionStage(
    const StageTransitionRequest& request) {
  FSTORE_RETURN_IF_ERROR(CheckSize("the transition's comment", request.comment, kMaxCommentBytes));
  absl::StatusOr<ModelVersion> moved;
  {
    absl::MutexLock lock(&write_mu_);
    moved = TransitionStageLocked(request);
  }
  notifier_->Drain();
  return moved;
}

absl::StatusOr<ModelVersion> ModelRegistryImpl::TransitionStageLocked(
    const StageTransitionRequest& request) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(request.model, false, now));
  ModelEntry& entry = *change.entry;
  FSTORE_ASSIGN_OR_RETURN(const ModelVersion* found, FindVersion(entry, request.version));
  if (found->stage == request.stage) return *found;

  auto move_version = [&](ModelVersion& v, Stage to, std::string comment) {
    Transition t;
    t.version = v.version;
    t.kind = std::string(kTransitionStage);
    t.from = std::string(StageName(v.stage));
    t.to = std::string(StageName(to));
    t.actor = request.actor;
    t.comment = std::move(comment);
    v.stage = to;
    v.updated_at = now;
    change.batch.Put(ColumnFamily::kModelVersions, registry_keys::Version(v.model, v.version),
                     EncodeVersion(v));
    Audit(&change, std::move(t), v);
  };

  if (request.stage == Stage::kProduction) {
    for (const MetricRequirement& r : request.requirements) {
      FSTORE_RETURN_IF_ERROR(CheckRequirement(*found, r, "this promotion's requirement"));
    }
    for (const MetricRequirement& r : GateRequirements(entry.record.model)) {
      FSTORE_RETURN_IF_ERROR(
          CheckRequirement(*found, r, absl::StrCat("the promotion gate of model ", request.model)));
    }
    // Archive first, so that a replay of the history never shows two
    // versions in Production.
    for (auto& [number, other] : entry.versions) {
      if (number == request.version || other.stage != Stage::kProduction) continue;
      if (!request.archive_existing) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot promote ", request.model, ":", request.version, " to Production: version ",
            number, " is in Production; pass archive_existing to archive it"));
      }
      move_version(other, Stage::kArchived,
                   absl::StrCat("archived: version ", request.version, " promoted to Production"));
    }
  }
  ModelVersion& target = entry.versions.at(request.version);
  move_version(target, request.stage, request.comment);
  ModelVersion result = target;
  FSTORE_RETURN_IF_ERROR(Commit(std::move(change), now));
  return result;
}

// ---- Aliases ----

absl::Status ModelRegistryImpl::SetAlias(absl::string_view model, absl::string_view alias,
                                         int64_t version, absl::string_view actor) {
  FSTORE_RETURN_IF_ERROR(ValidateAliasName(alias));
  absl::Status set;
  {
    absl::MutexLock lock(&write_mu_);
    set = SetAliasLocked(model, alias, version, actor);
  }
  notifier_->Drain();
  return set;
}

absl::Status ModelRegistryImpl::SetAliasLocked(absl::string_view model, absl::string_view alias,
                                               int64_t version, absl::string_view actor) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(model, false, now));
  ModelEntry& entry = *change.entry;
  FSTORE_RETURN_IF_ERROR(FindVersion(entry, version).status());
  const std::string name(alias);
  auto it = entry.record.aliases.find(name);
  Transition t;
  t.version = version;
  t.kind = std::string(kTransitionAliasSet);
  t.alias = name;
  t.to = absl::StrCat(version);
  t.actor = std::string(actor);
  if (it != entry.record.aliases.end()) {
    if (it->second == version) return absl::OkStatus();
    t.from = absl::StrCat(it->second);
  }
  entry.record.aliases[name] = version;
  RefreshAliases(&entry);
  Audit(&change, std::move(t), entry.versions.at(version));
  return Commit(std::move(change), now);
}

absl::Status ModelRegistryImpl::DeleteAlias(absl::string_view model, absl::string_view alias,
                                            absl::string_view actor) {
  absl::Status deleted;
  {
    absl::MutexLock lock(&write_mu_);
    deleted = DeleteAliasLocked(model, alias, actor);
  }
  notifier_->Drain();
  return deleted;
}

absl::Status ModelRegistryImpl::DeleteAliasLocked(absl::string_view model, absl::string_view alias,
                                                  absl::string_view actor) {
  const TimestampUs now = options_.clock();
  FSTORE_ASSIGN_OR_RETURN(Change change, BeginChange(model, false, now));
  ModelEntry& entry = *change.entry;
  auto it = entry.record.aliases.find(std::string(alias));
  if (it == entry.record.aliases.end()) {
    return absl::NotFoundError(absl::StrCat("model ", model, " has no alias ", alias));
  }
  const int64_t version = it->second;
  entry.record.aliases.erase(it);
  RefreshAliases(&entry);
  Transition t;
  t.version = version;
  t.kind = std::string(kTransitionAliasDeleted);
  t.alias = std::string(alias);
  t.from = absl::StrCat(version);
  t.actor = std::string(actor);
  // Versions an alias points at cannot be deleted, so this one exists.
  Audit(&change, std::move(t), entry.versions.at(version));
  return Commit(std::move(change), now);
}

// ---- History ----

absl::StatusOr<std::vector<Transition>> ModelRegistryImpl::History(absl::string_view model) const {
  if (Snapshot()->Find(model) == nullptr) return ModelNotFound(model);
  const std::string prefix = registry_keys::ModelPrefix(model);
  Iterator it = db_->NewIterator(ColumnFamily::kAudit);
  std::vector<Transition> history;
  for (it.Seek(prefix); it.Valid() && absl::StartsWith(it.key(), prefix); it.Next()) {
    Transition t;
    if (!DecodeTransition(it.value(), &t)) {
      return absl::DataLossError(
          absl::StrCat("audit record ", history.size() + 1, " of model ", model, " is corrupt"));
    }
    history.push_back(std::move(t));
  }
  FSTORE_RETURN_IF_ERROR(it.status(absl::StrCat("reading the history of model ", model)));
  return history;
}

absl::StatusOr<ModelStateAt> ModelRegistryImpl::StateAt(absl::string_view model,
                                                        TimestampUs at) const {
  FSTORE_ASSIGN_OR_RETURN(const std::vector<Transition> history, History(model));
  ModelStateAt state;
  for (const Transition& t : history) {
    if (t.at > at) continue;
    if (t.kind == kTransitionVersionCreated) {
      state.version_stages[t.version] = Stage::kNone;
    } else if (t.kind == kTransitionStage) {
      FSTORE_ASSIGN_OR_RETURN(state.version_stages[t.version], ParseStage(t.to));
    } else if (t.kind == kTransitionVersionDeleted) {
      state.version_stages.erase(t.version);
    } else if (t.kind == kTransitionAliasSet) {
      state.aliases[t.alias] = t.version;
    } else if (t.kind == kTransitionAliasDeleted) {
      state.aliases.erase(t.alias);
    } else if (t.kind == kTransitionModelUpdated) {
      // Changes no stage or alias.
    } else {
      return absl::DataLossError(
          absl::StrCat("audit record of model ", model, " has the unknown kind '", t.kind, "'"));
    }
  }
  for (const auto& [version, stage] : state.version_stages) {  // ascending: highest wins
    state.stages[std::string(StageName(stage))] = version;
  }
  return state;
}

// ---- Watch ----

ModelRegistry::Subscription ModelRegistryImpl::Subscribe(WatchCallback callback) {
  auto state = std::make_shared<SubscriberState>();
  state->callback = std::move(callback);
  state->notifier = notifier_;
  notifier_->Add(state);
  return MakeSubscription(std::move(state));
}

// Reads every model and version record into a fresh state.
absl::StatusOr<std::shared_ptr<const RegistryState>> LoadState(Database* db) {
  std::map<std::string, std::shared_ptr<ModelEntry>> entries;
  {
    Iterator it = db->NewIterator(ColumnFamily::kModels);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      auto entry = std::make_shared<ModelEntry>();
      const std::string key(it.key());
      if (!DecodeModel(it.value(), &entry->record) || entry->record.model.name != key) {
        return absl::DataLossError(absl::StrCat("registry record of model ", key, " is corrupt"));
      }
      entries[key] = std::move(entry);
    }
    FSTORE_RETURN_IF_ERROR(it.status("reading registered models"));
  }
  int64_t version_count = 0;
  {
    Iterator it = db->NewIterator(ColumnFamily::kModelVersions);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      absl::string_view model;
      int64_t number = 0;
      const bool key_ok = registry_keys::DecodeVersion(it.key(), &model, &number);
      ModelVersion v;
      if (!key_ok || !DecodeVersion(it.value(), &v) || v.model != model || v.version != number) {
        return absl::DataLossError(absl::StrCat("registry record of model version ",
                                                key_ok ? std::string(model) : "?", ":", number,
                                                " is corrupt"));
      }
      auto entry = entries.find(v.model);
      if (entry == entries.end()) {
        return absl::DataLossError(
            absl::StrCat("model version ", v.model, ":", v.version, " has no model record"));
      }
      entry->second->versions[number] = std::move(v);
      ++version_count;
    }
    FSTORE_RETURN_IF_ERROR(it.status("reading model versions"));
  }
  auto state = std::make_shared<RegistryState>();
  for (auto& [name, entry] : entries) {
    RefreshAliases(entry.get());
    state->models[name] = std::move(entry);
  }
  spdlog::info("model registry: {} models, {} versions", state->models.size(), version_count);
  return std::shared_ptr<const RegistryState>(std::move(state));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(Database* db,
                                                                   const Options& options) {
  if (db == nullptr) return absl::InvalidArgumentError("ModelRegistry::Open: no database");
  if (!options.clock) return absl::InvalidArgumentError("ModelRegistry::Open: no clock");
  FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const RegistryState> state, LoadState(db));
  return std::unique_ptr<ModelRegistry>(new ModelRegistryImpl(db, options, std::move(state)));
}

}  // namespace fstore
