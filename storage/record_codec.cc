#include "featurestore/record_codec.h"

#include <cstring>

namespace fstore::codec {
namespace {

void PutU32BE(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
               static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

bool GetU32BE(absl::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  *v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  in->remove_prefix(4);
  return true;
}

template <typename T>
void PutRaw(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

template <typename T>
bool GetRaw(absl::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

enum Tag : char { kNull = 0, kInt64 = 1, kDouble = 2, kString = 3, kBool = 4 };

}  // namespace

void PutComponent(std::string* out, absl::string_view component) {
  PutU32BE(out, static_cast<uint32_t>(component.size()));
  out->append(component.data(), component.size());
}

bool GetComponent(absl::string_view* in, absl::string_view* component) {
  uint32_t n;
  if (!GetU32BE(in, &n) || in->size() < n) return false;
  *component = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

void PutOrderedUint64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(b, 8);
}

bool GetOrderedUint64(absl::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

void PutOrderedInt64(std::string* out, int64_t v) {
  PutOrderedUint64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

bool GetOrderedInt64(absl::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetOrderedUint64(in, &u)) return false;
  *v = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

void PutString(std::string* out, absl::string_view s) { PutComponent(out, s); }

bool GetString(absl::string_view* in, std::string* s) {
  absl::string_view c;
  if (!GetComponent(in, &c)) return false;
  s->assign(c.data(), c.size());
  return true;
}

void PutInt64(std::string* out, int64_t v) { PutRaw(out, v); }
bool GetInt64(absl::string_view* in, int64_t* v) { return GetRaw(in, v); }

void PutValue(std::string* out, const Value& v) {
  switch (v.index()) {
    case 1:
      out->push_back(kInt64);
      PutRaw(out, std::get<int64_t>(v));
      break;
    case 2:
      out->push_back(kDouble);
      PutRaw(out, std::get<double>(v));
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
      if (!GetRaw(in, &i)) return false;
      *v = i;
      return true;
    }
    case kDouble: {
      double d;
      if (!GetRaw(in, &d)) return false;
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
