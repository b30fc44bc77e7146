#include "featurestore/point_in_time_join.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/active_entities.h"
#include "featurestore/csv_writer.h"
#include "featurestore/entity_events.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/event_log.h"
#include "featurestore/parallel_for.h"
#include "storage/record_codec.h"
#include "storage/sha256.h"

// How a join runs (JoinHistorical; ExportAsOf is the same with one point per
// entity, at one time, and its entities found by the scan):
//   1. The rows' cell counts are checked and their times parsed, by chunks
//      of rows on several threads; the first bad row in input order fails
//      the join before any output.
//   2. The views are grouped by entity key (a service may join account and
//      device views); per group, each row's entity gets a dense id
//      (EntitySet), and the rows are ordered by (entity, time): the group's
//      points. This runs on one thread while the others start step 3.
//   3. Each source is scanned once (entity_events.h), on several threads,
//      for the events of the entities its views' groups name.
//   4. Entities are cut into blocks of a few thousand points and events;
//      threads take blocks and, per entity, fill one timeline per view of
//      the group and evaluate each of the entity's points with
//      EvaluateMany, rendering each run of consecutive output features of
//      the group into the block's text and noting where (TextRef, by row).
//   5. Threads render the lines in input order by chunks of rows: the row's
//      input cells, then the text of each run, copied from where step 4
//      left it. The calling thread hashes the chunks and hands them to the
//      sink in order, a wave of chunks at a time.
// Nothing in steps 3 to 5 depends on which thread did what, so the bytes do
// not depend on the number of threads.

namespace fstore {
namespace {

// Output is handed to the sink in chunks of about this many bytes.
constexpr size_t kChunkBytes = 1 << 20;
// A block of work for one thread: entities with about this many rows plus
// events in all.
constexpr size_t kBlockWork = 16384;
// Rows are parsed and output lines rendered in parallel by chunks of this
// many rows.
constexpr size_t kChunkRows = 8192;
// Rendering prefetches the cells and texts of the row this many lines ahead.
constexpr size_t kRenderAhead = 8;

// The distinct views among the features, in first-use order.
std::vector<const CompiledView*> ViewsOf(const std::vector<SelectedFeature>& features) {
  std::vector<const CompiledView*> views;
  for (const SelectedFeature& f : features) {
    if (std::find(views.begin(), views.end(), f.view) == views.end()) views.push_back(f.view);
  }
  return views;
}

// Buffers CSV output, hashes it and hands it to the sink in chunks.
class CsvOutput {
 public:
  explicit CsvOutput(const CsvSink& sink) : sink_(sink) { buffer_.reserve(kChunkBytes + 4096); }
  std::string* buffer() { return &buffer_; }
  absl::Status MaybeFlush() {
    if (buffer_.size() < kChunkBytes) return absl::OkStatus();
    return Flush();
  }
  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    sha_.Update(buffer_);
    FSTORE_RETURN_IF_ERROR(sink_(buffer_));
    buffer_.clear();
    return absl::OkStatus();
  }
  // Hands on the buffer and `bytes`: as one chunk when the buffer holds
  // something (the header goes out with the first lines), else `bytes` as
  // they are, without a copy.
  absl::Status Write(absl::string_view bytes) {
    if (!buffer_.empty()) {
      buffer_.append(bytes.data(), bytes.size());
      return Flush();
    }
    if (bytes.empty()) return absl::OkStatus();
    sha_.Update(bytes);
    return sink_(bytes);
  }
  std::string Fingerprint() { return sha_.HexDigest(); }

 private:
  const CsvSink& sink_;
  std::string buffer_;
  Sha256 sha_;
};

absl::StatusOr<TimestampUs> ParseRowTime(absl::string_view text, size_t row,
                                         const std::string& column) {
  int64_t micros;
  if (absl::SimpleAtoi(text, &micros)) return micros;
  absl::StatusOr<TimestampUs> t = ParseIsoTime(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("entity row ", row, ": column ", column, ": '", text,
                     "' is not a timestamp (ISO-8601 UTC such as 2026-01-05T10:00:00Z, or integer "
                     "microseconds)"));
  }
  return *t;
}

