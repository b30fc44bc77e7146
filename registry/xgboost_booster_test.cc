#include "registry/xgboost_booster.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

// Two rows of `num_features`: a clearly positive one (first two features
// high) and a clearly negative one.
std::vector<float> HighAndLowRows(int num_features) {
  std::vector<float> rows(2 * num_features, 0.5f);
  rows[0] = rows[1] = 0.95f;
  rows[num_features] = rows[num_features + 1] = 0.05f;
  return rows;
}

TEST(XgboostBoosterTest, JsonModelLoadsAndReportsItsFeatureCount) {
  auto bytes = TrainBoosterForTesting(5, 4, 1);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*DetectModelFormat(*bytes), "json");
  auto booster = XgboostBooster::Load(*bytes);
  ASSERT_TRUE(booster.ok()) << booster.status();
  EXPECT_EQ(booster->NumFeatures(), 5);
}

TEST(XgboostBoosterTest, PredictsProbabilitiesThatFollowTheTrainedSignal) {
  auto booster = XgboostBooster::Load(*TrainBoosterForTesting(3, 10, 7));
  ASSERT_TRUE(booster.ok()) << booster.status();
  auto scores = booster->Predict(HighAndLowRows(3), 2, 3);
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 2u);
  for (float s : *scores) {
    EXPECT_GT(s, 0.0f);
    EXPECT_LT(s, 1.0f);
  }
  EXPECT_GT((*scores)[0], 0.5f);
  EXPECT_LT((*scores)[1], 0.5f);
}

TEST(XgboostBoosterTest, NaNIsAMissingValueNotAnError) {
  auto booster = XgboostBooster::Load(*TrainBoosterForTesting(3, 5, 7));
  ASSERT_TRUE(booster.ok()) << booster.status();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto scores = booster->Predict({nan, nan, nan}, 1, 3);
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 1u);
  EXPECT_TRUE(std::isfinite((*scores)[0]));
}

TEST(XgboostBoosterTest, PredictRefusesShapesThatDoNotMatch) {
  auto booster = XgboostBooster::Load(*TrainBoosterForTesting(3, 2, 7));
  ASSERT_TRUE(booster.ok()) << booster.status();
  auto short_rows = booster->Predict({1, 2, 3, 4, 5}, 2, 3);
  EXPECT_EQ(short_rows.status().code(), absl::StatusCode::kInvalidArgument);
  auto wrong_width = booster->Predict({1, 2, 3, 4}, 1, 4);
  EXPECT_EQ(wrong_width.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_width.status().message()), HasSubstr("model has 3 features"));
  auto none = booster->Predict({}, 0, 3);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST(XgboostBoosterTest, UbjsonAndJsonOfOneModelPredictTheSame) {
  auto json = TrainBoosterForTesting(4, 6, 3, "json");
  auto ubjson = TrainBoosterForTesting(4, 6, 3, "ubjson");
  ASSERT_TRUE(json.ok() && ubjson.ok());
  EXPECT_EQ(*DetectModelFormat(*ubjson), "ubjson");
  auto a = XgboostBooster::Load(*json);
  auto b = XgboostBooster::Load(*ubjson);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->NumFeatures(), 4);
  EXPECT_EQ(*a->Predict(HighAndLowRows(4), 2, 4), *b->Predict(HighAndLowRows(4), 2, 4));
}

TEST(XgboostBoosterTest, SaveConvertsBetweenFormats) {
  auto original = XgboostBooster::Load(*TrainBoosterForTesting(4, 6, 3, "ubjson"));
  ASSERT_TRUE(original.ok()) << original.status();
  auto json = original->Save("json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*DetectModelFormat(*json), "json");
  auto reloaded = XgboostBooster::Load(*json);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(*original->Predict(HighAndLowRows(4), 2, 4),
            *reloaded->Predict(HighAndLowRows(4), 2, 4));
  EXPECT_EQ(original->Save("deprecated").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XgboostBoosterTest, TrainingIsDeterministicForASeed) {
  EXPECT_EQ(*TrainBoosterForTesting(3, 3, 42), *TrainBoosterForTesting(3, 3, 42));
  EXPECT_NE(*TrainBoosterForTesting(3, 3, 42), *TrainBoosterForTesting(3, 3, 43));
  EXPECT_EQ(TrainBoosterForTesting(0, 3, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XgboostBoosterTest, BytesThatAreNotJsonOrUbjsonNeverReachXgboost) {
  for (const std::string& bad : {std::string(), std::string("binf\x01\x02\x03", 7),
                                 std::string("{ \"learner\": {}}"), std::string(64, '\xff')}) {
    auto booster = XgboostBooster::Load(bad);
    ASSERT_FALSE(booster.ok());
    EXPECT_EQ(booster.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(std::string(DetectModelFormat("binf....").status().message()),
              HasSubstr("not an XGBoost JSON or UBJSON model"));
}

TEST(XgboostBoosterTest, TruncatedModelIsInvalidArgumentWithXgboostsReason) {
  const std::string json = *TrainBoosterForTesting(3, 4, 1);
  auto booster = XgboostBooster::Load(json.substr(0, json.size() / 2));
  ASSERT_FALSE(booster.ok());
  EXPECT_EQ(booster.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(booster.status().message()), HasSubstr("XGBoost refused the json model"));
}

TEST(XgboostBoosterTest, ValidJsonThatIsNotAModelIsRefused) {
  auto booster = XgboostBooster::Load(R"({"learner": 3, "version": [1, 7, 4]})");
  ASSERT_FALSE(booster.ok());
  EXPECT_EQ(booster.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XgboostBoosterTest, MovedFromBoosterIsEmptyAndMovedToOneWorks) {
  auto loaded = XgboostBooster::Load(*TrainBoosterForTesting(3, 2, 9));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  XgboostBooster moved = std::move(*loaded);
  XgboostBooster assigned = *XgboostBooster::Load(*TrainBoosterForTesting(2, 2, 9));
  assigned = std::move(moved);
  EXPECT_EQ(assigned.NumFeatures(), 3);
  EXPECT_TRUE(assigned.Predict(HighAndLowRows(3), 2, 3).ok());
}

}  // namespace
}  // namespace fstore
