#include "client/feedback_commands.h"

#include <fstream>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/csv_reader.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace fstore::cli {
namespace {

constexpr size_t kLabelsPerMessage = 10000;

absl::StatusOr<int> ParseLabel(absl::string_view cell) {
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(cell));
  if (v == "1" || v == "true") return 1;
  if (v == "0" || v == "false") return 0;
  return absl::InvalidArgumentError(absl::StrCat("label '", cell, "' is not 0, 1, true or false"));
}

absl::StatusOr<TimestampUs> ParseEventTime(absl::string_view cell) {
  int64_t us = 0;
  if (absl::SimpleAtoi(cell, &us)) return us;
  return ParseIsoTime(cell);
}

std::string Optional(bool has, double value, const char* format) {
  return has ? absl::StrFormat(format, value) : std::string("-");
}

Json LiveJson(const v1::LiveMetrics& m) {
  Json j;
  j["model"] = m.model();
  j["version"] = m.model_version();
  j["labelled"] = m.labelled();
  j["positives"] = m.positives();
  j["auc"] = m.has_auc() ? Json(m.auc()) : Json();
  j["high_bucket"] = m.high_bucket();
  j["high_min_score"] = m.high_min_score();
  j["alerts"] = m.alerts();
  j["true_alerts"] = m.true_alerts();
  j["precision_at_high"] = m.has_precision_at_high() ? Json(m.precision_at_high()) : Json();
  j["recall_at_high"] = m.has_recall_at_high() ? Json(m.recall_at_high()) : Json();
  return j;
}

void PrintLiveTable(std::ostream& out, const std::vector<const v1::LiveMetrics*>& live) {
  std::vector<std::vector<std::string>> rows = {{"MODEL", "VERSION", "LABELLED", "POSITIVES", "AUC",
                                                 "HIGH BUCKET", "ALERTS", "PRECISION@HIGH",
                                                 "RECALL@HIGH"}};
  for (const v1::LiveMetrics* m : live) {
    rows.push_back({m->model(), absl::StrCat(m->model_version()), absl::StrCat(m->labelled()),
                    absl::StrCat(m->positives()), Optional(m->has_auc(), m->auc(), "%.4f"),
                    m->high_bucket().empty()
                        ? std::string("-")
                        : absl::StrFormat("%s >= %.4f", m->high_bucket(), m->high_min_score()),
                    absl::StrCat(m->alerts()),
                    Optional(m->has_precision_at_high(), m->precision_at_high(), "%.4f"),
                    Optional(m->has_recall_at_high(), m->recall_at_high(), "%.4f")});
  }
  PrintTable(out, rows);
}

}  // namespace

absl::StatusOr<std::vector<v1::FeedbackRequest>> ReadFeedbackFile(
    const std::string& path, const std::string& timestamp_column, size_t chunk_labels) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  CsvReader reader(in);
  std::vector<std::string> header;
  absl::Status csv_error;
  if (!reader.Next(&header, &csv_error) || !csv_error.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no header row"));
  }
  int label_col = -1, id_col = -1, time_col = -1, model_col = -1;
  std::vector<int> key_cols;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    const std::string& name = header[i];
    if (name == "label") {
      label_col = i;
    } else if (name == "request_id") {
      id_col = i;
    } else if (name == timestamp_column) {
      time_col = i;
    } else if (name == "model") {
      model_col = i;
    } else if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": column ", i + 1, " of the header has no name"));
    } else {
      key_cols.push_back(i);
    }
  }
  if (label_col < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no 'label' column (header: ", absl::StrJoin(header, ","), ")"));
  }
  if (id_col < 0 && (time_col < 0 || key_cols.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": give a 'request_id' column, or a '", timestamp_column,
                     "' column and entity key columns (header: ", absl::StrJoin(header, ","), ")"));
  }
  std::vector<v1::FeedbackRequest> chunks(1);
  std::vector<std::string> cells;
  int64_t row = 0;
  while (reader.Next(&cells, &csv_error)) {
    if (!csv_error.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", csv_error.message()));
    }
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    ++row;
    const std::string where = absl::StrCat(path, " line ", reader.record_line());
    if (cells.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", cells.size(), " cells, the header has ", header.size()));
    }
    if (chunks.back().labels_size() >= static_cast<int>(chunk_labels)) chunks.emplace_back();
    v1::FeedbackLabel* label = chunks.back().add_labels();
    label->set_row(row);
    absl::StatusOr<int> value = ParseLabel(cells[label_col]);
    if (!value.ok())
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", value.status().message()));
    label->set_label(*value);
    if (model_col >= 0) label->set_model(cells[model_col]);
    if (id_col >= 0 && !cells[id_col].empty()) {
      label->set_request_id(cells[id_col]);
      continue;
    }
    if (time_col < 0 || key_cols.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": request_id is empty"));
    }
    absl::StatusOr<TimestampUs> at = ParseEventTime(cells[time_col]);
    if (!at.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": column ", timestamp_column, ": ", at.status().message()));
    }
    label->set_at_us(*at);
    for (int k : key_cols) {
      if (cells[k].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": entity key ", header[k], " is empty"));
      }
      (*label->mutable_entity()->mutable_values())[header[k]] = cells[k];
    }
  }
  if (!csv_error.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", csv_error.message()));
  }
  if (row == 0)
    return absl::InvalidArgumentError(absl::StrCat(path, ": no labels after the header"));
  return chunks;
}

