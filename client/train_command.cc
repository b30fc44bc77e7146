#include "client/train_command.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/csv_reader.h"
#include "client/feature_store_commands.h"
#include "client/registry_commands.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "registry/feature_binding.h"
#include "storage/sha256.h"
#include "training/model_trainer.h"
#include "training/training_set.h"

namespace fstore::cli {
namespace {

absl::StatusOr<int64_t> IntFlagOr(const Invocation& inv, absl::string_view name, int64_t fallback,
                                  int64_t min) {
  std::optional<std::string> text = inv.args.Get(name);
  if (!text) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min) {
    return UsageError(absl::StrCat("--", name, " '", *text, "' must be an integer >= ", min));
  }
  return value;
}

// The definitions a training set needs (sources' column types, views'
// features, services' features and request fields), from their wire form.
ColumnType ColumnTypeFromProto(v1::ColumnType type) {
  switch (type) {
    case v1::COLUMN_TYPE_INT64:
      return ColumnType::kInt64;
    case v1::COLUMN_TYPE_DOUBLE:
      return ColumnType::kDouble;
    case v1::COLUMN_TYPE_BOOL:
      return ColumnType::kBool;
    case v1::COLUMN_TYPE_TIMESTAMP:
      return ColumnType::kTimestamp;
    default:
      return ColumnType::kString;
  }
}

AggregateFunction AggregateFunctionFromProto(v1::AggregateFunction function) {
  switch (function) {
    case v1::AGGREGATE_FUNCTION_SUM:
      return AggregateFunction::kSum;
    case v1::AGGREGATE_FUNCTION_MEAN:
      return AggregateFunction::kMean;
    case v1::AGGREGATE_FUNCTION_MIN:
      return AggregateFunction::kMin;
    case v1::AGGREGATE_FUNCTION_MAX:
      return AggregateFunction::kMax;
    case v1::AGGREGATE_FUNCTION_DISTINCT_COUNT:
      return AggregateFunction::kDistinctCount;
    case v1::AGGREGATE_FUNCTION_LAST:
      return AggregateFunction::kLast;
    default:
      return AggregateFunction::kCount;
  }
}

Definitions TrainingDefinitionsFromProto(const v1::Definitions& in) {
  Definitions out;
  for (const v1::Source& s : in.sources()) {
    Source& source = out.sources.emplace_back();
    source.name = s.name();
    for (const v1::Column& c : s.columns()) {
      Column& column = source.columns.emplace_back();
      column.name = c.name();
      column.type = ColumnTypeFromProto(c.type());
    }
  }
  for (const v1::FeatureView& v : in.feature_views()) {
    FeatureView& view = out.feature_views.emplace_back();
    view.name = v.name();
    view.source = v.source();
    view.entities.assign(v.entities().begin(), v.entities().end());
    for (const v1::Feature& f : v.features()) {
      Feature& feature = view.features.emplace_back();
      feature.name = f.name();
      feature.function = AggregateFunctionFromProto(f.function());
      feature.column = f.column();
    }
  }
  for (const v1::FeatureService& s : in.feature_services()) {
    FeatureService& service = out.feature_services.emplace_back();
    service.name = s.name();
    service.features.assign(s.features().begin(), s.features().end());
    service.description = s.description();
    for (const v1::RequestField& f : s.request_fields()) {
      service.request_fields.push_back({f.name(), ColumnTypeFromProto(f.type())});
    }
  }
  return out;
}

// The service's model inputs (registry/feature_binding.h) and their types.
struct TrainingInputs {
  FeatureBinding binding;
  std::vector<ColumnType> types;
};

absl::StatusOr<TrainingInputs> InputsOf(Invocation& inv, const std::string& service) {
  absl::StatusOr<v1::ListDefinitionsResponse> found =
      inv.client().ListDefinitions(v1::ListDefinitionsRequest());
  if (!found.ok()) return found.status();
  const Definitions definitions = TrainingDefinitionsFromProto(found->definitions());
  const FeatureService* s = definitions.FindService(service);
  if (s == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown feature service '", service,
                                            "' (fsctl definitions list feature_service)"));
  }
  TrainingInputs inputs;
  inputs.binding = BindFeatureService(*s);
  FSTORE_ASSIGN_OR_RETURN(inputs.types, InputTypes(inputs.binding, definitions));
  return inputs;
}

