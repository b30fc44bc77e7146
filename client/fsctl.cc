#include "client/fsctl.h"

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "client/command_line.h"
#include "client/command_output.h"
#include "client/feature_store_commands.h"
#include "client/feedback_commands.h"
#include "client/fstore_client.h"
#include "client/invocation.h"
#include "client/monitoring_commands.h"
#include "client/quality_command.h"
#include "client/registry_commands.h"
#include "client/serving_commands.h"
#include "client/train_command.h"
#include "common/build_info.h"
#include "common/quoted_value.h"
#include "common/time_util.h"

namespace fstore::cli {
namespace {

using Handler = std::function<absl::Status(Invocation&)>;

struct Command {
  std::vector<std::string> path;  // e.g. {"models", "show"}
  std::string operands;           // e.g. "NAME"
  std::string summary;            // one line
  std::string help;               // paragraphs and examples
  std::vector<FlagSpec> flags;
  size_t min_operands = 0;
  size_t max_operands = 0;
  Handler handler;
};

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"server", "HOST:PORT", "fsd to talk to. Default: $FSTORE_SERVER, else 127.0.0.1:50051."},
      {"output", "table|json|yaml",
       "table (default) for people; json prints one JSON document; yaml a definitions file "
       "(definitions list and show only)."},
      {"timeout", "DURATION", "Deadline of each call, e.g. 30s, 5m. Default: 30s."},
      {"token", "TOKEN",
       "Bearer token for an fsd that checks tokens. Default: $FSTORE_TOKEN (safer: a flag "
       "shows in the process list)."},
      {"tls-ca", "FILE",
       "PEM CA certificate that signed fsd's: connect with TLS. Default: $FSTORE_TLS_CA."},
      {"tls-cert", "FILE",
       "PEM client certificate, for an fsd that requires one (mutual TLS). Default: "
       "$FSTORE_TLS_CERT."},
      {"tls-key", "FILE", "PEM key of --tls-cert. Default: $FSTORE_TLS_KEY."},
      {"help", "", "Show help for fsctl or for the command."},
  };
  return kFlags;
}

absl::Status Health(Invocation& inv) {
  const std::string service = inv.operands.empty() ? "" : inv.operands[0];
  absl::StatusOr<std::string> status = inv.client().Health(service);
  if (!status.ok()) return status.status();
  if (inv.format == OutputFormat::kJson) {
    Json j;
    j["server"] = inv.client_options.server;
    j["service"] = service;
    j["status"] = *status;
    inv.out << JsonText(j) << "\n";
  } else {
    inv.out << *status << "\n";
  }
  if (*status != "SERVING") {
    return absl::UnavailableError(
        absl::StrCat("fsd at ", inv.client_options.server, " is ", *status));
  }
  return absl::OkStatus();
}

