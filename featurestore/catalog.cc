#include "featurestore/catalog.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "storage/record_codec.h"

namespace fstore {

absl::StatusOr<std::shared_ptr<const Catalog>> BuildCatalog(Definitions definitions) {
  auto catalog = std::make_shared<Catalog>();
  catalog->definitions = std::move(definitions);
  const Definitions& defs = catalog->definitions;
  for (const Source& source : defs.sources) {
    CompiledSource& cs = catalog->sources[source.name];
    cs.def = &source;
    cs.event_id_column =
        source.event_id_column.empty() ? -1 : source.ColumnIndex(source.event_id_column);
  }
  for (const FeatureView& view : defs.feature_views) {
    CompiledView cv;
    cv.def = &view;
    cv.source = defs.FindSource(view.source);
    if (cv.source == nullptr) {
      return absl::InternalError(absl::StrCat("view ", view.name, ": no source ", view.source));
    }
    CompiledSource& cs = catalog->sources[view.source];
    cs.views.push_back(view.name);
    for (const std::string& entity_name : view.entities) {
      const Entity* entity = defs.FindEntity(entity_name);
      if (entity == nullptr) {
        return absl::InternalError(absl::StrCat("view ", view.name, ": no entity ", entity_name));
      }
      cv.key_columns.push_back(cv.source->ColumnIndex(entity->join_key));
      cv.key_names.push_back(entity->join_key);
      cs.key_columns.insert(entity->join_key);
    }
    auto schema = std::make_shared<TimelineSchema>();
    absl::flat_hash_map<int, int> slot_of_column;
    auto slot_for = [&](const std::string& column) {
      const int c = cv.source->ColumnIndex(column);
      auto [it, inserted] = slot_of_column.try_emplace(c, static_cast<int>(cv.slot_columns.size()));
      if (inserted) cv.slot_columns.push_back(c);
      return it->second;
    };
    bool never_reclaim = false;
    for (const Feature& f : view.features) {
      TimelineFeature tf;
      tf.function = f.function;
      tf.window = f.window;
      tf.ttl = f.ttl;
      if (!f.column.empty()) tf.slot = slot_for(f.column);
      if (f.where) {
        tf.filter_slot = slot_for(f.where->column);
        tf.filter_equals = f.where->equals;
      }
      if (f.function == AggregateFunction::kLast && f.ttl == 0) never_reclaim = true;
      cv.horizon = std::max(cv.horizon, std::max(f.window, f.ttl));
      cv.feature_index[f.name] = schema->features.size();
      schema->features.push_back(std::move(tf));
    }
    if (never_reclaim) cv.horizon = -1;
    schema->slot_count = cv.slot_columns.size();
    cv.schema = std::move(schema);
    cv.empty_timeline = std::make_shared<const EntityTimeline>(cv.schema);
    cv.content_hash = ContentHash(view);
    catalog->views.emplace(view.name, std::move(cv));
  }
  return std::shared_ptr<const Catalog>(std::move(catalog));
}

std::string EntityKeyOf(const CompiledView& view, absl::Span<const Value> values) {
  if (view.key_columns.size() == 1) return ValueToText(values[view.key_columns[0]]);
  std::string key;
  for (int c : view.key_columns) codec::PutComponent(&key, ValueToText(values[c]));
  return key;
}

absl::Status CheckEntityKeyValue(absl::string_view name, absl::string_view value) {
  if (!absl::StripAsciiWhitespace(value).empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "entity key ", QuotedValue(name), " is ", value.empty() ? "empty" : "blank (only whitespace)",
      "; give the entity's ", name));
}

absl::StatusOr<std::string> EntityKeyFromNames(const CompiledView& view,
                                               const std::map<std::string, std::string>& entity) {
  std::string key;
  for (const std::string& name : view.key_names) {
    auto e = entity.find(name);
    if (e == entity.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entity key ", QuotedValue(name), " is required by feature view ", view.def->name));
    }
    FSTORE_RETURN_IF_ERROR(CheckEntityKeyValue(name, e->second));
    if (view.key_names.size() == 1) return e->second;
    codec::PutComponent(&key, e->second);
  }
  return key;
}

absl::StatusOr<std::vector<SelectedFeature>> SelectFeatures(const Catalog& catalog,
                                                            const FeatureSelector& selector,
                                                            bool always_prefix) {
  std::vector<SelectedFeature> items;
  auto add_view_feature = [&](absl::string_view view_name, absl::string_view feature,
                              absl::string_view context) -> absl::Status {
    auto v = catalog.views.find(view_name);
    if (v == catalog.views.end()) {
      return absl::NotFoundError(
          absl::StrCat(context, "unknown feature view ", QuotedValue(view_name)));
    }
    auto f = v->second.feature_index.find(feature);
    if (f == v->second.feature_index.end()) {
      return absl::NotFoundError(
          absl::StrCat(context, "view ", view_name, " has no feature ", QuotedValue(feature)));
    }
    items.push_back({&v->second, f->second, v->second.def->features[f->second].name});
    return absl::OkStatus();
  };
  auto add_ref = [&](absl::string_view ref, absl::string_view context) -> absl::Status {
    const size_t colon = ref.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(context, "feature ref ", QuotedValue(ref), " is not VIEW:FEATURE"));
    }
    return add_view_feature(ref.substr(0, colon), ref.substr(colon + 1), context);
  };
  switch (selector.kind) {
    case FeatureSelector::Kind::kView: {
      auto v = catalog.views.find(selector.name);
      if (v == catalog.views.end()) {
        return absl::NotFoundError(
            absl::StrCat("unknown feature view ", QuotedValue(selector.name)));
      }
      for (size_t i = 0; i < v->second.def->features.size(); ++i) {
        items.push_back({&v->second, i, v->second.def->features[i].name});
      }
      break;
    }
    case FeatureSelector::Kind::kService: {
      const FeatureService* service = catalog.definitions.FindService(selector.name);
      if (service == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("unknown feature service ", QuotedValue(selector.name)));
      }
      for (const std::string& ref : service->features) {
        FSTORE_RETURN_IF_ERROR(add_ref(ref, absl::StrCat("service ", service->name, ": ")));
      }
      break;
    }
    case FeatureSelector::Kind::kRefs:
      if (selector.refs.empty()) return absl::InvalidArgumentError("no feature refs given");
      for (const std::string& ref : selector.refs) FSTORE_RETURN_IF_ERROR(add_ref(ref, ""));
      break;
  }
  bool prefix = always_prefix;
  absl::flat_hash_map<std::string, const CompiledView*> owner;
  for (const SelectedFeature& item : items) {
    auto [it, inserted] = owner.try_emplace(item.name, item.view);
    if (!inserted && it->second != item.view) prefix = true;
  }
  if (prefix) {
    for (SelectedFeature& item : items)
      item.name = absl::StrCat(item.view->def->name, "__", item.name);
  }
  return items;
}

}  // namespace fstore