// A feature view of the join and where its values go.
struct ViewPlan {
  const CompiledView* view = nullptr;
  size_t group = 0;              // into the key groups
  std::vector<size_t> features;  // the view's feature indexes, in output order
  EntityEvents events;           // the view's kept events, by the group's entity ids
};

// Consecutive output features that all come from one key group: per row,
// they are rendered together into one piece of text.
struct Run {
  size_t index = 0;  // among all runs, in output order
  // Per feature of the run: its view (index in the group's views) and its
  // position in that view's ViewPlan::features.
  std::vector<std::pair<size_t, size_t>> features;
};

// Where the text of a run of one point was rendered: texts[block],
// [offset, offset + size).
struct TextRef {
  uint32_t block = 0;
  uint32_t size = 0;
  uint64_t offset = 0;
};

// Views read by the same entity key, evaluated together entity by entity.
struct KeyGroup {
  std::vector<std::string> key_names;
  std::vector<int> key_columns;  // input columns of the key names (join)
  std::vector<size_t> views;     // into the view plans
  std::vector<Run> runs;
  EntitySet entities;
  // The points (row, time) to evaluate, by entity, each entity's ascending
  // by time: positions [point_begin[e], point_begin[e + 1]) are entity e's.
  std::vector<uint32_t> point_begin;
  std::vector<uint32_t> point_row;      // per position: the input row
  std::vector<TimestampUs> point_time;  // per position
  // Blocks of consecutive entity ids: [block_begin[b], block_begin[b + 1]).
  std::vector<uint32_t> block_begin;
};

// Views grouped by entity key, with their features cut into runs.
void PlanViews(const std::vector<SelectedFeature>& features,
               const std::vector<const CompiledView*>& views, std::vector<ViewPlan>* plans,
               std::vector<KeyGroup>* groups, size_t* run_count) {
  plans->resize(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    ViewPlan& plan = (*plans)[v];
    plan.view = views[v];
    auto g = std::find_if(groups->begin(), groups->end(), [&](const KeyGroup& group) {
      return group.key_names == views[v]->key_names;
    });
    if (g == groups->end()) {
      groups->emplace_back();
      groups->back().key_names = views[v]->key_names;
      g = groups->end() - 1;
    }
    plan.group = g - groups->begin();
    g->views.push_back(v);
  }
  *run_count = 0;
  size_t last_group = std::numeric_limits<size_t>::max();
  for (const SelectedFeature& f : features) {
    const size_t v = std::find(views.begin(), views.end(), f.view) - views.begin();
    ViewPlan& plan = (*plans)[v];
    KeyGroup& group = (*groups)[plan.group];
    if (plan.group != last_group) {
      group.runs.push_back(Run{(*run_count)++, {}});
      last_group = plan.group;
    }
    const size_t in_group =
        std::find(group.views.begin(), group.views.end(), v) - group.views.begin();
    group.runs.back().features.emplace_back(in_group, plan.features.size());
    plan.features.push_back(f.feature);
  }
}

// Orders the rows by entity (`entity_of`), then by (time, row) within an
// entity: the group's points.
void GroupPoints(const std::vector<uint32_t>& entity_of, const std::vector<TimestampUs>& times,
                 KeyGroup* group) {
  const size_t entities = group->entities.size();
  const size_t n = entity_of.size();
  group->point_begin.assign(entities + 1, 0);
  for (uint32_t e : entity_of) ++group->point_begin[e + 1];
  for (size_t e = 0; e < entities; ++e) group->point_begin[e + 1] += group->point_begin[e];
  group->point_row.resize(n);
  std::vector<uint32_t> next(group->point_begin.begin(), group->point_begin.end() - 1);
  for (size_t r = 0; r < n; ++r) group->point_row[next[entity_of[r]]++] = static_cast<uint32_t>(r);
  auto before = [&](uint32_t a, uint32_t b) {
    return times[a] < times[b] || (times[a] == times[b] && a < b);
  };
  for (size_t e = 0; e < entities; ++e) {
    auto first = group->point_row.begin() + group->point_begin[e];
    auto last = group->point_row.begin() + group->point_begin[e + 1];
    if (!std::is_sorted(first, last, before)) std::sort(first, last, before);
  }
  group->point_time.resize(n);
  for (size_t p = 0; p < n; ++p) group->point_time[p] = times[group->point_row[p]];
}

