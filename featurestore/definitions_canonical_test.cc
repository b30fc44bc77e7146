// Pins the canonical form byte for byte. Stored definitions are versioned by
// ContentHash of this form, so existing data directories depend on it; the
// expected values below were produced by the writer this form was first
// stored with and must never change.
#include <string>

#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/time_util.h"
#include "featurestore/definitions.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

// Every escape, control characters, DEL, non-ASCII (2- and 4-byte UTF-8) and
// a byte that is not UTF-8 at all.
constexpr DurationUs kHour = 3600 * kMicrosPerSecond;

const std::string kBytes =
    "q\" b\\ / \b\f\n\r\t \x01\x1f\x7f caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF end";

Source PinnedSource() {
  return Source{kBytes,
                {{"id", ColumnType::kInt64, false, -3, 1e15, {}, "us"},
                 {"ts", ColumnType::kTimestamp, true, std::nullopt, 10, {}, "ms"},
                 {"p", ColumnType::kDouble, true, 0.1, 1e-05, {}, "us"},
                 {"q", ColumnType::kDouble, false, 0.30000000000000004, 1e20, {}, "us"},
                 {"r", ColumnType::kDouble, false, -0.0, 123456789012345678.0, {}, "us"},
                 {"s", ColumnType::kDouble, false, 5e-324, 1.7976931348623157e308, {}, "us"},
                 {"t", ColumnType::kDouble, false, 2.5, -1e-7, {}, "us"},
                 {kBytes,
                  ColumnType::kString,
                  true,
                  std::nullopt,
                  std::nullopt,
                  {kBytes, "", "true", "007", "1.50", "null"},
                  "us"},
                 {"b", ColumnType::kBool, false, std::nullopt, std::nullopt, {}, ""}},
                "ts",
                "id",
                kBytes};
}

FeatureView PinnedView() {
  return FeatureView{
      kBytes,
      {kBytes, "device"},
      "txns",
      {{"a", AggregateFunction::kCount, "", 10 * 60 * kMicrosPerSecond, 0,
        EqualsFilter{kBytes, kBytes}},
       {"b", AggregateFunction::kSum, kBytes, 7 * 24 * kHour, 0, std::nullopt},
       {"c", AggregateFunction::kMean, "x", 1500, 0, std::nullopt},
       {"d", AggregateFunction::kDistinctCount, "x", kHour, 0, EqualsFilter{"k", ""}},
       {"e", AggregateFunction::kLast, "x", 0, 48 * kHour, std::nullopt},
       {"f", AggregateFunction::kLast, "x", -kHour, -2 * kHour, std::nullopt}},
      kBytes};
}

FeatureService PinnedService() {
  return FeatureService{kBytes,
                        {"acct:n_1h", kBytes},
                        {{"amount", ColumnType::kDouble}, {kBytes, ColumnType::kString}},
                        kBytes};
}

Entity PinnedEntity() { return Entity{kBytes, "k", kBytes}; }

// The canonical form of kBytes: "$B" in the expected texts below.
constexpr absl::string_view kBytesJson =
    "\"q\\\" b\\\\ / \\b\\f\\n\\r\\t \\u0001\\u001f\x7F caf\xC3\xA9 \xF0\x9F\x98\x80 \xFF"
    " end\"";

std::string Expected(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"$B", kBytesJson}});
}

TEST(CanonicalJsonPinTest, EntityBytesAndHashAreUnchanged) {
  EXPECT_EQ(CanonicalJson(PinnedEntity()),
            Expected(R"({"name":$B,"join_key":"k","description":$B})"));
  EXPECT_EQ(ContentHash(PinnedEntity()), "c0a43691141efed5");
}

TEST(CanonicalJsonPinTest, SourceBytesAndHashAreUnchanged) {
  EXPECT_EQ(
      CanonicalJson(PinnedSource()),
      Expected(
          R"({"name":$B,"timestamp_column":"ts","event_id_column":"id","columns":[{"name":"id","type":"INT64","min":-3,"max":1e+15},{"name":"ts","type":"TIMESTAMP","nullable":true,"max":10,"epoch_unit":"ms"},{"name":"p","type":"DOUBLE","nullable":true,"min":0.1,"max":1e-05},{"name":"q","type":"DOUBLE","min":0.30000000000000004,"max":1e+20},{"name":"r","type":"DOUBLE","min":-0,"max":123456789012345680},{"name":"s","type":"DOUBLE","min":5e-324,"max":1.7976931348623157e+308},{"name":"t","type":"DOUBLE","min":2.5,"max":-1e-07},{"name":$B,"type":"STRING","nullable":true,"allowed":[$B,"","true","007","1.50","null"]},{"name":"b","type":"BOOL","epoch_unit":""}],"description":$B})"));
  EXPECT_EQ(ContentHash(PinnedSource()), "fec8ab1d52d5a589");
}

TEST(CanonicalJsonPinTest, FeatureViewBytesAndHashAreUnchanged) {
  EXPECT_EQ(
      CanonicalJson(PinnedView()),
      Expected(
          R"({"name":$B,"entities":[$B,"device"],"source":"txns","features":[{"name":"a","function":"COUNT","window":"10m","where":{"column":$B,"equals":$B}},{"name":"b","function":"SUM","column":$B,"window":"7d"},{"name":"c","function":"MEAN","column":"x","window":"1500us"},{"name":"d","function":"DISTINCT_COUNT","column":"x","window":"1h","where":{"column":"k","equals":""}},{"name":"e","function":"LAST","column":"x","ttl":"2d"},{"name":"f","function":"LAST","column":"x","window":"-1h","ttl":"-2h"}],"description":$B})"));
  EXPECT_EQ(ContentHash(PinnedView()), "3037ec24f4b492c0");
}

TEST(CanonicalJsonPinTest, FeatureServiceBytesAndHashAreUnchanged) {
  EXPECT_EQ(
      CanonicalJson(PinnedService()),
      Expected(
          R"({"name":$B,"features":["acct:n_1h",$B],"request_fields":[{"name":"amount","type":"DOUBLE"},{"name":$B,"type":"STRING"}],"description":$B})"));
  EXPECT_EQ(ContentHash(PinnedService()), "a2bce22b52fc6de6");
}

}  // namespace
}  // namespace fstore
