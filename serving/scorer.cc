#include "serving/scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/model_input.h"
#include "registry/model_ref.h"
#include "registry/tree_ensemble.h"
#include "registry/xgboost_booster.h"
#include "spdlog/spdlog.h"

namespace fstore {
namespace {

// A version ready to score: its trees and where each input comes from.
struct LoadedModel {
  ModelVersion version;
  TreeEnsemble trees;
  // The bound features read from the store, in binding order.
  FeatureSelector selector;
  // `selector` prepared in the store (which re-resolves it when definitions
  // change); null when it did not resolve at load, and reads then go
  // through `selector` itself, failing or not as the store says.
  std::shared_ptr<const PreparedSelection> prepared;
  // For each model input: >= 0 an index into the selector's features,
  // < 0 the request field -(i + 1) of `request_fields`.
  std::vector<int> sources;
  std::vector<RequestField> request_fields;
  // The views of the selector's features in the order they first appear
  // (how the store lays out OnlineFeatures::freshness), and for each
  // selected feature the index of its view there.
  std::vector<std::string> views;
  std::vector<size_t> feature_views;
};

absl::StatusOr<std::shared_ptr<const LoadedModel>> LoadModel(const ModelRegistry& registry,
                                                             const FeatureStore& store,
                                                             const ModelVersion& version) {
  FSTORE_ASSIGN_OR_RETURN(std::string bytes, registry.GetArtifact(version.artifact_sha256));
  if (version.artifact_format == "ubjson") {
    FSTORE_ASSIGN_OR_RETURN(XgboostBooster booster, XgboostBooster::Load(bytes));
    FSTORE_ASSIGN_OR_RETURN(bytes, booster.Save("json"));
  }
  absl::StatusOr<TreeEnsemble> trees = TreeEnsemble::FromXgboostJson(bytes);
  if (!trees.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        version.model, ":", version.version, " cannot be served: ", trees.status().message()));
  }
  auto model = std::make_shared<LoadedModel>(
      LoadedModel{version, *std::move(trees), {}, nullptr, {}, {}, {}, {}});
  const FeatureBinding& binding = version.binding;
  if (model->trees.num_features() != static_cast<int>(binding.feature_names.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat(version.model, ":", version.version, " has ", model->trees.num_features(),
                     " inputs but its binding lists ", binding.feature_names.size()));
  }
  model->selector.kind = FeatureSelector::Kind::kRefs;
  for (const std::string& name : binding.feature_names) {
    auto field = std::find_if(binding.request_fields.begin(), binding.request_fields.end(),
                              [&](const RequestField& f) { return f.name == name; });
    if (field != binding.request_fields.end()) {
      model->request_fields.push_back(*field);
      model->sources.push_back(-static_cast<int>(model->request_fields.size()));
    } else {
      model->sources.push_back(static_cast<int>(model->selector.refs.size()));
      model->selector.refs.push_back(name);
      const std::string view = name.substr(0, name.find(':'));
      auto known = std::find(model->views.begin(), model->views.end(), view);
      model->feature_views.push_back(known - model->views.begin());
      if (known == model->views.end()) model->views.push_back(view);
    }
  }
  if (!model->selector.refs.empty()) {
    absl::StatusOr<std::shared_ptr<const PreparedSelection>> prepared =
        store.PrepareSelection(model->selector);
    if (prepared.ok()) model->prepared = *std::move(prepared);
  }
  return std::shared_ptr<const LoadedModel>(std::move(model));
}

// A request field checked against its declared type.
absl::StatusOr<float> RequestInput(const RequestField& field, const Value& v,
                                   const ModelVersion& version) {
  auto wrong = [&](absl::string_view got) {
    return absl::InvalidArgumentError(absl::StrCat("request field ", field.name, " of ",
                                                   version.model, ":", version.version, " is ",
                                                   ColumnTypeName(field.type), ", got ", got));
  };
  switch (v.index()) {
    case 0:
      return absl::InvalidArgumentError(absl::StrCat("request field ", field.name, " of ",
                                                     version.model, ":", version.version,
                                                     " has no value"));
    case 1:
      if (field.type == ColumnType::kBool || field.type == ColumnType::kString) {
        return wrong(absl::StrCat("the integer ", std::get<int64_t>(v)));
      }
      return ModelInput(v);
    case 2: {
      const double d = std::get<double>(v);
      if (!std::isfinite(d)) {
        return absl::InvalidArgumentError(absl::StrCat("request field ", field.name, " is ", d,
                                                       "; fields must be finite numbers"));
      }
      if (field.type != ColumnType::kDouble) return wrong(absl::StrCat("the number ", d));
      return ModelInput(v);
    }
    case 3:
      return wrong(absl::StrCat("the string ", QuotedValue(std::get<std::string>(v))));
    case 4:
      if (field.type != ColumnType::kBool) {
        return wrong(std::get<bool>(v) ? "true" : "false");
      }
      return ModelInput(v);
  }
  return wrong("an unknown value");
}

