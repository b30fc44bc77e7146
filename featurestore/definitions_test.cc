#include "featurestore/definitions.h"

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// The accepted file format, verbatim.
constexpr char kExampleYaml[] = R"yaml(entities:
  - {name: account, join_key: account_id}
  - {name: device, join_key: device_id}
sources:
  - name: txns
    timestamp_column: ts
    event_id_column: txn_id
    columns:
      - {name: txn_id, type: STRING}
      - {name: account_id, type: STRING}
      - {name: device_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: amount, type: DOUBLE, min: 0}
      - {name: kind, type: STRING, allowed: [PAY, XFER]}
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: 1h}
      - {name: amt_sum_24h, function: SUM, column: amount, window: 24h}
      - {name: amt_max_7d, function: MAX, column: amount, window: 7d}
      - {name: amt_mean_24h, function: MEAN, column: amount, window: 24h}
      - {name: xfer_n_24h, function: COUNT, window: 24h, where: {column: kind, equals: XFER}}
      - {name: dev_distinct_7d, function: DISTINCT_COUNT, column: device_id, window: 7d}
      - {name: last_amt, function: LAST, column: amount, ttl: 48h}
feature_services:
  - name: acct_svc
    features: [acct:n_1h, acct:amt_sum_24h, acct:xfer_n_24h, acct:last_amt]
    request_fields: [{name: amount, type: DOUBLE}]
)yaml";

// The same definitions as JSON, laid out the way people write JSON.
constexpr char kExampleJson[] = R"json({
  "entities": [
    {"name": "account", "join_key": "account_id"},
    {"name": "device", "join_key": "device_id"}
  ],
  "sources": [{
    "name": "txns",
    "timestamp_column": "ts",
    "event_id_column": "txn_id",
    "columns": [
      {"name": "txn_id", "type": "STRING"},
      {"name": "account_id", "type": "STRING"},
      {"name": "device_id", "type": "STRING"},
      {"name": "ts", "type": "TIMESTAMP"},
      {"name": "amount", "type": "DOUBLE", "min": 0},
      {"name": "kind", "type": "STRING", "allowed": ["PAY", "XFER"]}
    ]
  }],
  "feature_views": [{
    "name": "acct",
    "entities": ["account"],
    "source": "txns",
    "features": [
      {"name": "n_1h", "function": "COUNT", "window": "1h"},
      {"name": "amt_sum_24h", "function": "SUM", "column": "amount", "window": "24h"},
      {"name": "amt_max_7d", "function": "MAX", "column": "amount", "window": "7d"},
      {"name": "amt_mean_24h", "function": "MEAN", "column": "amount", "window": "24h"},
      {"name": "xfer_n_24h", "function": "COUNT", "window": "24h",
       "where": {"column": "kind", "equals": "XFER"}},
      {"name": "dev_distinct_7d", "function": "DISTINCT_COUNT", "column": "device_id",
       "window": "7d"},
      {"name": "last_amt", "function": "LAST", "column": "amount", "ttl": "48h"}
    ]
  }],
  "feature_services": [{
    "name": "acct_svc",
    "features": ["acct:n_1h", "acct:amt_sum_24h", "acct:xfer_n_24h", "acct:last_amt"],
    "request_fields": [{"name": "amount", "type": "DOUBLE"}]
  }]
})json";

constexpr DurationUs kHour = 3600 * kMicrosPerSecond;

Column MakeColumn(absl::string_view name, ColumnType type) {
  Column column;
  column.name = std::string(name);
  column.type = type;
  return column;
}

Feature Aggregate(absl::string_view name, AggregateFunction function, absl::string_view column,
                  DurationUs window, std::optional<EqualsFilter> where = std::nullopt) {
  return Feature{std::string(name), function, std::string(column), window, 0, std::move(where)};
}

Feature Last(absl::string_view name, absl::string_view column, DurationUs ttl) {
  return Feature{std::string(name), AggregateFunction::kLast, std::string(column), 0, ttl,
                 std::nullopt};
}

Definitions Example() {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(kExampleYaml);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : Definitions{};
}

// Parses `yaml` and returns the error; fails the test when it parses.
absl::Status ParseError(absl::string_view yaml) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(yaml);
  EXPECT_FALSE(parsed.ok()) << "parsed without error:\n" << yaml;
  return parsed.status();
}