// Cuts the group's entities into blocks of about kBlockWork points plus
// events.
void CutBlocks(const std::vector<ViewPlan>& plans, KeyGroup* group) {
  group->block_begin.assign(1, 0);
  size_t work = 0;
  const uint32_t entities = static_cast<uint32_t>(group->entities.size());
  for (uint32_t e = 0; e < entities; ++e) {
    work += group->point_begin[e + 1] - group->point_begin[e];
    for (size_t v : group->views) work += plans[v].events.event_count(e);
    if (work >= kBlockWork) {
      group->block_begin.push_back(e + 1);
      work = 0;
    }
  }
  if (group->block_begin.back() != entities) group->block_begin.push_back(entities);
}

// Per block of a group: fills each entity's timelines and evaluates its
// points. `emit(position, values)` receives, per point, the values of each
// view of the group (values[i]: the group's i-th view, in
// ViewPlan::features order).
template <typename Emit>
void EvaluateBlock(const std::vector<ViewPlan>& plans, const KeyGroup& group, size_t block,
                   const Emit& emit) {
  std::vector<EntityTimeline> timelines;
  std::vector<std::vector<Value>> values(group.views.size());
  for (size_t i = 0; i < group.views.size(); ++i) {
    const ViewPlan& plan = plans[group.views[i]];
    timelines.emplace_back(plan.view->schema);
    values[i].resize(plan.features.size());
  }
  std::vector<Value> scratch;
  std::vector<uint32_t> order;
  const uint32_t end = group.block_begin[block + 1];
  for (uint32_t e = group.block_begin[block]; e < end; ++e) {
    for (size_t i = 0; i < group.views.size(); ++i) {
      const EntityEvents& events = plans[group.views[i]].events;
      if (e + 1 < end) events.Prefetch(e + 1);
      events.Fill(e, &timelines[i], &scratch, &order);
    }
    for (uint32_t p = group.point_begin[e]; p < group.point_begin[e + 1]; ++p) {
      for (size_t i = 0; i < group.views.size(); ++i) {
        timelines[i].EvaluateMany(plans[group.views[i]].features, group.point_time[p],
                                  absl::MakeSpan(values[i]));
      }
      emit(p, values);
    }
  }
}

// Renders one run's values, comma-separated.
void AppendRun(const Run& run, const std::vector<std::vector<Value>>& values, std::string* out) {
  absl::InlinedVector<const Value*, 32> run_values;
  for (const auto& [view, position] : run.features) run_values.push_back(&values[view][position]);
  AppendCsvValues(out, run_values);
}

// Collects the events of every view, one scan per source. `prepare` (when
// set) runs on one thread as the first scan starts; it must be done before
// the entity sets are read (CollectEntityEvents).
absl::Status CollectEvents(const Database& db, uint64_t high_water_mark, bool add_entities,
                           TimestampUs add_at, int threads, std::vector<ViewPlan>* plans,
                           std::vector<KeyGroup>* groups, std::function<void()> prepare = nullptr) {
  std::vector<bool> done(plans->size(), false);
  for (size_t v = 0; v < plans->size(); ++v) {
    if (done[v]) continue;
    const Source* source = (*plans)[v].view->source;
    std::vector<size_t> same_source;
    std::vector<EntityEventsRequest> requests;
    for (size_t w = v; w < plans->size(); ++w) {
      ViewPlan& plan = (*plans)[w];
      if (done[w] || plan.view->source != source) continue;
      done[w] = true;
      same_source.push_back(w);
      requests.push_back({plan.view, &(*groups)[plan.group].entities, add_entities, add_at});
    }
    FSTORE_ASSIGN_OR_RETURN(
        std::vector<EntityEvents> events,
        CollectEntityEvents(db, *source, high_water_mark, requests, threads, prepare));
    prepare = nullptr;
    for (size_t i = 0; i < same_source.size(); ++i) {
      (*plans)[same_source[i]].events = std::move(events[i]);
    }
  }
  if (prepare) prepare();
  return absl::OkStatus();
}