// The dataset CSV (input columns, then view__feature columns) read back as
// the typed values the store returned, and assembled in binding order.
absl::StatusOr<TrainingData> ToTrainingData(const std::string& csv, const TrainingInputs& inputs,
                                            const std::string& label_column,
                                            const std::string& labels_path) {
  std::istringstream in(csv);
  CsvReader reader(in);
  std::vector<std::string> header;
  absl::Status error;
  if (!reader.Next(&header, &error) || !error.ok()) {
    return absl::InternalError("the training set came back without a header");
  }
  auto column = [&](const std::string& name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const std::vector<std::string>& names = inputs.binding.feature_names;
  std::vector<int> columns;
  for (const std::string& input : names) {
    const size_t colon = input.find(':');
    const std::string name = colon == std::string::npos ? input
                                                        : absl::StrCat(input.substr(0, colon), "__",
                                                                       input.substr(colon + 1));
    const int c = column(name);
    if (c < 0) {
      return absl::InvalidArgumentError(
          colon == std::string::npos
              ? absl::StrCat(labels_path, " has no column for the request field ", input,
                             " that the service needs")
              : absl::StrCat("the training set has no column ", name));
    }
    columns.push_back(c);
  }
  const int label = column(label_column);
  if (label < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        labels_path, " has no label column '", label_column, "' (--label-column names another)"));
  }
  TrainingSetBuilder builder(names);
  std::vector<std::string> cells;
  std::vector<Value> values(names.size());
  for (int64_t row = 2; reader.Next(&cells, &error); ++row) {
    if (!error.ok()) return error;
    const std::string& l = cells[label];
    float y = 0;
    if (l == "1" || l == "true") {
      y = 1;
    } else if (l == "0" || l == "false") {
      y = 0;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(labels_path, " row ", row, ": label '", l, "' is not 0/1 or false/true"));
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      absl::StatusOr<Value> v = ValueFromText(cells[columns[i]], inputs.types[i]);
      if (!v.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(labels_path, " row ", row, ": column ",
                                                       header[columns[i]], ": ",
                                                       v.status().message()));
      }
      values[i] = *std::move(v);
    }
    FSTORE_RETURN_IF_ERROR(builder.AddRow(values, y));
  }
  return std::move(builder).Release();
}

void ToProto(const FeatureStatistics& s, v1::FeatureStatistics* p) {
  p->set_feature(s.feature);
  p->set_count(s.count);
  p->set_missing(s.missing);
  p->set_mean(s.mean);
  p->set_stddev(s.stddev);
  p->set_min(s.min);
  p->set_max(s.max);
  p->mutable_bin_edges()->Add(s.bin_edges.begin(), s.bin_edges.end());
  p->mutable_bin_counts()->Add(s.bin_counts.begin(), s.bin_counts.end());
}

void PrintProgress(std::ostream& err, bool terminal, const TrainProgress& p) {
  using Phase = TrainProgress::Phase;
  if (p.phase == Phase::kFoldRound || p.phase == Phase::kFinalRound) {
    if (!terminal) return;
    if (p.phase == Phase::kFoldRound) {
      err << absl::StrFormat("\rfold %d/%d  round %d/%d  %s %.5f (best round %d)   ", p.fold + 1,
                             p.folds, p.round + 1, p.max_rounds, p.metric_name, p.metric,
                             p.best_round + 1);
    } else {
      err << absl::StrFormat("\rfinal model  round %d/%d                              ",
                             p.round + 1, p.max_rounds);
      if (p.round + 1 == p.max_rounds) err << "\n";
    }
    err.flush();
    return;
  }
  err << (terminal ? "\r" : "")
      << absl::StrFormat("fold %d/%d: AUC %.4f  PR-AUC %.4f  logloss %.4f  best round %d      \n",
                         p.fold + 1, p.folds, p.auc, p.pr_auc, p.logloss, p.best_round + 1);
}

