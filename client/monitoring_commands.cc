#include "client/monitoring_commands.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace fstore::cli {
namespace {

Json DriftJson(const v1::FeatureDrift& d) {
  Json j;
  j["feature"] = d.feature();
  j["status"] = d.status();
  j["psi"] = d.psi();
  j["ks"] = d.ks_d();
  j["ks_p_value"] = d.ks_p_value();
  j["serving_count"] = d.serving_count();
  j["serving_missing_rate"] = d.serving_missing_rate();
  j["training_missing_rate"] = d.training_missing_rate();
  return j;
}

std::vector<std::string> DriftRow(const v1::FeatureDrift& d) {
  return {d.feature(),
          d.status() == "insufficient_data"
              ? absl::StrCat("insufficient_data (", d.serving_count() - d.serving_missing(), ")")
              : d.status(),
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
  if (std::optional<std::string> min = inv.args.Get("min-values")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(*min, &n) || n < 1) {
      return UsageError(
          absl::StrCat("--min-values '", *min, "' must be a whole number of at least 1"));
    }
    request.set_min_serving_values(n);
  }
  absl::StatusOr<v1::GetDriftResponse> r =
      inv.client().Call(&v1::Monitoring::Stub::GetDrift, request, "GetDrift");
  if (!r.ok()) return r.status();
  int drifted = 0, assessed = 0;
  std::map<std::string, int> not_assessed;  // by status
  for (const v1::FeatureDrift& d : r->features()) {
    drifted += d.status() == "drift";
    if (d.status() == "ok" || d.status() == "warn" || d.status() == "drift") {
      ++assessed;
    } else {
      ++not_assessed[d.status()];
    }
  }
  if (inv.json()) {
    Json j;
    j["model"] = r->model();
    j["version"] = r->model_version();
    j["since"] = FormatIsoTime(r->since_us());
    j["until"] = FormatIsoTime(r->until_us());
    j["requests"] = r->requests();
    j["drifted_features"] = drifted;
    j["assessed_features"] = assessed;
    j["not_assessed_features"] = r->features_size() - assessed;
    j["min_serving_values"] = r->min_serving_values();
    j["features"] = Json::array();
    for (const v1::FeatureDrift& d : r->features()) j["features"].push_back(DriftJson(d));
    if (r->has_prediction()) j["prediction"] = DriftJson(r->prediction());
    inv.out << JsonText(j) << "\n";
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
  inv.out << "\n" << drifted << " of " << assessed << " assessed features drifted";
  if (assessed > 0) inv.out << " (PSI >= 0.2, or KS p < 0.01 with D >= 0.1)";
  inv.out << "\n";
  if (!not_assessed.empty()) {
    std::vector<std::string> why;
    for (const auto& [status, n] : not_assessed) {
      if (status == "insufficient_data") {
        why.push_back(absl::StrCat(n, " with fewer than ", r->min_serving_values(),
                                   " served values (--min-values)"));
      } else if (status == "no_data") {
        why.push_back(absl::StrCat(n, " with no served values"));
      } else if (status == "no_training_stats") {
        why.push_back(absl::StrCat(n, " without training statistics"));
      } else {
        why.push_back(absl::StrCat(n, " ", status));
      }
    }
    inv.out << r->features_size() - assessed << " of " << r->features_size()
            << " features could not be assessed: " << absl::StrJoin(why, ", ") << "\n";
  }
  return absl::OkStatus();
}

}  // namespace fstore::cli