// "fsctl version": this fsctl's version and commit, then the server's
// (unless --client); a server that cannot be reached fails the command
// after the client's line is printed.
absl::Status Version(Invocation& inv) {
  Json j;
  j["client"] = {{"version", std::string(BuildVersion())}, {"commit", std::string(BuildCommit())}};
  if (inv.format == OutputFormat::kTable) inv.out << VersionLine("fsctl") << "\n";
  absl::Status status = absl::OkStatus();
  if (!inv.args.Has("client")) {
    absl::StatusOr<v1::ServerInfo> info = inv.client().Call(
        &v1::Monitoring::Stub::GetServerInfo, v1::GetServerInfoRequest(), "GetServerInfo");
    if (info.ok()) {
      j["server"] = {{"address", inv.client_options.server},
                     {"version", info->version()},
                     {"commit", info->commit()},
                     {"started_at", FormatIsoTime(info->started_at_us())}};
      if (inv.format == OutputFormat::kTable) {
        inv.out << "fsd " << info->version() << " (commit " << info->commit() << ") at "
                << inv.client_options.server << ", started " << FormatIsoTime(info->started_at_us())
                << "\n";
      }
    } else {
      status = info.status();
    }
  }
  if (inv.format == OutputFormat::kJson) inv.out << JsonText(j) << "\n";
  return status;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {{"health"},
       "[SERVICE]",
       "Check that fsd is up; prints SERVING.",
       "Calls the standard gRPC health service. With SERVICE (e.g.\n"
       "fstore.v1.Registry) checks that one service. Exits 1 unless SERVING.\n\n"
       "  fsctl health\n  fsctl --server=10.0.0.5:50051 --output=json health",
       {},
       0,
       1,
       Health},
      {{"version"},
       "",
       "Print the version and git commit of fsctl and of the server.",
       "Prints fsctl's version and the commit it was built from, then asks the\n"
       "server for its own (Monitoring.GetServerInfo, role reader). Exits 1 when\n"
       "the server cannot be reached (after printing fsctl's line); with\n"
       "--client, only fsctl's. 'fsctl --version' is 'fsctl version --client'.\n\n"
       "  fsctl version\n  fsctl version --client\n  fsctl --output=json version",
       {{"client", "", "Only fsctl's own version; do not call the server."}},
       0,
       0,
       Version},
      {{"apply"},
       "FILE",
       "Apply entities, sources, views and services from a YAML/JSON file.",
       "Applying the same file twice changes nothing; incompatible changes are\n"
       "refused with the reason.\n\n  fsctl apply features.yaml\n"
       "  fsctl apply --dry-run features.yaml",
       {{"dry-run", "", "Show what would change without storing it."}},
       1,
       1,
       ApplyCommand},
      {{"definitions", "list"},
       "[KIND]",
       "List stored definitions (entity, source, feature_view, feature_service).",
       "Prints a table per kind: entities with their join keys; sources with\n"
       "their key columns, timestamp and event id columns; views with their\n"
       "entities, key columns, source, number of features and windows; services\n"
       "with their features, views, request fields and version. --output=yaml\n"
       "prints the definitions as a file that fsctl apply takes back unchanged\n"
       "(applying it reports every definition unchanged).\n\n"
       "  fsctl definitions list\n  fsctl definitions list feature_view\n"
       "  fsctl --output=yaml definitions list > definitions.yaml",
       {},
       0,
       1,
       DefinitionsListCommand},
      {{"definitions", "show"},
       "NAME",
       "Print an entity, source, view or service as YAML, as apply takes it.",
       "The YAML form of the definitions named NAME (of any kind), which fsctl\n"
       "apply takes back unchanged. An unknown NAME is an error naming it, with\n"
       "the nearest stored name.\n\n"
       "  fsctl definitions show acct_txn\n  fsctl --output=json definitions show fraud_v1",
       {},
       1,
       1,
       DefinitionsShowCommand},
      {{"definitions", "history"},
       "",
       "Show every apply that changed definitions: when, by whom, what.",
       "Each changed object is one row; BY is the caller's principal (its token's\n"
       "name, or the client certificate's subject).\n\n"
       "  fsctl definitions history\n  fsctl definitions history --limit 5",
       {{"limit", "N", "Only the last N applies. Default: all."}},
       0,
       0,
       DefinitionsHistoryCommand},
      {{"ingest"},
       "SOURCE FILE.csv",
       "Stream a CSV file into a source; prints accepted/rejected/duplicates.",
       "The CSV has a header row naming the source's columns. Timestamps are\n"
       "ISO-8601 UTC (2026-01-05T10:00:00Z) or integers in the source's unit.\n"
       "Rejected rows are kept as dead letters (fsctl deadletters SOURCE), each\n"
       "with the file name and the ingest id printed in the summary. On a\n"
       "terminal the summary counts rejections by rule and shows the first 5\n"
       "rejected rows; otherwise (and with --output=json) every row the server\n"
       "reported (up to 100).\n\n"
       "  fsctl ingest txns txns.csv",
       {{"batch-rows", "N", "Rows per streamed message. Default: 1000."}},
       2,
       2,
       IngestCommand},
      {{"deadletters"},
       "SOURCE",
       "List the rows of a source that ingest rejected, with reasons.",
       "Each row names the ingest that received it (its id, as fsctl ingest\n"
       "prints it) and where from (the file name, or the RPC that carried it).\n\n"
       "  fsctl deadletters txns --limit 20\n"
       "  fsctl deadletters txns --ingest ingest-20260105T100000.000000Z-3",
       {{"limit", "N", "Most rows to print. Default: 100."},
        {"ingest", "ID", "Only the rows of this ingest."}},
       1,
       1,
       DeadLettersCommand},
      {{"features", "get"},
       "REF",
       "Read online features of a view or service for one entity.",
       "REF is a feature view, a feature service, or view:feature refs joined\n"
       "by commas. --at reads as of a past time (ISO-8601, or now-1h). Times\n"
       "older than the online state keeps (each view's longest window or TTL\n"
       "plus a day) are computed from the stored events, with the values\n"
       "dataset build gives (the output says which path served); a time before\n"
       "the oldest stored event is refused. To read as of a snapshot, use\n"
       "fsctl dataset build --snapshot with a one-row entities file.\n\n"
       "  fsctl features get acct --entity account_id=A-1\n"
       "  fsctl features get acct_svc --entity account_id=A-1 --at 2026-01-05T10:00:00Z",
       {{"entity", "KEY=VALUE", "A join key of the entity; repeat for composite keys.", true},
        {"at", "TIME", "Features as of this time. Default: now."}},
       1,
       1,
       FeaturesGetCommand},
      {{"snapshot", "create"},
       "[NAME]",
       "Pin the ingestion high-water mark under a name.",
       "  fsctl snapshot create train-2026-01",
       {},
       0,
       1,
       SnapshotCreateCommand},
      {{"snapshot", "list"},
       "",
       "List snapshots.",
       "  fsctl snapshot list",
       {},
       0,
       0,
       SnapshotListCommand},
      {{"snapshot", "delete"},
       "NAME",
       "Delete a snapshot (its data may then be reclaimed).",
       "  fsctl snapshot delete train-2026-01",
       {},
       1,
       1,
       SnapshotDeleteCommand},
      {{"dataset", "build"},
       "",
       "Build a point-in-time-correct training set as CSV.",
       "The entities file holds the join keys, a timestamp column and any\n"
       "passthrough columns (labels). Output: one row per input row, features\n"
       "as of each row's timestamp (strictly before it).\n\n"
       "  fsctl dataset build --service acct_svc --entities labels.csv --out train.csv",
       {{"service", "NAME", "Feature service to retrieve."},
        {"features", "VIEW:FEATURE,...", "Or explicit feature refs."},
        {"entities", "FILE.csv", "Entity rows (keys, timestamp, passthrough)."},
        {"timestamp-column", "NAME", "Timestamp column of the entities file. Default: ts."},
        {"snapshot", "NAME",
         "Snapshot to read at. Default: the latest events, leaving no snapshot behind."},
        {"out", "FILE.csv", "Output file; written atomically."}},
       0,
       0,
       DatasetBuildCommand},
      {{"export"},
       "REF",
       "Export every entity's features as of a time to CSV.",
       "One row per entity with events. A service mixing entities (account and\n"
       "device views) has one row per combination of their keys seen together\n"
       "on one event, each as dataset build computes it for that time.\n\n"
       "  fsctl export acct --at 2026-01-05T00:00:00Z --out acct.csv",
       {{"at", "TIME", "As of this time. Default: now."},
        {"snapshot", "NAME",
         "Read as of a snapshot. Default: the latest events, no snapshot kept."},
        {"out", "FILE.csv", "Output file."}},
       1,
       1,
       ExportCommand},
      {{"train"},
       "",
       "Train an XGBoost model from the store and register it.",
       "Builds the training set with point-in-time retrieval (features as of\n"
       "each label row's ts, strictly before it) at a snapshot, runs stratified\n"
       "k-fold cross-validation with early stopping (binary:logistic, hist,\n"
       "scale_pos_weight from the class balance), trains the final model on\n"
       "every row and registers it as the next version of --model with its\n"
       "snapshot, dataset fingerprint, params, metrics, feature statistics and\n"
       "risk thresholds (high = top 1%, medium = top 5% of out-of-fold scores).\n"
       "The labels file holds the service's entity keys, ts, label (0/1) and\n"
       "its request fields. Same labels, snapshot and seed: same model bytes.\n\n"
       "With --from-feedback MODELREF it trains instead on the vectors serving\n"
       "logged for that model's labelled requests (fsctl feedback): the exact\n"
       "features each request was scored with, from every version with the\n"
       "same inputs, bound to the same feature service (refused if the service\n"
       "changed since).\n\n"
       "  fsctl train --service fraud_v1 --labels labels.csv --model fraud\n"
       "  fsctl --output=json train --service fraud_v1 --labels labels.csv \\\n"
       "      --model fraud --snapshot train-2026-01 --folds 3 --seed 7\n"
       "  fsctl train --from-feedback fraud@Production --model fraud --window 30d",
       {{"service", "NAME", "Feature service the model consumes."},
        {"from-feedback", "MODELREF", "Train on this model's labelled served vectors instead."},
        {"window", "DURATION",
         "With --from-feedback: requests served in the last DURATION. Default: all."},
        {"labels", "FILE.csv", "Entity keys, ts, label and request fields."},
        {"model", "NAME", "Registered model to add a version to."},
        {"snapshot", "NAME", "Snapshot to train at. Default: a new one."},
        {"folds", "N", "Cross-validation folds. Default: 5."},
        {"rounds", "N", "Most boosting rounds. Default: 200."},
        {"max-depth", "D", "Tree depth. Default: 6."},
        {"eta", "E", "Learning rate. Default: 0.1."},
        {"seed", "N", "Random seed. Default: 42."},
        {"label-column", "NAME", "Label column of the labels file. Default: label."},
        {"timestamp-column", "NAME", "Timestamp column of the labels file. Default: ts."},
        {"description", "TEXT", "Description of the registered version."},
        {"gate", "METRIC>=VALUE|METRIC<=VALUE",
         "Promotion gate of the model train creates; an existing model must already have it "
         "(change it with fsctl models update).",
         true}},
       0,
       0,
       TrainCommand},
      {{"register"},
       "",
       "Register an XGBoost model file as the next version of a model.",
       "Uploads the model (JSON or UBJSON, as XGBoost saves it), stores it by its\n"
       "sha256 and creates the next version (1, 2, ...; never reused) in stage\n"
       "None. The version is bound to the feature service as defined now: its\n"
       "features in order, then its request fields, are the model's inputs. A\n"
       "model that XGBoost cannot load, or whose number of inputs differs from\n"
       "the service's, is refused.\n\n"
       "  fsctl register --model fraud --artifact model.json --service fraud_v1 \\\n"
       "      --metrics metrics.json --description \"weekly retrain\"",
       {{"model", "NAME", "Registered model (created when new)."},
        {"artifact", "FILE", "XGBoost model, JSON or UBJSON."},
        {"service", "NAME", "Feature service the model consumes (its signature)."},
        {"metrics", "FILE.json", "Metrics to record, e.g. {\"auc\": 0.93}."},
        {"description", "TEXT", "Free text."}},
       0,
       0,
       RegisterCommand},
      {{"models", "create"},
       "NAME",
       "Register a model name, optionally with a promotion gate.",
       "Registering a version creates its model when needed; create one first\n"
       "to give it a description, tags or a gate that every promotion to\n"
       "Production must pass.\n\n"
       "  fsctl models create fraud --description \"card fraud\" --gate auc>=0.9",
       {{"description", "TEXT", "Free text."},
        {"tag", "KEY=VALUE", "A tag.", true},
        {"gate", "METRIC>=VALUE|METRIC<=VALUE", "Refuse Production promotions outside this bound.",
         true}},
       1,
       1,
       ModelsCreateCommand},
      {{"models", "update"},
       "NAME",
       "Change a model's promotion gate and/or description (audited).",
       "The --gate flags together replace the whole gate (--gate none removes\n"
       "it). The change and who made it are kept in the model's history.\n\n"
       "  fsctl models update fraud --gate auc>=0.9 --gate logloss<=0.3\n"
       "  fsctl models update fraud --description \"card fraud, weekly retrain\"",
       {{"description", "TEXT", "New description."},
        {"gate", "METRIC>=VALUE|METRIC<=VALUE", "A bound of the new gate, or none.", true}},
       1,
       1,
       ModelsUpdateCommand},
      {{"models", "list"},
       "",
       "List registered models.",
       "  fsctl models list",
       {},
       0,
       0,
       ModelsListCommand},
      {{"models", "show"},
       "NAME",
       "Show a model and its versions.",
       "  fsctl models show fraud\n  fsctl models show fraud --version 3",
       {{"version", "N", "Show only this version."}},
       1,
       1,
       ModelsShowCommand},
      {{"models", "history"},
       "NAME",
       "Show every stage and alias transition of a model.",
       "  fsctl models history fraud\n  fsctl models history fraud --at 2026-01-05T00:00:00Z",
       {{"at", "TIME", "Which version held each stage and alias then."}},
       1,
       1,
       ModelsHistoryCommand},
      {{"models", "delete"},
       "NAME",
       "Delete a model version (refused while in Production).",
       "  fsctl models delete fraud --version 2",
       {{"version", "N", "The version to delete."}},
       1,
       1,
       ModelsDeleteCommand},
      {{"promote"},
       "NAME VERSION",
       "Move a model version to a stage.",
       "Stages: None -> Staging -> Production -> Archived; any move is allowed.\n"
       "At most one version is in Production: promoting another needs\n"
       "--archive-existing, which archives the current one in the same write.\n"
       "A Production promotion must pass every --require and the model's gate\n"
       "(fsctl models create --gate). Every move is kept in the history.\n\n"
       "  fsctl promote fraud 3 --stage Staging\n"
       "  fsctl promote fraud 3 --stage Production --archive-existing --require auc>=0.9",
       {{"stage", "STAGE", "None, Staging, Production or Archived."},
        {"archive-existing", "", "Archive the current Production version in the same write."},
        {"comment", "TEXT", "Kept in the audit history."},
        {"require", "METRIC>=VALUE|METRIC<=VALUE", "Refuse unless the version's metric meets it.",
         true}},
       2,
       2,
       PromoteCommand},
      {{"alias", "set"},
       "NAME ALIAS VERSION",
       "Point an alias (champion, challenger, ...) at a version.",
       "  fsctl alias set fraud champion 3",
       {},
       3,
       3,
       AliasSetCommand},
      {{"alias", "delete"},
       "NAME ALIAS",
       "Remove an alias.",
       "  fsctl alias delete fraud challenger",
       {},
       2,
       2,
       AliasDeleteCommand},
      {{"artifact", "get"},
       "MODELREF",
       "Download a version's model file (verified by sha256).",
       "MODELREF is NAME:VERSION, NAME@STAGE or NAME@ALIAS.\n\n"
       "  fsctl artifact get fraud:3 --out model.json\n"
       "  fsctl artifact get fraud@Production --out prod.json",
       {{"out", "FILE", "Where to write it (written only once verified)."}},
       1,
       1,
       ArtifactGetCommand},
      {{"score"},
       "MODELREF",
       "Score one event with features joined in by the server.",
       "MODELREF is NAME@STAGE, NAME@ALIAS or NAME:VERSION. The server reads the\n"
       "online features of every entity the model's feature service needs, as\n"
       "of now, adds the request fields and evaluates the trees. Field values\n"
       "are typed as written: true/false, integers, numbers, else text.\n"
       "--explain fast gives path attributions, exact gives TreeSHAP values,\n"
       "both in log-odds units.\n\n"
       "  fsctl score fraud@Production --entity account_id=A-1 --entity device_id=D-9 \\\n"
       "      --field amount=120.5 --field type=TRANSFER --explain fast",
       {{"entity", "KEY=VALUE", "A join key; repeat for each entity.", true},
        {"field", "KEY=VALUE", "A request-time field; repeat for each.", true},
        {"explain", "fast|exact", "Return the top feature contributions."},
        {"at", "TIME",
         "Features as of this time (replaying a past event; older than the online state: "
         "from the stored events). Default: now."}},
       1,
       1,
       ScoreCommand},
      {{"batch-score"},
       "MODELREF",
       "Score every entity active in a lookback window into the scores table.",
       "Resolves MODELREF once (the whole batch uses that version), finds the\n"
       "entities with events in the last DURATION (each distinct combination of\n"
       "the join keys the model's features need, as seen on one event) or reads\n"
       "them from --entities, scores each with features as of now, and writes\n"
       "fraud_score, risk_bucket, model version and time to the scores table\n"
       "under a new batch id. Request fields take the --field values, unless\n"
       "an --entities row gives its own (a column named for the field).\n\n"
       "  fsctl batch-score fraud@Production --lookback 24h --field amount=0\n"
       "  fsctl batch-score fraud:3 --entities accounts.csv --field amount=0",
       {{"lookback", "DURATION", "Entities with events in the last DURATION. Default: 1h."},
        {"entities", "FILE.csv",
         "Or score these entities (a header of join keys and request fields)."},
        {"field", "KEY=VALUE", "A request field's default for every entity.", true}},
       1,
       1,
       BatchScoreCommand},
      {{"scores", "list"},
       "",
       "List the scores table.",
       "  fsctl scores list --limit 20\n  fsctl scores list --model fraud --batch batch-...",
       {{"limit", "N", "Most rows; 0 for all. Default: 100."},
        {"model", "NAME", "Only this model's scores."},
        {"batch", "ID", "Only this batch."}},
       0,
       0,
       ScoresListCommand},
      {{"scores", "export"},
       "",
       "Export the scores table to CSV.",
       "Columns: the entity's join keys, fraud_score, risk_bucket, model,\n"
       "model_version, scored_at, batch_id. The file appears only when complete.\n\n"
       "  fsctl scores export --out scores.csv\n"
       "  fsctl scores export --batch batch-... --out last.csv",
       {{"out", "FILE.csv", "Output file."},
        {"model", "NAME", "Only this model's scores."},
        {"batch", "ID", "Only this batch."}},
       0,
       0,
       ScoresExportCommand},
      {{"drift"},
       "MODELREF",
       "Feature and prediction drift of a model against its training data.",
       "Compares the inputs the version was served in the window (every Score\n"
       "is logged) with the training statistics recorded when it was\n"
       "registered: per feature the PSI over the training histogram's bins and\n"
       "the Kolmogorov-Smirnov statistic with its p-value, missing rates, and\n"
       "the same for the predictions. Flags: drift at PSI >= 0.2 (or KS p <\n"
       "0.01 with D >= 0.1), warn at PSI >= 0.1. A feature with fewer served\n"
       "values than --min-values is insufficient_data, not assessed. The\n"
       "window may not reach past the serving log's retention.\n\n"
       "  fsctl drift fraud@Production --window 24h\n"
       "  fsctl --output=json drift fraud:3 --window 1h",
       {{"window", "DURATION", "Serving traffic to compare. Default: 24h."},
        {"min-values", "N", "Served values a feature needs to be assessed. Default: 100."}},
       1,
       1,
       DriftCommand},
      {{"quality"},
       "SOURCE",
       "Accepted and rejected rows by rule, and null rates, over time.",
       "Counts what ingest did with a source's rows, per bucket of INGEST time\n"
       "(when fsd received the rows, not their event timestamps): rows accepted,\n"
       "rows rejected in total and per rule (column_count, utf8, max_length,\n"
       "type, finite, not_null, min, max, allowed; each rejected row is a dead\n"
       "letter: fsctl deadletters SOURCE), and duplicates (event ids already\n"
       "stored). Then, per column, the null rate among the ACCEPTED rows\n"
       "(rejected rows are not counted) over the window and in its worst\n"
       "bucket. Counts are committed with the rows they count and kept 90 days.\n"
       "Buckets are whole, start at multiples of --bucket (UTC) and end with\n"
       "the one holding now; buckets without rows are not shown in the table.\n\n"
       "  fsctl quality txns\n"
       "  fsctl quality txns --window 7d --bucket 1d\n"
       "  fsctl --output=json quality txns --window 1h --bucket 5m",
       {{"window", "DURATION", "How far back to report. Default: 24h."},
        {"bucket", "DURATION", "Bucket width, whole minutes. Default: 1h."}},
       1,
       1,
       QualityCommand},
      {{"feedback"},
       "FILE.csv",
       "Label scored requests (chargebacks, reviews) for live metrics and retraining.",
       "The file has a 'label' column (1 = fraud, 0 = not; true/false also\n"
       "accepted) and names each request either by 'request_id' (as Score\n"
       "returned it) or by entity keys and the event time (--timestamp-column,\n"
       "ISO-8601 or microseconds): then, per model, the logged request of those\n"
       "keys nearest that time within --match-within gets the label. An\n"
       "optional 'model' column (or --model) limits the match to one model.\n"
       "The labels are kept with the exact features serving used, so\n"
       "`fsctl train --from-feedback` can retrain on them after the serving\n"
       "log has expired. All or nothing: a label matching no logged request\n"
       "fails the whole file, naming its line, unless --skip-unknown. A\n"
       "request labelled again takes the new label. Prints each labelled\n"
       "version's live metrics.\n\n"
       "  fsctl feedback chargebacks.csv            # request_id,label\n"
       "  fsctl feedback reviews.csv --model fraud  # account_id,ts,label\n"
       "  fsctl feedback late.csv --skip-unknown --match-within 5m",
       {{"skip-unknown", "", "Skip labels that match no logged request instead of failing."},
        {"match-within", "DURATION", "By keys: how far from the event time. Default: 60s."},
        {"timestamp-column", "NAME", "Event time column when matching by keys. Default: ts."},
        {"model", "NAME", "Label only this model's requests."}},
       1,
       1,
       FeedbackCommand},
      {{"performance"},
       "MODELREF",
       "Live AUC and precision at the high-risk bucket over labelled traffic.",
       "Over the requests the version served in the window that have a label\n"
       "(fsctl feedback): ROC AUC of the served scores (when both classes are\n"
       "labelled), and for the version's highest risk bucket the alerts,\n"
       "precision (labelled fraud among alerts) and recall (alerts among\n"
       "labelled fraud). /metrics carries the same for Production versions.\n\n"
       "  fsctl performance fraud@Production\n"
       "  fsctl --output=json performance fraud:3 --window 7d",
       {{"window", "DURATION", "Requests served in the last DURATION. Default: 30d."}},
       1,
       1,
       PerformanceCommand},
  };
  return kCommands;
}

