// JsonWriter: builds one JSON document for --output=json. Keys and strings
// are escaped per RFC 8259; doubles print with enough digits to round-trip,
// and non-finite doubles print as null.
//
//   JsonWriter w;
//   w.BeginObject(); w.Key("status"); w.String("SERVING"); w.EndObject();
//   std::cout << w.str();
#ifndef FSTORE_CLIENT_JSON_WRITER_H_
#define FSTORE_CLIENT_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace fstore::cli {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(absl::string_view key);
  void String(absl::string_view value);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_JSON_WRITER_H_