MATCHER_P2(IsError, code, substring, "") {
  if (arg.code() != code) {
    *result_listener << "code is " << absl::StatusCodeToString(arg.code());
    return false;
  }
  if (!absl::StrContains(arg.message(), substring)) {
    *result_listener << "message is: " << arg.message();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Names of types and functions.

TEST(ColumnTypeTest, NamesRoundTripCaseInsensitively) {
  for (ColumnType type : {ColumnType::kInt64, ColumnType::kDouble, ColumnType::kString,
                          ColumnType::kBool, ColumnType::kTimestamp}) {
    EXPECT_EQ(*ParseColumnType(ColumnTypeName(type)), type);
  }
  EXPECT_EQ(*ParseColumnType("timestamp"), ColumnType::kTimestamp);
  EXPECT_EQ(*ParseColumnType("Int64"), ColumnType::kInt64);
}

TEST(ColumnTypeTest, UnknownTypeNamesTextAndValidNames) {
  EXPECT_THAT(ParseColumnType("FLOAT").status(),
              IsError(absl::StatusCode::kInvalidArgument,
                      "unknown column type 'FLOAT'; expected one of INT64, DOUBLE, STRING, BOOL, "
                      "TIMESTAMP"));
}

TEST(AggregateFunctionTest, NamesRoundTripCaseInsensitively) {
  for (AggregateFunction f :
       {AggregateFunction::kCount, AggregateFunction::kSum, AggregateFunction::kMean,
        AggregateFunction::kMin, AggregateFunction::kMax, AggregateFunction::kDistinctCount,
        AggregateFunction::kLast}) {
    EXPECT_EQ(*ParseAggregateFunction(AggregateFunctionName(f)), f);
  }
  EXPECT_EQ(*ParseAggregateFunction("distinct_count"), AggregateFunction::kDistinctCount);
  EXPECT_EQ(AggregateFunctionName(AggregateFunction::kDistinctCount), "DISTINCT_COUNT");
}

TEST(AggregateFunctionTest, UnknownFunctionNamesTextAndValidNames) {
  EXPECT_THAT(ParseAggregateFunction("MAXX").status(),
              IsError(absl::StatusCode::kInvalidArgument,
                      "unknown function 'MAXX'; expected one of COUNT, SUM, MEAN, MIN, MAX, "
                      "DISTINCT_COUNT, LAST"));
}

// ---------------------------------------------------------------------------
// Lookups.

TEST(DefinitionsTest, FindReturnsObjectByNameOrNull) {
  const Definitions d = Example();
  ASSERT_NE(d.FindEntity("device"), nullptr);
  EXPECT_EQ(d.FindEntity("device")->join_key, "device_id");
  EXPECT_EQ(d.FindEntity("merchant"), nullptr);
  ASSERT_NE(d.FindSource("txns"), nullptr);
  EXPECT_EQ(d.FindSource("txn"), nullptr);
  ASSERT_NE(d.FindView("acct"), nullptr);
  EXPECT_EQ(d.FindView("acct_svc"), nullptr);
  ASSERT_NE(d.FindService("acct_svc"), nullptr);
  EXPECT_EQ(d.FindService("acct"), nullptr);
}

TEST(SourceTest, ColumnIndexIsPositionOrMinusOne) {
  const Definitions d = Example();
  const Source& txns = d.sources[0];
  EXPECT_EQ(txns.ColumnIndex("txn_id"), 0);
  EXPECT_EQ(txns.ColumnIndex("kind"), 5);
  EXPECT_EQ(txns.ColumnIndex("Kind"), -1);
  EXPECT_EQ(txns.ColumnIndex(""), -1);
}

// ---------------------------------------------------------------------------
// Parsing.

TEST(ParseDefinitionsTest, ExampleFileParsesAndValidates) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(kExampleYaml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Definitions& d = *parsed;
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);

  ASSERT_EQ(d.entities.size(), 2);
  EXPECT_EQ(d.entities[0], (Entity{"account", "account_id", ""}));
  EXPECT_EQ(d.entities[1], (Entity{"device", "device_id", ""}));

  ASSERT_EQ(d.sources.size(), 1);
  const Source& txns = d.sources[0];
  EXPECT_EQ(txns.name, "txns");
  EXPECT_EQ(txns.timestamp_column, "ts");
  EXPECT_EQ(txns.event_id_column, "txn_id");
  ASSERT_EQ(txns.columns.size(), 6);
  EXPECT_EQ(txns.columns[3].type, ColumnType::kTimestamp);
  EXPECT_EQ(txns.columns[3].epoch_unit, "us");
  EXPECT_EQ(txns.columns[4].type, ColumnType::kDouble);
  EXPECT_EQ(txns.columns[4].min, 0.0);
  EXPECT_EQ(txns.columns[4].max, std::nullopt);
  EXPECT_FALSE(txns.columns[4].nullable);
  EXPECT_THAT(txns.columns[5].allowed, ElementsAre("PAY", "XFER"));

  ASSERT_EQ(d.feature_views.size(), 1);
  const FeatureView& acct = d.feature_views[0];
  EXPECT_THAT(acct.entities, ElementsAre("account"));
  EXPECT_EQ(acct.source, "txns");
  ASSERT_EQ(acct.features.size(), 7);
  EXPECT_EQ(acct.features[0], (Feature{"n_1h", AggregateFunction::kCount, "", kHour, 0, {}}));
  EXPECT_EQ(acct.features[2],
            (Feature{"amt_max_7d", AggregateFunction::kMax, "amount", 7 * 24 * kHour, 0, {}}));
  EXPECT_EQ(acct.features[4].where, (EqualsFilter{"kind", "XFER"}));
  EXPECT_EQ(acct.features[5].function, AggregateFunction::kDistinctCount);
  EXPECT_EQ(acct.features[6],
            (Feature{"last_amt", AggregateFunction::kLast, "amount", 0, 48 * kHour, {}}));

  ASSERT_EQ(d.feature_services.size(), 1);
  EXPECT_THAT(d.feature_services[0].features,
              ElementsAre("acct:n_1h", "acct:amt_sum_24h", "acct:xfer_n_24h", "acct:last_amt"));
  EXPECT_THAT(d.feature_services[0].request_fields,
              ElementsAre(RequestField{"amount", ColumnType::kDouble}));
}

TEST(ParseDefinitionsTest, JsonEquivalentParsesToTheSameDefinitions) {
  absl::StatusOr<Definitions> from_json = ParseDefinitions(kExampleJson);
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(*from_json, Example());

  absl::StatusOr<Definitions> explicit_json = ParseDefinitions(kExampleJson, "json");
  ASSERT_TRUE(explicit_json.ok()) << explicit_json.status();
  EXPECT_EQ(*explicit_json, Example());
}

TEST(ParseDefinitionsTest, ExplicitYamlFormatIsAccepted) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(kExampleYaml, "yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, Example());
}

TEST(ParseDefinitionsTest, UnknownFormatIsRejected) {
  EXPECT_THAT(ParseDefinitions(kExampleYaml, "toml").status(),
              IsError(absl::StatusCode::kInvalidArgument, "'toml'"));
}

TEST(ParseDefinitionsTest, EmptyOrCommentOnlyFileIsEmptyDefinitions) {
  for (absl::string_view text : {"", "   \n\n", "# nothing yet\n# really\n", "---\n"}) {
    absl::StatusOr<Definitions> parsed = ParseDefinitions(text);
    ASSERT_TRUE(parsed.ok()) << "'" << text << "': " << parsed.status();
    EXPECT_EQ(*parsed, Definitions{}) << "'" << text << "'";
  }
}

TEST(ParseDefinitionsTest, AnySubsetOfTheListsMayBeGiven) {
  absl::StatusOr<Definitions> parsed =
      ParseDefinitions("entities:\n  - {name: merchant, join_key: merchant_id}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->entities.size(), 1);
  EXPECT_TRUE(parsed->sources.empty());
  EXPECT_TRUE(parsed->feature_views.empty());
  EXPECT_TRUE(parsed->feature_services.empty());

  absl::StatusOr<Definitions> empty_lists = ParseDefinitions("entities: []\nsources:\n");
  ASSERT_TRUE(empty_lists.ok()) << empty_lists.status();
  EXPECT_EQ(*empty_lists, Definitions{});
}

TEST(ParseDefinitionsTest, TopLevelValueThatIsNotAMapIsRejected) {
  EXPECT_THAT(ParseError("- {name: account, join_key: account_id}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "expected a map"));
  EXPECT_THAT(ParseError("just words"),
              IsError(absl::StatusCode::kInvalidArgument, "got 'just words'"));
  EXPECT_THAT(ParseError("[1, 2]"), IsError(absl::StatusCode::kInvalidArgument, "a list"));
}

TEST(ParseDefinitionsTest, UnknownKeyNamesKeyAndObjectPath) {
  std::string yaml = kExampleYaml;
  yaml.replace(yaml.find("entities: [account]"), 8, "entitys");
  EXPECT_THAT(ParseError(yaml), IsError(absl::StatusCode::kInvalidArgument,
                                        "feature_views[0] (acct): unknown key 'entitys'"));
}

TEST(ParseDefinitionsTest, UnknownKeyMessageListsValidKeysAndLine) {
  EXPECT_THAT(ParseError("entities:\n  - name: account\n    join_key: account_id\n"
                         "    descripton: the payer\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "entities[0] (account): unknown key 'descripton'; expected one of name, "
                      "join_key, description (line 4, column 5)"));
}

TEST(ParseDefinitionsTest, UnknownTopLevelKeyIsRejected) {
  EXPECT_THAT(ParseError("entites: []\n"),
              IsError(absl::StatusCode::kInvalidArgument, "unknown key 'entites'"));
}

TEST(ParseDefinitionsTest, UnknownKeyInNestedObjectsNamesFullPath) {
  EXPECT_THAT(ParseError("sources:\n  - name: txns\n    timestamp_column: ts\n    columns:\n"
                         "      - {name: ts, type: TIMESTAMP, nullible: true}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "sources[0] (txns) columns[0] (ts): unknown key 'nullible'"));
  EXPECT_THAT(
      ParseError("feature_views:\n  - name: acct\n    entity: account\n    source: txns\n"
                 "    features:\n"
                 "      - {name: x, function: COUNT, window: 1h, where: {col: kind, equals: A}}\n"),
      IsError(absl::StatusCode::kInvalidArgument,
              "feature_views[0] (acct) features[0] (x) where: unknown key 'col'"));
}

TEST(ParseDefinitionsTest, MissingRequiredFieldsAreNamed) {
  EXPECT_THAT(ParseError("entities:\n  - {name: account}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "entities[0] (account): missing required field 'join_key'"));
  EXPECT_THAT(
      ParseError("entities:\n  - {join_key: account_id}\n"),
      IsError(absl::StatusCode::kInvalidArgument, "entities[0]: missing required field 'name'"));
  EXPECT_THAT(ParseError("sources:\n  - {name: txns, columns: [{name: ts, type: TIMESTAMP}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "sources[0] (txns): missing required field 'timestamp_column'"));
  EXPECT_THAT(ParseError("sources:\n  - {name: txns, timestamp_column: ts}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "missing required field 'columns'"));
  EXPECT_THAT(
      ParseError("sources:\n  - {name: txns, timestamp_column: ts, columns: [{name: ts}]}\n"),
      IsError(absl::StatusCode::kInvalidArgument,
              "sources[0] (txns) columns[0] (ts): missing required field 'type'"));
  EXPECT_THAT(ParseError("feature_views:\n  - {name: acct, source: txns, features: []}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_views[0] (acct): missing required field 'entities'"));
  EXPECT_THAT(ParseError("feature_views:\n  - {name: acct, entity: account, source: txns,"
                         " features: [{name: n, window: 1h}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_views[0] (acct) features[0] (n): missing required field "
                      "'function'"));
  EXPECT_THAT(ParseError("feature_views:\n  - {name: acct, entity: account, source: txns,"
                         " features: [{name: n, function: COUNT, window: 1h,"
                         " where: {column: kind}}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "missing required field 'equals'"));
  EXPECT_THAT(ParseError("feature_services:\n  - {name: svc}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_services[0] (svc): missing required field 'features'"));
  EXPECT_THAT(ParseError("feature_services:\n  - {name: svc, features: [a:b],"
                         " request_fields: [{name: amount}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_services[0] (svc) request_fields[0] (amount): missing required "
                      "field 'type'"));
}

TEST(ParseDefinitionsTest, DuplicateNameWithinOneFileIsRejected) {
  EXPECT_THAT(ParseError("entities:\n  - {name: account, join_key: account_id}\n"
                         "  - {name: account, join_key: acct_id}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "entities[1] (account): name 'account' is already used by entities[0]"));
  EXPECT_THAT(ParseError("feature_services:\n  - {name: svc, features: [a:b]}\n"
                         "  - {name: svc, features: [a:c]}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "name 'svc' is already used"));
}

TEST(ParseDefinitionsTest, KeyGivenTwiceIsRejected) {
  EXPECT_THAT(ParseError("entities:\n  - {name: account, join_key: a, join_key: b}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "key 'join_key' is given twice"));
  EXPECT_THAT(ParseError(R"({"entities": [], "entities": []})"),
              IsError(absl::StatusCode::kInvalidArgument, "key 'entities' is given twice"));
}

TEST(ParseDefinitionsTest, UnknownFunctionNamesFeaturePathAndValidFunctions) {
  std::string yaml = kExampleYaml;
  yaml.replace(yaml.find("function: MAX"), 13, "function: MAXX");
  EXPECT_THAT(ParseError(yaml),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_views[0] (acct) features[2] (amt_max_7d): unknown function "
                      "'MAXX'; expected one of COUNT, SUM, MEAN, MIN, MAX, DISTINCT_COUNT, LAST"));
}

TEST(ParseDefinitionsTest, UnknownColumnTypeNamesColumnAndType) {
  std::string yaml = kExampleYaml;
  yaml.replace(yaml.find("type: DOUBLE, min"), 12, "type: DECIMAL");
  EXPECT_THAT(ParseError(yaml), IsError(absl::StatusCode::kInvalidArgument,
                                        "sources[0] (txns) columns[4] (amount): unknown column "
                                        "type 'DECIMAL'"));
}

TEST(ParseDefinitionsTest, TypesAndFunctionsAreCaseInsensitive) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(R"yaml(
sources:
  - name: s
    timestamp_column: ts
    columns: [{name: ts, type: timestamp}, {name: x, type: Double}]
feature_views:
  - name: v
    entity: e
    source: s
    features: [{name: f, function: distinct_count, column: x, window: 1h}]
feature_services:
  - {name: svc, features: ['v:f'], request_fields: [{name: r, type: bool}]}
)yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->sources[0].columns[0].type, ColumnType::kTimestamp);
  EXPECT_EQ(parsed->sources[0].columns[1].type, ColumnType::kDouble);
  EXPECT_EQ(parsed->feature_views[0].features[0].function, AggregateFunction::kDistinctCount);
  EXPECT_EQ(parsed->feature_services[0].request_fields[0].type, ColumnType::kBool);
}

TEST(ParseDefinitionsTest, EntityIsShorthandForOneEntity) {
  absl::StatusOr<Definitions> parsed =
      ParseDefinitions("feature_views:\n  - {name: v, entity: account, source: s, features: []}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->feature_views[0].entities, ElementsAre("account"));
}

TEST(ParseDefinitionsTest, EntityAndEntitiesTogetherAreRejected) {
  EXPECT_THAT(
      ParseError("feature_views:\n  - {name: v, entity: account, entities: [device],"
                 " source: s, features: []}\n"),
      IsError(absl::StatusCode::kInvalidArgument, "feature_views[0] (v): give either 'entity'"));
}

TEST(ParseDefinitionsTest, WhereEqualsKeepsTheTextOfAnyScalar) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(R"yaml(
feature_views:
  - name: v
    entity: e
    source: s
    features:
      - {name: a, function: COUNT, window: 1h, where: {column: c, equals: 5}}
      - {name: b, function: COUNT, window: 1h, where: {column: c, equals: 1.50}}
      - {name: c, function: COUNT, window: 1h, where: {column: c, equals: true}}
      - {name: d, function: COUNT, window: 1h, where: {column: c, equals: "quoted text"}}
      - {name: e, function: COUNT, window: 1h, where: {column: c, equals: ''}}
      - {name: f, function: COUNT, window: 1h, where: {column: c, equals: ~}}
)yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::vector<Feature>& f = parsed->feature_views[0].features;
  EXPECT_EQ(f[0].where->equals, "5");
  EXPECT_EQ(f[1].where->equals, "1.50");
  EXPECT_EQ(f[2].where->equals, "true");
  EXPECT_EQ(f[3].where->equals, "quoted text");
  EXPECT_EQ(f[4].where->equals, "");
  EXPECT_EQ(f[5].where->equals, "") << "a YAML null means a missing value";
}

TEST(ParseDefinitionsTest, WhereEqualsMustBeAScalar) {
  EXPECT_THAT(ParseError("feature_views:\n  - {name: v, entity: e, source: s, features: [{name: "
                         "a, function: COUNT, window: 1h, where: {column: c, equals: [1, 2]}}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "features[0] (a) where: field 'equals': expected a string, got a list"));
}

TEST(ParseDefinitionsTest, AllowedValuesKeepTheTextOfScalars) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(
      "sources:\n  - {name: s, timestamp_column: ts, columns: [{name: code, type: STRING,"
      " allowed: [01, 2.0, yes, 'x y']}]}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->sources[0].columns[0].allowed, ElementsAre("01", "2.0", "yes", "x y"));
}

TEST(ParseDefinitionsTest, ColumnOptionsAreRead) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(
      "sources:\n  - {name: s, timestamp_column: ts, description: events, columns: ["
      "{name: ts, type: TIMESTAMP, epoch_unit: ms, min: 1.5e3, max: 2000},"
      "{name: n, type: INT64, nullable: true}]}\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Source& s = parsed->sources[0];
  EXPECT_EQ(s.description, "events");
  EXPECT_EQ(s.columns[0].epoch_unit, "ms");
  EXPECT_EQ(s.columns[0].min, 1500.0);
  EXPECT_EQ(s.columns[0].max, 2000.0);
  EXPECT_TRUE(s.columns[1].nullable);
  EXPECT_EQ(s.columns[1].epoch_unit, "us");
}

TEST(ParseDefinitionsTest, NonNumericBoundIsRejected) {
  EXPECT_THAT(ParseError("sources:\n  - {name: s, timestamp_column: ts, columns: ["
                         "{name: amount, type: DOUBLE, min: zero}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "columns[0] (amount): field 'min': expected a finite number, got 'zero'"));
  EXPECT_THAT(ParseError("sources:\n  - {name: s, timestamp_column: ts, columns: ["
                         "{name: amount, type: DOUBLE, max: .nan}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "'.nan'"));
}

TEST(ParseDefinitionsTest, NonBooleanNullableIsRejected) {
  EXPECT_THAT(ParseError("sources:\n  - {name: s, timestamp_column: ts, columns: ["
                         "{name: n, type: INT64, nullable: maybe}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "field 'nullable': expected true or false, got 'maybe'"));
}

TEST(ParseDefinitionsTest, DurationsParse) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(R"yaml(
feature_views:
  - name: v
    entity: e
    source: s
    features:
      - {name: a, function: COUNT, window: 90s}
      - {name: b, function: COUNT, window: 10m}
      - {name: c, function: COUNT, window: 1h}
      - {name: d, function: COUNT, window: 7d}
      - {name: e, function: LAST, column: x, ttl: 500ms}
)yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::vector<Feature>& f = parsed->feature_views[0].features;
  EXPECT_EQ(f[0].window, 90 * kMicrosPerSecond);
  EXPECT_EQ(f[1].window, 10 * 60 * kMicrosPerSecond);
  EXPECT_EQ(f[2].window, kHour);
  EXPECT_EQ(f[3].window, 7 * 24 * kHour);
  EXPECT_EQ(f[4].ttl, 500'000);
}

TEST(ParseDefinitionsTest, BadDurationNamesFeatureFieldAndText) {
  EXPECT_THAT(ParseError("feature_views:\n  - {name: v, entity: e, source: s, features:"
                         " [{name: a, function: COUNT, window: 1 hour}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "feature_views[0] (v) features[0] (a): window: cannot parse duration "
                      "'1 hour'"));
  EXPECT_THAT(ParseError("feature_views:\n  - {name: v, entity: e, source: s, features:"
                         " [{name: a, function: LAST, column: x, ttl: 3}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument, "ttl: cannot parse duration '3'"));
}

TEST(ParseDefinitionsTest, WrongShapeNamesFieldAndWhatWasFound) {
  EXPECT_THAT(ParseError("sources:\n  - {name: s, timestamp_column: ts, columns: ts}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "sources[0] (s): field 'columns': expected a list, got 'ts'"));
  EXPECT_THAT(
      ParseError("entities: {name: account}\n"),
      IsError(absl::StatusCode::kInvalidArgument, "field 'entities': expected a list, got a map"));
  EXPECT_THAT(
      ParseError("entities: [account]\n"),
      IsError(absl::StatusCode::kInvalidArgument, "entities[0]: expected a map, got 'account'"));
  EXPECT_THAT(
      ParseError("entities:\n  - {name: [a, b], join_key: k}\n"),
      IsError(absl::StatusCode::kInvalidArgument, "field 'name': expected a string, got a list"));
  EXPECT_THAT(ParseError("feature_services:\n  - {name: svc, features: [{a: b}]}\n"),
              IsError(absl::StatusCode::kInvalidArgument,
                      "field 'features' item 0: expected a string, got a map"));
}

TEST(ParseDefinitionsTest, YamlSyntaxErrorReportsLineAndColumn) {
  EXPECT_THAT(ParseError("entities:\n  - {name: account, join_key: account_id\n"),
              IsError(absl::StatusCode::kInvalidArgument, "invalid YAML at line 3, column 1"));
  EXPECT_THAT(ParseError("entities:\n  - name: a\n   join_key: b\n"),
              IsError(absl::StatusCode::kInvalidArgument, "line 3"));
}

TEST(ParseDefinitionsTest, JsonSyntaxErrorIsReportedAsJson) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(R"({"entities": [)");
  EXPECT_THAT(parsed.status(),
              IsError(absl::StatusCode::kInvalidArgument, "invalid JSON at line 1"));
}

TEST(ParseDefinitionsTest, TextAfterTheJsonObjectIsRejected) {
  EXPECT_THAT(
      ParseError(R"({"entities": []} {"sources": []})"),
      IsError(absl::StatusCode::kInvalidArgument, "invalid JSON: text after the top-level object"));
}

TEST(ParseDefinitionsTest, SeveralYamlDocumentsAreRejected) {
  EXPECT_THAT(ParseError("entities: []\n---\nsources: []\n"),
              IsError(absl::StatusCode::kInvalidArgument, "2 YAML documents"));
}

TEST(ParseDefinitionsTest, JsonSurrogatePairsDecodeToUtf8) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(
      R"({"entities":[{"name":"a","join_key":"k","description":"smile \ud83d\ude00 \\ud83d"}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->entities[0].description, "smile \xF0\x9F\x98\x80 \\ud83d");
}

TEST(ParseDefinitionsTest, JsonKeyGivenTwiceIsRejected) {
  EXPECT_THAT(ParseError(R"({"entities":[{"name":"a","join_key":"k","name":"b"}]})"),
              IsError(absl::StatusCode::kInvalidArgument, "key 'name' is given twice"));
}

TEST(ParseDefinitionsTest, JsonScalarsReadAsTheirTextLikeYaml) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(
      R"({"sources":[{"name":"s","timestamp_column":"ts","columns":[)"
      R"({"name":"ts","type":"TIMESTAMP","nullable":true},)"
      R"({"name":"n","type":"INT64","min":1e-05,"max":10}]}],)"
      R"("feature_views":[{"name":"v","entity":"e","source":"s","features":[)"
      R"({"name":"f","function":"COUNT","window":"1h","where":{"column":"n","equals":1e5}},)"
      R"({"name":"g","function":"COUNT","window":"1h","where":{"column":"n","equals":null}}]}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->sources[0].columns[0].nullable);
  EXPECT_EQ(parsed->sources[0].columns[1].min, 1e-05);
  EXPECT_EQ(parsed->sources[0].columns[1].max, 10.0);
  EXPECT_EQ(parsed->feature_views[0].features[0].where->equals, "1e5");
  EXPECT_EQ(parsed->feature_views[0].features[1].where->equals, "");
}

TEST(ParseDefinitionsTest, EmptyJsonIsNoDefinitions) {
  absl::StatusOr<Definitions> parsed = ParseDefinitions(" \n", "json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, Definitions());
}

// ---------------------------------------------------------------------------
// Validation: every rule, each breaking the valid example in one place.

Column& ColumnNamed(Definitions& d, absl::string_view name) {
  return d.sources[0].columns[d.sources[0].ColumnIndex(name)];
}

Feature& FeatureNamed(Definitions& d, absl::string_view name) {
  for (Feature& f : d.feature_views[0].features) {
    if (f.name == name) return f;
  }
  ADD_FAILURE() << "no feature " << name;
  return d.feature_views[0].features[0];
}

struct InvalidCase {
  std::string rule;                            // the test name
  std::function<void(Definitions&)> break_it;  // makes the example invalid
  std::string expected;                        // in the message: the object and bad value
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.rule; }

class ValidateDefinitionsRuleTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(ValidateDefinitionsRuleTest, IsInvalidArgumentNamingObjectAndValue) {
  Definitions d = Example();
  ASSERT_TRUE(ValidateDefinitions(d).ok());
  GetParam().break_it(d);
  EXPECT_THAT(ValidateDefinitions(d),
              IsError(absl::StatusCode::kInvalidArgument, GetParam().expected));
}

const InvalidCase kInvalidCases[] = {
    // Names.
    {"EntityNameWithDash", [](Definitions& d) { d.entities[1].name = "dev-ice"; },
     "entity 'dev-ice': invalid name"},
    {"NameStartingWithDigit", [](Definitions& d) { d.feature_views[0].name = "1acct"; },
     "feature view '1acct': invalid name"},
    {"EmptyName", [](Definitions& d) { d.feature_services[0].name = ""; },
     "feature service '': invalid name"},
    {"NameLongerThan128", [](Definitions& d) { d.entities[1].name = std::string(129, 'a'); },
     std::string(129, 'a')},
    {"DuplicateEntity", [](Definitions& d) { d.entities.push_back(d.entities[0]); },
     "entity account is defined more than once"},
    {"DuplicateSource", [](Definitions& d) { d.sources.push_back(d.sources[0]); },
     "source txns is defined more than once"},
    {"DuplicateView", [](Definitions& d) { d.feature_views.push_back(d.feature_views[0]); },
     "feature view acct is defined more than once"},
    {"DuplicateService",
     [](Definitions& d) { d.feature_services.push_back(d.feature_services[0]); },
     "feature service acct_svc is defined more than once"},
    {"JoinKeyNotAName", [](Definitions& d) { d.entities[1].join_key = "device id"; },
     "entity device: join_key 'device id': invalid name"},
    // Sources.
    {"SourceWithoutColumns", [](Definitions& d) { d.sources[0].columns.clear(); },
     "source txns: has no columns"},
    {"DuplicateColumn",
     [](Definitions& d) { d.sources[0].columns.push_back(d.sources[0].columns[4]); },
     "source txns: column amount is defined more than once"},
    {"ColumnNameNotAName", [](Definitions& d) { ColumnNamed(d, "kind").name = "kind!"; },
     "source txns: column 'kind!': invalid name"},
    {"TimestampColumnMissing", [](Definitions& d) { d.sources[0].timestamp_column = "when"; },
     "source txns: timestamp_column 'when' is not a column"},
    {"TimestampColumnNotTimestamp",
     [](Definitions& d) { d.sources[0].timestamp_column = "amount"; },
     "source txns: timestamp_column amount has type DOUBLE; expected TIMESTAMP"},
    {"EventIdColumnMissing", [](Definitions& d) { d.sources[0].event_id_column = "id"; },
     "source txns: event_id_column 'id' is not a column"},
    {"EventIdColumnDouble", [](Definitions& d) { d.sources[0].event_id_column = "amount"; },
     "source txns: event_id_column amount has type DOUBLE; expected STRING or INT64"},
    {"MinOnString", [](Definitions& d) { ColumnNamed(d, "kind").min = 1; },
     "source txns: column kind: min/max only apply to INT64, DOUBLE or TIMESTAMP columns, not "
     "STRING"},
    {"MaxOnBool",
     [](Definitions& d) {
       d.sources[0].columns.push_back(MakeColumn("flag", ColumnType::kBool));
       d.sources[0].columns.back().max = 1;
     },
     "column flag: min/max only apply"},
    {"MinAboveMax",
     [](Definitions& d) {
       ColumnNamed(d, "amount").min = 10;
       ColumnNamed(d, "amount").max = 2.5;
     },
     "source txns: column amount: min 10 is greater than max 2.5"},
    {"AllowedOnDouble", [](Definitions& d) { ColumnNamed(d, "amount").allowed = {"1"}; },
     "source txns: column amount: allowed values only apply to STRING columns, not DOUBLE"},
    {"UnknownEpochUnit", [](Definitions& d) { ColumnNamed(d, "ts").epoch_unit = "ns"; },
     "source txns: column ts: epoch_unit 'ns' is not one of s, ms, us"},
    // Views.
    {"ViewSourceMissing", [](Definitions& d) { d.feature_views[0].source = "txnz"; },
     "feature view acct: source 'txnz' is not defined"},
    {"ViewWithoutEntities", [](Definitions& d) { d.feature_views[0].entities.clear(); },
     "feature view acct: has no entities"},
    {"ViewEntityMissing", [](Definitions& d) { d.feature_views[0].entities = {"acount"}; },
     "feature view acct: entity 'acount' is not defined"},
    {"ViewEntityTwice",
     [](Definitions& d) {
       d.feature_views[0].entities = {"account", "account"};
     },
     "feature view acct: entity account is listed more than once"},
    {"JoinKeyNotInSource",
     [](Definitions& d) {
       d.entities[1].join_key = "device_key";
       d.feature_views[0].entities = {"account", "device"};
     },
     "feature view acct: join key 'device_key' of entity device is not a column of source txns"},
    {"JoinKeyDouble", [](Definitions& d) { d.entities[0].join_key = "amount"; },
     "feature view acct: join key amount of entity account has type DOUBLE in source txns; "
     "expected STRING or INT64"},
    {"ViewWithoutFeatures", [](Definitions& d) { d.feature_views[0].features.clear(); },
     "feature view acct: has no features"},
    {"DuplicateFeature",
     [](Definitions& d) { d.feature_views[0].features.push_back(d.feature_views[0].features[1]); },
     "feature view acct: feature amt_sum_24h is defined more than once"},
    {"FeatureNameNotAName", [](Definitions& d) { FeatureNamed(d, "n_1h").name = "n 1h"; },
     "feature view acct: feature 'n 1h': invalid name"},
    // Features.
    {"CountWithColumn", [](Definitions& d) { FeatureNamed(d, "n_1h").column = "amount"; },
     "feature view acct: feature n_1h: COUNT counts events and takes no column; remove column "
     "'amount'"},
    {"SumWithoutColumn", [](Definitions& d) { FeatureNamed(d, "amt_sum_24h").column = ""; },
     "feature view acct: feature amt_sum_24h: SUM needs a column"},
    {"LastWithoutColumn", [](Definitions& d) { FeatureNamed(d, "last_amt").column = ""; },
     "feature last_amt: LAST needs a column"},
    {"FeatureColumnMissing", [](Definitions& d) { FeatureNamed(d, "amt_max_7d").column = "amt"; },
     "feature view acct: feature amt_max_7d: column 'amt' is not a column of source txns"},
    {"SumOfString", [](Definitions& d) { FeatureNamed(d, "amt_sum_24h").column = "kind"; },
     "feature amt_sum_24h: SUM needs an INT64, DOUBLE or BOOL column; kind is STRING"},
    {"MeanOfTimestamp", [](Definitions& d) { FeatureNamed(d, "amt_mean_24h").column = "ts"; },
     "feature amt_mean_24h: MEAN needs an INT64, DOUBLE or BOOL column; ts is TIMESTAMP"},
    {"MaxOfString", [](Definitions& d) { FeatureNamed(d, "amt_max_7d").column = "txn_id"; },
     "feature amt_max_7d: MAX needs an INT64, DOUBLE or BOOL column; txn_id is STRING"},
    {"MinOfString",
     [](Definitions& d) {
       Feature& f = FeatureNamed(d, "amt_max_7d");
       f.function = AggregateFunction::kMin;
       f.column = "device_id";
     },
     "MIN needs an INT64, DOUBLE or BOOL column; device_id is STRING"},
    {"AggregationWithoutWindow", [](Definitions& d) { FeatureNamed(d, "n_1h").window = 0; },
     "feature n_1h: COUNT needs a window > 0 such as 1h (got 0s)"},
    {"NegativeWindow", [](Definitions& d) { FeatureNamed(d, "amt_sum_24h").window = -kHour; },
     "feature amt_sum_24h: SUM needs a window > 0 such as 1h (got -1h)"},
    {"AggregationWithTtl", [](Definitions& d) { FeatureNamed(d, "amt_max_7d").ttl = 2 * kHour; },
     "feature amt_max_7d: ttl 2h only applies to LAST"},
    {"LastWithWindow", [](Definitions& d) { FeatureNamed(d, "last_amt").window = kHour; },
     "feature last_amt: LAST takes no window (got 1h)"},
    {"LastWithNegativeTtl", [](Definitions& d) { FeatureNamed(d, "last_amt").ttl = -kHour; },
     "feature last_amt: ttl -1h must be >= 0"},
    {"WhereColumnMissing",
     [](Definitions& d) { FeatureNamed(d, "xfer_n_24h").where->column = "knd"; },
     "feature xfer_n_24h: where column 'knd' is not a column of source txns"},
    {"WhereValueNotAllowed",
     [](Definitions& d) { FeatureNamed(d, "xfer_n_24h").where->equals = "XFR"; },
     "feature xfer_n_24h: where kind equals 'XFR' can never match a STRING value; expected one "
     "of the allowed values PAY, XFER"},
    {"WhereDoubleNotInPrintedForm",
     [](Definitions& d) {
       FeatureNamed(d, "xfer_n_24h").where = EqualsFilter{"amount", "1.0"};
     },
     "where amount equals '1.0' can never match a DOUBLE value"},
    {"WhereBoolNotTrueOrFalse",
     [](Definitions& d) {
       d.sources[0].columns.push_back(MakeColumn("flag", ColumnType::kBool));
       FeatureNamed(d, "xfer_n_24h").where = EqualsFilter{"flag", "yes"};
     },
     "where flag equals 'yes' can never match a BOOL value; expected true or false"},
    {"WhereInt64NotAnInteger",
     [](Definitions& d) {
       d.sources[0].columns.push_back(MakeColumn("n", ColumnType::kInt64));
       FeatureNamed(d, "xfer_n_24h").where = EqualsFilter{"n", "007"};
     },
     "where n equals '007' can never match a INT64 value"},
    // Services.
    {"ServiceWithoutFeatures", [](Definitions& d) { d.feature_services[0].features.clear(); },
     "feature service acct_svc: has no features"},
    {"ServiceRefWithoutColon",
     [](Definitions& d) { d.feature_services[0].features[0] = "acct.n_1h"; },
     "feature service acct_svc: feature ref 'acct.n_1h' is not of the form view:feature"},
    {"ServiceRefWithEmptyFeature",
     [](Definitions& d) { d.feature_services[0].features[0] = "acct:"; },
     "feature ref 'acct:' is not of the form view:feature"},
    {"ServiceRefUnknownView",
     [](Definitions& d) { d.feature_services[0].features[1] = "acc:n_1h"; },
     "feature service acct_svc: feature ref 'acc:n_1h': feature view acc is not defined"},
    {"ServiceRefUnknownFeature",
     [](Definitions& d) { d.feature_services[0].features[1] = "acct:n_2h"; },
     "feature service acct_svc: feature ref 'acct:n_2h': feature view acct has no feature n_2h"},
    {"ServiceRefTwice",
     [](Definitions& d) { d.feature_services[0].features.push_back("acct:n_1h"); },
     "feature service acct_svc: feature ref 'acct:n_1h' is listed more than once"},
    {"RequestFieldTwice",
     [](Definitions& d) {
       d.feature_services[0].request_fields.push_back({"amount", ColumnType::kInt64});
     },
     "feature service acct_svc: request field amount is listed more than once"},
    {"RequestFieldNotAName",
     [](Definitions& d) { d.feature_services[0].request_fields[0].name = "amount$"; },
     "feature service acct_svc: request field 'amount$': invalid name"},
};

INSTANTIATE_TEST_SUITE_P(AllRules, ValidateDefinitionsRuleTest, testing::ValuesIn(kInvalidCases),
                         [](const testing::TestParamInfo<InvalidCase>& info) {
                           return info.param.rule;
                         });

TEST(ValidateDefinitionsTest, EmptyDefinitionsAreValid) {
  EXPECT_TRUE(ValidateDefinitions(Definitions{}).ok());
}

TEST(ValidateDefinitionsTest, LastAndDistinctCountTakeAnyColumnType) {
  Definitions d = Example();
  d.feature_views[0].features.push_back(Last("last_kind", "kind", 0));
  d.feature_views[0].features.push_back(Last("last_ts", "ts", kHour));
  d.feature_views[0].features.push_back(
      {"kinds_1h", AggregateFunction::kDistinctCount, "kind", kHour, 0, std::nullopt});
  d.feature_views[0].features.push_back(
      {"ts_distinct_1h", AggregateFunction::kDistinctCount, "ts", kHour, 0, std::nullopt});
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, NumericAggregationsAcceptInt64DoubleAndBool) {
  Definitions d = Example();
  d.sources[0].columns.push_back(MakeColumn("n", ColumnType::kInt64));
  d.sources[0].columns.push_back(MakeColumn("flag", ColumnType::kBool));
  d.feature_views[0].features.push_back(Aggregate("n_sum", AggregateFunction::kSum, "n", kHour));
  d.feature_views[0].features.push_back(
      Aggregate("flag_mean", AggregateFunction::kMean, "flag", kHour));
  d.feature_views[0].features.push_back(Aggregate("n_min", AggregateFunction::kMin, "n", kHour));
  d.feature_views[0].features.push_back(
      Aggregate("flag_max", AggregateFunction::kMax, "flag", kHour));
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, LastWithoutTtlNeverExpires) {
  Definitions d = Example();
  FeatureNamed(d, "last_amt").ttl = 0;
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, Int64KeysAndEventIdsAndCompositeViewsAreValid) {
  Definitions d = Example();
  ColumnNamed(d, "txn_id").type = ColumnType::kInt64;
  ColumnNamed(d, "device_id").type = ColumnType::kInt64;
  d.feature_views[0].entities = {"account", "device"};
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, BoundsOnTimestampAndEpochUnitsAreValid) {
  Definitions d = Example();
  ColumnNamed(d, "ts").min = 0;
  ColumnNamed(d, "ts").epoch_unit = "ms";
  ColumnNamed(d, "amount").max = 0;  // min == max is allowed
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, WhereValuesThatCanMatchAreValid) {
  Definitions d = Example();
  d.sources[0].columns.push_back(MakeColumn("flag", ColumnType::kBool));
  d.sources[0].columns.push_back(MakeColumn("n", ColumnType::kInt64));
  d.feature_views[0].features.push_back(
      {"a", AggregateFunction::kCount, "", kHour, 0, EqualsFilter{"flag", "true"}});
  d.feature_views[0].features.push_back(
      {"b", AggregateFunction::kCount, "", kHour, 0, EqualsFilter{"n", "-7"}});
  d.feature_views[0].features.push_back(
      {"c", AggregateFunction::kCount, "", kHour, 0, EqualsFilter{"amount", "0.5"}});
  d.feature_views[0].features.push_back(
      {"d", AggregateFunction::kCount, "", kHour, 0, EqualsFilter{"kind", ""}});
  d.feature_views[0].features.push_back(
      {"e", AggregateFunction::kCount, "", kHour, 0, EqualsFilter{"txn_id", "anything"}});
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

TEST(ValidateDefinitionsTest, EntityUnusedByAnyViewNeedsNoColumn) {
  Definitions d = Example();
  d.entities.push_back({"merchant", "merchant_id", ""});
  EXPECT_TRUE(ValidateDefinitions(d).ok()) << ValidateDefinitions(d);
}

// ---------------------------------------------------------------------------
// Merging.

TEST(MergeDefinitionsTest, ReplacesByNameInPlaceAndAppendsNewObjects) {
  const Definitions base = Example();
  Definitions update;
  update.entities = {{"merchant", "merchant_id", ""}, {"account", "acct_id", "renamed key"}};
  Source refunds = base.sources[0];
  refunds.name = "refunds";
  update.sources = {refunds};
  FeatureService svc = base.feature_services[0];
  svc.features.pop_back();
  update.feature_services = {svc};

  const Definitions merged = MergeDefinitions(base, update);
  EXPECT_THAT(merged.entities, ElementsAre(Entity{"account", "acct_id", "renamed key"},
                                           Entity{"device", "device_id", ""},
                                           Entity{"merchant", "merchant_id", ""}));
  ASSERT_EQ(merged.sources.size(), 2);
  EXPECT_EQ(merged.sources[0], base.sources[0]);
  EXPECT_EQ(merged.sources[1], refunds);
  EXPECT_EQ(merged.feature_views, base.feature_views);
  ASSERT_EQ(merged.feature_services.size(), 1);
  EXPECT_EQ(merged.feature_services[0].features.size(), 3);
}

TEST(MergeDefinitionsTest, MergingIntoEmptyGivesTheUpdate) {
  EXPECT_EQ(MergeDefinitions(Definitions{}, Example()), Example());
  EXPECT_EQ(MergeDefinitions(Example(), Definitions{}), Example());
  EXPECT_EQ(MergeDefinitions(Example(), Example()), Example());
}

// ---------------------------------------------------------------------------
// Canonical JSON.

// Parses the canonical JSON of one object back, as the store does.
template <typename T>
absl::StatusOr<Definitions> ParseStored(absl::string_view list, const T& object) {
  return ParseDefinitions(absl::StrCat("{\"", list, "\":[", CanonicalJson(object), "]}"), "json");
}

// Text that needs every kind of JSON escape, plus UTF-8 passed through.
const std::string kAwkward =
    "say \"hi\"\\ back\nslash / tab\t cr\r bell\x07 bs\b ff\f nul-free \x1f caf\xC3\xA9 "
    "\xF0\x9F\x98\x80 del\x7f {a: [b]} # not a comment";

TEST(CanonicalJsonTest, EntityHasFixedKeyOrderAndNoWhitespace) {
  EXPECT_EQ(CanonicalJson(Entity{"account", "account_id", ""}),
            R"({"name":"account","join_key":"account_id"})");
  EXPECT_EQ(CanonicalJson(Entity{"account", "account_id", "the payer"}),
            R"({"name":"account","join_key":"account_id","description":"the payer"})");
}

TEST(CanonicalJsonTest, SourceOmitsDefaultsAndEmptyOptionalFields) {
  const Definitions d = Example();
  EXPECT_EQ(CanonicalJson(d.sources[0]),
            R"({"name":"txns","timestamp_column":"ts","event_id_column":"txn_id","columns":[)"
            R"({"name":"txn_id","type":"STRING"},{"name":"account_id","type":"STRING"},)"
            R"({"name":"device_id","type":"STRING"},{"name":"ts","type":"TIMESTAMP"},)"
            R"({"name":"amount","type":"DOUBLE","min":0},)"
            R"({"name":"kind","type":"STRING","allowed":["PAY","XFER"]}]})");
}

TEST(CanonicalJsonTest, ColumnPrintsEveryOptionInFixedOrder) {
  Source s{"s", {{"ts", ColumnType::kTimestamp, true, 10, 1e20, {}, "ms"}}, "ts", "", "d"};
  EXPECT_EQ(CanonicalJson(s),
            R"({"name":"s","timestamp_column":"ts","columns":[{"name":"ts","type":"TIMESTAMP",)"
            R"("nullable":true,"min":10,"max":1e+20,"epoch_unit":"ms"}],"description":"d"})");
}

TEST(CanonicalJsonTest, FeatureViewPrintsDurationsAndFilters) {
  FeatureView v{"acct",
                {"account", "device"},
                "txns",
                {{"n_90s", AggregateFunction::kCount, "", 90 * kMicrosPerSecond, 0,
                  EqualsFilter{"kind", "XFER"}},
                 {"last_amt", AggregateFunction::kLast, "amount", 0, 48 * kHour, std::nullopt}},
                ""};
  EXPECT_EQ(CanonicalJson(v),
            R"({"name":"acct","entities":["account","device"],"source":"txns","features":[)"
            R"({"name":"n_90s","function":"COUNT","window":"90s",)"
            R"("where":{"column":"kind","equals":"XFER"}},)"
            R"({"name":"last_amt","function":"LAST","column":"amount","ttl":"2d"}]})");
}

TEST(CanonicalJsonTest, FeatureServiceOmitsEmptyRequestFields) {
  EXPECT_EQ(CanonicalJson(FeatureService{"svc", {"v:f"}, {}, ""}),
            R"({"name":"svc","features":["v:f"]})");
  EXPECT_EQ(CanonicalJson(FeatureService{"svc", {"v:f"}, {{"amount", ColumnType::kDouble}}, ""}),
            R"({"name":"svc","features":["v:f"],"request_fields":[{"name":"amount",)"
            R"("type":"DOUBLE"}]})");
}

TEST(CanonicalJsonTest, StringsAreEscaped) {
  EXPECT_EQ(CanonicalJson(Entity{"e", "k", "q\" b\\ n\n t\t c\x01 \xC3\xA9"}),
            "{\"name\":\"e\",\"join_key\":\"k\",\"description\":"
            "\"q\\\" b\\\\ n\\n t\\t c\\u0001 \xC3\xA9\"}");
}

TEST(CanonicalJsonTest, ExampleObjectsRoundTrip) {
  const Definitions d = Example();
  for (const Entity& e : d.entities) {
    absl::StatusOr<Definitions> back = ParseStored("entities", e);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalJson(e);
    EXPECT_THAT(back->entities, ElementsAre(e));
  }
  absl::StatusOr<Definitions> source = ParseStored("sources", d.sources[0]);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_THAT(source->sources, ElementsAre(d.sources[0]));
  absl::StatusOr<Definitions> view = ParseStored("feature_views", d.feature_views[0]);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_THAT(view->feature_views, ElementsAre(d.feature_views[0]));
  absl::StatusOr<Definitions> service = ParseStored("feature_services", d.feature_services[0]);
  ASSERT_TRUE(service.ok()) << service.status();
  EXPECT_THAT(service->feature_services, ElementsAre(d.feature_services[0]));
}

TEST(CanonicalJsonTest, EntityWithAwkwardStringsRoundTrips) {
  const Entity e{kAwkward, kAwkward, kAwkward};
  absl::StatusOr<Definitions> back = ParseStored("entities", e);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalJson(e);
  EXPECT_THAT(back->entities, ElementsAre(e));
}

TEST(CanonicalJsonTest, SourceWithEveryFieldSetRoundTrips) {
  Source s;
  s.name = kAwkward;
  s.timestamp_column = "ts";
  s.event_id_column = "id";
  s.description = kAwkward;
  s.columns = {{"id", ColumnType::kInt64, false, -3, 1e15, {}, "us"},
               {"ts", ColumnType::kTimestamp, true, std::nullopt, 1.5, {}, "s"},
               {kAwkward,
                ColumnType::kString,
                true,
                std::nullopt,
                std::nullopt,
                {kAwkward, "", "true", "007", "1.50", "null"},
                "us"},
               {"p", ColumnType::kDouble, false, 0.1, 0.30000000000000004, {}, "us"},
               {"b", ColumnType::kBool, false, std::nullopt, std::nullopt, {}, ""}};
  absl::StatusOr<Definitions> back = ParseStored("sources", s);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalJson(s);
  EXPECT_THAT(back->sources, ElementsAre(s));
}

TEST(CanonicalJsonTest, FeatureViewWithEveryFieldSetRoundTrips) {
  FeatureView v;
  v.name = kAwkward;
  v.entities = {kAwkward, "device"};
  v.source = kAwkward;
  v.description = kAwkward;
  v.features = {
      {"a", AggregateFunction::kCount, "", 10 * 60 * kMicrosPerSecond, 0,
       EqualsFilter{kAwkward, kAwkward}},
      {"b", AggregateFunction::kSum, kAwkward, 7 * 24 * kHour, 0, std::nullopt},
      {"c", AggregateFunction::kMean, "x", 1500, 0, std::nullopt},  // 1500us
      {"d", AggregateFunction::kMin, "x", 90 * kMicrosPerSecond, 0, std::nullopt},
      {"e", AggregateFunction::kMax, "x", kHour, 0, EqualsFilter{"k", ""}},
      {"f", AggregateFunction::kDistinctCount, "x", kHour, 0, EqualsFilter{"k", "5"}},
      {"g", AggregateFunction::kLast, "x", 0, 48 * kHour, std::nullopt},
      {"h", AggregateFunction::kLast, "x", -kHour, -2 * kHour, std::nullopt},  // invalid
  };
  absl::StatusOr<Definitions> back = ParseStored("feature_views", v);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalJson(v);
  EXPECT_THAT(back->feature_views, ElementsAre(v));
}

TEST(CanonicalJsonTest, FeatureServiceWithEveryFieldSetRoundTrips) {
  FeatureService s{kAwkward,
                   {"acct:n_1h", kAwkward},
                   {{"amount", ColumnType::kDouble},
                    {kAwkward, ColumnType::kString},
                    {"t", ColumnType::kTimestamp}},
                   kAwkward};
  absl::StatusOr<Definitions> back = ParseStored("feature_services", s);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << CanonicalJson(s);
  EXPECT_THAT(back->feature_services, ElementsAre(s));
}

// ---------------------------------------------------------------------------
// Content hashes.

TEST(ContentHashTest, IsFirst16HexDigitsOfSha256OfCanonicalJson) {
  // printf '%s' '{"name":"account","join_key":"account_id"}' | sha256sum
  EXPECT_EQ(ContentHash(Entity{"account", "account_id", ""}), "d7a7b4a5b5b8ed23");
}

TEST(ContentHashTest, IsStableForEqualObjectsOfEveryKind) {
  const Definitions a = Example();
  const Definitions b = ParseDefinitions(kExampleJson).value();
  EXPECT_EQ(ContentHash(a.entities[0]), ContentHash(b.entities[0]));
  EXPECT_EQ(ContentHash(a.sources[0]), ContentHash(b.sources[0]));
  EXPECT_EQ(ContentHash(a.feature_views[0]), ContentHash(b.feature_views[0]));
  EXPECT_EQ(ContentHash(a.feature_services[0]), ContentHash(b.feature_services[0]));
  EXPECT_THAT(ContentHash(a.feature_views[0]), MatchesRegex("[0-9a-f]{16}"));
}

TEST(ContentHashTest, ChangesWhenContentChanges) {
  const Definitions base = Example();
  Definitions changed = base;
  changed.entities[0].description = "the payer";
  ColumnNamed(changed, "amount").max = 1e6;
  FeatureNamed(changed, "n_1h").window = 2 * kHour;
  changed.feature_services[0].features.pop_back();
  EXPECT_NE(ContentHash(changed.entities[0]), ContentHash(base.entities[0]));
  EXPECT_NE(ContentHash(changed.sources[0]), ContentHash(base.sources[0]));
  EXPECT_NE(ContentHash(changed.feature_views[0]), ContentHash(base.feature_views[0]));
  EXPECT_NE(ContentHash(changed.feature_services[0]), ContentHash(base.feature_services[0]));
}

// ---------------------------------------------------------------------------
// Compatibility of a change with stored data.

TEST(CheckCompatibleTest, SourceMayAddColumnsAndChangeExpectations) {
  const Source before = Example().sources[0];
  Source after = before;
  after.columns.push_back(
      {"merchant_id", ColumnType::kString, true, std::nullopt, std::nullopt, {}, "us"});
  after.columns[4].min = -100;
  after.columns[4].max = 1e6;
  after.columns[4].nullable = true;
  after.columns[5].allowed.push_back("REFUND");
  after.description = "card transactions";
  EXPECT_TRUE(CheckCompatible(before, after).ok()) << CheckCompatible(before, after);
  EXPECT_TRUE(CheckCompatible(before, before).ok());
}

TEST(CheckCompatibleTest, SourceColumnTypeChangeIsRefused) {
  const Source before = Example().sources[0];
  Source after = before;
  after.columns[4].type = ColumnType::kString;
  EXPECT_THAT(CheckCompatible(before, after),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "source txns: column amount changes type DOUBLE -> STRING; stored events "
                      "depend on it"));
}

TEST(CheckCompatibleTest, SourceColumnRemovalIsRefused) {
  const Source before = Example().sources[0];
  Source after = before;
  after.columns.erase(after.columns.begin() + 2);
  EXPECT_THAT(CheckCompatible(before, after), IsError(absl::StatusCode::kFailedPrecondition,
                                                      "source txns: column device_id is removed"));
}

TEST(CheckCompatibleTest, SourceTimestampOrEventIdColumnChangeIsRefused) {
  const Source before = Example().sources[0];
  Source after = before;
  after.columns.push_back(MakeColumn("ts2", ColumnType::kTimestamp));
  after.timestamp_column = "ts2";
  EXPECT_THAT(CheckCompatible(before, after),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "source txns: timestamp_column changes ts -> ts2"));
  after = before;
  after.event_id_column = "";
  EXPECT_THAT(CheckCompatible(before, after),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "source txns: event_id_column changes txn_id -> (none)"));
}

TEST(CheckCompatibleTest, ViewMayChangeFeatures) {
  const FeatureView before = Example().feature_views[0];
  FeatureView after = before;
  after.features.pop_back();
  after.features[0].window = 2 * kHour;
  after.features.push_back(Aggregate("n_7d", AggregateFunction::kCount, "", 7 * 24 * kHour));
  after.description = "per account";
  EXPECT_TRUE(CheckCompatible(before, after).ok()) << CheckCompatible(before, after);
}

TEST(CheckCompatibleTest, ViewEntitiesOrSourceChangeIsRefused) {
  const FeatureView before = Example().feature_views[0];
  FeatureView after = before;
  after.entities = {"account", "device"};
  EXPECT_THAT(CheckCompatible(before, after),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "feature view acct: entities change [account] -> [account, device]"));
  after = before;
  after.source = "refunds";
  EXPECT_THAT(CheckCompatible(before, after),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "feature view acct: source changes txns -> refunds"));
}

TEST(CheckCompatibleTest, EntityJoinKeyChangeIsRefused) {
  const Entity before{"account", "account_id", ""};
  EXPECT_TRUE(CheckCompatible(before, Entity{"account", "account_id", "payer"}).ok());
  EXPECT_THAT(CheckCompatible(before, Entity{"account", "acct_id", ""}),
              IsError(absl::StatusCode::kFailedPrecondition,
                      "entity account: join_key changes account_id -> acct_id"));
}

}  // namespace
}  // namespace fstore
