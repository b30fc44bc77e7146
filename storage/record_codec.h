// RecordCodec: the byte layout of fstore's RocksDB keys and values.
//
// Keys order the way scans need them: components are length-prefixed
// (u32 big-endian) so any bytes may appear in names and entity keys, and
// integers are big-endian with the sign bit flipped so that byte order is
// numeric order. Values are a tag byte per Value followed by its payload
// (int64/double little-endian, strings u32-length-prefixed).
//
// Decoders return false on malformed input (a corrupt record); callers turn
// that into DataLoss naming the record.
#ifndef FSTORE_FEATURESTORE_RECORD_CODEC_H_
#define FSTORE_FEATURESTORE_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/value.h"

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

void PutValue(std::string* out, const Value& v);
bool GetValue(absl::string_view* in, Value* v);
void PutValues(std::string* out, absl::Span<const Value> values);
// Decodes values until `in` is empty.
bool GetValues(absl::string_view in, std::vector<Value>* values);

void PutString(std::string* out, absl::string_view s);
bool GetString(absl::string_view* in, std::string* s);
void PutInt64(std::string* out, int64_t v);
bool GetInt64(absl::string_view* in, int64_t* v);

}  // namespace fstore::codec

#endif  // FSTORE_FEATURESTORE_RECORD_CODEC_H_
