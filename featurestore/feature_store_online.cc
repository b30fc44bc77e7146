// FeatureStore online reads: a selection resolves to a plan (the views it
// reads, their online state, the output positions) and every online read, one-off
// or prepared, reads a plan: the one online read path. A time older than
// the online state keeps is answered from the event log instead, by the
// historical join's EvaluatePoint, outside the lock (it scans sources).
#include <algorithm>
#include <limits>
#include <set>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "featurestore/point_in_time_join.h"

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
                                          TimestampUs at, OnlineFeatures* out,
                                          bool* needs_events) const {
  FSTORE_RETURN_IF_ERROR(plan.status);
  out->at = at;
  out->served_from = ServedFrom::kOnlineState;
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
        *needs_events = true;  // older than the view keeps online
        return absl::OkStatus();
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
  PreparedSelection::Plan plan;
  OnlineFeatures out;
  bool needs_events = false;
  {
    absl::ReaderMutexLock lock(&mu_);
    plan = MakePlan(catalog_, selector);
    FSTORE_RETURN_IF_ERROR(ReadPlan(plan, entity, at, &out, &needs_events));
  }
  if (needs_events) FSTORE_RETURN_IF_ERROR(ReadStoredEvents(plan, entity, at, &out));
  return out;
}

absl::Status FeatureStore::Impl::ReadStoredEvents(const PreparedSelection::Plan& plan,
                                                  const std::map<std::string, std::string>& entity,
                                                  TimestampUs at, OnlineFeatures* out) const {
  // The plan's features in output order; its catalog keeps the views alive.
  std::vector<SelectedFeature> features(plan.names.size());
  std::set<std::string> sources;
  for (const PreparedSelection::Plan::ViewRead& read : plan.views) {
    for (const auto& [feature, position] : read.features) {
      features[position] = SelectedFeature{read.view, feature, plan.names[position]};
    }
    sources.insert(read.view->source->name);
  }
  FSTORE_ASSIGN_OR_RETURN(const PointFeatures point,
                          EvaluatePoint(*db_, features, next_seq_.load(), entity, at));
  if (at < point.oldest_event) {
    return absl::OutOfRangeError(absl::StrCat(
        "no features as of ", FormatIsoTime(at), ": it is before the oldest stored event (",
        point.oldest_event == std::numeric_limits<TimestampUs>::max()
            ? std::string("none is stored")
            : FormatIsoTime(point.oldest_event),
        ") of source", sources.size() == 1 ? " " : "s ", absl::StrJoin(sources, ", ")));
  }
  out->at = at;
  out->served_from = ServedFrom::kStoredEvents;
  out->features.resize(features.size());
  for (size_t i = 0; i < features.size(); ++i) {
    out->features[i].name.assign(features[i].name);
    out->features[i].value = point.values[i];
  }
  // The plan's views and EvaluatePoint's are both in first-use order.
  out->freshness.resize(plan.views.size());
  for (size_t v = 0; v < plan.views.size(); ++v) {
    out->freshness[v].view.assign(plan.views[v].view->def->name);
    out->freshness[v].newest_event = point.newest_event[v];
  }
  return absl::OkStatus();
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
  bool needs_events = false;
  PreparedSelection::Plan plan;
  {
    absl::ReaderMutexLock lock(&mu_);
    FSTORE_RETURN_IF_ERROR(ReadPlan(*prepared.plan_, entity, at, out, &needs_events));
    if (!needs_events) return absl::OkStatus();
    // Definitions may change once the lock is released: read a copy.
    plan = *prepared.plan_;
  }
  return ReadStoredEvents(plan, entity, at, out);
}

}  // namespace fstore