// A training set and where it came from, as the registry records it.
struct TrainingSet {
  TrainingData data;
  std::string service;
  std::string snapshot;     // empty when trained on feedback
  std::string fingerprint;  // sha256 of the dataset
  std::string description;  // the default version description
  std::string source;       // recorded as the param training_source
};

// The point-in-time training set of --labels through GetHistoricalFeatures.
absl::StatusOr<TrainingSet> FromStore(Invocation& inv) {
  const std::optional<std::string> service = inv.args.Get("service");
  const std::optional<std::string> labels_path = inv.args.Get("labels");
  if (!service || !labels_path) {
    return UsageError("--service and --labels are required (or --from-feedback MODELREF)");
  }
  const std::string label_column = inv.args.Get("label-column").value_or("label");
  FSTORE_ASSIGN_OR_RETURN(const TrainingInputs inputs, InputsOf(inv, *service));
  v1::HistoricalHeader header;
  header.mutable_selector()->set_feature_service(*service);
  header.set_timestamp_column(inv.args.Get("timestamp-column").value_or("ts"));
  if (std::optional<std::string> snapshot = inv.args.Get("snapshot")) {
    header.set_snapshot(*snapshot);
  }
  std::vector<std::vector<std::string>> rows;
  FSTORE_RETURN_IF_ERROR(ReadEntitiesFile(*labels_path, &header, &rows));
  if (!inv.json()) inv.err << "building the training set: " << rows.size() << " rows\n";
  std::string csv;
  absl::StatusOr<v1::GetHistoricalFeaturesResponse> last =
      inv.client().GetHistoricalFeatures(header, rows, 1000, [&](const std::string& chunk) {
        csv.append(chunk);
        return absl::OkStatus();
      });
  if (!last.ok()) return last.status();
  rows.clear();
  TrainingSet set;
  FSTORE_ASSIGN_OR_RETURN(set.data, ToTrainingData(csv, inputs, label_column, *labels_path));
  set.service = *service;
  set.snapshot = last->header().snapshot();
  set.fingerprint = last->trailer().dataset_fingerprint();
  set.description = absl::StrCat("trained by fsctl on ", *labels_path);
  set.source = absl::StrCat("labels:", *labels_path);
  if (!inv.json()) {
    inv.err << "snapshot " << set.snapshot << ", dataset sha256 " << set.fingerprint.substr(0, 16)
            << ", " << set.data.labels.size() << " rows x " << inputs.binding.feature_names.size()
            << " inputs\n";
  }
  return set;
}

