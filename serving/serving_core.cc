#include "serving/serving_core.h"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "registry/feature_binding.h"
#include "registry/model_ref.h"

namespace fstore {
namespace {

constexpr DurationUs kDay = 86400 * kMicrosPerSecond;
constexpr DurationUs kDefaultDriftWindow = kDay;
constexpr DurationUs kDefaultLiveWindow = 30 * kDay;

// InvalidArgument when a window is negative.
absl::Status CheckWindow(DurationUs window) {
  if (window >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("window ", FormatDuration(window), " is negative"));
}

// [now - window, now) with `fallback` for 0.
absl::StatusOr<std::pair<TimestampUs, TimestampUs>> Window(DurationUs window, DurationUs fallback) {
  FSTORE_RETURN_IF_ERROR(CheckWindow(window));
  const TimestampUs until = NowUs();
  return std::make_pair(until - (window == 0 ? fallback : window), until);
}

// OK when the vectors logged for `version` still fit what a new version of
// its service would be bound to.
absl::Status CheckServiceUnchanged(const ModelVersion& version, const Definitions& definitions) {
  const FeatureBinding& binding = version.binding;
  const FeatureService* service = definitions.FindService(binding.service);
  if (service == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("feature service ", binding.service, " of ",
                                                      version.model, ":", version.version,
                                                      " no longer exists"));
  }
  const FeatureBinding current = BindFeatureService(*service);
  if (current.service_version != binding.service_version ||
      current.feature_names != binding.feature_names) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature service ", binding.service, " changed since ", version.model, ":", version.version,
        " was registered (version ", binding.service_version, ", now ", current.service_version,
        "): its logged vectors do not match the service's features; "
        "train from the store instead"));
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<ServingCore> ServingCore::Start(Database* db, const FeatureStore* store,
                                                ModelRegistry* registry, const Options& options) {
  return std::unique_ptr<ServingCore>(new ServingCore(db, store, registry, options));
}

ServingCore::ServingCore(Database* db, const FeatureStore* store, ModelRegistry* registry,
                         const Options& options)
    : store_(store),
      registry_(registry),
      scorer_(Scorer::Create(registry, store, options.scorer)),
      log_(ServingLog::Start(db, options.log)),
      feedback_(db, log_.get()),
      scores_(db),
      // Ids unique within this process run: its start time and a counter.
      run_(absl::StrCat(NowUs(), "-")) {}

ServingCore::~ServingCore() = default;

std::string ServingCore::NextRequestId() { return absl::StrCat(run_, next_request_.fetch_add(1)); }

namespace {

absl::Status CheckRequestId(absl::string_view request_id, absl::string_view where) {
  if (request_id.size() <= kMaxRequestIdBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, "request id is ", request_id.size(), " bytes, more than the limit of ",
                   kMaxRequestIdBytes, " bytes: ", QuotedValue(request_id)));
}

}  // namespace

absl::StatusOr<ServedScore> ServingCore::Score(ScoreRequest request, absl::string_view request_id) {
  FSTORE_RETURN_IF_ERROR(CheckRequestId(request_id, ""));
  absl::StatusOr<ScoreResult> result = scorer_->Score(request);
  if (!result.ok()) return result.status();
  ServedScore served;
  served.request_id = request_id.empty() ? NextRequestId() : std::string(request_id);
  log_->Append(ServedRequest{served.request_id, result->at, result->model, result->version,
                             std::move(request.entity), result->inputs, result->score});
  served.result = *std::move(result);
  return served;
}

absl::StatusOr<BatchScoreSummary> ServingCore::BatchScore(const BatchScoreRequest& request) {
  absl::StatusOr<ModelVersion> version = scorer_->ResolveVersion(request.model_ref);
  if (!version.ok()) return version.status();
  BatchScoreSpec spec;
  // Pinned: a promotion during the run does not mix versions in one batch.
  spec.version = *std::move(version);
  spec.at = NowUs();
  spec.request_fields = request.request_fields;
  spec.entities = request.entities;
  if (request.lookback > 0) {
    if (!spec.entities.empty()) {
      return absl::InvalidArgumentError(
          "give either a lookback window or a list of entities, not both");
    }
    absl::StatusOr<std::vector<std::string>> keys =
        JoinKeysOf(spec.version.binding, store_->GetDefinitions());
    if (!keys.ok()) return keys.status();
    absl::StatusOr<std::vector<std::map<std::string, std::string>>> active =
        store_->ActiveEntities(*keys, spec.at - request.lookback, spec.at);
    if (!active.ok()) return active.status();
    spec.entities = *std::move(active);
  } else if (spec.entities.empty()) {
    return absl::InvalidArgumentError(
        "batch scoring needs a lookback window (lookback_us > 0) or a list of entities");
  } else {
    // Listed entities may carry their own request fields.
    absl::StatusOr<std::vector<std::string>> keys =
        JoinKeysOf(spec.version.binding, store_->GetDefinitions());
    if (!keys.ok()) return keys.status();
    absl::StatusOr<std::vector<std::map<std::string, Value>>> fields =
        SplitEntityColumns(spec.version.binding, *keys, &spec.entities);
    if (!fields.ok()) return fields.status();
    spec.entity_fields = *std::move(fields);
  }
  spec.on_scored = [this](const ScoreRequest& scored, const ScoreResult& result,
                          const std::string& batch_id) {
    std::string id = batch_id;
    for (const auto& [key, value] : scored.entity) absl::StrAppend(&id, "/", value);
    log_->Append(ServedRequest{std::move(id), result.at, result.model, result.version,
                               scored.entity, result.inputs, result.score});
  };
  return RunBatchScore(*scorer_, &scores_, spec);
}

