#include "featurestore/value_codec.h"

#include <utility>

#include "storage/record_codec.h"

namespace fstore::codec {
namespace {

enum Tag : char { kNull = 0, kInt64 = 1, kDouble = 2, kString = 3, kBool = 4 };

}  // namespace

void PutValue(std::string* out, const Value& v) {
  switch (v.index()) {
    case 1:
      out->push_back(kInt64);
      PutInt64(out, std::get<int64_t>(v));
      break;
    case 2:
      out->push_back(kDouble);
      PutDouble(out, std::get<double>(v));
      break;
    case 3:
      out->push_back(kString);
      PutComponent(out, std::get<std::string>(v));
      break;
    case 4:
      out->push_back(kBool);
      out->push_back(std::get<bool>(v) ? 1 : 0);
      break;
    default:
      out->push_back(kNull);
  }
}

bool GetValue(absl::string_view* in, Value* v) {
  if (in->empty()) return false;
  const char tag = in->front();
  in->remove_prefix(1);
  switch (tag) {
    case kNull:
      *v = std::monostate();
      return true;
    case kInt64: {
      int64_t i;
      if (!GetInt64(in, &i)) return false;
      *v = i;
      return true;
    }
    case kDouble: {
      double d;
      if (!GetDouble(in, &d)) return false;
      *v = d;
      return true;
    }
    case kString: {
      absl::string_view s;
      if (!GetComponent(in, &s)) return false;
      *v = std::string(s);
      return true;
    }
    case kBool:
      if (in->empty()) return false;
      *v = in->front() != 0;
      in->remove_prefix(1);
      return true;
    default:
      return false;
  }
}

void PutValues(std::string* out, absl::Span<const Value> values) {
  for (const Value& v : values) PutValue(out, v);
}

bool GetValues(absl::string_view in, std::vector<Value>* values) {
  values->clear();
  while (!in.empty()) {
    Value v;
    if (!GetValue(&in, &v)) return false;
    values->push_back(std::move(v));
  }
  return true;
}

}  // namespace fstore::codec
