#include "client/feedback_commands.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore::cli {
namespace {

using ::testing::HasSubstr;

class ReadFeedbackFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-feedbackfile-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& content) {
    const std::string path = dir_ + "/f.csv";
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(ReadFeedbackFileTest, RequestIdsAndLabelsInChunks) {
  absl::StatusOr<std::vector<v1::FeedbackRequest>> chunks =
      ReadFeedbackFile(Write("request_id,label\nr1,1\nr2,false\n\nr3,TRUE\n"), "ts", 2);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  ASSERT_EQ(chunks->size(), 2u);
  ASSERT_EQ((*chunks)[0].labels_size(), 2);
  EXPECT_EQ((*chunks)[0].labels(0).request_id(), "r1");
  EXPECT_EQ((*chunks)[0].labels(0).label(), 1);
  EXPECT_EQ((*chunks)[0].labels(0).row(), 1);
  EXPECT_EQ((*chunks)[0].labels(1).label(), 0);
  ASSERT_EQ((*chunks)[1].labels_size(), 1);
  EXPECT_EQ((*chunks)[1].labels(0).request_id(), "r3");
  EXPECT_EQ((*chunks)[1].labels(0).row(), 3);  // the blank line is not a row
  EXPECT_EQ((*chunks)[1].labels(0).label(), 1);
}

TEST_F(ReadFeedbackFileTest, EntityKeysAndTimes) {
  absl::StatusOr<std::vector<v1::FeedbackRequest>> chunks = ReadFeedbackFile(
      Write("account_id,device_id,when,model,label\nA-1,D-1,2026-01-05T10:00:00Z,fraud,1\n"
            "A-2,D-2,1767607200000001,,0\n"),
      "when", 100);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  ASSERT_EQ((*chunks)[0].labels_size(), 2);
  const v1::FeedbackLabel& a = (*chunks)[0].labels(0);
  EXPECT_EQ(a.request_id(), "");
  EXPECT_EQ(a.at_us(), 1767607200LL * 1000000);
  EXPECT_EQ(a.model(), "fraud");
  EXPECT_EQ(a.entity().values().size(), 2u);
  EXPECT_EQ(a.entity().values().at("account_id"), "A-1");
  EXPECT_EQ(a.entity().values().at("device_id"), "D-1");
  EXPECT_EQ((*chunks)[0].labels(1).at_us(), 1767607200000001LL);
  EXPECT_EQ((*chunks)[0].labels(1).model(), "");
}

TEST_F(ReadFeedbackFileTest, ARowWithoutRequestIdFallsBackToKeys) {
  absl::StatusOr<std::vector<v1::FeedbackRequest>> chunks = ReadFeedbackFile(
      Write("request_id,account_id,ts,label\nr1,A-1,2026-01-05,1\n,A-2,2026-01-05,0\n"), "ts", 10);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  EXPECT_EQ((*chunks)[0].labels(0).request_id(), "r1");
  EXPECT_EQ((*chunks)[0].labels(1).request_id(), "");
  EXPECT_EQ((*chunks)[0].labels(1).entity().values().at("account_id"), "A-2");
}

TEST_F(ReadFeedbackFileTest, ErrorsNameTheLineColumnAndValue) {
  struct Case {
    std::string content;
    std::string message;
  };
  const Case cases[] = {
      {"request_id\nr1\n", "no 'label' column"},
      {"account_id,label\nA-1,1\n", "give a 'request_id' column"},
      {"request_id,label\nr1,2\n", "line 2: label '2' is not 0, 1, true or false"},
      {"request_id,label\nr1,1\nr2\n", "line 3: 1 cells, the header has 2"},
      {"account_id,ts,label\nA-1,yesterday,1\n", "line 2: column ts"},
      {"account_id,ts,label\n,2026-01-05,1\n", "line 2: entity key account_id is empty"},
      {"request_id,label\n", "no labels after the header"},
      {"", "no header row"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<v1::FeedbackRequest>> chunks =
        ReadFeedbackFile(Write(c.content), "ts", 10);
    ASSERT_FALSE(chunks.ok()) << c.content;
    EXPECT_THAT(std::string(chunks.status().message()), HasSubstr(c.message)) << c.content;
  }
  EXPECT_TRUE(absl::IsNotFound(ReadFeedbackFile(dir_ + "/missing.csv", "ts", 10).status()));
}

}  // namespace
}  // namespace fstore::cli