// InvalidArgument naming the first field of `request` that the version's
// feature service does not declare, and listing those it does: a typo would
// otherwise be ignored silently.
absl::Status CheckRequestFieldsKnown(const ScoreRequest& request, const ModelVersion& version) {
  const std::vector<RequestField>& declared = version.binding.request_fields;
  for (const auto& [name, value] : request.request_fields) {
    const bool known = std::any_of(declared.begin(), declared.end(),
                                   [&](const RequestField& f) { return f.name == name; });
    if (known) continue;
    std::vector<std::string> names;
    for (const RequestField& f : declared) names.push_back(f.name);
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown request field ", QuotedValue(name), ": ", version.model, ":", version.version,
        " (feature service ", version.binding.service, ") takes ",
        names.empty() ? "no request fields" : "the request fields " + absl::StrJoin(names, ", ")));
  }
  return absl::OkStatus();
}

class ScorerImpl final : public Scorer {
 public:
  ScorerImpl(ModelRegistry* registry, const FeatureStore* store, const Options& options)
      : registry_(registry), store_(store), options_(options) {
    subscription_ =
        registry_->Subscribe([this](const Transition& transition, const ModelVersion& version) {
          OnChange(transition, version);
        });
  }

  absl::StatusOr<ScoreResult> Score(const ScoreRequest& request) const override {
    FSTORE_ASSIGN_OR_RETURN(const ModelRef ref, ParseModelRef(request.model_ref));
    // The registry's own record: no copy of the version per request.
    FSTORE_ASSIGN_OR_RETURN(const std::shared_ptr<const ModelVersion> version,
                            registry_->ResolveShared(ref));
    return ScoreVersion(*version, request);
  }

  absl::StatusOr<ModelVersion> ResolveVersion(absl::string_view model_ref) const override {
    FSTORE_ASSIGN_OR_RETURN(const ModelRef ref, ParseModelRef(model_ref));
    return registry_->Resolve(ref);
  }

  absl::StatusOr<ScoreResult> ScoreVersion(const ModelVersion& version,
                                           const ScoreRequest& request) const override {
    FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> model, Load(version));
    // Buffers reused by every request of this thread.
    thread_local Scratch scratch;
    ScoreResult result;
    result.model = version.model;
    result.version = version.version;
    result.at = request.at == 0 ? NowUs() : request.at;