std::string CommandName(const Command& c) { return absl::StrJoin(c.path, " "); }

void PrintFlags(std::ostream& os, const std::vector<FlagSpec>& flags) {
  for (const FlagSpec& f : flags) {
    std::string spec = absl::StrCat("--", f.name);
    if (!f.value_name.empty()) absl::StrAppend(&spec, "=", f.value_name);
    os << "  " << spec;
    os << std::string(spec.size() < 28 ? 28 - spec.size() : 1, ' ') << f.help;
    if (f.repeated) os << " (repeatable)";
    os << "\n";
  }
}

void PrintToolHelp(std::ostream& os) {
  os << "fsctl: the fstore command-line client.\n\n"
        "Usage: fsctl [--server=HOST:PORT] [--output=table|json] COMMAND [ARGS] [FLAGS]\n\n"
        "Commands:\n";
  for (const Command& c : Commands()) {
    std::string left = CommandName(c);
    if (!c.operands.empty()) absl::StrAppend(&left, " ", c.operands);
    os << "  " << left << std::string(left.size() < 34 ? 34 - left.size() : 1, ' ') << c.summary
       << "\n";
  }
  os << "\nGlobal flags:\n";
  PrintFlags(os, GlobalFlags());
  os << "\nRun 'fsctl COMMAND --help' for a command's flags and examples.\n"
        "Exit status: 0 success, 1 the operation failed, 2 usage error.\n";
}

