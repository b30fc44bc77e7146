// RecordCodec: the byte layout of fstore's keys and record values, shared by
// every library (feature values have theirs in featurestore/value_codec.h).
//
// Keys order the way scans need them: components are length-prefixed
// (u32 big-endian) so any bytes may appear in names and entity keys, and
// integers are big-endian with the sign bit flipped so that byte order is
// numeric order. Record fields are strings (u32-length-prefixed), int64 and
// double (8 bytes little-endian), written in a fixed order by RecordWriter
// and read back by RecordReader.
//
// Decoders return false on malformed input (a corrupt record); callers turn
// that into DataLoss naming the record. Thread-safety: plain functions; a
// RecordWriter or RecordReader is used by one thread.
#ifndef FSTORE_STORAGE_RECORD_CODEC_H_
#define FSTORE_STORAGE_RECORD_CODEC_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace fstore::codec {

// Appends a length-prefixed component.
void PutComponent(std::string* out, absl::string_view component);
// Appends an order-preserving 8-byte encoding.
void PutOrderedInt64(std::string* out, int64_t v);
void PutOrderedUint64(std::string* out, uint64_t v);

// Reads from the front of *in, advancing it.
bool GetComponent(absl::string_view* in, absl::string_view* component);
bool GetOrderedInt64(absl::string_view* in, int64_t* v);
bool GetOrderedUint64(absl::string_view* in, uint64_t* v);

void PutString(std::string* out, absl::string_view s);
bool GetString(absl::string_view* in, std::string* s);
void PutInt64(std::string* out, int64_t v);
bool GetInt64(absl::string_view* in, int64_t* v);
void PutDouble(std::string* out, double v);
bool GetDouble(absl::string_view* in, double* v);

// The smallest key greater than every key starting with `prefix` (empty
// when there is none: every byte is 0xff).
std::string PrefixEnd(std::string prefix);

// Appends record fields to *out (which it does not clear), so that a caller
// writing many records reuses one buffer.
class RecordWriter {
 public:
  explicit RecordWriter(std::string* out) : out_(out) {}
  // A format byte (records that carry a version).
  void Format(char format) { out_->push_back(format); }
  void Str(absl::string_view s) { PutString(out_, s); }
  void Int(int64_t v) { PutInt64(out_, v); }
  void Double(double v) { PutDouble(out_, v); }
  // A count, then each item through `put_item`.
  template <typename Container, typename Fn>
  void List(const Container& items, Fn put_item) {
    Int(static_cast<int64_t>(items.size()));
    for (const auto& item : items) put_item(item);
  }
  void StrMap(const std::map<std::string, std::string>& m);
  void DoubleMap(const std::map<std::string, double>& m);

 private:
  std::string* const out_;
};

// Reads fields back in the order they were written. Any failure sticks:
// later reads return zero values, and ok() tells at the end.
class RecordReader {
 public:
  explicit RecordReader(absl::string_view in) : in_(in) {}
  // Consumes a format byte; fails unless it is `format`.
  void Format(char format);
  std::string Str();
  // As Str, into *s (reusing its storage).
  void Str(std::string* s);
  int64_t Int();
  double Double();
  // A list length; every element takes at least one byte, which bounds
  // what a corrupt length can make a caller allocate.
  int64_t Count();
  std::map<std::string, std::string> StrMap();
  std::map<std::string, double> DoubleMap();
  // True when nothing is left to read.
  bool AtEnd() const { return in_.empty(); }
  // True once a field failed to decode (the rest reads as zero values).
  bool failed() const { return !ok_; }
  // True when every field decoded and nothing is left over.
  bool ok() const { return ok_ && in_.empty(); }

 private:
  absl::string_view in_;
  bool ok_ = true;
};

}  // namespace fstore::codec

#endif  // FSTORE_STORAGE_RECORD_CODEC_H_