// The vectors serving logged for a model's labelled requests.
absl::StatusOr<TrainingSet> FromFeedback(Invocation& inv, const std::string& model_ref) {
  for (const char* flag : {"service", "labels", "snapshot", "label-column", "timestamp-column"}) {
    if (inv.args.Has(flag)) {
      return UsageError(
          absl::StrCat("--", flag,
                       " does not apply with --from-feedback: the training set is the labelled "
                       "traffic of ",
                       model_ref));
    }
  }
  v1::ExportLabelledRequest request;
  request.set_model_ref(model_ref);
  FSTORE_ASSIGN_OR_RETURN(const std::optional<DurationUs> window,
                          PositiveDurationFlag(inv.args, "window", "30d"));
  if (window) request.set_window_us(*window);
  TrainingSet set;
  v1::LabelledHeader header;
  Sha256 fingerprint;
  FSTORE_RETURN_IF_ERROR(inv.client().ExportLabelled(
      request, [&](const v1::ExportLabelledResponse& m) -> absl::Status {
        if (m.has_header()) {
          header = m.header();
          set.data.feature_names.assign(header.inputs().begin(), header.inputs().end());
        }
        const size_t width = set.data.feature_names.size();
        for (const v1::LabelledRow& row : m.rows()) {
          if (static_cast<size_t>(row.inputs_size()) != width) {
            return absl::DataLossError(absl::StrCat("labelled request ", row.request_id(), " has ",
                                                    row.inputs_size(), " inputs, not ", width));
          }
          set.data.values.insert(set.data.values.end(), row.inputs().begin(), row.inputs().end());
          set.data.labels.push_back(static_cast<float>(row.label()));
          fingerprint.Update(row.request_id());
          fingerprint.Update(absl::StrCat("\t", row.label(), "\t"));
          fingerprint.Update(absl::string_view(reinterpret_cast<const char*>(row.inputs().data()),
                                               width * sizeof(float)));
        }
        return absl::OkStatus();
      }));
  const int64_t rows = static_cast<int64_t>(set.data.labels.size());
  if (rows == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        model_ref, " has no labelled requests", inv.args.Has("window") ? " in the window" : "",
        ": send labels with fsctl feedback first"));
  }
  set.service = header.feature_service();
  set.fingerprint = fingerprint.HexDigest();
  set.description = absl::StrCat("trained by fsctl on the feedback of ", model_ref, " (", rows,
                                 " labelled requests)");
  set.source = absl::StrCat("feedback:", header.model(), ":", header.model_version());
  if (!inv.json()) {
    inv.err << "training on feedback: " << rows << " labelled requests served by " << header.model()
            << " versions " << absl::StrJoin(header.versions(), ",") << ", "
            << set.data.feature_names.size() << " inputs, dataset sha256 "
            << set.fingerprint.substr(0, 16) << "\n";
  }
  return set;
}

// What --gate asks of the model train registers to: nothing (no --gate),
// to create it with the gate, or that it already has that gate.
struct GatePlan {
  bool given = false;
  bool create = false;
  std::map<std::string, double> min;
  std::map<std::string, double> max;
};

// The plan's bounds as --gate values.
std::vector<std::string> GateFlags(const GatePlan& plan) {
  std::vector<std::string> flags;
  for (const auto& [metric, value] : plan.min) flags.push_back(absl::StrCat(metric, ">=", value));
  for (const auto& [metric, value] : plan.max) flags.push_back(absl::StrCat(metric, "<=", value));
  return flags;
}

// The existing model's gate must be the one asked for: --gate sets the gate
// of a model train creates, and never changes an existing model's gate
// behind its owners' backs (fsctl models update does, audited).
absl::Status CheckExistingGate(const v1::Model& model, const GatePlan& plan) {
  const std::map<std::string, double> min(model.production_gate().begin(),
                                          model.production_gate().end());
  const std::map<std::string, double> max(model.production_gate_max().begin(),
                                          model.production_gate_max().end());
  if (min == plan.min && max == plan.max) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "model ", model.name(), " already exists with gate ", ModelGateText(model),
      "; --gate sets the gate only of a model that train creates: change it with fsctl models "
      "update ",
      model.name(), " --gate ", absl::StrJoin(GateFlags(plan), " --gate ")));
}

// Reads --gate and, when given, what the model's current state asks for.
absl::StatusOr<GatePlan> PlanGate(Invocation& inv, const std::string& model) {
  GatePlan plan;
  const std::vector<std::string> gates = inv.args.GetAll("gate");
  if (gates.empty()) return plan;
  plan.given = true;
  FSTORE_RETURN_IF_ERROR(ParseGateFlags(gates, &plan.min, &plan.max));
  v1::GetModelRequest get;
  get.set_name(model);
  absl::StatusOr<v1::Model> existing =
      inv.client().Call(&v1::Registry::Stub::GetModel, get, "GetModel");
  if (absl::IsNotFound(existing.status())) {
    plan.create = true;
    return plan;
  }
  if (!existing.ok()) return existing.status();
  FSTORE_RETURN_IF_ERROR(CheckExistingGate(*existing, plan));
  return plan;
}

