// ValueCodec: the byte layout of feature values in records (events, online
// state, entity sets): a tag byte per Value followed by its payload (int64
// and double 8 bytes little-endian, strings u32-length-prefixed, bool one
// byte). Keys and other record fields use storage/record_codec.h.
//
// Decoders return false on malformed input (a corrupt record); callers turn
// that into DataLoss naming the record. Plain functions, thread-compatible.
#ifndef FSTORE_FEATURESTORE_VALUE_CODEC_H_
#define FSTORE_FEATURESTORE_VALUE_CODEC_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "featurestore/value.h"

namespace fstore::codec {

void PutValue(std::string* out, const Value& v);
bool GetValue(absl::string_view* in, Value* v);
void PutValues(std::string* out, absl::Span<const Value> values);
// Decodes values until `in` is empty.
bool GetValues(absl::string_view in, std::vector<Value>* values);

}  // namespace fstore::codec

#endif  // FSTORE_FEATURESTORE_VALUE_CODEC_H_