// Checks every row's cell count and its keys (`key_columns`: none blank)
// and parses its time, by chunks of rows on `threads` threads; the error is
// that of the first bad row.
absl::Status ParseTimes(const EntityRows& input, int ts_column, const std::vector<int>& key_columns,
                        int threads, std::vector<TimestampUs>* times) {
  const size_t n = input.rows.size();
  std::vector<absl::Status> errors((n + kChunkRows - 1) / kChunkRows);
  ParallelFor(threads, errors.size(), [&](size_t chunk, int) {
    for (size_t r = chunk * kChunkRows; r < std::min(n, (chunk + 1) * kChunkRows); ++r) {
      const std::vector<std::string>& row = input.rows[r];
      if (row.size() != input.columns.size()) {
        errors[chunk] = absl::InvalidArgumentError(absl::StrCat("entity row ", r + 1, " has ",
                                                                row.size(), " cells but there are ",
                                                                input.columns.size(), " columns"));
        return;
      }
      for (int c : key_columns) {
        absl::Status key = CheckEntityKeyValue(input.columns[c], row[c]);
        if (!key.ok()) {
          errors[chunk] =
              absl::InvalidArgumentError(absl::StrCat("entity row ", r + 1, ": ", key.message()));
          return;
        }
      }
      absl::StatusOr<TimestampUs> t = ParseRowTime(row[ts_column], r + 1, input.timestamp_column);
      if (!t.ok()) {
        errors[chunk] = t.status();
        return;
      }
      (*times)[r] = *t;
    }
  });
  for (const absl::Status& error : errors) FSTORE_RETURN_IF_ERROR(error);
  return absl::OkStatus();
}

// Adds each row's entity (its key in the group's key columns) to the
// group's entities, in row order, then orders the rows by entity. The keys
// of the next few rows are hashed ahead, to prefetch their slots.
void EntitiesOfRows(const EntityRows& input, const std::vector<TimestampUs>& times,
                    KeyGroup* group) {
  const size_t n = input.rows.size();
  constexpr size_t kAhead = 8;
  constexpr size_t kRing = 16;  // > kAhead, a power of 2
  struct Pending {
    std::string composite;  // a composite key's encoded form
    absl::string_view key;
    uint64_t hash = 0;
  };
  std::array<Pending, kRing> ring;
  auto load = [&](size_t r) {
    Pending& p = ring[r % kRing];
    const std::vector<std::string>& row = input.rows[r];
    if (group->key_columns.size() == 1) {
      p.key = row[group->key_columns[0]];
    } else {
      p.composite.clear();
      for (int c : group->key_columns) codec::PutComponent(&p.composite, row[c]);
      p.key = p.composite;
    }
    p.hash = EntitySet::Hash(p.key);
    group->entities.Prefetch(p.hash);
  };
  for (size_t r = 0; r < std::min(n, kAhead); ++r) load(r);
  std::vector<uint32_t> entity_of(n);
  for (size_t r = 0; r < n; ++r) {
    if (r + kAhead < n) load(r + kAhead);
    const Pending& p = ring[r % kRing];
    entity_of[r] = group->entities.Add(p.key, p.hash, times[r]);
  }
  GroupPoints(entity_of, times, group);
}

// InvalidArgument naming a column the entity rows name twice, or the
// timestamp column when it is also a join key: which cell is the row's
// time, or its key, would be ambiguous.
absl::Status CheckRowColumns(const std::vector<std::string>& columns,
                             const std::string& timestamp_column,
                             const std::vector<SelectedFeature>& features) {
  for (size_t c = 0; c < columns.size(); ++c) {
    for (size_t d = c + 1; d < columns.size(); ++d) {
      if (columns[c] != columns[d]) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "the entity rows name column ", QuotedValue(columns[c]), " twice (columns ", c + 1,
          " and ", d + 1, ")",
          columns[c] == timestamp_column ? "; it is the timestamp column: give it once" : ""));
    }
  }
  for (const SelectedFeature& f : features) {
    for (const std::string& key : f.view->key_names) {
      if (key == timestamp_column) {
        return absl::InvalidArgumentError(
            absl::StrCat("the timestamp column ", QuotedValue(timestamp_column),
                         " is also the join key of "
                         "feature view ",
                         f.view->def->name,
                         "; name the time column of the entity rows with "
                         "--timestamp-column"));
      }
    }
  }
  return absl::OkStatus();
}

