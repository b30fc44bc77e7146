#include "client/command_line.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<FlagSpec> kFlags = {
    {"server", "HOST:PORT", ""}, {"entity", "K=V", "", true}, {"dry-run", "", ""}};

TEST(ParseArgsTest, WordsAndFlagsInAnyOrder) {
  auto p = ParseArgs(
      {"--server=h:1", "score", "m@Production", "--entity", "a=1", "--entity=b=2", "--dry-run"},
      kFlags);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->words, ElementsAre("score", "m@Production"));
  EXPECT_EQ(*p->Get("server"), "h:1");
  EXPECT_THAT(p->GetAll("entity"), ElementsAre("a=1", "b=2"));
  EXPECT_TRUE(p->Has("dry-run"));
  EXPECT_FALSE(p->Get("absent").has_value());
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  auto p = ParseArgs({"apply", "--", "--weird-file"}, kFlags);
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(p->words, ElementsAre("apply", "--weird-file"));
}

TEST(ParseArgsTest, ErrorsNameTheFlag) {
  EXPECT_THAT(std::string(ParseArgs({"--nope"}, kFlags).status().message()), HasSubstr("--nope"));
  EXPECT_THAT(std::string(ParseArgs({"--server"}, kFlags).status().message()),
              HasSubstr("--server needs a value"));
  EXPECT_THAT(std::string(ParseArgs({"--dry-run=yes"}, kFlags).status().message()),
              HasSubstr("takes no value"));
  EXPECT_THAT(std::string(ParseArgs({"--server=a", "--server=b"}, kFlags).status().message()),
              HasSubstr("given twice"));
}

TEST(ParseKeyValueTest, SplitsAtFirstEquals) {
  auto kv = ParseKeyValue("note=a=b", "field");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "note");
  EXPECT_EQ(kv->second, "a=b");
  EXPECT_THAT(std::string(ParseKeyValue("novalue", "entity").status().message()),
              HasSubstr("--entity 'novalue' is not KEY=VALUE"));
  EXPECT_FALSE(ParseKeyValue("=x", "entity").ok());
}

TEST(ParseArgsTest, UnknownFlagSuggestsTheNearest) {
  auto p = ParseArgs({"--sever=h:1"}, kFlags);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("unknown flag --sever; did you mean --server?"));
  std::vector<std::string> unknown;
  p = ParseArgs({"--sever=h:1", "apply", "--entity=a=1"}, kFlags, &unknown);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(unknown, ElementsAre("sever"));
  EXPECT_THAT(p->words, ElementsAre("apply"));
}

}  // namespace
}  // namespace fstore::cli

namespace fstore::cli {
namespace {

TEST(PositiveDurationFlagTest, AbsentValidAndBadValues) {
  const std::vector<FlagSpec> known = {{"window", "DURATION", "", false}};
  absl::StatusOr<ParsedArgs> none = ParseArgs({"drift"}, known);
  ASSERT_TRUE(none.ok());
  absl::StatusOr<std::optional<DurationUs>> absent = PositiveDurationFlag(*none, "window", "24h");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  absl::StatusOr<ParsedArgs> hour = ParseArgs({"drift", "--window=1h"}, known);
  ASSERT_TRUE(hour.ok());
  absl::StatusOr<std::optional<DurationUs>> given = PositiveDurationFlag(*hour, "window", "24h");
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(**given, 3600 * kMicrosPerSecond);
  for (const char* bad : {"--window=0s", "--window=-1h", "--window=soon"}) {
    absl::StatusOr<ParsedArgs> args = ParseArgs({"drift", bad}, known);
    ASSERT_TRUE(args.ok()) << bad;
    absl::StatusOr<std::optional<DurationUs>> d = PositiveDurationFlag(*args, "window", "24h");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.status().message().find("must be a positive duration such as 24h"),
              std::string::npos)
        << d.status();
    EXPECT_NE(d.status().message().find(std::string(bad).substr(9)), std::string::npos);
  }
}

TEST(WithFlagNamesTest, WireNamesBecomeFlags) {
  const std::vector<FlagSpec> flags = {{"archive-existing", "", ""},
                                       {"skip-unknown", "", ""},
                                       {"window", "DURATION", ""},
                                       {"model", "NAME", ""}};
  EXPECT_EQ(WithFlagNames("version 1 is in Production; pass archive_existing to archive it", flags),
            "version 1 is in Production; pass --archive-existing to archive it");
  EXPECT_EQ(WithFlagNames("skip_unknown is off; window_us -5 is negative", flags),
            "--skip-unknown is off; --window -5 is negative");
  // Whole words only; plain words and names of no flag stay.
  EXPECT_EQ(WithFlagNames("archive_existing_x model model_ref --skip_unknown", flags),
            "archive_existing_x model model_ref --skip_unknown");
}

}  // namespace
}  // namespace fstore::cli
