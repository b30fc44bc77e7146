// FeatureStore online reads: a selection resolves to a plan (the views it
// reads, their online state, the output positions) and every online read, one-off
// or prepared, reads a plan: the one online read path.
#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"

namespace fstore {

PreparedSelection::PreparedSelection(const void* store, FeatureSelector selector)
    : store_(store), selector_(std::move(selector)) {}
PreparedSelection::~PreparedSelection() = default;

PreparedSelection::Plan FeatureStore::Impl::MakePlan(std::shared_ptr<const Catalog> catalog,
                                                     const FeatureSelector& selector) const {
  PreparedSelection::Plan plan;
  plan.catalog = std::move(catalog);
  absl::StatusOr<std::vector<SelectedFeature>> items =
      SelectFeatures(*plan.catalog, selector, /*always_prefix=*/false);
  if (!items.ok()) {
    plan.status = items.status();
    return plan;
  }
  std::vector<const std::vector<std::string>*> key_groups;
  plan.names.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    SelectedFeature& item = (*items)[i];
    plan.names.push_back(std::move(item.name));
    auto read = std::find_if(plan.views.begin(), plan.views.end(),
                             [&](const auto& r) { return r.view == item.view; });
    if (read == plan.views.end()) {
      PreparedSelection::Plan::ViewRead added;
      added.view = item.view;
      auto state = views_.find(item.view->def->name);
      if (state != views_.end()) added.state = &state->second;
      auto group = std::find_if(key_groups.begin(), key_groups.end(),
                                [&](const auto* keys) { return *keys == item.view->key_names; });
      added.key_group = group - key_groups.begin();
      if (group == key_groups.end()) key_groups.push_back(&item.view->key_names);
      plan.views.push_back(std::move(added));
      read = plan.views.end() - 1;
    }
    read->features.emplace_back(item.feature, i);
  }
  plan.key_groups = key_groups.size();
  return plan;
}

absl::Status FeatureStore::Impl::ReadPlan(const PreparedSelection::Plan& plan,
                                          const std::map<std::string, std::string>& entity,
                                          TimestampUs at, OnlineFeatures* out) const {
  FSTORE_RETURN_IF_ERROR(plan.status);
  out->at = at;
  out->features.resize(plan.names.size());
  out->freshness.resize(plan.views.size());
  absl::InlinedVector<std::string, 4> keys(plan.key_groups);
  absl::InlinedVector<bool, 4> have_key(plan.key_groups, false);
  for (size_t v = 0; v < plan.views.size(); ++v) {
    const PreparedSelection::Plan::ViewRead& read = plan.views[v];
    const std::string& name = read.view->def->name;
    if (!have_key[read.key_group]) {
      FSTORE_ASSIGN_OR_RETURN(keys[read.key_group], EntityKeyFromNames(*read.view, entity));
      have_key[read.key_group] = true;
    }
    // An entity without events reads like an empty timeline.
    const EntityTimeline* timeline = read.view->empty_timeline.get();
    if (read.state != nullptr) {
      const ViewState& vs = *read.state;
      if (vs.compiled->horizon >= 0 && vs.reclaimed_before != kMinTime &&
          at - vs.compiled->horizon < vs.reclaimed_before) {
        return absl::OutOfRangeError(absl::StrCat(
            "feature view ", name, " keeps online state from ", FormatIsoTime(vs.reclaimed_before),
            " on; ", FormatIsoTime(at), " needs older events (use historical retrieval)"));
      }
      auto t = vs.timelines.find(keys[read.key_group]);
      if (t != vs.timelines.end()) timeline = &t->second;
    }
    out->freshness[v].view.assign(name);
    out->freshness[v].newest_event = timeline->NewestBefore(at).value_or(TimestampUs{0});
    for (const auto& [feature, position] : read.features) {
      NamedValue& f = out->features[position];
      f.name.assign(plan.names[position]);
      f.value = timeline->Evaluate(feature, at);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OnlineFeatures> FeatureStore::Impl::GetOnlineFeatures(
    const FeatureSelector& selector, const std::map<std::string, std::string>& entity,
    TimestampUs at) const {
  if (at == 0) at = NowUs();
  absl::ReaderMutexLock lock(&mu_);
  const PreparedSelection::Plan plan = MakePlan(catalog_, selector);
  OnlineFeatures out;
  FSTORE_RETURN_IF_ERROR(ReadPlan(plan, entity, at, &out));
  return out;
}

absl::Status FeatureStore::Impl::Prepare(const std::shared_ptr<PreparedSelection>& prepared) {
  absl::MutexLock lock(&mu_);
  auto plan =
      std::make_unique<const PreparedSelection::Plan>(MakePlan(catalog_, prepared->selector()));
  FSTORE_RETURN_IF_ERROR(plan->status);
  prepared->plan_ = std::move(plan);
  // Forget selections nobody holds any more.
  prepared_.erase(std::remove_if(prepared_.begin(), prepared_.end(),
                                 [](const auto& weak) { return weak.expired(); }),
                  prepared_.end());
  prepared_.push_back(prepared);
  return absl::OkStatus();
}

absl::Status FeatureStore::Impl::GetOnlineFeatures(const PreparedSelection& prepared,
                                                   const std::map<std::string, std::string>& entity,
                                                   TimestampUs at, OnlineFeatures* out) const {
  if (prepared.store_ != this) {
    return absl::InvalidArgumentError("a prepared selection is read by the store that made it");
  }
  if (at == 0) at = NowUs();
  absl::ReaderMutexLock lock(&mu_);
  return ReadPlan(*prepared.plan_, entity, at, out);
}

}  // namespace fstore
