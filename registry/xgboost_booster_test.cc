#include "registry/xgboost_booster.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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
  for (const std::string& bad :
       {std::string(), std::string("binf\x01\x02\x03", 7), std::string("{ learner: {}}"),
        std::string("  {L"), std::string(64, '\xff')}) {
    auto booster = XgboostBooster::Load(bad);
    ASSERT_FALSE(booster.ok());
    EXPECT_EQ(booster.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(std::string(DetectModelFormat("binf....").status().message()),
              HasSubstr("not an XGBoost JSON or UBJSON model"));
}

TEST(XgboostBoosterTest, JsonWithLeadingOrIndentingWhitespaceLoads) {
  const std::string json = *TrainBoosterForTesting(3, 3, 7);
  ASSERT_EQ(json.substr(0, 2), "{\"");
  for (const std::string& spaced :
       {absl::StrCat(" \r\n\t", json), absl::StrCat("{\n  ", json.substr(1)),
        absl::StrCat("\n{ \n", json.substr(1), "\n")}) {
    EXPECT_EQ(*DetectModelFormat(spaced), "json");
    auto booster = XgboostBooster::Load(spaced);
    ASSERT_TRUE(booster.ok()) << booster.status();
    EXPECT_EQ(booster->NumFeatures(), 3);
  }
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

TEST(XgboostBoosterTest, MarginIsTheLogitOfTheProbability) {
  auto booster = XgboostBooster::Load(*TrainBoosterForTesting(3, 10, 7));
  ASSERT_TRUE(booster.ok()) << booster.status();
  auto probabilities = booster->Predict(HighAndLowRows(3), 2, 3);
  auto margins = booster->PredictMargin(HighAndLowRows(3), 2, 3);
  ASSERT_TRUE(probabilities.ok() && margins.ok());
  ASSERT_EQ(margins->size(), 2u);
  for (int r = 0; r < 2; ++r) {
    EXPECT_NEAR((*probabilities)[r], 1.0 / (1.0 + std::exp(-(*margins)[r])), 1e-6);
  }
  EXPECT_EQ(booster->PredictMargin({1, 2}, 1, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XgboostBoosterTest, ContributionsHaveABiasColumnAndSumToTheMargin) {
  auto booster = XgboostBooster::Load(*TrainBoosterForTesting(3, 10, 7));
  ASSERT_TRUE(booster.ok()) << booster.status();
  const std::vector<float> rows = HighAndLowRows(3);
  auto margins = booster->PredictMargin(rows, 2, 3);
  ASSERT_TRUE(margins.ok()) << margins.status();
  for (bool approximate : {true, false}) {
    auto contributions = booster->PredictContributions(rows, 2, 3, approximate);
    ASSERT_TRUE(contributions.ok()) << contributions.status();
    ASSERT_EQ(contributions->size(), 2u * 4u);
    for (int r = 0; r < 2; ++r) {
      float sum = 0;
      for (int c = 0; c < 4; ++c) sum += (*contributions)[r * 4 + c];
      EXPECT_NEAR(sum, (*margins)[r], 1e-5) << "approximate " << approximate;
    }
    // The label depends on the first two features only.
    EXPECT_GT(std::abs((*contributions)[0]), std::abs((*contributions)[2]));
  }
  EXPECT_EQ(booster->PredictContributions({1, 2, 3}, 2, 3, true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XgboostBoosterTest, SpecTrainsWhatItSays) {
  TestBoosterSpec spec;
  spec.num_features = 6;
  spec.rounds = 7;
  spec.max_depth = 5;
  spec.missing_fraction = 0.2;
  spec.params = {{"base_score", "0.3"}, {"tree_method", "hist"}};
  auto json = TrainBoosterForTesting(spec);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"num_trees\":\"7\""));
  EXPECT_THAT(*json, HasSubstr("\"base_score\":\"3E-1\""));
  EXPECT_THAT(*json, HasSubstr("\"num_feature\":\"6\""));
  EXPECT_EQ(*TrainBoosterForTesting(spec), *json);  // deterministic

  spec.format = "ubjson";
  auto ubjson = TrainBoosterForTesting(spec);
  ASSERT_TRUE(ubjson.ok()) << ubjson.status();
  EXPECT_EQ(*DetectModelFormat(*ubjson), "ubjson");
}

TEST(XgboostBoosterTest, SpecTrainsOtherObjectivesAndBoosters) {
  for (const auto& [objective, booster] :
       std::vector<std::pair<std::string, std::string>>{{"reg:squarederror", "gbtree"},
                                                        {"multi:softprob", "gbtree"},
                                                        {"binary:logistic", "dart"}}) {
    TestBoosterSpec spec;
    spec.objective = objective;
    spec.params = {{"booster", booster}};
    auto json = TrainBoosterForTesting(spec);
    ASSERT_TRUE(json.ok()) << objective << " " << json.status();
    EXPECT_THAT(*json, HasSubstr(absl::StrCat("\"name\":\"", objective, "\"")));
    EXPECT_THAT(*json, HasSubstr(absl::StrCat("\"name\":\"", booster, "\"")));
  }
}

TEST(XgboostBoosterTest, SpecOutOfRangeIsInvalidArgument) {
  TestBoosterSpec spec;
  spec.missing_fraction = 1.0;
  EXPECT_EQ(TrainBoosterForTesting(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = TestBoosterSpec();
  spec.num_categorical = 5;  // more than num_features
  EXPECT_EQ(TrainBoosterForTesting(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = TestBoosterSpec();
  spec.params = {{"max_depth", "not a number"}};
  auto refused = TrainBoosterForTesting(spec);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace fstore
