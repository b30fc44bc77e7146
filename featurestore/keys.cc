#include "featurestore/keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/record_codec.h"

namespace fstore::keys {
namespace {

std::string Component(absl::string_view name) {
  std::string key;
  codec::PutComponent(&key, name);
  return key;
}

}  // namespace

std::string SourceEventsCount(absl::string_view source) {
  return absl::StrCat(kSourceEventsPrefix, source);
}

std::string DeadLetterCount(absl::string_view source) {
  return absl::StrCat(kDeadLetterCountPrefix, source);
}

std::string ViewBuilt(absl::string_view view) { return absl::StrCat("view_built/", view); }

std::string ApplyHistory(uint64_t number) {
  std::string key = kApplyHistoryPrefix;
  codec::PutOrderedUint64(&key, number);
  return key;
}

bool DecodeApplyHistory(absl::string_view key, uint64_t* number) {
  if (!absl::ConsumePrefix(&key, kApplyHistoryPrefix)) return false;
  return codec::GetOrderedUint64(&key, number) && key.empty();
}

std::string ViewReclaimed(absl::string_view view) { return absl::StrCat("view_reclaimed/", view); }

std::string EncodeCounter(uint64_t v) {
  std::string s;
  codec::PutOrderedUint64(&s, v);
  return s;
}

bool DecodeCounter(absl::string_view value, uint64_t* v) {
  return codec::GetOrderedUint64(&value, v) && value.empty();
}

std::string Definition(absl::string_view kind, absl::string_view name) {
  return absl::StrCat(kind, "/", name);
}

std::string Event(absl::string_view source, uint64_t seq) {
  std::string key;
  AppendEvent(&key, source, seq);
  return key;
}

void AppendEvent(std::string* out, absl::string_view source, uint64_t seq) {
  codec::PutComponent(out, source);
  codec::PutOrderedUint64(out, seq);
}

bool EventSequence(absl::string_view key, absl::string_view source, uint64_t* seq) {
  absl::string_view name;
  return codec::GetComponent(&key, &name) && name == source && codec::GetOrderedUint64(&key, seq);
}

std::string EventId(absl::string_view source, absl::string_view id) {
  std::string key;
  AppendEventId(&key, source, id);
  return key;
}

void AppendEventId(std::string* out, absl::string_view source, absl::string_view id) {
  codec::PutComponent(out, source);
  codec::PutComponent(out, id);
}

bool DecodeEventId(absl::string_view key, absl::string_view* source, absl::string_view* id) {
  return codec::GetComponent(&key, source) && codec::GetComponent(&key, id);
}

std::string OnlineView(absl::string_view view) { return Component(view); }

std::string Online(absl::string_view view, absl::string_view entity, TimestampUs ts, uint64_t seq) {
  std::string key;
  AppendOnline(&key, view, entity, ts, seq);
  return key;
}

void AppendOnline(std::string* out, absl::string_view view, absl::string_view entity,
                  TimestampUs ts, uint64_t seq) {
  codec::PutComponent(out, view);
  codec::PutComponent(out, entity);
  codec::PutOrderedInt64(out, ts);
  codec::PutOrderedUint64(out, seq);
}

bool DecodeOnline(absl::string_view key, absl::string_view* view, absl::string_view* entity,
                  TimestampUs* ts, uint64_t* seq) {
  return codec::GetComponent(&key, view) && codec::GetComponent(&key, entity) &&
         codec::GetOrderedInt64(&key, ts) && codec::GetOrderedUint64(&key, seq);
}

std::string DeadLetters(absl::string_view source) { return Component(source); }

std::string DeadLetter(absl::string_view source, uint64_t number) {
  std::string key = Component(source);
  codec::PutOrderedUint64(&key, number);
  return key;
}

bool DecodeDeadLetter(absl::string_view key, absl::string_view* source, uint64_t* number) {
  return codec::GetComponent(&key, source) && codec::GetOrderedUint64(&key, number);
}

std::string SourceQualityPrefix(absl::string_view source) { return Component(source); }

std::string SourceQuality(absl::string_view source, TimestampUs minute_start) {
  std::string key = Component(source);
  codec::PutOrderedInt64(&key, minute_start);
  return key;
}

bool DecodeSourceQuality(absl::string_view key, std::string* source, TimestampUs* minute_start) {
  absl::string_view name;
  if (!codec::GetComponent(&key, &name) || !codec::GetOrderedInt64(&key, minute_start) ||
      !key.empty()) {
    return false;
  }
  source->assign(name.data(), name.size());
  return true;
}

}  // namespace fstore::keys
