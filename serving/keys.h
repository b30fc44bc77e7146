// Keys: the layout of every key the serving core writes, in one place.
//
//   kServingLog       ordered(at) component(request id)        -> served request
//   kServingLogIndex  request id                               -> its kServingLog key
//   kFeedback         component(model) ordered(at) component(request id)
//                                                              -> label + served request
//   kScores           ordered(scored at) component(batch id) ordered(row)
//                                                              -> score record
//
// component() and ordered() are storage/record_codec.h's, so the serving log
// and the scores table scan in time order, and one model's feedback in time
// order after FeedbackModelPrefix(model).
// Plain functions, thread-compatible.
#ifndef FSTORE_SERVING_KEYS_H_
#define FSTORE_SERVING_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/time_util.h"

namespace fstore::serving_keys {

// The kServingLog keys of requests served at `at` sort from here; a scan
// bound.
std::string ServingLogTime(TimestampUs at);
std::string ServingLog(TimestampUs at, absl::string_view request_id);
// The request id of a kServingLog key (a view into `key`); false when
// malformed.
bool DecodeServingLog(absl::string_view key, absl::string_view* request_id);

// The prefix of every kFeedback key of `model`.
std::string FeedbackModelPrefix(absl::string_view model);
// The feedback of `model`'s requests served at `at` sorts from here.
std::string FeedbackTime(absl::string_view model, TimestampUs at);
std::string Feedback(absl::string_view model, TimestampUs at, absl::string_view request_id);

std::string Score(TimestampUs scored_at, absl::string_view batch_id, int64_t row);

}  // namespace fstore::serving_keys

#endif  // FSTORE_SERVING_KEYS_H_
