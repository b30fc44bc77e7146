#include "client/registry_commands.h"

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/file_io.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"
#include "registry/model_registry.h"
#include "storage/sha256.h"

namespace fstore::cli {
namespace {

absl::string_view StageText(v1::Stage stage) {
  switch (stage) {
    case v1::STAGE_NONE:
      return "None";
    case v1::STAGE_STAGING:
      return "Staging";
    case v1::STAGE_PRODUCTION:
      return "Production";
    case v1::STAGE_ARCHIVED:
      return "Archived";
    default:
      return "?";
  }
}

absl::StatusOr<v1::Stage> ParseStageFlag(const std::string& text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "none") return v1::STAGE_NONE;
  if (lower == "staging") return v1::STAGE_STAGING;
  if (lower == "production") return v1::STAGE_PRODUCTION;
  if (lower == "archived") return v1::STAGE_ARCHIVED;
  return UsageError(absl::StrCat("--stage '", text,
                                 "' is not a stage: use None, Staging, Production or Archived"));
}

absl::StatusOr<int64_t> ParseVersion(absl::string_view text) {
  int64_t version = 0;
  if (!absl::SimpleAtoi(text, &version) || version < 1) {
    return UsageError(absl::StrCat("version '", text, "' is not a version number (1, 2, ...)"));
  }
  return version;
}

Json DoubleMapJson(const google::protobuf::Map<std::string, double>& map) {
  Json j = Json::object();
  for (const auto& [k, v] : std::map<std::string, double>(map.begin(), map.end())) j[k] = v;
  return j;
}

Json ModelJson(const v1::Model& m) {
  Json j;
  j["name"] = m.name();
  j["description"] = m.description();
  Json& tags_json = j["tags"] = Json::object();
  for (const auto& [k, v] : std::map<std::string, std::string>(m.tags().begin(), m.tags().end())) {
    tags_json[k] = v;
  }
  j["latest_version"] = m.latest_version();
  j["production_gate"] = DoubleMapJson(m.production_gate());
  j["production_gate_max"] = DoubleMapJson(m.production_gate_max());
  j["created_at"] = FormatIsoTime(m.created_at_us());
  j["updated_at"] = FormatIsoTime(m.updated_at_us());
  return j;
}

Json VersionJson(const v1::ModelVersion& v) {
  Json j;
  j["model"] = v.model();
  j["version"] = v.version();
  j["stage"] = StageText(v.stage());
  Json& aliases_json = j["aliases"] = Json::array();
  for (const std::string& a : v.aliases()) aliases_json.push_back(a);
  j["artifact_sha256"] = v.artifact_sha256();
  j["artifact_size"] = v.artifact_size();
  j["artifact_format"] = v.artifact_format();
  j["service"] = v.feature_service();
  j["service_version"] = v.feature_service_version();
  Json& features_json = j["features"] = Json::array();
  for (const std::string& f : v.feature_names()) features_json.push_back(f);
  Json& request_fields_json = j["request_fields"] = Json::array();
  for (const v1::RequestField& f : v.request_fields()) request_fields_json.push_back(f.name());
  j["training_snapshot"] = v.training_snapshot();
  j["dataset_fingerprint"] = v.dataset_fingerprint();
  Json& params_json = j["params"] = Json::object();
  for (const auto& [k, p] :
       std::map<std::string, std::string>(v.params().begin(), v.params().end())) {
    params_json[k] = p;
  }
  j["metrics"] = DoubleMapJson(v.metrics());
  Json& risk_thresholds_json = j["risk_thresholds"] = Json::array();
  for (const v1::RiskThreshold& t : v.risk_thresholds()) {
    Json threshold = Json::object();
    threshold["bucket"] = t.bucket();
    threshold["min_score"] = t.min_score();
    risk_thresholds_json.push_back(std::move(threshold));
  }
  j["feature_statistics"] = v.feature_statistics_size();
  j["description"] = v.description();
  j["created_by"] = v.created_by();
  j["created_at"] = FormatIsoTime(v.created_at_us());
  j["updated_at"] = FormatIsoTime(v.updated_at_us());
  if (v.warnings_size() > 0) {
    Json& warnings_json = j["warnings"] = Json::array();
    for (const std::string& w : v.warnings()) warnings_json.push_back(w);
  }
  return j;
}

void PrintVersionJson(Invocation& inv, const v1::ModelVersion& v) {
  inv.out << JsonText(VersionJson(v)) << "\n";
}

std::string MetricText(const v1::ModelVersion& v, const std::string& metric) {
  auto it = v.metrics().find(metric);
  if (it == v.metrics().end()) return "-";
  return absl::StrCat(std::round(it->second * 10000) / 10000);
}

}  // namespace

