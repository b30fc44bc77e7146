#include "server/registry_convert.h"

#include "gtest/gtest.h"

namespace fstore {
namespace {

TEST(RegistryConvertTest, StagesRoundTripAndUnspecifiedIsRefused) {
  for (Stage s : {Stage::kNone, Stage::kStaging, Stage::kProduction, Stage::kArchived}) {
    EXPECT_EQ(FromProto(ToProto(s)).value(), s);
  }
  EXPECT_EQ(FromProto(v1::STAGE_UNSPECIFIED).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(FromProto(static_cast<v1::Stage>(42)).ok());
}

TEST(RegistryConvertTest, VersionCarriesBindingMetricsAndThresholds) {
  ModelVersion v;
  v.model = "fraud";
  v.version = 3;
  v.stage = Stage::kProduction;
  v.aliases = {"champion"};
  v.binding.service = "fraud_v1";
  v.binding.service_version = "0123456789abcdef";
  v.binding.feature_names = {"acct:n_1h", "amount"};
  v.binding.request_fields = {{"amount", ColumnType::kDouble}};
  v.metrics = {{"auc", 0.9}};
  v.risk_thresholds = {{"low", 0}, {"high", 0.8}};
  FeatureStatistics s;
  s.feature = "acct:n_1h";
  s.bin_edges = {0, 1, 2};
  s.bin_counts = {5, 6};
  v.feature_statistics = {s};
  v1::ModelVersion p;
  ToProto(v, &p);
  EXPECT_EQ(p.stage(), v1::STAGE_PRODUCTION);
  EXPECT_EQ(p.feature_service_version(), "0123456789abcdef");
  ASSERT_EQ(p.request_fields_size(), 1);
  EXPECT_EQ(p.request_fields(0).type(), v1::COLUMN_TYPE_DOUBLE);
  EXPECT_EQ(p.metrics().at("auc"), 0.9);
  EXPECT_EQ(p.risk_thresholds(1).bucket(), "high");
  const FeatureStatistics back = FromProto(p.feature_statistics(0));
  EXPECT_EQ(back.bin_edges, s.bin_edges);
  EXPECT_EQ(back.bin_counts, s.bin_counts);
}

TEST(RegistryConvertTest, TransitionRequestNeedsAStage) {
  v1::TransitionStageRequest request;
  request.set_model("fraud");
  request.set_version(2);
  EXPECT_FALSE(FromProto(request).ok());
  request.set_stage(v1::STAGE_PRODUCTION);
  request.set_archive_existing(true);
  auto* r = request.add_require();
  r->set_metric("auc");
  r->set_min(0.9);
  auto got = FromProto(request);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stage, Stage::kProduction);
  EXPECT_TRUE(got->archive_existing);
  ASSERT_EQ(got->requirements.size(), 1u);
  EXPECT_EQ(got->requirements[0].metric, "auc");
}

TEST(RegistryConvertTest, AtMostRequirementsAndGatesCrossTheWire) {
  v1::TransitionStageRequest request;
  request.set_stage(v1::STAGE_PRODUCTION);
  auto* at_most = request.add_require();
  at_most->set_metric("logloss");
  at_most->set_max(0.3);
  auto* at_least = request.add_require();
  at_least->set_metric("auc");
  at_least->set_min(0.9);
  auto got = FromProto(request);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->requirements.size(), 2u);
  EXPECT_EQ(got->requirements[0].metric, "logloss");
  EXPECT_EQ(got->requirements[0].bound, 0.3);
  EXPECT_TRUE(got->requirements[0].at_most);
  EXPECT_EQ(got->requirements[1].bound, 0.9);
  EXPECT_FALSE(got->requirements[1].at_most);

  v1::CreateModelRequest create;
  (*create.mutable_production_gate_max())["logloss"] = 0.3;
  const RegisteredModel model = FromProto(create);
  EXPECT_EQ(model.production_gate_max.at("logloss"), 0.3);
  v1::Model p;
  ToProto(model, &p);
  EXPECT_EQ(p.production_gate_max().at("logloss"), 0.3);
  EXPECT_TRUE(p.production_gate().empty());
}

TEST(RegistryConvertTest, UpdateModelSetsOnlyWhatTheRequestCarries) {
  v1::UpdateModelRequest request;
  request.set_name("fraud");
  ModelUpdate update = FromProto(request);
  EXPECT_EQ(update.model, "fraud");
  EXPECT_FALSE(update.description.has_value());
  EXPECT_FALSE(update.set_gate);
  request.set_description("");
  request.set_set_gate(true);
  (*request.mutable_production_gate())["auc"] = 0.9;
  (*request.mutable_production_gate_max())["logloss"] = 0.3;
  update = FromProto(request);
  EXPECT_EQ(update.description, "");
  EXPECT_TRUE(update.set_gate);
  EXPECT_EQ(update.production_gate.at("auc"), 0.9);
  EXPECT_EQ(update.production_gate_max.at("logloss"), 0.3);
  EXPECT_TRUE(update.actor.empty());
}

TEST(RegistryConvertTest, StateAtFillsStagesAliasesAndVersionStages) {
  ModelStateAt state;
  state.version_stages = {{1, Stage::kArchived}, {2, Stage::kProduction}};
  state.stages = {{"Production", 2}, {"Archived", 1}};
  state.aliases = {{"champion", 2}};
  v1::GetModelHistoryResponse p;
  ToProto(state, &p);
  EXPECT_EQ(p.stages_at().at("Production"), 2);
  EXPECT_EQ(p.aliases_at().at("champion"), 2);
  EXPECT_EQ(p.version_stages_at().at(1), v1::STAGE_ARCHIVED);
}

TEST(RegistryConvertTest, CreateVersionRequestCarriesEverythingButTheBinding) {
  v1::CreateModelVersionRequest in;
  in.set_model("fraud");
  in.set_artifact_sha256("abc");
  in.set_feature_service("acct_svc");
  in.set_training_snapshot("snap-1");
  in.set_dataset_fingerprint("f00");
  (*in.mutable_params())["eta"] = "0.1";
  (*in.mutable_metrics())["auc"] = 0.9;
  in.add_feature_statistics()->set_feature("acct:n_1h");
  v1::RiskThreshold* t = in.add_risk_thresholds();
  t->set_bucket("high");
  t->set_min_score(0.8);
  in.set_description("d");
  const CreateVersionRequest out = FromProto(in);
  EXPECT_EQ(out.model, "fraud");
  EXPECT_EQ(out.artifact_sha256, "abc");
  EXPECT_EQ(out.training_snapshot, "snap-1");
  EXPECT_EQ(out.dataset_fingerprint, "f00");
  EXPECT_EQ(out.params.at("eta"), "0.1");
  EXPECT_EQ(out.metrics.at("auc"), 0.9);
  ASSERT_EQ(out.feature_statistics.size(), 1u);
  EXPECT_EQ(out.feature_statistics[0].feature, "acct:n_1h");
  ASSERT_EQ(out.risk_thresholds.size(), 1u);
  EXPECT_EQ(out.risk_thresholds[0].min_score, 0.8);
  EXPECT_EQ(out.description, "d");
  EXPECT_TRUE(out.binding.feature_names.empty());
  EXPECT_TRUE(out.created_by.empty());
}

}  // namespace
}  // namespace fstore