// Creates the model with its gate when the plan says so (just before its
// first version is registered, so that a failed training leaves nothing).
absl::Status ApplyGate(Invocation& inv, const std::string& model, const GatePlan& plan) {
  if (!plan.create) return absl::OkStatus();
  v1::CreateModelRequest create;
  create.set_name(model);
  create.mutable_production_gate()->insert(plan.min.begin(), plan.min.end());
  create.mutable_production_gate_max()->insert(plan.max.begin(), plan.max.end());
  absl::StatusOr<v1::Model> created =
      inv.client().Call(&v1::Registry::Stub::CreateModel, create, "CreateModel");
  if (absl::IsAlreadyExists(created.status())) {  // created meanwhile: check its gate
    return PlanGate(inv, model).status();
  }
  return created.status();
}

}  // namespace

absl::Status TrainCommand(Invocation& inv) {
  const std::optional<std::string> model = inv.args.Get("model");
  const std::optional<std::string> from_feedback = inv.args.Get("from-feedback");
  if (!model) return UsageError("--model NAME is required");
  if (!from_feedback && inv.args.Has("window")) {
    return UsageError("--window applies only with --from-feedback");
  }
  TrainOptions options;
  FSTORE_ASSIGN_OR_RETURN(const int64_t folds, IntFlagOr(inv, "folds", 5, 2));
  FSTORE_ASSIGN_OR_RETURN(const int64_t rounds, IntFlagOr(inv, "rounds", 200, 1));
  FSTORE_ASSIGN_OR_RETURN(const int64_t depth, IntFlagOr(inv, "max-depth", 6, 1));
  FSTORE_ASSIGN_OR_RETURN(options.seed, IntFlagOr(inv, "seed", 42, 0));
  options.folds = static_cast<int>(folds);
  options.rounds = static_cast<int>(rounds);
  options.max_depth = static_cast<int>(depth);
  if (std::optional<std::string> eta = inv.args.Get("eta")) {
    if (!absl::SimpleAtod(*eta, &options.eta) || !(options.eta > 0 && options.eta <= 1)) {
      return UsageError(absl::StrCat("--eta '", *eta, "' must be in (0, 1]"));
    }
  }
  const bool terminal = !inv.json() && ::isatty(STDERR_FILENO);
  // Checked before the (long) training.
  FSTORE_ASSIGN_OR_RETURN(const GatePlan gate, PlanGate(inv, *model));

  // 1. The training set.
  FSTORE_ASSIGN_OR_RETURN(TrainingSet set,
                          from_feedback ? FromFeedback(inv, *from_feedback) : FromStore(inv));
  const TrainingData& data = set.data;
  const std::string& snapshot = set.snapshot;
  const std::string& fingerprint = set.fingerprint;

  // 2. Cross-validation and the final model.
  absl::StatusOr<TrainResult> trained = TrainModel(data, options, [&](const TrainProgress& p) {
    if (!inv.json()) PrintProgress(inv.err, terminal, p);
  });
  if (!trained.ok()) return trained.status();

  // 3. Registration.
  absl::StatusOr<v1::UploadArtifactResponse> uploaded =
      inv.client().UploadArtifact(trained->model_json);
  if (!uploaded.ok()) return uploaded.status();
  v1::CreateModelVersionRequest request;
  request.set_model(*model);
  request.set_artifact_sha256(uploaded->sha256());
  request.set_feature_service(set.service);
  request.set_training_snapshot(snapshot);
  request.set_dataset_fingerprint(fingerprint);
  request.mutable_params()->insert(trained->params.begin(), trained->params.end());
  (*request.mutable_params())["training_source"] = set.source;
  request.mutable_metrics()->insert(trained->metrics.begin(), trained->metrics.end());
  for (const FeatureStatistics& s : trained->feature_statistics) {
    ToProto(s, request.add_feature_statistics());
  }
  // The training predictions, for prediction drift.
  ToProto(PredictionBaseline(*trained, options.histogram_bins), request.add_feature_statistics());
  for (const RiskThreshold& t : trained->risk_thresholds) {
    v1::RiskThreshold* p = request.add_risk_thresholds();
    p->set_bucket(t.bucket);
    p->set_min_score(t.min_score);
  }
  request.set_description(inv.args.Get("description").value_or(set.description));
  FSTORE_RETURN_IF_ERROR(ApplyGate(inv, *model, gate));
  absl::StatusOr<v1::ModelVersion> version =
      inv.client().Call(&v1::Registry::Stub::CreateModelVersion, request, "CreateModelVersion");
  if (!version.ok()) return version.status();

  const auto& m = trained->metrics;
  if (inv.json()) {
    Json j;
    j["model"] = version->model();
    j["version"] = version->version();
    for (const char* key : {"auc", "pr_auc", "logloss", "oof_auc", "oof_pr_auc"}) {
      j[key] = m.at(key);
    }
    j["rows"] = static_cast<int64_t>(data.labels.size());
    j["rounds"] = trained->rounds;
    j["snapshot"] = snapshot;
    j["training_source"] = set.source;
    j["dataset_fingerprint"] = fingerprint;
    j["artifact_sha256"] = version->artifact_sha256();
    Json& folds_json = j["folds"] = Json::array();
    for (const FoldResult& f : trained->folds) {
      Json fold = Json::object();
      fold["auc"] = f.auc;
      fold["pr_auc"] = f.pr_auc;
      fold["logloss"] = f.logloss;
      fold["best_iteration"] = f.best_iteration;
      folds_json.push_back(std::move(fold));
    }
    Json& importance_json = j["importance"] = Json::array();
    for (const FeatureImportance& f : trained->importance) {
      Json feature = Json::object();
      feature["feature"] = f.feature;
      feature["gain"] = f.total_gain;
      importance_json.push_back(std::move(feature));
    }
    Json& risk_thresholds_json = j["risk_thresholds"] = Json::array();
    for (const RiskThreshold& t : trained->risk_thresholds) {
      Json threshold = Json::object();
      threshold["bucket"] = t.bucket;
      threshold["min_score"] = t.min_score;
      risk_thresholds_json.push_back(std::move(threshold));
    }
    inv.out << JsonText(j) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> table = {{"FOLD", "AUC", "PR-AUC", "LOGLOSS", "ROUNDS"}};
  for (size_t i = 0; i < trained->folds.size(); ++i) {
    const FoldResult& f = trained->folds[i];
    table.push_back({absl::StrCat(i + 1), absl::StrFormat("%.4f", f.auc),
                     absl::StrFormat("%.4f", f.pr_auc), absl::StrFormat("%.4f", f.logloss),
                     absl::StrCat(f.best_iteration + 1)});
  }
  table.push_back({"mean", absl::StrFormat("%.4f", m.at("auc")),
                   absl::StrFormat("%.4f", m.at("pr_auc")),
                   absl::StrFormat("%.4f", m.at("logloss")), absl::StrCat(trained->rounds)});
  PrintTable(inv.out, table);
  inv.out << "\ntop features by gain:\n";
  std::vector<std::vector<std::string>> importance;
  double total = 0;
  for (const FeatureImportance& f : trained->importance) total += f.total_gain;
  for (size_t i = 0; i < trained->importance.size() && i < 10; ++i) {
    const FeatureImportance& f = trained->importance[i];
    importance.push_back({absl::StrCat("  ", f.feature),
                          absl::StrFormat("%5.1f%%", total > 0 ? 100 * f.total_gain / total : 0)});
  }
  PrintTable(inv.out, importance);
  inv.out << "\nrisk buckets (out-of-fold scores):";
  for (const RiskThreshold& t : trained->risk_thresholds) {
    inv.out << "  " << t.bucket << " >= " << absl::StrFormat("%.4f", t.min_score);
  }
  inv.out << "\n\nregistered " << version->model() << " version " << version->version() << " ("
          << (snapshot.empty() ? set.source : absl::StrCat("snapshot ", snapshot)) << ", "
          << trained->rounds << " trees)\n";
  return absl::OkStatus();
}

}  // namespace fstore::cli