std::string ModelGateText(const v1::Model& model) {
  return GateText(
      std::map<std::string, double>(model.production_gate().begin(), model.production_gate().end()),
      std::map<std::string, double>(model.production_gate_max().begin(),
                                    model.production_gate_max().end()));
}

namespace {

std::string VersionLine(const v1::ModelVersion& v) {
  return absl::StrCat(v.model(), " version ", v.version(), " (", StageText(v.stage()), ")");
}

}  // namespace

absl::StatusOr<MetricBound> ParseMetricBound(absl::string_view text) {
  MetricBound bound;
  size_t at = text.find(">=");
  if (at == absl::string_view::npos) {
    at = text.find("<=");
    bound.at_most = true;
  }
  if (at == absl::string_view::npos || at == 0 ||
      !absl::SimpleAtod(text.substr(at + 2), &bound.value) || !std::isfinite(bound.value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not METRIC>=VALUE or METRIC<=VALUE (for example auc>=0.9, logloss<=0.3)"));
  }
  bound.metric = std::string(absl::StripAsciiWhitespace(text.substr(0, at)));
  if (bound.metric.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' names no metric"));
  }
  return bound;
}

absl::Status ParseGateFlags(const std::vector<std::string>& flags,
                            std::map<std::string, double>* min,
                            std::map<std::string, double>* max) {
  for (const std::string& flag : flags) {
    absl::StatusOr<MetricBound> bound = ParseMetricBound(flag);
    if (!bound.ok()) return UsageError(absl::StrCat("--gate ", bound.status().message()));
    (bound->at_most ? *max : *min)[bound->metric] = bound->value;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, double>> ParseMetricsJson(absl::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("is not valid JSON");
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "must be one JSON object of metric names to numbers, e.g. {\"auc\": 0.93}");
  }
  std::map<std::string, double> metrics;
  for (const auto& [key, value] : doc.items()) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric '", key, "' is ", value.dump(), ", not a finite number"));
    }
    metrics[key] = value.get<double>();
  }
  return metrics;
}

absl::Status RegisterCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::string model, RequiredFlag(inv.args, "model"));
  FSTORE_ASSIGN_OR_RETURN(const std::string artifact_path, RequiredFlag(inv.args, "artifact"));
  FSTORE_ASSIGN_OR_RETURN(const std::string service, RequiredFlag(inv.args, "service"));
  v1::CreateModelVersionRequest request;
  request.set_model(model);
  request.set_feature_service(service);
  request.set_description(inv.args.Get("description").value_or(""));
  if (std::optional<std::string> path = inv.args.Get("metrics")) {
    FSTORE_ASSIGN_OR_RETURN(const std::string text, ReadFile(*path));
    absl::StatusOr<std::map<std::string, double>> metrics = ParseMetricsJson(text);
    if (!metrics.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics ", *path, ": ", metrics.status().message()));
    }
    request.mutable_metrics()->insert(metrics->begin(), metrics->end());
  }
  FSTORE_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(artifact_path));
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--artifact ", artifact_path, " is empty"));
  }
  absl::StatusOr<v1::UploadArtifactResponse> uploaded = inv.client().UploadArtifact(bytes);
  if (!uploaded.ok()) return uploaded.status();
  request.set_artifact_sha256(uploaded->sha256());
  absl::StatusOr<v1::ModelVersion> version =
      inv.client().Call(&v1::Registry::Stub::CreateModelVersion, request, "CreateModelVersion");
  if (!version.ok()) return version.status();
  for (const std::string& warning : version->warnings()) inv.err << "warning: " << warning << "\n";
  if (inv.json()) {
    PrintVersionJson(inv, *version);
  } else {
    inv.out << "registered " << version->model() << " version " << version->version()
            << " (artifact sha256 " << version->artifact_sha256().substr(0, 12) << ", "
            << version->feature_names_size() << " inputs from " << version->feature_service() << "@"
            << version->feature_service_version() << ")\n";
  }
  return absl::OkStatus();
}

