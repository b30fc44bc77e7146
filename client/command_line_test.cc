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
  auto p = ParseArgs({"--server=h:1", "score", "m@Production", "--entity", "a=1",
                      "--entity=b=2", "--dry-run"}, kFlags);
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

}  // namespace
}  // namespace fstore::cli