// The views of `features` planned, and each key group's join-key columns
// found among `columns`; InvalidArgument naming a missing one.
absl::Status PlanJoin(const std::vector<SelectedFeature>& features,
                      const std::vector<std::string>& columns, std::vector<ViewPlan>* plans,
                      std::vector<KeyGroup>* groups, size_t* run_count) {
  PlanViews(features, ViewsOf(features), plans, groups, run_count);
  for (const ViewPlan& plan : *plans) {
    KeyGroup& group = (*groups)[plan.group];
    if (!group.key_columns.empty()) continue;
    for (const std::string& key : group.key_names) {
      auto it = std::find(columns.begin(), columns.end(), key);
      if (it == columns.end()) {
        return absl::InvalidArgumentError(absl::StrCat("the entity rows have no column '", key,
                                                       "', the join key of feature view ",
                                                       plan.view->def->name));
      }
      group.key_columns.push_back(static_cast<int>(it - columns.begin()));
    }
  }
  return absl::OkStatus();
}

// Steps 2 to 5 of a join (see the top of this file) for rows checked and
// timed: one output line per input row, its cells then its features as of
// times[row].
absl::StatusOr<JoinResult> RunJoin(const Database& db, const std::vector<SelectedFeature>& features,
                                   uint64_t high_water_mark, const EntityRows& input,
                                   const std::vector<TimestampUs>& times, int threads,
                                   std::vector<ViewPlan>* view_plans,
                                   std::vector<KeyGroup>* key_groups, size_t run_count,
                                   const CsvSink& sink) {
  std::vector<ViewPlan>& plans = *view_plans;
  std::vector<KeyGroup>& groups = *key_groups;
  const size_t n = input.rows.size();
  // Each row's entity per group, and the rows by entity: on one thread,
  // while the others start scanning.
  auto prepare = [&] {
    for (KeyGroup& group : groups) EntitiesOfRows(input, times, &group);
  };
  FSTORE_RETURN_IF_ERROR(CollectEvents(db, high_water_mark, /*add_entities=*/false, 0, threads,
                                       &plans, &groups, prepare));

  // Evaluate every point, block by block; each run's text goes to the
  // block's text.
  std::vector<std::pair<size_t, size_t>> tasks;  // (group, block)
  for (size_t g = 0; g < groups.size(); ++g) {
    CutBlocks(plans, &groups[g]);
    for (size_t b = 0; b + 1 < groups[g].block_begin.size(); ++b) tasks.emplace_back(g, b);
  }
  // Per row, per run: where its text is. A block writes the refs of its
  // entities' rows, anywhere in the array (a store per run; rendering then
  // reads the array in order).
  std::vector<TextRef> refs(n * run_count);
  std::vector<std::string> texts(tasks.size());
  ParallelFor(threads, tasks.size(), [&](size_t task, int) {
    const KeyGroup& group = groups[tasks[task].first];
    std::string& text = texts[task];
    // Room for a typical block (a few bytes per value): growing a string by
    // doubling copies it and touches new memory each time.
    const size_t block = tasks[task].second;
    const size_t points = group.point_begin[group.block_begin[block + 1]] -
                          group.point_begin[group.block_begin[block]];
    text.reserve(points * (6 * features.size() + 2));
    EvaluateBlock(
        plans, group, block, [&](uint32_t position, const std::vector<std::vector<Value>>& values) {
          const size_t row = group.point_row[position];
          for (const Run& run : group.runs) {
            const size_t offset = text.size();
            AppendRun(run, values, &text);
            refs[row * run_count + run.index] = {
                static_cast<uint32_t>(task), static_cast<uint32_t>(text.size() - offset), offset};
          }
        });
  });

  // The lines in input order, rendered by chunks of rows in parallel, a
  // wave of chunks at a time (buffers reused from wave to wave); the calling
  // thread hashes each wave and hands it to the sink, in order, while the
  // other threads render the next.
  auto render = [&](size_t chunk, std::string* lines) {
    lines->clear();
    const size_t end = std::min(n, (chunk + 1) * kChunkRows);
    for (size_t r = chunk * kChunkRows; r < end; ++r) {
      // A row's cells and texts lie anywhere in memory: start loading those
      // of a row kRenderAhead lines ahead.
      if (r + kRenderAhead < end) {
        __builtin_prefetch(input.rows[r + kRenderAhead].data());
        for (size_t k = 0; k < run_count; ++k) {
          const TextRef& ref = refs[(r + kRenderAhead) * run_count + k];
          const char* text = texts[ref.block].data() + ref.offset;
          __builtin_prefetch(text);
          __builtin_prefetch(text + ref.size);
        }
      }
      const std::vector<std::string>& row = input.rows[r];
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) lines->push_back(',');
        AppendCsvField(lines, row[c]);
      }
      for (size_t k = 0; k < run_count; ++k) {
        const TextRef& ref = refs[r * run_count + k];
        lines->push_back(',');
        lines->append(texts[ref.block], ref.offset, ref.size);
      }
      lines->push_back('\n');
    }
  };

  JoinResult result;
  result.columns = input.columns;
  for (const SelectedFeature& f : features) result.columns.push_back(f.name);
  CsvOutput out(sink);
  AppendCsvLine(out.buffer(), result.columns);
  // Two sets of buffers: while the threads render a wave of chunks into
  // one, the calling thread first writes the previous wave from the other.
  const size_t chunks = (n + kChunkRows - 1) / kChunkRows;
  const size_t wave_size = 2 * static_cast<size_t>(threads);
  std::vector<std::string> waves[2] = {std::vector<std::string>(wave_size),
                                       std::vector<std::string>(wave_size)};
  absl::Status written;
  const std::vector<std::string>* previous = nullptr;
  size_t pending = 0;  // chunks in *previous not written yet
  auto write_previous = [&] {
    for (size_t i = 0; i < pending && written.ok(); ++i) written = out.Write((*previous)[i]);
    pending = 0;
  };
  for (size_t first = 0, w = 0; first < chunks; first += wave_size, ++w) {
    std::vector<std::string>& wave = waves[w % 2];
    const size_t count = std::min(wave_size, chunks - first);
    ParallelFor(
        threads, count, [&](size_t i, int) { render(first + i, &wave[i]); }, write_previous);
    FSTORE_RETURN_IF_ERROR(written);
    previous = &wave;
    pending = count;
  }
  write_previous();
  FSTORE_RETURN_IF_ERROR(written);
  FSTORE_RETURN_IF_ERROR(out.Flush());
  result.row_count = static_cast<int64_t>(n);
  result.fingerprint = out.Fingerprint();
  return result;
}

