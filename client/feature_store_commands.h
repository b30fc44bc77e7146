// fsctl's feature store verbs: apply, definitions list|show|history, ingest, deadletters,
// features get, snapshot create|list|delete, dataset build, export. Each returns the status the
// command ends with; output goes to the invocation's streams (tables, or one JSON document with
// --output=json; definitions list and show also print a YAML definitions file with
// --output=yaml).
#ifndef FSTORE_CLIENT_FEATURE_STORE_COMMANDS_H_
#define FSTORE_CLIENT_FEATURE_STORE_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/invocation.h"
#include "fstore/v1/feature_store.pb.h"

namespace fstore::cli {

absl::Status ApplyCommand(Invocation& inv);
// fsctl definitions list [KIND]: a table per kind (or the YAML file).
absl::Status DefinitionsListCommand(Invocation& inv);
// fsctl definitions show NAME: the YAML form of the objects named NAME;
// NotFound naming it (and the nearest name) when there is none.
absl::Status DefinitionsShowCommand(Invocation& inv);
// fsctl definitions history [--limit N]: every apply that changed something.
absl::Status DefinitionsHistoryCommand(Invocation& inv);
absl::Status IngestCommand(Invocation& inv);
// Rejected rows `fsctl ingest` shows on a terminal (all it got otherwise).
inline constexpr int kBriefRejectedRows = 5;
// What `fsctl ingest` prints for people: the counts and ingest id, the
// rejections by rule, and the rejected rows of `response` (the first
// kBriefRejectedRows of them when `brief`, i.e. on a terminal).
void PrintIngestSummary(std::ostream& out, const std::string& source, const std::string& path,
                        int64_t rows_sent, const v1::IngestResponse& response, bool brief);
absl::Status DeadLettersCommand(Invocation& inv);
absl::Status FeaturesGetCommand(Invocation& inv);
absl::Status SnapshotCreateCommand(Invocation& inv);
absl::Status SnapshotListCommand(Invocation& inv);
absl::Status SnapshotDeleteCommand(Invocation& inv);
absl::Status DatasetBuildCommand(Invocation& inv);
absl::Status ExportCommand(Invocation& inv);

// Reads an entities file (header row, then entity rows) for historical
// retrieval: its header names header->columns, its rows go to *rows.
absl::Status ReadEntitiesFile(const std::string& path, v1::HistoricalHeader* header,
                              std::vector<std::vector<std::string>>* rows);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_FEATURE_STORE_COMMANDS_H_