absl::Status ModelsCreateCommand(Invocation& inv) {
  v1::CreateModelRequest request;
  request.set_name(inv.operands[0]);
  request.set_description(inv.args.Get("description").value_or(""));
  for (const std::string& tag : inv.args.GetAll("tag")) {
    FSTORE_ASSIGN_OR_RETURN(auto kv, ParseKeyValue(tag, "tag"));
    (*request.mutable_tags())[kv.first] = kv.second;
  }
  std::map<std::string, double> min;
  std::map<std::string, double> max;
  FSTORE_RETURN_IF_ERROR(ParseGateFlags(inv.args.GetAll("gate"), &min, &max));
  request.mutable_production_gate()->insert(min.begin(), min.end());
  request.mutable_production_gate_max()->insert(max.begin(), max.end());
  absl::StatusOr<v1::Model> model =
      inv.client().Call(&v1::Registry::Stub::CreateModel, request, "CreateModel");
  if (!model.ok()) return model.status();
  if (inv.json()) {
    inv.out << JsonText(ModelJson(*model)) << "\n";
  } else {
    inv.out << "created model " << model->name() << "\n";
  }
  return absl::OkStatus();
}

absl::Status ModelsUpdateCommand(Invocation& inv) {
  const std::vector<std::string> gates = inv.args.GetAll("gate");
  const std::optional<std::string> description = inv.args.Get("description");
  if (gates.empty() && !description) {
    return UsageError("give --gate or --description (or both): what to change");
  }
  v1::UpdateModelRequest request;
  request.set_name(inv.operands[0]);
  if (description) request.set_description(*description);
  if (!gates.empty()) {
    request.set_set_gate(true);
    const bool none = gates.size() == 1 && absl::AsciiStrToLower(gates[0]) == "none";
    if (!none) {
      std::map<std::string, double> min;
      std::map<std::string, double> max;
      FSTORE_RETURN_IF_ERROR(ParseGateFlags(gates, &min, &max));
      request.mutable_production_gate()->insert(min.begin(), min.end());
      request.mutable_production_gate_max()->insert(max.begin(), max.end());
    }
  }
  absl::StatusOr<v1::Model> model =
      inv.client().Call(&v1::Registry::Stub::UpdateModel, request, "UpdateModel");
  if (!model.ok()) return model.status();
  if (inv.json()) {
    inv.out << JsonText(ModelJson(*model)) << "\n";
    return absl::OkStatus();
  }
  inv.out << "updated model " << model->name() << " (gate: " << ModelGateText(*model) << ")\n";
  return absl::OkStatus();
}