// KeyCombinationsSeen over every event time, or FailedPrecondition saying
// what to do instead when no source carries all the keys.
absl::StatusOr<std::vector<std::vector<std::string>>> KeyCombinations(
    const Database& db, absl::Span<const Source> sources, const std::vector<std::string>& keys,
    uint64_t high_water_mark) {
  absl::StatusOr<std::vector<std::vector<std::string>>> seen = KeyCombinationsSeen(
      db, sources, keys, high_water_mark, std::numeric_limits<TimestampUs>::min(),
      std::numeric_limits<TimestampUs>::max());
  if (absl::IsNotFound(seen.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "these features are keyed by ", absl::StrJoin(keys, " and "),
        ": export lists the combinations of them seen together on one event, but no source "
        "carries them all; export each entity's views on their own (fsctl export VIEW, or "
        "VIEW:FEATURE,... refs of one entity), or list the combinations you want in a file and "
        "run fsctl dataset build --entities FILE"));
  }
  return seen;
}

// ExportAsOf for features of several entity keys: one row per combination
// of their join keys (KeyCombinations), joined like entity rows that all
// ask about `at`.
absl::StatusOr<JoinResult> ExportCombinations(const Database& db,
                                              const std::vector<SelectedFeature>& features,
                                              absl::Span<const Source> sources,
                                              uint64_t high_water_mark, TimestampUs at,
                                              const CsvSink& sink, const JoinOptions& options) {
  EntityRows input;
  for (const SelectedFeature& f : features) {
    for (const std::string& key : f.view->key_names) {
      if (std::find(input.columns.begin(), input.columns.end(), key) == input.columns.end()) {
        input.columns.push_back(key);
      }
    }
  }
  FSTORE_ASSIGN_OR_RETURN(input.rows, KeyCombinations(db, sources, input.columns, high_water_mark));
  const size_t n = input.rows.size();
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return absl::ResourceExhaustedError(absl::StrCat("too many entity combinations: ", n));
  }
  std::vector<ViewPlan> plans;
  std::vector<KeyGroup> groups;
  size_t run_count = 0;
  FSTORE_RETURN_IF_ERROR(PlanJoin(features, input.columns, &plans, &groups, &run_count));
  const std::vector<TimestampUs> times(n, at);
  return RunJoin(db, features, high_water_mark, input, times,
                 BatchThreads(options.threads, n + high_water_mark), &plans, &groups, run_count,
                 sink);
}

}  // namespace

