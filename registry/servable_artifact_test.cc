#include "registry/servable_artifact.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

std::string Model(int num_features, uint64_t seed, absl::string_view format = "json") {
  TestBoosterSpec spec;
  spec.num_features = num_features;
  spec.rounds = 3;
  spec.seed = seed;
  spec.format = std::string(format);
  auto bytes = TrainBoosterForTesting(spec);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or("");
}

TEST(ServableArtifactTest, AcceptsJsonAndUbjsonModelsServingRunsLikeXgboost) {
  for (absl::string_view format : {"json", "ubjson"}) {
    auto artifact = CheckServableArtifact(Model(4, 1, format));
    ASSERT_TRUE(artifact.ok()) << format << ": " << artifact.status();
    EXPECT_EQ(artifact->format, format);
    EXPECT_EQ(artifact->num_features, 4);
    EXPECT_TRUE(artifact->feature_names.empty());
  }
}

TEST(ServableArtifactTest, ProbeRowsStartAllMissingThenTakeEachThresholdFromBothSides) {
  auto ensemble = TreeEnsemble::FromXgboostJson(Model(3, 2));
  ASSERT_TRUE(ensemble.ok()) << ensemble.status();
  const std::vector<std::vector<float>> thresholds = ensemble->SplitThresholds();
  const std::vector<float> rows = ProbeRows(*ensemble, 1000);
  ASSERT_EQ(rows.size() % 3, 0u);
  const size_t num_rows = rows.size() / 3;
  for (size_t f = 0; f < 3; ++f) EXPECT_TRUE(std::isnan(rows[f]));
  for (size_t f = 0; f < 3; ++f) {
    for (float t : thresholds[f]) {
      bool on = false;
      bool below = false;
      for (size_t r = 1; r < num_rows; ++r) {
        on |= rows[r * 3 + f] == t;
        below |= rows[r * 3 + f] == std::nextafter(t, -1e30f);
      }
      EXPECT_TRUE(on && below) << "feature " << f << " threshold " << t;
    }
  }
  EXPECT_EQ(ProbeRows(*ensemble, 2).size(), 2u * 3);
}

TEST(ServableArtifactTest, ParityNamesTheFirstRowWhereServingDiffersFromXgboost) {
  // The evaluator of one model against XGBoost running another.
  auto ensemble = TreeEnsemble::FromXgboostJson(Model(4, 1));
  auto same = XgboostBooster::Load(Model(4, 1));
  auto other = XgboostBooster::Load(Model(4, 9));
  ASSERT_TRUE(ensemble.ok() && same.ok() && other.ok());
  const std::vector<float> rows = ProbeRows(*ensemble, 33);
  const int num_rows = static_cast<int>(rows.size() / 4);
  EXPECT_TRUE(CheckParity(*ensemble, *same, rows, num_rows).ok());
  absl::Status differs = CheckParity(*ensemble, *other, rows, num_rows);
  EXPECT_EQ(differs.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(differs.message()), HasSubstr("where XGBoost predicts"));
  EXPECT_THAT(std::string(differs.message()), HasSubstr("for probe row "));
}

TEST(ServableArtifactTest, RefusalsNameWhatServingCannotRun) {
  TestBoosterSpec spec;
  spec.params = {{"booster", "gblinear"}};
  auto artifact = CheckServableArtifact(*TrainBoosterForTesting(spec));
  EXPECT_EQ(artifact.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(artifact.status().message()),
              HasSubstr("serving cannot run it: booster 'gblinear' is not supported"));
  spec.params.clear();
  spec.format = "ubjson";
  spec.objective = "count:poisson";
  artifact = CheckServableArtifact(*TrainBoosterForTesting(spec));
  EXPECT_THAT(std::string(artifact.status().message()),
              HasSubstr("objective 'count:poisson' is not supported"));
  artifact = CheckServableArtifact("not a model");
  EXPECT_EQ(artifact.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fstore