absl::Status ModelsListCommand(Invocation& inv) {
  absl::StatusOr<v1::ListModelsResponse> models =
      inv.client().Call(&v1::Registry::Stub::ListModels, v1::ListModelsRequest(), "ListModels");
  if (!models.ok()) return models.status();
  // Which version is in Production: one resolve per model.
  std::vector<std::string> production;
  for (const v1::Model& m : models->models()) {
    v1::ResolveModelRefRequest resolve;
    resolve.set_model_ref(absl::StrCat(m.name(), "@Production"));
    absl::StatusOr<v1::ModelVersion> v =
        inv.client().Call(&v1::Registry::Stub::ResolveModelRef, resolve, "ResolveModelRef");
    if (!v.ok() && !absl::IsNotFound(v.status())) return v.status();
    production.push_back(v.ok() ? absl::StrCat(v->version()) : "");
  }
  if (inv.json()) {
    Json j;
    Json& models_json = j["models"] = Json::array();
    for (int i = 0; i < models->models_size(); ++i) {
      models_json.push_back(ModelJson(models->models(i)));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  if (models->models_size() == 0) {
    inv.out << "no models (fsctl register, or fsctl models create)\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "LATEST", "PRODUCTION", "UPDATED", "DESCRIPTION"}};
  for (int i = 0; i < models->models_size(); ++i) {
    const v1::Model& m = models->models(i);
    rows.push_back({m.name(), absl::StrCat(m.latest_version()),
                    production[i].empty() ? "-" : production[i], FormatIsoTime(m.updated_at_us()),
                    m.description()});
  }
  PrintTable(inv.out, rows);
  return absl::OkStatus();
}

absl::Status ModelsShowCommand(Invocation& inv) {
  const std::string& name = inv.operands[0];
  std::optional<int64_t> only;
  if (std::optional<std::string> v = inv.args.Get("version")) {
    FSTORE_ASSIGN_OR_RETURN(only, ParseVersion(*v));
  }
  v1::ListModelVersionsRequest request;
  request.set_model(name);
  absl::StatusOr<v1::ListModelVersionsResponse> listed =
      inv.client().Call(&v1::Registry::Stub::ListModelVersions, request, "ListModelVersions");
  if (!listed.ok()) return listed.status();
  std::vector<const v1::ModelVersion*> versions;
  for (const v1::ModelVersion& v : listed->versions()) {
    if (!only || v.version() == *only) versions.push_back(&v);
  }
  if (only && versions.empty()) {
    return absl::NotFoundError(absl::StrCat("model ", name, " has no version ", *only,
                                            " (fsctl models show ", name, " lists them)"));
  }
  if (inv.json()) {
    Json j;
    j["model"] = ModelJson(listed->model());
    Json& versions_json = j["versions"] = Json::array();
    for (const v1::ModelVersion* v : versions) versions_json.push_back(VersionJson(*v));
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  const v1::Model& m = listed->model();
  inv.out << "model:       " << m.name() << "\n";
  if (!m.description().empty()) inv.out << "description: " << m.description() << "\n";
  if (!m.production_gate().empty() || !m.production_gate_max().empty()) {
    inv.out << "gate:        " << ModelGateText(m) << "\n";
  }
  inv.out << "versions:    " << listed->versions_size() << " live, latest " << m.latest_version()
          << "\n\n";
  if (only && !versions.empty()) {
    const v1::ModelVersion& v = *versions[0];
    std::vector<std::vector<std::string>> rows = {
        {"version", absl::StrCat(v.version())},
        {"stage", std::string(StageText(v.stage()))},
        {"aliases", absl::StrJoin(v.aliases(), ", ")},
        {"artifact", absl::StrCat(v.artifact_sha256(), " (", v.artifact_format(), ", ",
                                  v.artifact_size(), " bytes)")},
        {"service", absl::StrCat(v.feature_service(), "@", v.feature_service_version())},
        {"inputs", absl::StrJoin(v.feature_names(), ", ")},
        {"snapshot", v.training_snapshot()},
        {"dataset", v.dataset_fingerprint()},
        {"created", absl::StrCat(FormatIsoTime(v.created_at_us()), " by ", v.created_by())}};
    for (const auto& [k, value] :
         std::map<std::string, double>(v.metrics().begin(), v.metrics().end())) {
      rows.push_back({absl::StrCat("metric ", k), absl::StrCat(value)});
    }
    for (const v1::RiskThreshold& t : v.risk_thresholds()) {
      rows.push_back({absl::StrCat("bucket ", t.bucket()), absl::StrCat(">= ", t.min_score())});
    }
    PrintTable(inv.out, rows);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "STAGE", "ALIASES", "AUC", "SERVICE", "SHA256", "CREATED"}};
  for (const v1::ModelVersion* v : versions) {
    rows.push_back({absl::StrCat(v->version()), std::string(StageText(v->stage())),
                    v->aliases().empty() ? "-" : absl::StrJoin(v->aliases(), ","),
                    MetricText(*v, "auc"), v->feature_service(), v->artifact_sha256().substr(0, 12),
                    FormatIsoTime(v->created_at_us())});
  }
  PrintTable(inv.out, rows);
  return absl::OkStatus();
}

absl::Status ModelsHistoryCommand(Invocation& inv) {
  v1::GetModelHistoryRequest request;
  request.set_model(inv.operands[0]);
  FSTORE_ASSIGN_OR_RETURN(const std::optional<TimestampUs> at, TimeFlag(inv.args, "at"));
  if (at) request.set_at_us(*at);
  absl::StatusOr<v1::GetModelHistoryResponse> history =
      inv.client().Call(&v1::Registry::Stub::GetModelHistory, request, "GetModelHistory");
  if (!history.ok()) return history.status();
  const std::map<std::string, int64_t> stages(history->stages_at().begin(),
                                              history->stages_at().end());
  const std::map<std::string, int64_t> aliases(history->aliases_at().begin(),
                                               history->aliases_at().end());
  if (inv.json()) {
    Json j;
    j["model"] = request.model();
    Json& transitions_json = j["transitions"] = Json::array();
    for (const v1::StageTransition& t : history->transitions()) {
      Json transition = Json::object();
      transition["at"] = FormatIsoTime(t.at_us());
      transition["kind"] = t.kind();
      transition["version"] = t.version();
      transition["alias"] = t.alias();
      transition["from"] = t.from();
      transition["to"] = t.to();
      transition["actor"] = t.actor();
      transition["comment"] = t.comment();
      transitions_json.push_back(std::move(transition));
    }
    if (request.at_us() != 0) {
      j["at"] = FormatIsoTime(request.at_us());
      Json& stages_json = j["stages"] = Json::object();
      for (const auto& [stage, version] : stages) {
        stages_json[stage] = version;
      }
      Json& aliases_json = j["aliases"] = Json::object();
      for (const auto& [alias, version] : aliases) {
        aliases_json[alias] = version;
      }
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"AT", "CHANGE", "VERSION", "FROM", "TO", "BY", "COMMENT"}};
  for (const v1::StageTransition& t : history->transitions()) {
    const std::string change =
        t.alias().empty() ? t.kind() : absl::StrCat(t.kind(), " ", t.alias());
    rows.push_back({FormatIsoTime(t.at_us()), change, absl::StrCat(t.version()),
                    t.from().empty() ? "-" : t.from(), t.to().empty() ? "-" : t.to(), t.actor(),
                    t.comment()});
  }
  PrintTable(inv.out, rows);
  if (request.at_us() != 0) {
    inv.out << "\nas of " << FormatIsoTime(request.at_us()) << ":\n";
    if (stages.empty() && aliases.empty()) inv.out << "  no version held a stage or alias\n";
    for (const auto& [stage, version] : stages) {
      inv.out << "  " << request.model() << "@" << stage << " = version " << version << "\n";
    }
    for (const auto& [alias, version] : aliases) {
      inv.out << "  " << request.model() << "@" << alias << " = version " << version << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status ModelsDeleteCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::string version_text, RequiredFlag(inv.args, "version"));
  FSTORE_ASSIGN_OR_RETURN(const int64_t version, ParseVersion(version_text));
  v1::DeleteModelVersionRequest request;
  request.set_model(inv.operands[0]);
  request.set_version(version);
  absl::StatusOr<v1::DeleteModelVersionResponse> deleted =
      inv.client().Call(&v1::Registry::Stub::DeleteModelVersion, request, "DeleteModelVersion");
  if (!deleted.ok()) return deleted.status();
  if (inv.json()) {
    Json j;
    j["model"] = request.model();
    j["deleted_version"] = version;
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "deleted " << request.model() << " version " << version
            << " (its number will not be reused)\n";
  }
  return absl::OkStatus();
}

absl::Status PromoteCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::string stage_text, RequiredFlag(inv.args, "stage"));
  v1::TransitionStageRequest request;
  request.set_model(inv.operands[0]);
  FSTORE_ASSIGN_OR_RETURN(const int64_t version, ParseVersion(inv.operands[1]));
  request.set_version(version);
  FSTORE_ASSIGN_OR_RETURN(const v1::Stage stage, ParseStageFlag(stage_text));
  request.set_stage(stage);
  request.set_archive_existing(inv.args.Has("archive-existing"));
  request.set_comment(inv.args.Get("comment").value_or(""));
  for (const std::string& require : inv.args.GetAll("require")) {
    absl::StatusOr<MetricBound> bound = ParseMetricBound(require);
    if (!bound.ok()) {
      return UsageError(absl::StrCat("--require ", bound.status().message()));
    }
    v1::MetricRequirement* r = request.add_require();
    r->set_metric(bound->metric);
    if (bound->at_most) {
      r->set_max(bound->value);
    } else {
      r->set_min(bound->value);
    }
  }
  absl::StatusOr<v1::ModelVersion> promoted =
      inv.client().Call(&v1::Registry::Stub::TransitionStage, request, "TransitionStage");
  if (!promoted.ok()) return promoted.status();
  if (inv.json()) {
    PrintVersionJson(inv, *promoted);
  } else {
    inv.out << VersionLine(*promoted) << "\n";
  }
  return absl::OkStatus();
}

absl::Status AliasSetCommand(Invocation& inv) {
  v1::SetAliasRequest request;
  request.set_model(inv.operands[0]);
  request.set_alias(inv.operands[1]);
  FSTORE_ASSIGN_OR_RETURN(const int64_t version, ParseVersion(inv.operands[2]));
  request.set_version(version);
  absl::StatusOr<v1::ModelVersion> v =
      inv.client().Call(&v1::Registry::Stub::SetAlias, request, "SetAlias");
  if (!v.ok()) return v.status();
  if (inv.json()) {
    PrintVersionJson(inv, *v);
  } else {
    inv.out << request.model() << "@" << request.alias() << " -> version " << v->version() << "\n";
  }
  return absl::OkStatus();
}

absl::Status AliasDeleteCommand(Invocation& inv) {
  v1::DeleteAliasRequest request;
  request.set_model(inv.operands[0]);
  request.set_alias(inv.operands[1]);
  absl::StatusOr<v1::DeleteAliasResponse> deleted =
      inv.client().Call(&v1::Registry::Stub::DeleteAlias, request, "DeleteAlias");
  if (!deleted.ok()) return deleted.status();
  if (inv.json()) {
    Json j;
    j["model"] = request.model();
    j["deleted_alias"] = request.alias();
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "deleted alias " << request.model() << "@" << request.alias() << "\n";
  }
  return absl::OkStatus();
}

absl::Status ArtifactGetCommand(Invocation& inv) {
  FSTORE_ASSIGN_OR_RETURN(const std::string out_path, RequiredFlag(inv.args, "out"));
  v1::ResolveModelRefRequest resolve;
  resolve.set_model_ref(inv.operands[0]);
  absl::StatusOr<v1::ModelVersion> version =
      inv.client().Call(&v1::Registry::Stub::ResolveModelRef, resolve, "ResolveModelRef");
  if (!version.ok()) return version.status();
  // Download the version resolved above, not whatever the ref names by then.
  const std::string exact = absl::StrCat(version->model(), ":", version->version());
  AtomicFile out(out_path);
  FSTORE_RETURN_IF_ERROR(out.status());
  Sha256 sha;
  int64_t size = 0;
  FSTORE_RETURN_IF_ERROR(inv.client().DownloadArtifact(exact, [&](const std::string& chunk) {
    sha.Update(chunk);
    size += static_cast<int64_t>(chunk.size());
    return out.Write(chunk);
  }));
  const std::string digest = sha.HexDigest();
  if (digest != version->artifact_sha256()) {
    return absl::DataLossError(absl::StrCat("the artifact of ", exact, " arrived with sha256 ",
                                            digest, ", expected ", version->artifact_sha256(),
                                            "; nothing was written to ", out_path));
  }
  FSTORE_RETURN_IF_ERROR(out.Commit());
  if (inv.json()) {
    Json j;
    j["model"] = version->model();
    j["version"] = version->version();
    j["sha256"] = digest;
    j["size"] = size;
    j["out"] = out_path;
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << "wrote " << exact << " (" << size << " bytes, sha256 " << digest.substr(0, 12)
            << ", verified) to " << out_path << "\n";
  }
  return absl::OkStatus();
}

}  // namespace fstore::cli