absl::StatusOr<JoinResult> JoinHistorical(const Database& db,
                                          const std::vector<SelectedFeature>& features,
                                          uint64_t high_water_mark, const EntityRows& input,
                                          const CsvSink& sink, const JoinOptions& options) {
  FSTORE_RETURN_IF_ERROR(CheckRowColumns(input.columns, input.timestamp_column, features));
  auto ts = std::find(input.columns.begin(), input.columns.end(), input.timestamp_column);
  if (ts == input.columns.end()) {
    return absl::InvalidArgumentError(absl::StrCat("the entity rows have no timestamp column '",
                                                   input.timestamp_column,
                                                   "' (name another with --timestamp-column)"));
  }
  const int ts_column = static_cast<int>(ts - input.columns.begin());
  std::vector<ViewPlan> plans;
  std::vector<KeyGroup> groups;
  size_t run_count = 0;
  FSTORE_RETURN_IF_ERROR(PlanJoin(features, input.columns, &plans, &groups, &run_count));
  // Parse every row first: a bad row fails the join before any output.
  const size_t n = input.rows.size();
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("too many entity rows: ", n));
  }
  const int threads = BatchThreads(options.threads, n + high_water_mark);
  std::vector<TimestampUs> times(n);
  std::vector<int> key_columns;
  for (const KeyGroup& group : groups) {
    for (int c : group.key_columns) {
      if (std::find(key_columns.begin(), key_columns.end(), c) == key_columns.end()) {
        key_columns.push_back(c);
      }
    }
  }
  FSTORE_RETURN_IF_ERROR(ParseTimes(input, ts_column, key_columns, threads, &times));
  return RunJoin(db, features, high_water_mark, input, times, threads, &plans, &groups, run_count,
                 sink);
}