    // Request fields first: a bad request fails before any read.
    FSTORE_RETURN_IF_ERROR(CheckRequestFieldsKnown(request, version));
    for (const auto& [key, value] : request.entity) {
      FSTORE_RETURN_IF_ERROR(CheckEntityKeyValue(key, value));
    }
    std::vector<float>& fields = scratch.fields;
    fields.resize(model->request_fields.size());
    for (size_t i = 0; i < model->request_fields.size(); ++i) {
      const RequestField& field = model->request_fields[i];
      auto it = request.request_fields.find(field.name);
      if (it == request.request_fields.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("missing request field ", field.name, " (", ColumnTypeName(field.type),
                         ") that ", version.model, ":", version.version, " needs"));
      }
      FSTORE_ASSIGN_OR_RETURN(fields[i], RequestInput(field, it->second, version));
    }
    OnlineFeatures& features = scratch.features;
    if (!model->selector.refs.empty()) {
      absl::Status read;
      if (model->prepared != nullptr) {
        read = store_->GetOnlineFeatures(*model->prepared, request.entity, result.at, &features);
      } else {
        absl::StatusOr<OnlineFeatures> unprepared =
            store_->GetOnlineFeatures(model->selector, request.entity, result.at);
        read = unprepared.status();
        if (unprepared.ok()) features = *std::move(unprepared);
      }
      result.served_from = features.served_from;
      if (!read.ok()) {
        if (absl::IsNotFound(read)) {
          return absl::FailedPreconditionError(
              absl::StrCat(version.model, ":", version.version,
                           " is bound to features the store no longer "
                           "defines: ",
                           read.message()));
        }
        return read;
      }
    } else {
      features.features.clear();
      features.freshness.clear();
    }
    // Which views had no event of their entity before `at`: their features
    // are named missing. The store lists views in the order computed at
    // load; a search covers any other order.
    std::vector<char>& no_data = scratch.no_data;
    no_data.assign(model->views.size(), 0);
    for (size_t v = 0; v < model->views.size(); ++v) {
      const std::vector<ViewFreshness>& fresh = features.freshness;
      auto f = v < fresh.size() && fresh[v].view == model->views[v]
                   ? fresh.begin() + v
                   : std::find_if(fresh.begin(), fresh.end(), [&](const ViewFreshness& x) {
                       return x.view == model->views[v];
                     });
      no_data[v] = f != fresh.end() && f->newest_event == 0;
    }
    const FeatureBinding& binding = version.binding;
    result.inputs.resize(model->sources.size());
    for (size_t i = 0; i < model->sources.size(); ++i) {
      const int source = model->sources[i];
      if (source >= 0) {
        const Value& v = features.features[source].value;
        result.inputs[i] = ModelInput(v);
        if (std::isnan(result.inputs[i]) || no_data[model->feature_views[source]]) {
          result.missing_features.push_back(binding.feature_names[i]);
        }
      } else {
        result.inputs[i] = fields[-source - 1];
      }
    }

    if (request.explain == Explain::kNone) {
      result.score = model->trees.Predict(result.inputs.data());
    } else {
      std::vector<float>& contributions = scratch.contributions;
      contributions.resize(result.inputs.size() + 1);
      result.score = request.explain == Explain::kFast
                         ? model->trees.PredictWithFastContributions(result.inputs.data(),
                                                                     contributions.data())
                         : model->trees.PredictWithExactContributions(result.inputs.data(),
                                                                      contributions.data());
      result.bias = contributions.back();
      std::vector<size_t>& order = scratch.order;
      order.resize(result.inputs.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      const size_t top = std::min(order.size(), static_cast<size_t>(options_.top_contributions));
      std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](size_t a, size_t b) {
        const float ca = std::fabs(contributions[a]), cb = std::fabs(contributions[b]);
        return ca != cb ? ca > cb : a < b;
      });
      result.contributions.reserve(top);
      for (size_t k = 0; k < top; ++k) {
        const size_t i = order[k];
        const int source = model->sources[i];
        Value value = source >= 0 ? features.features[source].value
                                  : request.request_fields.at(binding.feature_names[i]);
        result.contributions.push_back(
            FeatureContribution{binding.feature_names[i], std::move(value), contributions[i]});
      }
    }
    result.risk_bucket = RiskBucket(version.risk_thresholds, result.score);
    return result;
  }

  size_t CachedVersions() const override {
    absl::ReaderMutexLock lock(&mu_);
    return cache_.size();
  }

 private:
  using Key = std::pair<std::string, int64_t>;

  // Per-thread buffers of ScoreVersion, kept between requests.
  struct Scratch {
    OnlineFeatures features;
    std::vector<float> fields;
    std::vector<char> no_data;
    std::vector<float> contributions;
    std::vector<size_t> order;
  };

  absl::StatusOr<std::shared_ptr<const LoadedModel>> Load(const ModelVersion& version) const {
    const Key key(version.model, version.version);
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = cache_.find(key);
      if (it != cache_.end() && it->second->version.artifact_sha256 == version.artifact_sha256) {
        return it->second;
      }
    }
    // Loads happen outside the lock; two racing loads of one version both
    // succeed and the first stored wins.
    FSTORE_ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> loaded,
                            LoadModel(*registry_, *store_, version));
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = cache_.emplace(key, loaded);
    if (!inserted) it->second = loaded;
    return it->second;
  }

  void OnChange(const Transition& transition, const ModelVersion& version) {
    if (transition.kind == kTransitionVersionDeleted) {
      absl::MutexLock lock(&mu_);
      cache_.erase(Key(version.model, version.version));
      return;
    }
    const bool serving_stage =
        transition.kind == kTransitionStage &&
        (version.stage == Stage::kProduction || version.stage == Stage::kStaging);
    if (serving_stage || transition.kind == kTransitionAliasSet) {
      absl::StatusOr<std::shared_ptr<const LoadedModel>> loaded = Load(version);
      if (!loaded.ok()) {
        spdlog::warn("{}:{} could not be preloaded for serving: {}", version.model, version.version,
                     loaded.status().ToString());
      }
    }
  }

  ModelRegistry* const registry_;
  const FeatureStore* const store_;
  const Options options_;
  mutable absl::Mutex mu_;
  mutable std::map<Key, std::shared_ptr<const LoadedModel>> cache_ ABSL_GUARDED_BY(mu_);
  // Last: unsubscribed first on destruction, before the cache goes.
  ModelRegistry::Subscription subscription_;
};

}  // namespace

std::unique_ptr<Scorer> Scorer::Create(ModelRegistry* registry, const FeatureStore* store,
                                       const Options& options) {
  return std::make_unique<ScorerImpl>(registry, store, options);
}

std::string RiskBucket(const std::vector<RiskThreshold>& thresholds, double score) {
  const RiskThreshold* best = nullptr;
  for (const RiskThreshold& t : thresholds) {
    if (t.min_score <= score && (best == nullptr || t.min_score > best->min_score)) best = &t;
  }
  return best == nullptr ? "" : best->bucket;
}

}  // namespace fstore
