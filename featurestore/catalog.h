// Catalog: definitions compiled for reading and writing features: which
// source columns each view's slots and entity keys read, which views each
// source feeds, and how a selection of features (a view, a service or
// "view:feature" refs) resolves. Immutable once built; Apply replaces it
// whole, so readers hold a shared_ptr to a consistent one.
#ifndef FSTORE_FEATURESTORE_CATALOG_H_
#define FSTORE_FEATURESTORE_CATALOG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/definitions.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/value.h"

namespace fstore {

// A view compiled against its source: which source columns its slots and
// keys read. Immutable.
struct CompiledView {
  const FeatureView* def = nullptr;
  const Source* source = nullptr;
  std::shared_ptr<const TimelineSchema> schema;
  std::vector<int> slot_columns;  // slot -> source column
  std::vector<int> key_columns;   // entity i's join key -> source column
  std::vector<std::string> key_names;
  // Longest window or TTL; -1 when state may never be reclaimed (a LAST
  // without TTL needs the entity's whole history).
  DurationUs horizon = 0;
  std::string content_hash;
  // A timeline with no events: what every feature reads for an entity that
  // has none (COUNT 0, MEAN null, ...).
  std::shared_ptr<const EntityTimeline> empty_timeline;
  absl::flat_hash_map<std::string, size_t> feature_index;
};

struct CompiledSource {
  const Source* def = nullptr;
  std::vector<std::string> views;  // views it feeds
  absl::flat_hash_set<std::string> key_columns;
  int event_id_column = -1;
};

// Definitions plus their compiled form; immutable once built, replaced
// whole by Apply.
struct Catalog {
  Definitions definitions;
  absl::flat_hash_map<std::string, CompiledView> views;
  absl::flat_hash_map<std::string, CompiledSource> sources;
};

absl::StatusOr<std::shared_ptr<const Catalog>> BuildCatalog(Definitions definitions);

// The entity key of an event (values in source column order) for a view:
// the join key's text, or length-prefixed texts for a composite key.
std::string EntityKeyOf(const CompiledView& view, absl::Span<const Value> values);

// InvalidArgument naming the join key `name` when `value` is empty or only
// whitespace: no event carries such a key, so reading it would answer for
// an entity that cannot exist.
absl::Status CheckEntityKeyValue(absl::string_view name, absl::string_view value);

// The same key from join-key values by name; InvalidArgument naming the
// first join key the view needs that `entity` lacks or holds blank
// (CheckEntityKeyValue).
absl::StatusOr<std::string> EntityKeyFromNames(const CompiledView& view,
                                               const std::map<std::string, std::string>& entity);

// What to read: a view, a service, or explicit "view:feature" refs.
struct FeatureSelector {
  enum class Kind { kView, kService, kRefs };
  Kind kind = Kind::kView;
  std::string name;               // kView, kService
  std::vector<std::string> refs;  // kRefs
};

struct SelectedFeature {
  const CompiledView* view = nullptr;
  size_t feature = 0;  // index into the view's features
  std::string name;    // output name
};

// Resolves a selector against the catalog. Output names are feature names,
// or "view__feature" for every feature when `always_prefix` is set or when
// names of different views collide. NotFound / InvalidArgument naming the
// unknown view, service, feature or malformed ref.
absl::StatusOr<std::vector<SelectedFeature>> SelectFeatures(const Catalog& catalog,
                                                            const FeatureSelector& selector,
                                                            bool always_prefix);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_CATALOG_H_
