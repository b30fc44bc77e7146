// Keys: the layout of every key the feature store writes, in one place.
//
//   kMeta           "next_seq", "next_dead_letter"        -> counter
//                   "source_events/" source               -> counter
//                   "dead_letters/" source                -> counter
//                   "view_built/" view                    -> content hash
//                   "view_reclaimed/" view                -> ordered(time)
//                   "apply_history/" ordered(number)      -> apply record
//   kDefinitions    kind "/" name                         -> canonical JSON
//   kEvents         component(source) ordered(seq)        -> event
//   kEventIds       component(source) component(id)       -> counter (seq)
//   kOnline         component(view) component(entity) ordered(ts) ordered(seq)
//                                                         -> projected values
//   kDeadLetters    component(source) ordered(number)     -> dead letter
//   kSnapshots      name                                  -> snapshot
//   kSourceQuality  component(source) ordered(minute)     -> quality record
//
// component() and ordered() are storage/record_codec.h's: byte order is the
// order scans need. Counters are ordered(uint64). Plain functions,
// thread-compatible. Decoders return false on a malformed key or value.
#ifndef FSTORE_FEATURESTORE_KEYS_H_
#define FSTORE_FEATURESTORE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore::keys {

// kMeta.
inline constexpr char kNextSeq[] = "next_seq";
inline constexpr char kNextDeadLetter[] = "next_dead_letter";
inline constexpr char kSourceEventsPrefix[] = "source_events/";
inline constexpr char kDeadLetterCountPrefix[] = "dead_letters/";
std::string SourceEventsCount(absl::string_view source);
std::string DeadLetterCount(absl::string_view source);
std::string ViewBuilt(absl::string_view view);
std::string ViewReclaimed(absl::string_view view);
// One apply's record; numbers count from 1 in apply order.
inline constexpr char kApplyHistoryPrefix[] = "apply_history/";
std::string ApplyHistory(uint64_t number);
bool DecodeApplyHistory(absl::string_view key, uint64_t* number);
// Counter values.
std::string EncodeCounter(uint64_t v);
bool DecodeCounter(absl::string_view value, uint64_t* v);

// kDefinitions: `kind` is "entity", "source", "feature_view" or
// "feature_service".
std::string Definition(absl::string_view kind, absl::string_view name);

// kEvents. The Append forms add the key to *out, so that ingest reuses one
// buffer for every key of a chunk.
std::string Event(absl::string_view source, uint64_t seq);
void AppendEvent(std::string* out, absl::string_view source, uint64_t seq);
// The sequence of an event key of `source`; false for another source's key
// or a malformed one.
bool EventSequence(absl::string_view key, absl::string_view source, uint64_t* seq);

// kEventIds.
std::string EventId(absl::string_view source, absl::string_view id);
void AppendEventId(std::string* out, absl::string_view source, absl::string_view id);
bool DecodeEventId(absl::string_view key, absl::string_view* source, absl::string_view* id);

// kOnline. Every key of a view starts with OnlineView(view).
std::string OnlineView(absl::string_view view);
std::string Online(absl::string_view view, absl::string_view entity, TimestampUs ts, uint64_t seq);
void AppendOnline(std::string* out, absl::string_view view, absl::string_view entity,
                  TimestampUs ts, uint64_t seq);
bool DecodeOnline(absl::string_view key, absl::string_view* view, absl::string_view* entity,
                  TimestampUs* ts, uint64_t* seq);

// kDeadLetters. Every key of a source starts with DeadLetters(source).
std::string DeadLetters(absl::string_view source);
std::string DeadLetter(absl::string_view source, uint64_t number);
bool DecodeDeadLetter(absl::string_view key, absl::string_view* source, uint64_t* number);

// kSourceQuality: a source's record for the minute starting at
// `minute_start`, and the prefix every key of that source starts with.
std::string SourceQuality(absl::string_view source, TimestampUs minute_start);
std::string SourceQualityPrefix(absl::string_view source);
bool DecodeSourceQuality(absl::string_view key, std::string* source, TimestampUs* minute_start);

}  // namespace fstore::keys

#endif  // FSTORE_FEATURESTORE_KEYS_H_
