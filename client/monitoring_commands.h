// fsctl's monitoring verbs: drift. Each returns the status the command ends
// with; output goes to the invocation's streams (a table, or one JSON
// document with --output=json).
#ifndef FSTORE_CLIENT_MONITORING_COMMANDS_H_
#define FSTORE_CLIENT_MONITORING_COMMANDS_H_

#include "absl/status/status.h"
#include "client/invocation.h"

namespace fstore::cli {

absl::Status DriftCommand(Invocation& inv);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_MONITORING_COMMANDS_H_