void PrintCommandHelp(std::ostream& os, const Command& c) {
  os << "Usage: fsctl " << CommandName(c);
  if (!c.operands.empty()) os << " " << c.operands;
  if (!c.flags.empty()) os << " [FLAGS]";
  os << "\n\n" << c.summary << "\n";
  os << "\n" << c.help << "\n";
  if (!c.flags.empty()) {
    os << "\nFlags:\n";
    PrintFlags(os, c.flags);
  }
  os << "\nGlobal flags:\n";
  PrintFlags(os, GlobalFlags());
}

// The command whose path is the longest prefix of `words`, if any.
const Command* FindCommand(const std::vector<std::string>& words) {
  const Command* best = nullptr;
  for (const Command& c : Commands()) {
    if (c.path.size() > words.size()) continue;
    if (!std::equal(c.path.begin(), c.path.end(), words.begin())) continue;
    if (best == nullptr || c.path.size() > best->path.size()) best = &c;
  }
  return best;
}

// Commands whose path starts with `group` (for "fsctl models").
std::vector<const Command*> CommandsInGroup(const std::string& group) {
  std::vector<const Command*> found;
  for (const Command& c : Commands()) {
    if (c.path.size() > 1 && c.path[0] == group) found.push_back(&c);
  }
  return found;
}

