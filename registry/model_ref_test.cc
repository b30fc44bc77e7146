#include "registry/model_ref.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(ModelRefTest, StageRefIsCaseInsensitive) {
  auto ref = ParseModelRef("fraud@production");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->model, "fraud");
  EXPECT_EQ(ref->kind, ModelRef::Kind::kStage);
  EXPECT_EQ(ref->stage, Stage::kProduction);
  EXPECT_EQ(ref->ToString(), "fraud@Production");
}

TEST(ModelRefTest, AliasRef) {
  auto ref = ParseModelRef("mistplay_fraud_model@champion");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->kind, ModelRef::Kind::kAlias);
  EXPECT_EQ(ref->alias, "champion");
  EXPECT_EQ(ref->ToString(), "mistplay_fraud_model@champion");
}

TEST(ModelRefTest, VersionRef) {
  auto ref = ParseModelRef("fraud:12");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->kind, ModelRef::Kind::kVersion);
  EXPECT_EQ(ref->version, 12);
  EXPECT_EQ(ref->ToString(), "fraud:12");
}

TEST(ModelRefTest, RejectsMalformedRefsNamingThem) {
  for (const char* bad : {"fraud", "fraud:", "fraud:0", "fraud:-1", "fraud:x", "@Production", ":3",
                          "fraud@", "fraud@a@b", "fraud@x:3", "fr aud:1", "fraud@bad alias"}) {
    auto ref = ParseModelRef(bad);
    ASSERT_FALSE(ref.ok()) << bad;
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ref.status().message()), HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(StageTest, ParsesEveryStageAndRejectsOthers) {
  EXPECT_EQ(*ParseStage("None"), Stage::kNone);
  EXPECT_EQ(*ParseStage("staging"), Stage::kStaging);
  EXPECT_EQ(*ParseStage("PRODUCTION"), Stage::kProduction);
  EXPECT_EQ(*ParseStage("Archived"), Stage::kArchived);
  auto bad = ParseStage("Prod");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("'Prod'"));
}

TEST(ValidateRegistryNameTest, AllowsCommonNamesOnly) {
  EXPECT_TRUE(ValidateRegistryName("mistplay_fraud_model", "model name").ok());
  EXPECT_TRUE(ValidateRegistryName("fraud-v2.1", "model name").ok());
  EXPECT_FALSE(ValidateRegistryName("", "model name").ok());
  EXPECT_FALSE(ValidateRegistryName("_x", "model name").ok());
  EXPECT_FALSE(ValidateRegistryName(std::string(129, 'a'), "model name").ok());
  EXPECT_FALSE(ValidateRegistryName("a/b", "model name").ok());
}

TEST(ModelRefTest, AHugeRefIsQuotedInPartWithItsLength) {
  const std::string huge(1 << 20, 'm');
  for (const std::string& text : {huge + "@Production", huge + ":x", huge + "!@Staging"}) {
    absl::Status s = ParseModelRef(text).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_LT(s.message().size(), 1000u) << s.message().substr(0, 300);
    EXPECT_THAT(std::string(s.message()), HasSubstr("bytes)"));
  }
  absl::Status stage = ParseStage(huge).status();
  EXPECT_LT(stage.message().size(), 1000u);
  EXPECT_THAT(std::string(stage.message()), HasSubstr("(1048576 bytes)"));
}

}  // namespace
}  // namespace fstore
