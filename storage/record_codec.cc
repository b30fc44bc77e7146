#include "storage/record_codec.h"

#include <bit>
#include <cstring>

namespace fstore::codec {
namespace {

void PutU32BE(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
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

void PutDouble(std::string* out, double v) { PutInt64(out, std::bit_cast<int64_t>(v)); }

bool GetDouble(absl::string_view* in, double* v) {
  int64_t bits;
  if (!GetInt64(in, &bits)) return false;
  *v = std::bit_cast<double>(bits);
  return true;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) {
    prefix.pop_back();
  }
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

void RecordWriter::StrMap(const std::map<std::string, std::string>& m) {
  List(m, [this](const auto& kv) {
    Str(kv.first);
    Str(kv.second);
  });
}

void RecordWriter::DoubleMap(const std::map<std::string, double>& m) {
  List(m, [this](const auto& kv) {
    Str(kv.first);
    Double(kv.second);
  });
}

void RecordReader::Format(char format) {
  if (!ok_ || in_.empty() || in_.front() != format) {
    ok_ = false;
    return;
  }
  in_.remove_prefix(1);
}

std::string RecordReader::Str() {
  std::string s;
  Str(&s);
  return s;
}

void RecordReader::Str(std::string* s) {
  if (!ok_ || !GetString(&in_, s)) {
    ok_ = false;
    s->clear();
  }
}

int64_t RecordReader::Int() {
  int64_t v = 0;
  if (!ok_ || !GetInt64(&in_, &v)) {
    ok_ = false;
    v = 0;
  }
  return v;
}

double RecordReader::Double() { return std::bit_cast<double>(Int()); }

int64_t RecordReader::Count() {
  const int64_t n = Int();
  if (n < 0 || static_cast<uint64_t>(n) > in_.size()) ok_ = false;
  return ok_ ? n : 0;
}

std::map<std::string, std::string> RecordReader::StrMap() {
  std::map<std::string, std::string> m;
  for (int64_t i = 0, n = Count(); i < n; ++i) {
    std::string k = Str();
    m[std::move(k)] = Str();
  }
  return m;
}

std::map<std::string, double> RecordReader::DoubleMap() {
  std::map<std::string, double> m;
  for (int64_t i = 0, n = Count(); i < n; ++i) {
    std::string k = Str();
    m[std::move(k)] = Double();
  }
  return m;
}

}  // namespace fstore::codec