int PrintUsageError(std::ostream& err, absl::string_view message, absl::string_view hint) {
  err << "fsctl: " << message << "\n" << hint << "\n";
  return kExitUsage;
}

}  // namespace

int RunFsctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "-version")) {
    out << VersionLine("fsctl") << "\n";
    return kExitOk;
  }
  // First pass: every flag any command knows, so that words can be found
  // before the command is known; the second pass checks the command's flags.
  std::vector<FlagSpec> all_flags = GlobalFlags();
  for (const Command& c : Commands()) {
    for (const FlagSpec& f : c.flags) {
      bool seen = false;
      for (const FlagSpec& g : all_flags) seen = seen || g.name == f.name;
      if (!seen) {
        all_flags.push_back(f);
        all_flags.back().repeated = true;  // checked per command below
      }
    }
  }
  // Unknown flags are collected here and reported once the command is known,
  // with the nearest of its flags.
  std::vector<std::string> unknown_flags;
  absl::StatusOr<ParsedArgs> loose = ParseArgs(args, all_flags, &unknown_flags);
  if (!loose.ok()) {
    return PrintUsageError(err, loose.status().message(), "Run 'fsctl --help' for usage.");
  }
  if (!unknown_flags.empty() && (loose->words.empty() || loose->words[0] == "help")) {
    return PrintUsageError(err, UnknownFlagMessage(unknown_flags[0], GlobalFlags()),
                           "Run 'fsctl --help' for usage.");
  }
  if (loose->words.empty() || loose->words[0] == "help") {
    if (loose->words.size() > 1) {
      std::vector<std::string> rest(loose->words.begin() + 1, loose->words.end());
      if (const Command* c = FindCommand(rest)) {
        PrintCommandHelp(out, *c);
        return kExitOk;
      }
    }
    PrintToolHelp(loose->words.empty() && !loose->Has("help") ? err : out);
    return loose->words.empty() && !loose->Has("help") ? kExitUsage : kExitOk;
  }

  const Command* command = FindCommand(loose->words);
  if (command == nullptr) {
    const std::vector<const Command*> group = CommandsInGroup(loose->words[0]);
    if (!group.empty() && loose->words.size() > 1) {
      // "fsctl models lst": name the unknown word, and the nearest subcommand.
      std::vector<std::string> subcommands;
      for (const Command* c : group) subcommands.push_back(c->path[1]);
      const std::string& word = loose->words[1];
      std::string message = absl::StrCat("unknown command '", loose->words[0], " ",
                                         ShortenedValue(word), "': ", QuotedValue(word),
                                         " is not one of ", absl::StrJoin(subcommands, ", "));
      if (std::string near = NearestName(word, subcommands); !near.empty()) {
        absl::StrAppend(&message, "; did you mean '", loose->words[0], " ", near, "'?");
      }
      return PrintUsageError(err, message,
                             absl::StrCat("Run 'fsctl ", loose->words[0], " --help' for usage."));
    }
    if (!group.empty()) {
      std::ostream& os = loose->Has("help") ? out : err;
      os << "Usage: fsctl " << loose->words[0] << " SUBCOMMAND\n\nSubcommands:\n";
      for (const Command* c : group) {
        os << "  " << CommandName(*c) << " " << c->operands << "\n      " << c->summary << "\n";
      }
      return loose->Has("help") ? kExitOk : kExitUsage;
    }
    std::vector<std::string> first_words;
    for (const Command& c : Commands()) first_words.push_back(c.path[0]);
    std::string message = absl::StrCat("unknown command ", QuotedValue(loose->words[0]));
    if (std::string near = NearestName(loose->words[0], first_words); !near.empty()) {
      absl::StrAppend(&message, "; did you mean '", near, "'?");
    }
    return PrintUsageError(err, message, "Run 'fsctl --help' for the list of commands.");
  }
  if (loose->Has("help")) {
    PrintCommandHelp(out, *command);
    return kExitOk;
  }

  std::vector<FlagSpec> allowed = GlobalFlags();
  allowed.insert(allowed.end(), command->flags.begin(), command->flags.end());
  const std::string hint =
      absl::StrCat("Run 'fsctl ", CommandName(*command), " --help' for usage.");
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, allowed);
  if (!parsed.ok()) {
    return PrintUsageError(
        err, absl::StrCat(CommandName(*command), ": ", parsed.status().message()), hint);
  }
  std::vector<std::string> operands(parsed->words.begin() + command->path.size(),
                                    parsed->words.end());
  if (operands.size() < command->min_operands || operands.size() > command->max_operands) {
    return PrintUsageError(
        err,
        absl::StrCat(CommandName(*command), ": expected ",
                     command->operands.empty() ? "no arguments" : command->operands,
                     operands.size() > command->max_operands
                         ? absl::StrCat(", got extra '", operands[command->max_operands], "'")
                         : ""),
        hint);
  }

  OutputFormat format = OutputFormat::kTable;
  if (std::optional<std::string> o = parsed->Get("output")) {
    const bool takes_yaml = command->path[0] == "definitions" &&
                            (command->path[1] == "list" || command->path[1] == "show");
    if (*o == "json") {
      format = OutputFormat::kJson;
    } else if (*o == "yaml" && takes_yaml) {
      format = OutputFormat::kYaml;
    } else if (*o != "table") {
      return PrintUsageError(
          err,
          absl::StrCat("--output '", *o, "' must be table or json",
                       *o == "yaml" ? " (yaml is for definitions list and show)" : ""),
          hint);
    }
  }
  FstoreClient::Options client_options;
  if (const char* env = std::getenv("FSTORE_SERVER"); env != nullptr && *env != '\0') {
    client_options.server = env;
  }
  if (std::optional<std::string> s = parsed->Get("server")) client_options.server = *s;
  // A flag wins over its environment variable.
  auto setting = [&](const char* flag, const char* env) {
    if (std::optional<std::string> v = parsed->Get(flag)) return *v;
    const char* value = std::getenv(env);
    return std::string(value == nullptr ? "" : value);
  };
  client_options.token = setting("token", "FSTORE_TOKEN");
  if (absl::Status tls = FstoreClient::ReadTlsFiles(
          setting("tls-ca", "FSTORE_TLS_CA"), setting("tls-cert", "FSTORE_TLS_CERT"),
          setting("tls-key", "FSTORE_TLS_KEY"), &client_options);
      !tls.ok()) {
    return PrintUsageError(err, std::string(tls.message()), hint);
  }
  if (std::optional<std::string> t = parsed->Get("timeout")) {
    absl::StatusOr<DurationUs> d = ParseDuration(*t);
    if (!d.ok() || *d <= 0) {
      return PrintUsageError(
          err, absl::StrCat("--timeout '", *t, "' must be a positive duration such as 30s"), hint);
    }
    client_options.timeout = absl::Microseconds(*d);
  }

  Invocation inv(*parsed, std::move(operands), format, client_options, out, err);
  absl::Status status = command->handler(inv);
  if (IsUsageError(status)) {
    return PrintUsageError(err, absl::StrCat(CommandName(*command), ": ", status.message()), hint);
  }
  if (!status.ok()) {
    err << "fsctl " << CommandName(*command) << ": "
        << WithFlagNames(status.message(), command->flags) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace fstore::cli