absl::Status FeedbackCommand(Invocation& inv) {
  const std::string& path = inv.operands[0];
  FSTORE_ASSIGN_OR_RETURN(
      std::vector<v1::FeedbackRequest> chunks,
      ReadFeedbackFile(path, inv.args.Get("timestamp-column").value_or("ts"), kLabelsPerMessage));
  chunks[0].set_skip_unknown(inv.args.Has("skip-unknown"));
  FSTORE_ASSIGN_OR_RETURN(const std::optional<DurationUs> within,
                          PositiveDurationFlag(inv.args, "match-within", "5m"));
  if (within) chunks[0].set_match_within_us(*within);
  if (std::optional<std::string> model = inv.args.Get("model")) {
    for (v1::FeedbackRequest& chunk : chunks) {
      for (v1::FeedbackLabel& l : *chunk.mutable_labels()) {
        if (l.model().empty()) l.set_model(*model);
      }
    }
  }
  absl::StatusOr<v1::FeedbackResponse> r = inv.client().SendFeedback(chunks);
  if (!r.ok()) return r.status();
  if (inv.json()) {
    Json j;
    j["labels"] = r->labels();
    j["labelled"] = r->labelled();
    j["relabelled"] = r->relabelled();
    j["unknown"] = r->unknown();
    j["unknown_examples"] = Json::array();
    for (const std::string& e : r->unknown_examples()) j["unknown_examples"].push_back(e);
    j["live"] = Json::array();
    for (const v1::LiveMetrics& m : r->live()) j["live"].push_back(LiveJson(m));
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  inv.out << r->labels() << " labels from " << path << ": " << r->labelled()
          << " requests labelled, " << r->relabelled() << " relabelled";
  if (r->unknown() > 0) inv.out << ", " << r->unknown() << " matched no request (skipped)";
  inv.out << "\n";
  for (const std::string& e : r->unknown_examples()) inv.out << "  skipped " << e << "\n";
  if (r->live_size() > 0) {
    inv.out << "\nlive metrics over all labelled traffic:\n";
    std::vector<const v1::LiveMetrics*> live;
    for (const v1::LiveMetrics& m : r->live()) live.push_back(&m);
    PrintLiveTable(inv.out, live);
  }
  return absl::OkStatus();
}

absl::Status PerformanceCommand(Invocation& inv) {
  v1::GetLiveMetricsRequest request;
  request.set_model_ref(inv.operands[0]);
  FSTORE_ASSIGN_OR_RETURN(const std::optional<DurationUs> window,
                          PositiveDurationFlag(inv.args, "window", "30d"));
  if (window) request.set_window_us(*window);
  absl::StatusOr<v1::GetLiveMetricsResponse> r =
      inv.client().Call(&v1::Monitoring::Stub::GetLiveMetrics, request, "GetLiveMetrics");
  if (!r.ok()) return r.status();
  const v1::LiveMetrics& m = r->metrics();
  if (inv.json()) {
    inv.out << JsonText(LiveJson(m)) << "\n";
    return absl::OkStatus();
  }
  inv.out << m.model() << ":" << m.model_version() << ", requests served from "
          << FormatIsoTime(m.since_us()) << " to " << FormatIsoTime(m.until_us())
          << " that have a label\n\n";
  PrintLiveTable(inv.out, {&m});
  return absl::OkStatus();
}

}  // namespace fstore::cli
