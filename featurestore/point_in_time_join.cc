#include "featurestore/point_in_time_join.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "featurestore/csv_writer.h"
#include "featurestore/entity_timeline.h"
#include "featurestore/event_log.h"
#include "featurestore/record_codec.h"
#include "featurestore/sha256.h"

namespace fstore {
namespace {

// Output is handed to the sink in chunks of about this many bytes.
constexpr size_t kChunkBytes = 1 << 20;

// Timelines of one view for the entities a join needs (all entities when
// `wanted` is null).
using Timelines = absl::flat_hash_map<std::string, EntityTimeline>;

// The distinct views among the features, in first-use order.
std::vector<const CompiledView*> ViewsOf(const std::vector<SelectedFeature>& features) {
  std::vector<const CompiledView*> views;
  for (const SelectedFeature& f : features) {
    if (std::find(views.begin(), views.end(), f.view) == views.end()) views.push_back(f.view);
  }
  return views;
}

// Reads each view's source once (views sharing a source share the scan).
absl::Status LoadTimelines(const Database& db, const std::vector<const CompiledView*>& views,
                           uint64_t high_water_mark,
                           const std::vector<absl::flat_hash_map<std::string, int>>* wanted,
                           std::vector<Timelines>* timelines) {
  timelines->clear();
  timelines->resize(views.size());
  std::vector<bool> done(views.size(), false);
  std::vector<Value> projected;
  for (size_t v = 0; v < views.size(); ++v) {
    if (done[v]) continue;
    std::vector<size_t> same_source;
    for (size_t w = v; w < views.size(); ++w) {
      if (!done[w] && views[w]->source == views[v]->source) {
        same_source.push_back(w);
        done[w] = true;
      }
    }
    FSTORE_RETURN_IF_ERROR(ScanEvents(
        db, *views[v]->source, high_water_mark,
        [&](TimestampUs ts, uint64_t seq, const std::vector<Value>& values) -> absl::Status {
          for (size_t w : same_source) {
            const CompiledView& view = *views[w];
            std::string key = EntityKeyOf(view, values);
            if (wanted != nullptr && !(*wanted)[w].contains(key)) continue;
            projected.resize(view.slot_columns.size());
            for (size_t s = 0; s < view.slot_columns.size(); ++s) {
              projected[s] = values[view.slot_columns[s]];
            }
            auto [t, inserted] = (*timelines)[w].try_emplace(std::move(key), view.schema);
            t->second.Insert(ts, seq, projected);
          }
          return absl::OkStatus();
        }));
  }
  return absl::OkStatus();
}

// Buffers CSV output, hashes it and hands it to the sink in chunks.
class CsvOutput {
 public:
  explicit CsvOutput(const CsvSink& sink) : sink_(sink) {}
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
    return absl::InvalidArgumentError(absl::StrCat(
        "entity row ", row, ": column ", column, ": '", text,
        "' is not a timestamp (ISO-8601 UTC such as 2026-01-05T10:00:00Z, or integer "
        "microseconds)"));
  }
  return *t;
}

}  // namespace

