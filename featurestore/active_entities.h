// ActiveEntities: which entities had events in a time range, for batch
// scoring ("score every account active in the last 24h").
//
// An entity here is a combination of join-key values: for join keys
// {account_id, device_id} it is each distinct (account, device) pair seen
// together on one event. Every source whose columns include all the join
// keys is read; events with a null key are skipped. The result is sorted
// and has no duplicates. The scan reads the event log (O(events)), which
// suits batch work, not the request path.
#ifndef FSTORE_FEATURESTORE_ACTIVE_ENTITIES_H_
#define FSTORE_FEATURESTORE_ACTIVE_ENTITIES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "storage/database.h"

namespace fstore {

// Entities with an event timestamped in [since, until). InvalidArgument when
// `join_keys` is empty; FailedPrecondition naming the keys when no source
// carries them all.
absl::StatusOr<std::vector<std::map<std::string, std::string>>> ActiveEntities(
    const Database& db, const Definitions& definitions, const std::vector<std::string>& join_keys,
    TimestampUs since, TimestampUs until);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ACTIVE_ENTITIES_H_
