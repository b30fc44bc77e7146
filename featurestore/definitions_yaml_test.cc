#include <fstream>
#include <sstream>
#include <string>

#include "featurestore/definitions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

std::string ReadRepositoryFile(const std::string& path) {
  std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses `text`, writes it as YAML and parses that: the same definitions.
void ExpectRoundTrip(const std::string& text) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(text, "yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<std::string> yaml = DefinitionsYaml(*parsed);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  absl::StatusOr<Definitions> again = ParseDefinitions(*yaml, "yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << *yaml;
  EXPECT_EQ(*again, *parsed) << *yaml;
}

TEST(DefinitionsYamlTest, TheFraudExampleReadsBackUnchanged) {
  const std::string text = ReadRepositoryFile("examples/fraud/features.yaml");
  ASSERT_FALSE(text.empty());
  ExpectRoundTrip(text);
}

TEST(DefinitionsYamlTest, TheTestDefinitionsReadBackUnchanged) {
  const std::string text = ReadRepositoryFile("tests/data/txns_features.yaml");
  ASSERT_FALSE(text.empty());
  ExpectRoundTrip(text);
  ExpectRoundTrip(ReadRepositoryFile("examples/quickstart/features.yaml"));
}

TEST(DefinitionsYamlTest, ValuesYamlWouldMisreadArePreserved) {
  ExpectRoundTrip(R"yaml(
entities:
  - {name: "null", join_key: "true", description: "a: b # not a comment"}
sources:
  - name: s
    description: "two\nlines, 'quotes' and \"double\" ones, and a tab\t"
    timestamp_column: ts
    columns:
      - {name: ts, type: TIMESTAMP, epoch_unit: ms}
      - {name: k, type: STRING, allowed: ["", "null", "~", "yes", "1", "-", "[x]", "{y}", "é"]}
      - {name: x, type: DOUBLE, nullable: true, min: -0.1, max: 1e300}
      - {name: n, type: INT64, min: 3, max: 9007199254740993}
feature_views:
  - name: v
    entities: ["true", other]
    source: s
    features:
      - {name: f1, function: COUNT, window: 90m, where: {column: k, equals: ""}}
      - {name: f2, function: COUNT, window: 7d, where: {column: k, equals: "null"}}
      - {name: f3, function: LAST, column: x, ttl: 36h}
      - {name: f4, function: LAST, column: x}
feature_services:
  - {name: empty, features: []}
  - name: svc
    features: ["v:f1", "v:f3"]
    request_fields: [{name: amount, type: DOUBLE}, {name: code, type: INT64}]
)yaml");
}

TEST(DefinitionsYamlTest, LooksLikeAHandWrittenFile) {
  absl::StatusOr<Definitions> parsed =
      ParseDefinitions(ReadRepositoryFile("tests/data/txns_features.yaml"), "yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<std::string> yaml = DefinitionsYaml(*parsed);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_THAT(*yaml, HasSubstr("entities:\n  - {name: account, join_key: account_id}\n"));
  EXPECT_THAT(*yaml, HasSubstr("      - {name: amount, type: DOUBLE, min: 0}\n"));
  EXPECT_THAT(*yaml, HasSubstr("      - {name: xfer_n_24h, function: COUNT, window: 1d, where: "
                               "{column: kind, equals: XFER}}\n"));
}

TEST(DefinitionsYamlTest, NothingIsAnEmptyFile) {
  absl::StatusOr<std::string> yaml = DefinitionsYaml(Definitions());
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  absl::StatusOr<Definitions> again = ParseDefinitions(*yaml, "yaml");
  ASSERT_TRUE(again.ok()) << again.status() << *yaml;
  EXPECT_EQ(*again, Definitions());
}

}  // namespace
}  // namespace fstore
