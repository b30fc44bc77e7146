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
#include "absl/types/span.h"
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

// The scan under ActiveEntities and export: the distinct combinations of
// `join_keys` values (in that order) seen together on one event of
// `sources` timestamped in [since, until), among the events up to
// `high_water_mark`, sorted. NotFound when no source carries every key
// (the callers say what that means for them).
absl::StatusOr<std::vector<std::vector<std::string>>> KeyCombinationsSeen(
    const Database& db, absl::Span<const Source> sources, const std::vector<std::string>& join_keys,
    uint64_t high_water_mark, TimestampUs since, TimestampUs until);

}  // namespace fstore

#endif  // FSTORE_FEATURESTORE_ACTIVE_ENTITIES_H_
