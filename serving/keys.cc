#include "serving/keys.h"

#include "storage/record_codec.h"

namespace fstore::serving_keys {

std::string ServingLogTime(TimestampUs at) {
  std::string key;
  codec::PutOrderedInt64(&key, at);
  return key;
}

std::string ServingLog(TimestampUs at, absl::string_view request_id) {
  std::string key = ServingLogTime(at);
  codec::PutComponent(&key, request_id);
  return key;
}

bool DecodeServingLog(absl::string_view key, absl::string_view* request_id) {
  int64_t at = 0;
  return codec::GetOrderedInt64(&key, &at) && codec::GetComponent(&key, request_id) && key.empty();
}

std::string FeedbackModelPrefix(absl::string_view model) {
  std::string key;
  codec::PutComponent(&key, model);
  return key;
}

std::string FeedbackTime(absl::string_view model, TimestampUs at) {
  std::string key = FeedbackModelPrefix(model);
  codec::PutOrderedInt64(&key, at);
  return key;
}

std::string Feedback(absl::string_view model, TimestampUs at, absl::string_view request_id) {
  std::string key = FeedbackTime(model, at);
  codec::PutComponent(&key, request_id);
  return key;
}

std::string Score(TimestampUs scored_at, absl::string_view batch_id, int64_t row) {
  std::string key;
  codec::PutOrderedInt64(&key, scored_at);
  codec::PutComponent(&key, batch_id);
  codec::PutOrderedInt64(&key, row);
  return key;
}

}  // namespace fstore::serving_keys
