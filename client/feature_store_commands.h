// fsctl's feature store verbs: apply, definitions list, ingest, deadletters,
// features get, snapshot create|list|delete, dataset build, export. Each returns the status the
// command ends with; output goes to the invocation's streams (tables, or one JSON document with
// --output=json).
#ifndef FSTORE_CLIENT_FEATURE_STORE_COMMANDS_H_
#define FSTORE_CLIENT_FEATURE_STORE_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/invocation.h"
#include "fstore/v1/feature_store.pb.h"

namespace fstore::cli {

absl::Status ApplyCommand(Invocation& inv);
absl::Status DefinitionsListCommand(Invocation& inv);
// fsctl definitions history [--limit N]: every apply that changed something.
absl::Status DefinitionsHistoryCommand(Invocation& inv);
absl::Status IngestCommand(Invocation& inv);
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
