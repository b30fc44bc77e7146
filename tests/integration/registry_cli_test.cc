// The model registry through fsctl and the Registry RPCs against a real fsd:
// register, show, promote (with archive-existing and gates), aliases,
// history as of a time, deletes, artifact download with verification,
// refusals of bad artifacts, a restart, and WatchModels.
#include <chrono>
#include <fstream>
#include <thread>

#include "common/time_util.h"
#include "fstore/v1/registry.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "registry/xgboost_booster.h"
#include "storage/database.h"
#include "tests/integration/fsd_process.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";
// acct_svc binds 4 features and 1 request field.
constexpr int kServiceInputs = 5;

class RegistryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fsd_ = FsdProcess::Start(FsdProcess::Options{data_.path(), 0, {}});
    ASSERT_NE(fsd_, nullptr);
    ProgramResult r = fsd_->Fsctl({"apply", kDefinitions});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // A real XGBoost model with `features` inputs, written to a file.
  std::string Model(const std::string& name, int features = kServiceInputs, uint64_t seed = 1,
                    const char* format = "json") {
    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(features, 3, seed, format);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return WriteFile(name, bytes.value_or(""));
  }

  // Registers a model file; returns fsctl's result.
  ProgramResult Register(const std::string& artifact, const std::string& metrics = "") {
    std::vector<std::string> args = {"--output=json", "register", "--model",   "fraud",
                                     "--artifact",    artifact,   "--service", "acct_svc"};
    if (!metrics.empty()) {
      args.push_back("--metrics");
      args.push_back(WriteFile("metrics.json", metrics));
    }
    return fsd_->Fsctl(args);
  }

  nlohmann::json Show() {
    ProgramResult r = fsd_->Fsctl({"--output=json", "models", "show", "fraud"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  TempDir data_;
  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
};

TEST_F(RegistryCliTest, RegisterRecordsTheBindingArtifactAndMetrics) {
  ProgramResult r = Register(Model("m.json"), R"({"auc": 0.93, "pr_auc": 0.41})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json v = nlohmann::json::parse(r.out);
  EXPECT_EQ(v["version"], 1);
  EXPECT_EQ(v["stage"], "None");
  EXPECT_EQ(v["service"], "acct_svc");
  EXPECT_EQ(v["features"],
            nlohmann::json::parse(
                R"(["acct:n_1h","acct:amt_sum_24h","acct:xfer_n_24h","acct:last_amt","amount"])"));
  EXPECT_EQ(v["request_fields"], nlohmann::json::parse(R"(["amount"])"));
  EXPECT_EQ(v["artifact_format"], "json");
  EXPECT_EQ(v["artifact_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(v["service_version"].get<std::string>().size(), 16u);
  EXPECT_DOUBLE_EQ(v["metrics"]["auc"].get<double>(), 0.93);
  EXPECT_EQ(v["created_by"], "anonymous");  // no tokens: callers are anonymous
  // The booster names no features: only their count could be checked.
  EXPECT_THAT(r.err, HasSubstr("warning: artifact"));
  EXPECT_THAT(r.err, HasSubstr("carries no feature names"));
  EXPECT_THAT(v["warnings"][0].get<std::string>(), HasSubstr("carries no feature names"));

  ASSERT_EQ(Register(Model("m2.ubj", kServiceInputs, 2, "ubjson")).exit_code, 0);
  nlohmann::json shown = Show();
  EXPECT_EQ(shown["model"]["name"], "fraud");
  ASSERT_EQ(shown["versions"].size(), 2u);
  EXPECT_EQ(shown["versions"][1]["version"], 2);
  EXPECT_EQ(shown["versions"][1]["artifact_format"], "ubjson");
  for (const char* key :
       {"version", "stage", "aliases", "artifact_sha256", "service", "metrics", "created_at"}) {
    EXPECT_TRUE(shown["versions"][0].contains(key)) << key;
  }
  ProgramResult table = fsd_->Fsctl({"models", "show", "fraud"});
  EXPECT_THAT(table.out, HasSubstr("VERSION"));
  EXPECT_THAT(table.out, HasSubstr("0.93"));
  ProgramResult list = fsd_->Fsctl({"models", "list"});
  EXPECT_THAT(list.out, HasSubstr("fraud"));
}

TEST_F(RegistryCliTest, ArtifactsThatDoNotLoadOrDoNotMatchTheServiceAreRefused) {
  ProgramResult garbage = Register(WriteFile("bad.json", "{\"learner\": 42"));
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_THAT(garbage.err, HasSubstr("is refused: serving cannot run it: model JSON is malformed"));
  ProgramResult unknown = Register(WriteFile("bad.bin", "\x01\x02 not a model"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("JSON or UBJSON"));
  ProgramResult mismatch = Register(Model("three.json", 3));
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_THAT(mismatch.err, HasSubstr("has 3 features but feature service acct_svc binds 5"));
  // A booster whose feature names are the service's in another order.
  std::string swapped = TrainBoosterForTesting(kServiceInputs, 3, 1).value_or("");
  const std::string empty_names = R"("feature_names":[])";
  ASSERT_NE(swapped.find(empty_names), std::string::npos);
  swapped.replace(swapped.find(empty_names), empty_names.size(),
                  R"("feature_names":["acct:n_1h","acct:xfer_n_24h","acct:amt_sum_24h",)"
                  R"("acct:last_amt","amount"])");
  ProgramResult reordered = Register(WriteFile("swapped.json", swapped));
  EXPECT_EQ(reordered.exit_code, 1);
  EXPECT_THAT(reordered.err,
              HasSubstr("input 1 is 'acct:xfer_n_24h' but the service binds 'acct:amt_sum_24h'"));
  ProgramResult no_service = fsd_->Fsctl(
      {"register", "--model", "fraud", "--artifact", Model("m.json"), "--service", "nosuch"});
  EXPECT_EQ(no_service.exit_code, 1);
  EXPECT_THAT(no_service.err, HasSubstr("unknown feature service 'nosuch'"));
  ProgramResult bad_metrics = Register(Model("m.json"), R"({"auc": "high"})");
  EXPECT_EQ(bad_metrics.exit_code, 1);
  EXPECT_THAT(bad_metrics.err, HasSubstr("metric 'auc'"));
  // Nothing was registered by any of these.
  EXPECT_EQ(fsd_->Fsctl({"models", "show", "fraud"}).exit_code, 1);
}

TEST_F(RegistryCliTest, PromotionsArchiveExistingAndGatesRefuseWithTheValue) {
  ASSERT_EQ(Register(Model("a.json"), R"({"auc": 0.95})").exit_code, 0);
  ASSERT_EQ(Register(Model("b.json", kServiceInputs, 2), R"({"auc": 0.85})").exit_code, 0);
  ProgramResult staging = fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Staging"});
  ASSERT_EQ(staging.exit_code, 0) << staging.err;
  EXPECT_THAT(staging.out, HasSubstr("fraud version 1 (Staging)"));
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "production"}).exit_code, 0);

  ProgramResult over = fsd_->Fsctl({"promote", "fraud", "2", "--stage", "Production"});
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_THAT(over.err, HasSubstr("pass --archive-existing"));
  ProgramResult gated = fsd_->Fsctl({"promote", "fraud", "2", "--stage", "Production",
                                     "--archive-existing", "--require", "auc>=0.9"});
  EXPECT_EQ(gated.exit_code, 1);
  EXPECT_THAT(gated.err, HasSubstr("auc"));
  EXPECT_THAT(gated.err, HasSubstr("0.85"));
  ProgramResult swapped =
      fsd_->Fsctl({"--output=json", "promote", "fraud", "2", "--stage", "Production",
                   "--archive-existing", "--comment", "better recall"});
  ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
  EXPECT_EQ(nlohmann::json::parse(swapped.out)["stage"], "Production");
  nlohmann::json shown = Show();
  EXPECT_EQ(shown["versions"][0]["stage"], "Archived");
  EXPECT_EQ(shown["versions"][1]["stage"], "Production");

  ProgramResult history = fsd_->Fsctl({"models", "history", "fraud"});
  EXPECT_THAT(history.out, HasSubstr("better recall"));
  EXPECT_THAT(history.out, HasSubstr("Production"));
  EXPECT_THAT(history.out, HasSubstr("anonymous"));
}

TEST_F(RegistryCliTest, AModelGateIsCheckedOnEveryProductionPromotion) {
  ProgramResult created = fsd_->Fsctl(
      {"models", "create", "fraud", "--gate", "auc>=0.9", "--description", "card fraud"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(Register(Model("a.json"), R"({"auc": 0.85})").exit_code, 0);
  ProgramResult refused = fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("0.85"));
  EXPECT_EQ(fsd_->Fsctl({"models", "create", "x", "--gate", "auc>0.9"}).exit_code, 2);
}

TEST_F(RegistryCliTest, ModelsUpdateChangesTheGateAuditedAndAtMostBoundsAreChecked) {
  ASSERT_EQ(fsd_->Fsctl({"models", "create", "fraud", "--gate", "logloss<=0.2"}).exit_code, 0);
  ASSERT_EQ(Register(Model("a.json"), R"({"auc": 0.93, "logloss": 0.3})").exit_code, 0);
  ProgramResult refused = fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("logloss is 0.3, above the maximum 0.2"));

  ProgramResult updated = fsd_->Fsctl({"models", "update", "fraud", "--gate", "auc>=0.9", "--gate",
                                       "logloss<=0.35", "--description", "card fraud"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.out, HasSubstr("gate: auc>=0.9, logloss<=0.35"));
  nlohmann::json shown = Show();
  EXPECT_EQ(shown["model"]["description"], "card fraud");
  EXPECT_EQ(shown["model"]["production_gate"]["auc"], 0.9);
  EXPECT_EQ(shown["model"]["production_gate_max"]["logloss"], 0.35);
  ProgramResult text = fsd_->Fsctl({"models", "show", "fraud"});
  EXPECT_THAT(text.out, HasSubstr("gate:        auc>=0.9, logloss<=0.35"));

  ProgramResult history = fsd_->Fsctl({"--output=json", "models", "history", "fraud"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  bool audited = false;
  const nlohmann::json transitions = nlohmann::json::parse(history.out)["transitions"];
  for (const nlohmann::json& t : transitions) {
    if (t["kind"] != "model_updated") continue;
    audited = true;
    EXPECT_EQ(t["actor"], "anonymous");
    EXPECT_EQ(t["from"], "gate: logloss<=0.2; description: ");
    EXPECT_EQ(t["to"], "gate: auc>=0.9, logloss<=0.35; description: card fraud");
  }
  EXPECT_TRUE(audited) << history.out;
  ProgramResult required =
      fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production", "--require", "logloss<=0.1"});
  EXPECT_EQ(required.exit_code, 1);
  EXPECT_THAT(required.err, HasSubstr("logloss is 0.3, above the maximum 0.1"));
  ProgramResult promoted = fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"});
  EXPECT_EQ(promoted.exit_code, 0) << promoted.err;

  EXPECT_EQ(fsd_->Fsctl({"models", "update", "fraud"}).exit_code, 2);
  EXPECT_EQ(fsd_->Fsctl({"models", "update", "nosuch", "--description", "x"}).exit_code, 1);
  ProgramResult removed = fsd_->Fsctl({"models", "update", "fraud", "--gate", "none"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_THAT(removed.out, HasSubstr("gate: none"));
}

TEST_F(RegistryCliTest, ModelsServingCannotRunAreRefusedAndPrettyJsonRegisters) {
  std::string linear = TrainBoosterForTesting(kServiceInputs, 3, 1).value_or("");
  const std::string gbtree = R"("name":"gbtree")";
  ASSERT_NE(linear.find(gbtree), std::string::npos);
  linear.replace(linear.find(gbtree), gbtree.size(), R"("name":"gblinear")");
  ProgramResult refused = Register(WriteFile("linear.json", linear));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("serving cannot run it: booster 'gblinear' is not supported"));
  const std::string pretty =
      nlohmann::json::parse(TrainBoosterForTesting(kServiceInputs, 3, 1).value_or("")).dump(2);
  ProgramResult accepted = Register(WriteFile("pretty.json", "\n" + pretty));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
}

TEST_F(RegistryCliTest, UploadChunksOverTheStatedMiBAreRefusedNamingTheSize) {
  auto channel = grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Registry::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::UploadArtifactResponse response;
  auto writer = stub->UploadArtifact(&context, &response);
  v1::UploadArtifactRequest chunk;
  chunk.set_chunk(std::string((1 << 20) + 1, 'x'));
  writer->Write(chunk);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("upload chunk 1 is 1048577 bytes, more than the limit of 1048576 bytes"));
}

TEST_F(RegistryCliTest, AliasesHistoryAsOfATimeAndDeletes) {
  ASSERT_EQ(Register(Model("a.json")).exit_code, 0);
  ASSERT_EQ(Register(Model("b.json", kServiceInputs, 2)).exit_code, 0);
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  ProgramResult alias = fsd_->Fsctl({"alias", "set", "fraud", "champion", "1"});
  ASSERT_EQ(alias.exit_code, 0) << alias.err;
  EXPECT_THAT(alias.out, HasSubstr("fraud@champion -> version 1"));
  // A moment that separates the first state from the second.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto between = std::chrono::system_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "2", "--stage", "Production", "--archive-existing"})
                .exit_code,
            0);
  ASSERT_EQ(fsd_->Fsctl({"alias", "set", "fraud", "champion", "2"}).exit_code, 0);

  const TimestampUs between_us =
      std::chrono::duration_cast<std::chrono::microseconds>(between.time_since_epoch()).count();
  ProgramResult then = fsd_->Fsctl(
      {"--output=json", "models", "history", "fraud", "--at", FormatIsoTime(between_us)});
  ASSERT_EQ(then.exit_code, 0) << then.err;
  nlohmann::json at = nlohmann::json::parse(then.out);
  EXPECT_EQ(at["stages"]["Production"], 1);
  EXPECT_EQ(at["aliases"]["champion"], 1);
  ProgramResult now = fsd_->Fsctl({"--output=json", "models", "history", "fraud", "--at", "now"});
  nlohmann::json latest = nlohmann::json::parse(now.out);
  EXPECT_EQ(latest["stages"]["Production"], 2);
  EXPECT_EQ(latest["aliases"]["champion"], 2);
  EXPECT_EQ(latest["stages"]["Archived"], 1);
  ProgramResult table = fsd_->Fsctl({"models", "history", "fraud", "--at", "now"});
  EXPECT_THAT(table.out, HasSubstr("fraud@Production = version 2"));

  // Production and aliased versions cannot be deleted; others can, and their
  // numbers are never reused.
  ProgramResult prod = fsd_->Fsctl({"models", "delete", "fraud", "--version", "2"});
  EXPECT_EQ(prod.exit_code, 1);
  EXPECT_THAT(prod.err, HasSubstr("Production"));
  ASSERT_EQ(fsd_->Fsctl({"alias", "delete", "fraud", "champion"}).exit_code, 0);
  ProgramResult deleted = fsd_->Fsctl({"models", "delete", "fraud", "--version", "1"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  ProgramResult next = Register(Model("c.json", kServiceInputs, 3));
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(nlohmann::json::parse(next.out)["version"], 3);
}

TEST_F(RegistryCliTest, UnknownModelVersionStageAndRefsAreNamed) {
  ASSERT_EQ(Register(Model("a.json")).exit_code, 0);
  // A huge name is quoted in part, with its length, not echoed whole.
  const std::string huge(100000, 'm');
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"models", "show", huge},
        std::vector<std::string>{"score", huge + "@Production", "--entity", "account_id=A"},
        std::vector<std::string>{"promote", huge, "1", "--stage", "Staging"}}) {
    ProgramResult r = fsd_->Fsctl(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_LT(r.err.size(), 1000u) << args[0] << ": " << r.err.substr(0, 400);
    EXPECT_THAT(r.err, HasSubstr(" bytes)")) << args[0];
  }
  ProgramResult model = fsd_->Fsctl({"promote", "nosuch", "1", "--stage", "Staging"});
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_THAT(model.err, HasSubstr("nosuch"));
  ProgramResult version = fsd_->Fsctl({"promote", "fraud", "99", "--stage", "Staging"});
  EXPECT_EQ(version.exit_code, 1);
  EXPECT_THAT(version.err, HasSubstr("99"));
  ProgramResult stage = fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Bogus"});
  EXPECT_EQ(stage.exit_code, 2);  // usage errors
  EXPECT_THAT(stage.err, HasSubstr("'Bogus'"));
  ProgramResult not_number = fsd_->Fsctl({"promote", "fraud", "one", "--stage", "Staging"});
  EXPECT_EQ(not_number.exit_code, 2);
  EXPECT_THAT(not_number.err, HasSubstr("'one'"));
  ProgramResult ref =
      fsd_->Fsctl({"artifact", "get", "fraud@Production", "--out", files_.path() + "/x.json"});
  EXPECT_EQ(ref.exit_code, 1);
  EXPECT_THAT(ref.err, HasSubstr("fraud@Production"));
  ProgramResult show = fsd_->Fsctl({"models", "show", "fraud", "--version", "7"});
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_THAT(show.err, HasSubstr("no version 7"));
}

TEST_F(RegistryCliTest, ArtifactGetWritesTheVerifiedBytesAndEverythingSurvivesARestart) {
  const std::string model = Model("a.json");
  ASSERT_EQ(Register(model, R"({"auc": 0.91})").exit_code, 0);
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  ASSERT_EQ(fsd_->Fsctl({"alias", "set", "fraud", "champion", "1"}).exit_code, 0);
  const nlohmann::json before = Show();
  ProgramResult history_before = fsd_->Fsctl({"--output=json", "models", "history", "fraud"});

  ASSERT_EQ(fsd_->Stop(), 0);
  fsd_ = FsdProcess::Start(FsdProcess::Options{data_.path(), 0, {}});
  ASSERT_NE(fsd_, nullptr);
  EXPECT_EQ(Show(), before);
  EXPECT_EQ(fsd_->Fsctl({"--output=json", "models", "history", "fraud"}).out, history_before.out);

  const std::string out = files_.path() + "/prod.json";
  ProgramResult got = fsd_->Fsctl({"artifact", "get", "fraud@champion", "--out", out});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("verified"));
  std::ifstream a(model, std::ios::binary), b(out, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}),
            std::string(std::istreambuf_iterator<char>(b), {}));
  // Versions keep counting after the restart.
  ProgramResult next = Register(Model("b.json", kServiceInputs, 2));
  EXPECT_EQ(nlohmann::json::parse(next.out)["version"], 2);
}

TEST_F(RegistryCliTest, AStoredArtifactThatNoLongerMatchesItsHashIsRefusedOnLoad) {
  ASSERT_EQ(Register(Model("a.json")).exit_code, 0);
  const std::string sha = Show()["versions"][0]["artifact_sha256"];
  ASSERT_EQ(fsd_->Stop(), 0);
  {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(data_.path());
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::optional<std::string>> read = (*db)->Get(ColumnFamily::kArtifacts, sha);
    ASSERT_TRUE(read.ok() && read->has_value());
    std::string bytes = **read;
    bytes[bytes.size() / 2] ^= 1;
    ASSERT_TRUE((*db)->Put(ColumnFamily::kArtifacts, sha, bytes).ok());
  }
  fsd_ = FsdProcess::Start(FsdProcess::Options{data_.path(), 0, {}});
  ASSERT_NE(fsd_, nullptr);
  const std::string out = files_.path() + "/x.json";
  ProgramResult got = fsd_->Fsctl({"artifact", "get", "fraud:1", "--out", out});
  EXPECT_EQ(got.exit_code, 1);
  EXPECT_THAT(got.err, HasSubstr(sha));
  EXPECT_FALSE(std::ifstream(out).good()) << "no file may be left under the requested name";
}

TEST_F(RegistryCliTest, WatchModelsPushesStageAndAliasChanges) {
  ASSERT_EQ(Register(Model("a.json")).exit_code, 0);
  auto channel = grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Registry::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchModelsRequest request;
  request.set_model("fraud");
  auto reader = stub->WatchModels(&context, request);
  reader->WaitForInitialMetadata();  // subscribed
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Staging"}).exit_code, 0);
  ASSERT_EQ(fsd_->Fsctl({"alias", "set", "fraud", "challenger", "1"}).exit_code, 0);
  v1::ModelEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.transition().kind(), "stage");
  EXPECT_EQ(event.transition().to(), "Staging");
  EXPECT_EQ(event.version().stage(), v1::STAGE_STAGING);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.transition().kind(), "alias_set");
  EXPECT_EQ(event.transition().alias(), "challenger");
  EXPECT_THAT(event.version().aliases(), ::testing::Contains("challenger"));
  // A stopping server ends the watch instead of waiting out its grace period.
  const auto stop_started = std::chrono::steady_clock::now();
  EXPECT_EQ(fsd_->Stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(8));
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

TEST_F(RegistryCliTest, WatchingAnUnknownModelIsNotFound) {
  auto channel = grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Registry::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WatchModelsRequest request;
  request.set_model("nosuch");
  auto reader = stub->WatchModels(&context, request);
  v1::ModelEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nosuch"));
}

}  // namespace
}  // namespace fstore::testing