absl::StatusOr<JoinResult> JoinHistorical(const Database& db,
                                          const std::vector<SelectedFeature>& features,
                                          uint64_t high_water_mark, const EntityRows& input,
                                          const CsvSink& sink) {
  const std::vector<const CompiledView*> views = ViewsOf(features);
  auto column_index = [&](const std::string& name) {
    auto it = std::find(input.columns.begin(), input.columns.end(), name);
    return it == input.columns.end() ? -1 : static_cast<int>(it - input.columns.begin());
  };
  const int ts_column = column_index(input.timestamp_column);
  if (ts_column < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the entity rows have no timestamp column '", input.timestamp_column,
        "' (name another with --timestamp-column)"));
  }
  // Per view: which input column holds each join key.
  std::vector<std::vector<int>> key_columns(views.size());
  for (size_t v = 0; v < views.size(); ++v) {
    for (const std::string& key : views[v]->key_names) {
      const int c = column_index(key);
      if (c < 0) {
        return absl::InvalidArgumentError(absl::StrCat("the entity rows have no column '", key,
                                                       "', the join key of feature view ",
                                                       views[v]->def->name));
      }
      key_columns[v].push_back(c);
    }
  }
  // Parse every row first: a bad row fails the join before any output.
  const size_t n = input.rows.size();
  std::vector<TimestampUs> times(n);
  std::vector<std::vector<std::string>> keys(views.size(), std::vector<std::string>(n));
  std::vector<absl::flat_hash_map<std::string, int>> wanted(views.size());
  for (size_t r = 0; r < n; ++r) {
    const std::vector<std::string>& row = input.rows[r];
    if (row.size() != input.columns.size()) {
      return absl::InvalidArgumentError(absl::StrCat("entity row ", r + 1, " has ", row.size(),
                                                     " cells but there are ",
                                                     input.columns.size(), " columns"));
    }
    FSTORE_ASSIGN_OR_RETURN(times[r], ParseRowTime(row[ts_column], r + 1, input.timestamp_column));
    for (size_t v = 0; v < views.size(); ++v) {
      std::string& key = keys[v][r];
      if (key_columns[v].size() == 1) {
        key = row[key_columns[v][0]];
      } else {
        for (int c : key_columns[v]) codec::PutComponent(&key, row[c]);
      }
      wanted[v].emplace(key, 0);
    }
  }
  std::vector<Timelines> timelines;
  FSTORE_RETURN_IF_ERROR(LoadTimelines(db, views, high_water_mark, &wanted, &timelines));

  JoinResult result;
  result.columns = input.columns;
  for (const SelectedFeature& f : features) result.columns.push_back(f.name);
  CsvOutput out(sink);
  AppendCsvLine(out.buffer(), result.columns);
  // Per feature: its view's index, to find the row's timeline.
  std::vector<size_t> view_of(features.size());
  for (size_t i = 0; i < features.size(); ++i) {
    view_of[i] = std::find(views.begin(), views.end(), features[i].view) - views.begin();
  }
  std::vector<const EntityTimeline*> row_timelines(views.size());
  for (size_t r = 0; r < n; ++r) {
    for (size_t v = 0; v < views.size(); ++v) {
      auto t = timelines[v].find(keys[v][r]);
      row_timelines[v] = t == timelines[v].end() ? views[v]->empty_timeline.get() : &t->second;
    }
    std::string* line = out.buffer();
    for (size_t c = 0; c < input.rows[r].size(); ++c) {
      if (c > 0) line->push_back(',');
      AppendCsvField(line, input.rows[r][c]);
    }
    for (size_t i = 0; i < features.size(); ++i) {
      line->push_back(',');
      AppendCsvValue(line, row_timelines[view_of[i]]->Evaluate(features[i].feature, times[r]));
    }
    line->push_back('\n');
    FSTORE_RETURN_IF_ERROR(out.MaybeFlush());
  }
  FSTORE_RETURN_IF_ERROR(out.Flush());
  result.row_count = static_cast<int64_t>(n);
  result.fingerprint = out.Fingerprint();
  return result;
}

absl::StatusOr<JoinResult> ExportAsOf(const Database& db,
                                      const std::vector<SelectedFeature>& features,
                                      uint64_t high_water_mark, TimestampUs at,
                                      const CsvSink& sink) {
  const std::vector<const CompiledView*> views = ViewsOf(features);
  for (const CompiledView* v : views) {
    if (v->key_names != views[0]->key_names) {
      return absl::InvalidArgumentError(absl::StrCat(
          "export needs features of one entity key: view ", views[0]->def->name, " is keyed by ",
          absl::StrJoin(views[0]->key_names, "+"), ", view ", v->def->name, " by ",
          absl::StrJoin(v->key_names, "+")));
    }
  }
  std::vector<Timelines> timelines;
  FSTORE_RETURN_IF_ERROR(LoadTimelines(db, views, high_water_mark, nullptr, &timelines));
  // Every entity with events in any of the views, in key order.
  std::map<std::string, std::vector<std::string>> entities;
  for (const Timelines& t : timelines) {
    for (const auto& [key, timeline] : t) {
      if (entities.contains(key)) continue;
      std::vector<std::string> parts;
      if (views[0]->key_names.size() == 1) {
        parts.push_back(key);
      } else {
        absl::string_view in = key, part;
        while (codec::GetComponent(&in, &part)) parts.emplace_back(part);
      }
      entities.emplace(key, std::move(parts));
    }
  }
  JoinResult result;
  result.columns = views[0]->key_names;
  for (const SelectedFeature& f : features) result.columns.push_back(f.name);
  CsvOutput out(sink);
  AppendCsvLine(out.buffer(), result.columns);
  for (const auto& [key, parts] : entities) {
    std::string* line = out.buffer();
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p > 0) line->push_back(',');
      AppendCsvField(line, parts[p]);
    }
    for (const SelectedFeature& f : features) {
      const size_t v = std::find(views.begin(), views.end(), f.view) - views.begin();
      auto t = timelines[v].find(key);
      const EntityTimeline* timeline =
          t == timelines[v].end() ? f.view->empty_timeline.get() : &t->second;
      line->push_back(',');
      AppendCsvValue(line, timeline->Evaluate(f.feature, at));
    }
    line->push_back('\n');
    FSTORE_RETURN_IF_ERROR(out.MaybeFlush());
  }
  FSTORE_RETURN_IF_ERROR(out.Flush());
  result.row_count = static_cast<int64_t>(entities.size());
  result.fingerprint = out.Fingerprint();
  return result;
}

}  // namespace fstore
