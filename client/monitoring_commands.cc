#include "client/monitoring_commands.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/command_output.h"
#include "client/json_writer.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace fstore::cli {
namespace {

void WriteDriftJson(const v1::FeatureDrift& d, JsonWriter* w) {
  w->BeginObject();
  w->Key("feature");
  w->String(d.feature());
  w->Key("status");
  w->String(d.status());
  w->Key("psi");
  w->Double(d.psi());
  w->Key("ks");
  w->Double(d.ks_d());
  w->Key("ks_p_value");
  w->Double(d.ks_p_value());
  w->Key("serving_count");
  w->Int(d.serving_count());
  w->Key("serving_missing_rate");
  w->Double(d.serving_missing_rate());
  w->Key("training_missing_rate");
  w->Double(d.training_missing_rate());
  w->EndObject();
}

std::vector<std::string> DriftRow(const v1::FeatureDrift& d) {
  return {d.feature(),
          d.status(),
          absl::StrFormat("%.4f", d.psi()),
          absl::StrFormat("%.4f", d.ks_d()),
          absl::StrFormat("%.3g", d.ks_p_value()),
          absl::StrFormat("%.1f%% / %.1f%%", 100 * d.training_missing_rate(),
                          100 * d.serving_missing_rate())};
}

}  // namespace

absl::Status DriftCommand(Invocation& inv) {
  v1::GetDriftRequest request;
  request.set_model_ref(inv.operands[0]);
  FSTORE_ASSIGN_OR_RETURN(const std::optional<DurationUs> window,
                          PositiveDurationFlag(inv.args, "window", "24h"));
  if (window) request.set_window_us(*window);
  absl::StatusOr<v1::GetDriftResponse> r =
      inv.client().Call(&v1::Monitoring::Stub::GetDrift, request, "GetDrift");
  if (!r.ok()) return r.status();
  int drifted = 0;
  for (const v1::FeatureDrift& d : r->features()) drifted += d.status() == "drift";
  if (inv.json()) {
    JsonWriter w;
    w.BeginObject();
    w.Key("model");
    w.String(r->model());
    w.Key("version");
    w.Int(r->model_version());
    w.Key("since");
    w.String(FormatIsoTime(r->since_us()));
    w.Key("until");
    w.String(FormatIsoTime(r->until_us()));
    w.Key("requests");
    w.Int(r->requests());
    w.Key("drifted_features");
    w.Int(drifted);
    w.Key("features");
    w.BeginArray();
    for (const v1::FeatureDrift& d : r->features()) WriteDriftJson(d, &w);
    w.EndArray();
    if (r->has_prediction()) {
      w.Key("prediction");
      WriteDriftJson(r->prediction(), &w);
    }
    w.EndObject();
    inv.out << w.str() << "\n";
    return absl::OkStatus();
  }
  inv.out << r->model() << ":" << r->model_version() << ", " << r->requests()
          << " scored requests from " << FormatIsoTime(r->since_us()) << " to "
          << FormatIsoTime(r->until_us()) << "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"FEATURE", "STATUS", "PSI", "KS", "KS P", "MISSING TRAIN / SERVE"}};
  for (const v1::FeatureDrift& d : r->features()) rows.push_back(DriftRow(d));
  if (r->has_prediction()) {
    std::vector<std::string> row = DriftRow(r->prediction());
    row[0] = "(prediction)";
    rows.push_back(row);
  }
  PrintTable(inv.out, rows);
  inv.out << "\n" << drifted << " of " << r->features_size()
          << " features drifted (PSI >= 0.2, or KS p < 0.01 with D >= 0.1)\n";
  return absl::OkStatus();
}

}  // namespace fstore::cli