absl::StatusOr<JoinResult> ExportAsOf(const Database& db,
                                      const std::vector<SelectedFeature>& features,
                                      absl::Span<const Source> sources, uint64_t high_water_mark,
                                      TimestampUs at, const CsvSink& sink,
                                      const JoinOptions& options) {
  const std::vector<const CompiledView*> views = ViewsOf(features);
  for (const CompiledView* v : views) {
    if (v->key_names != views[0]->key_names) {
      return ExportCombinations(db, features, sources, high_water_mark, at, sink, options);
    }
  }
  std::vector<ViewPlan> plans;
  std::vector<KeyGroup> groups;
  size_t run_count = 0;
  PlanViews(features, views, &plans, &groups, &run_count);
  JoinResult result;
  result.columns = views.empty() ? std::vector<std::string>() : views[0]->key_names;
  for (const SelectedFeature& f : features) result.columns.push_back(f.name);
  CsvOutput out(sink);
  AppendCsvLine(out.buffer(), result.columns);
  if (groups.empty()) {
    FSTORE_RETURN_IF_ERROR(out.Flush());
    result.fingerprint = out.Fingerprint();
    return result;
  }
  // Every entity with events (below the high-water mark) in any of the views.
  const int threads = BatchThreads(options.threads, high_water_mark);
  FSTORE_RETURN_IF_ERROR(
      CollectEvents(db, high_water_mark, /*add_entities=*/true, at, threads, &plans, &groups));
  KeyGroup& group = groups[0];
  const size_t entities = group.entities.size();
  // One point per entity (its position is its id), at `at`; the lines go
  // out in key order.
  std::vector<uint32_t> by_key(entities);
  for (uint32_t e = 0; e < entities; ++e) by_key[e] = e;
  std::sort(by_key.begin(), by_key.end(),
            [&](uint32_t a, uint32_t b) { return group.entities.key(a) < group.entities.key(b); });
  group.point_begin.resize(entities + 1);
  for (uint32_t e = 0; e <= entities; ++e) group.point_begin[e] = e;
  group.point_time.assign(entities, at);
  CutBlocks(plans, &group);
  // One line per entity, placed by the entity's rank in key order.
  std::vector<uint32_t> rank(entities);
  for (uint32_t i = 0; i < entities; ++i) rank[by_key[i]] = i;
  std::vector<std::string> lines(entities);
  const size_t blocks = group.block_begin.size() - 1;
  ParallelFor(threads, blocks, [&](size_t block, int) {
    EvaluateBlock(plans, group, block,
                  [&](uint32_t e, const std::vector<std::vector<Value>>& values) {
                    std::string& line = lines[rank[e]];
                    const absl::string_view key = group.entities.key(e);
                    if (group.key_names.size() == 1) {
                      AppendCsvField(&line, key);
                    } else {
                      absl::string_view in = key, part;
                      for (bool first = true; codec::GetComponent(&in, &part); first = false) {
                        if (!first) line.push_back(',');
                        AppendCsvField(&line, part);
                      }
                    }
                    for (const Run& run : group.runs) {
                      line.push_back(',');
                      AppendRun(run, values, &line);
                    }
                    line.push_back('\n');
                  });
  });
  for (std::string& line : lines) {
    out.buffer()->append(line);
    std::string().swap(line);
    FSTORE_RETURN_IF_ERROR(out.MaybeFlush());
  }
  FSTORE_RETURN_IF_ERROR(out.Flush());
  result.row_count = static_cast<int64_t>(entities);
  result.fingerprint = out.Fingerprint();
  return result;
}

absl::StatusOr<PointFeatures> EvaluatePoint(const Database& db,
                                            const std::vector<SelectedFeature>& features,
                                            uint64_t high_water_mark,
                                            const std::map<std::string, std::string>& entity,
                                            TimestampUs at, const JoinOptions& options) {
  const std::vector<const CompiledView*> views = ViewsOf(features);
  std::vector<ViewPlan> plans;
  std::vector<KeyGroup> groups;
  size_t run_count = 0;
  PlanViews(features, views, &plans, &groups, &run_count);
  // One point per group: the entity, at `at`.
  for (KeyGroup& group : groups) {
    FSTORE_ASSIGN_OR_RETURN(const std::string key,
                            EntityKeyFromNames(*plans[group.views[0]].view, entity));
    group.entities.Add(key, at);
    group.point_begin = {0, 1};
    group.point_row = {0};
    group.point_time = {at};
    group.block_begin = {0, 1};
  }
  FSTORE_RETURN_IF_ERROR(CollectEvents(db, high_water_mark, /*add_entities=*/false, 0,
                                       BatchThreads(options.threads, high_water_mark), &plans,
                                       &groups));
  PointFeatures out;
  out.newest_event.resize(views.size());
  std::vector<std::vector<Value>> view_values(views.size());
  for (const KeyGroup& group : groups) {
    EvaluateBlock(plans, group, 0, [&](uint32_t, const std::vector<std::vector<Value>>& values) {
      for (size_t i = 0; i < group.views.size(); ++i) view_values[group.views[i]] = values[i];
    });
  }
  for (size_t v = 0; v < plans.size(); ++v) {
    out.newest_event[v] = plans[v].events.NewestBefore(0, at).value_or(TimestampUs{0});
    out.oldest_event = std::min(out.oldest_event, plans[v].events.oldest_scanned());
  }
  // ViewPlan::features lists each view's features in output order.
  std::vector<size_t> next(views.size(), 0);
  out.values.reserve(features.size());
  for (const SelectedFeature& f : features) {
    const size_t v = std::find(views.begin(), views.end(), f.view) - views.begin();
    out.values.push_back(std::move(view_values[v][next[v]++]));
  }
  return out;
}

}  // namespace fstore