absl::Status ServingCore::ListScores(
    const ScoreTable::Filter& filter,
    const std::function<absl::Status(const ScoreRecord&)>& sink) const {
  return scores_.Scan(filter, sink);
}

absl::StatusOr<VersionDrift> ServingCore::Drift(absl::string_view model_ref, DurationUs window,
                                                int64_t min_serving_values) {
  FSTORE_ASSIGN_OR_RETURN(const auto span, Window(window, kDefaultDriftWindow));
  DriftThresholds thresholds;
  if (min_serving_values != 0) thresholds.min_serving_values = min_serving_values;
  VersionDrift drift;
  FSTORE_ASSIGN_OR_RETURN(drift.version, scorer_->ResolveVersion(model_ref));
  // Everything served so far is in the log before the report reads it.
  FSTORE_RETURN_IF_ERROR(log_->Flush());
  FSTORE_ASSIGN_OR_RETURN(
      drift.report, ComputeDriftReport(*log_, drift.version, span.first, span.second, thresholds));
  return drift;
}

absl::StatusOr<FeedbackResult> ServingCore::Feedback(absl::Span<const FeedbackLabel> labels,
                                                     const FeedbackStore::RecordOptions& options) {
  if (labels.empty()) return absl::InvalidArgumentError("the feedback stream held no labels");
  for (const FeedbackLabel& label : labels) {
    FSTORE_RETURN_IF_ERROR(CheckRequestId(label.request_id, absl::StrCat("row ", label.row, ": ")));
  }
  FeedbackResult result;
  FSTORE_ASSIGN_OR_RETURN(result.summary, feedback_.Record(labels, options));
  for (const auto& [model, number] : result.summary.versions) {
    absl::StatusOr<ModelVersion> version = registry_->GetVersion(model, number);
    if (!version.ok()) continue;  // deleted since it served: its labels stay
    FSTORE_ASSIGN_OR_RETURN(
        LiveMetrics live,
        ComputeLiveMetrics(feedback_, *version, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max()));
    result.live.push_back(std::move(live));
  }
  return result;
}

absl::StatusOr<VersionLiveMetrics> ServingCore::LiveMetricsOf(absl::string_view model_ref,
                                                              DurationUs window) const {
  FSTORE_ASSIGN_OR_RETURN(const auto span, Window(window, kDefaultLiveWindow));
  VersionLiveMetrics live;
  FSTORE_ASSIGN_OR_RETURN(live.version, scorer_->ResolveVersion(model_ref));
  FSTORE_ASSIGN_OR_RETURN(live.metrics,
                          ComputeLiveMetrics(feedback_, live.version, span.first, span.second));
  return live;
}

absl::Status ServingCore::ExportLabelled(
    absl::string_view model_ref, DurationUs window,
    const std::function<absl::Status(const LabelledExportHeader&)>& on_header,
    const std::function<absl::Status(const LabelledRequest&)>& on_row) const {
  FSTORE_RETURN_IF_ERROR(CheckWindow(window));
  FSTORE_ASSIGN_OR_RETURN(const ModelVersion version, scorer_->ResolveVersion(model_ref));
  // A new version binds the service as defined now: only if that is what the
  // logged vectors were built from do they fit it.
  FSTORE_RETURN_IF_ERROR(CheckServiceUnchanged(version, store_->GetDefinitions()));
  const FeatureBinding& binding = version.binding;
  FSTORE_ASSIGN_OR_RETURN(const std::vector<ModelVersion> versions,
                          registry_->ListVersions(version.model));
  LabelledExportHeader header;
  header.model = version.model;
  header.model_version = version.version;
  header.feature_service = binding.service;
  header.service_version = binding.service_version;
  header.inputs = binding.feature_names;
  std::set<int64_t> same_inputs;
  for (const ModelVersion& v : versions) {
    if (v.binding.feature_names == binding.feature_names) {
      same_inputs.insert(v.version);
      header.versions.push_back(v.version);
    }
  }
  FSTORE_RETURN_IF_ERROR(on_header(header));
  const TimestampUs until = std::numeric_limits<int64_t>::max();
  const TimestampUs since = window == 0 ? std::numeric_limits<int64_t>::min() : NowUs() - window;
  const size_t width = binding.feature_names.size();
  return feedback_.Scan(version.model, since, until, [&](const LabelledRequest& l) -> absl::Status {
    if (!same_inputs.contains(l.served.version)) return absl::OkStatus();
    if (l.served.inputs.size() != width) {
      return absl::DataLossError(absl::StrCat("labelled request ", l.served.request_id, " has ",
                                              l.served.inputs.size(), " inputs, its version ",
                                              l.served.version, " has ", width));
    }
    return on_row(l);
  });
}

ProductionMonitoring ServingCore::MonitorProduction() {
  ProductionMonitoring out;
  out.flush = log_->Flush();
  const TimestampUs now = NowUs();
  for (const RegisteredModel& model : registry_->ListModels()) {
    ModelRef ref;
    ref.model = model.name;
    ref.kind = ModelRef::Kind::kStage;
    ref.stage = Stage::kProduction;
    absl::StatusOr<ModelVersion> version = registry_->Resolve(ref);
    if (!version.ok()) continue;  // no Production version
    const DurationUs drift_window = std::min(kDefaultDriftWindow, log_->options().retention);
    absl::StatusOr<DriftReport> drift =
        ComputeDriftReport(*log_, *version, now - drift_window, now);
    absl::StatusOr<LiveMetrics> live =
        ComputeLiveMetrics(feedback_, *version, now - kDefaultLiveWindow, now);
    out.versions.push_back({*std::move(version), std::move(drift), std::move(live)});
  }
  return out;
}

}  // namespace fstore
