#include "registry/model_registry.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// A trained model with `num_features` inputs (cached: training is the slow
// part of these tests).
const std::string& ModelBytes(int num_features) {
  static auto* cache = new std::map<int, std::string>();
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  auto it = cache->find(num_features);
  if (it == cache->end()) {
    auto bytes = TrainBoosterForTesting(num_features, 3, 11);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    it = cache->emplace(num_features, bytes.value_or("")).first;
  }
  return it->second;
}

// The binding of feature service fraud_v1: num_features - 1 features, then
// the request field "amount".
FeatureBinding Binding(int num_features) {
  FeatureBinding b;
  b.service = "fraud_v1";
  b.service_version = "0123456789abcdef";
  for (int i = 0; i + 1 < num_features; ++i) b.feature_names.push_back(absl::StrCat("f", i));
  b.feature_names.push_back("amount");
  b.request_fields.push_back({"amount", ColumnType::kDouble});
  return b;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("fstore_registry_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }

  void TearDown() override {
    registry_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes the registry and the database (if open) and opens both again.
  void Reopen() {
    registry_.reset();
    db_.reset();
    auto db = Database::Open(dir_.string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ModelRegistry::Options options;
    options.clock = [this] { return now_.load(); };
    options.sync_writes = false;  // tests close cleanly; keep them fast
    auto registry = ModelRegistry::Open(db_.get(), options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
  }

  std::string PutModelArtifact(int num_features) {
    auto sha = registry_->PutArtifact(ModelBytes(num_features));
    EXPECT_TRUE(sha.ok()) << sha.status();
    return sha.value_or("");
  }

  CreateVersionRequest Request(absl::string_view model, int num_features = 4) {
    CreateVersionRequest r;
    r.model = std::string(model);
    r.artifact_sha256 = PutModelArtifact(num_features);
    r.binding = Binding(num_features);
    r.training_snapshot = "snap-1";
    r.dataset_fingerprint = std::string(64, 'a');
    r.params = {{"max_depth", "3"}, {"eta", "0.3"}};
    r.metrics = {{"auc", 0.91}, {"pr_auc", 0.42}, {"logloss", 0.2}};
    r.risk_thresholds = {{"low", 0.0}, {"medium", 0.5}, {"high", 0.9}};
    FeatureStatistics stats;
    stats.feature = "amount";
    stats.count = 100;
    stats.missing = 2;
    stats.mean = 52.5;
    stats.stddev = 10;
    stats.min = 1;
    stats.max = 990;
    stats.bin_edges = {0, 10, 100, 1000};
    stats.bin_counts = {5, 60, 33};
    r.feature_statistics = {stats};
    r.description = "weekly retrain";
    r.created_by = "alice";
    return r;
  }

  // Creates a version of `model` and returns its number.
  int64_t NewVersion(absl::string_view model) {
    auto v = registry_->CreateVersion(Request(model));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->version : 0;
  }

  absl::StatusOr<ModelVersion> Move(absl::string_view model, int64_t version, Stage stage,
                                    bool archive_existing = false) {
    StageTransitionRequest r;
    r.model = std::string(model);
    r.version = version;
    r.stage = stage;
    r.archive_existing = archive_existing;
    r.actor = "bob";
    r.comment = absl::StrCat("to ", StageName(stage));
    return registry_->TransitionStage(r);
  }

  Stage StageOf(absl::string_view model, int64_t version) {
    auto v = registry_->GetVersion(model, version);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->stage : Stage::kNone;
  }

  // The live versions of `model` (empty on error, which fails the test).
  std::vector<ModelVersion> Versions(absl::string_view model) {
    auto versions = registry_->ListVersions(model);
    EXPECT_TRUE(versions.ok()) << versions.status();
    return versions.ok() ? *std::move(versions) : std::vector<ModelVersion>();
  }

  std::vector<Transition> HistoryOf(absl::string_view model) {
    auto history = registry_->History(model);
    EXPECT_TRUE(history.ok()) << history.status();
    return history.ok() ? *std::move(history) : std::vector<Transition>();
  }

  absl::StatusOr<ModelVersion> Resolve(absl::string_view ref) {
    auto parsed = ParseModelRef(ref);
    if (!parsed.ok()) return parsed.status();
    return registry_->Resolve(*parsed);
  }

  std::filesystem::path dir_;
  std::atomic<TimestampUs> now_{1'000'000};
  std::unique_ptr<Database> db_;
  std::unique_ptr<ModelRegistry> registry_;
};

// ---- Models ----

TEST_F(ModelRegistryTest, CreateModelStoresNameDescriptionTagsAndGate) {
  RegisteredModel m;
  m.name = "fraud";
  m.description = "card fraud";
  m.tags = {{"team", "risk"}};
  m.production_gate = {{"auc", 0.8}};
  auto created = registry_->CreateModel(m);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->created_at, 1'000'000);
  EXPECT_EQ(created->latest_version, 0);
  auto got = registry_->GetModel("fraud");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->description, "card fraud");
  EXPECT_THAT(got->tags, ElementsAre(Pair("team", "risk")));
  EXPECT_THAT(got->production_gate, ElementsAre(Pair("auc", 0.8)));
}

TEST_F(ModelRegistryTest, CreateModelRefusesADuplicateOrBadName) {
  RegisteredModel m;
  m.name = "fraud";
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  auto again = registry_->CreateModel(m);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Message(again.status()), HasSubstr("fraud"));
  m.name = "bad name";
  EXPECT_EQ(registry_->CreateModel(m).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->GetModel("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, ListModelsIsOrderedByName) {
  for (const char* name : {"zeta", "alpha", "mid"}) {
    RegisteredModel m;
    m.name = name;
    ASSERT_TRUE(registry_->CreateModel(m).ok());
  }
  std::vector<std::string> names;
  for (const RegisteredModel& m : registry_->ListModels()) names.push_back(m.name);
  EXPECT_THAT(names, ElementsAre("alpha", "mid", "zeta"));
}

// ---- Versions ----

TEST_F(ModelRegistryTest, CreateVersionCreatesTheModelAndStoresEveryField) {
  CreateVersionRequest request = Request("fraud");
  auto v = registry_->CreateVersion(request);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->stage, Stage::kNone);
  EXPECT_EQ(v->artifact_format, "json");
  EXPECT_EQ(v->artifact_size, static_cast<int64_t>(ModelBytes(4).size()));
  EXPECT_EQ(v->created_at, 1'000'000);

  auto got = registry_->GetVersion("fraud", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->artifact_sha256, request.artifact_sha256);
  EXPECT_EQ(got->binding.service, "fraud_v1");
  EXPECT_EQ(got->binding.service_version, "0123456789abcdef");
  EXPECT_EQ(got->binding.feature_names, request.binding.feature_names);
  ASSERT_EQ(got->binding.request_fields.size(), 1u);
  EXPECT_EQ(got->binding.request_fields[0].type, ColumnType::kDouble);
  EXPECT_EQ(got->metrics, request.metrics);
  EXPECT_EQ(got->params, request.params);
  ASSERT_EQ(got->risk_thresholds.size(), 3u);
  EXPECT_EQ(got->risk_thresholds[2].bucket, "high");
  ASSERT_EQ(got->feature_statistics.size(), 1u);
  EXPECT_EQ(got->feature_statistics[0].bin_counts, (std::vector<int64_t>{5, 60, 33}));
  EXPECT_EQ(got->created_by, "alice");
  EXPECT_EQ(registry_->GetModel("fraud")->latest_version, 1);
}

TEST_F(ModelRegistryTest, VersionsCountFromOneAndAreNeverReusedAfterDelete) {
  EXPECT_EQ(NewVersion("fraud"), 1);
  EXPECT_EQ(NewVersion("fraud"), 2);
  EXPECT_EQ(NewVersion("fraud"), 3);
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 3, "alice").ok());
  EXPECT_EQ(NewVersion("fraud"), 4);  // not 3 again
  EXPECT_EQ(NewVersion("other"), 1);  // per model

  std::vector<int64_t> listed;
  for (const ModelVersion& v : Versions("fraud")) listed.push_back(v.version);
  EXPECT_THAT(listed, ElementsAre(1, 2, 4));
  auto deleted = registry_->GetVersion("fraud", 3);
  EXPECT_EQ(deleted.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(deleted.status()), HasSubstr("version 3 of model fraud was deleted"));
  EXPECT_EQ(registry_->GetVersion("fraud", 9).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->ListVersions("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, DeletedVersionCannotBeTransitionedOrDeletedAgain) {
  NewVersion("fraud");
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());
  EXPECT_EQ(Move("fraud", 1, Stage::kStaging).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->DeleteVersion("fraud", 1, "alice").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->SetAlias("fraud", "champion", 1, "alice").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, DeletingAProductionVersionIsRefused) {
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  absl::Status s = registry_->DeleteVersion("fraud", 1, "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr("fraud:1"));
  EXPECT_THAT(Message(s), HasSubstr("Production"));
  EXPECT_TRUE(registry_->GetVersion("fraud", 1).ok());
  ASSERT_TRUE(Move("fraud", 1, Stage::kArchived).ok());
  EXPECT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());
}

TEST_F(ModelRegistryTest, DeletingAVersionAnAliasPointsAtIsRefused) {
  NewVersion("fraud");
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 1, "alice").ok());
  absl::Status s = registry_->DeleteVersion("fraud", 1, "alice");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(s), HasSubstr("alias champion"));
}

// ---- Artifacts ----

TEST_F(ModelRegistryTest, ArtifactsAreContentAddressedAndIdempotent) {
  const std::string& bytes = ModelBytes(4);
  auto sha = registry_->PutArtifact(bytes);
  ASSERT_TRUE(sha.ok()) << sha.status();
  EXPECT_EQ(sha->size(), 64u);
  EXPECT_EQ(*registry_->PutArtifact(bytes), *sha);
  EXPECT_NE(*registry_->PutArtifact(ModelBytes(3)), *sha);
  auto got = registry_->GetArtifact(*sha);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, bytes);
  EXPECT_EQ(registry_->PutArtifact("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->GetArtifact(std::string(64, '0')).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->GetArtifact("xyz").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRegistryTest, AFlippedByteInAStoredArtifactIsDataLossOnEveryLoad) {
  const std::string sha = PutModelArtifact(4);
  constexpr ColumnFamily cf = ColumnFamily::kArtifacts;
  absl::StatusOr<std::optional<std::string>> read = db_->Get(cf, sha);
  ASSERT_TRUE(read.ok() && read->has_value());
  std::string stored = **read;
  stored[stored.size() / 2] ^= 0x01;
  ASSERT_TRUE(db_->Put(cf, sha, stored).ok());

  auto got = registry_->GetArtifact(sha);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(got.status()), HasSubstr(sha));

  CreateVersionRequest request = Request("fraud");  // puts the intact bytes again...
  ASSERT_TRUE(db_->Put(cf, sha, stored).ok());      // ...re-corrupt
  auto v = registry_->CreateVersion(request);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(v.status()), HasSubstr(sha));

  // Storing the true bytes again repairs the artifact.
  ASSERT_TRUE(registry_->PutArtifact(ModelBytes(4)).ok());
  EXPECT_TRUE(registry_->GetArtifact(sha).ok());
  EXPECT_TRUE(registry_->CreateVersion(request).ok());
}

TEST_F(ModelRegistryTest, CorruptArtifactBytesAreRefusedAtRegistration) {
  const std::string& good = ModelBytes(4);
  for (const std::string& bad : {good.substr(0, good.size() / 2), std::string("not a model"),
                                 std::string(R"({"learner": 1})")}) {
    CreateVersionRequest request = Request("fraud");
    request.artifact_sha256 = *registry_->PutArtifact(bad);
    auto v = registry_->CreateVersion(request);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << v.status();
    EXPECT_THAT(Message(v.status()), HasSubstr("is refused: "));
  }
  EXPECT_EQ(registry_->GetModel("fraud").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, AnUnknownArtifactIsNotFound) {
  CreateVersionRequest request = Request("fraud");
  request.artifact_sha256 = std::string(64, 'b');
  auto v = registry_->CreateVersion(request);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(v.status()), HasSubstr(std::string(64, 'b')));
}

TEST_F(ModelRegistryTest, FeatureCountMismatchIsRefused) {
  CreateVersionRequest request = Request("fraud", 3);  // a 3-feature artifact...
  request.binding = Binding(5);                        // ...bound to 5 inputs
  auto v = registry_->CreateVersion(request);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(v.status()),
              HasSubstr("has 3 features but feature service fraud_v1 binds 5"));
}

// ModelBytes(names.size()) with `names` stored as the booster's
// feature_names.
std::string NamedModelBytes(const std::vector<std::string>& names) {
  std::string json = ModelBytes(static_cast<int>(names.size()));
  const std::string empty = R"("feature_names":[])";
  const size_t at = json.find(empty);
  EXPECT_NE(at, std::string::npos) << "no empty feature_names in the model JSON";
  if (at == std::string::npos) return json;
  std::string quoted;
  for (const std::string& name : names)
    absl::StrAppend(&quoted, quoted.empty() ? "" : ",", "\"", name, "\"");
  return json.replace(at, empty.size(), absl::StrCat(R"("feature_names":[)", quoted, "]"));
}

TEST_F(ModelRegistryTest, BoosterFeatureNamesMustMatchTheBindingInOrder) {
  CreateVersionRequest request = Request("fraud");
  request.binding.feature_names = {"acct:n_1h", "acct:amt_sum_24h", "dev:n_1h", "amount"};
  auto with_names = [&](const std::vector<std::string>& names) {
    request.artifact_sha256 = *registry_->PutArtifact(NamedModelBytes(names));
    return registry_->CreateVersion(request);
  };
  // Both spellings of a view's feature are the same input.
  auto same = with_names({"acct:n_1h", "acct__amt_sum_24h", "dev__n_1h", "amount"});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->warnings.empty());

  auto swapped = with_names({"acct:n_1h", "dev:n_1h", "acct:amt_sum_24h", "amount"});
  EXPECT_EQ(swapped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(swapped.status()),
              HasSubstr("input 1 is 'dev:n_1h' but the service binds 'acct:amt_sum_24h'"));
  auto renamed = with_names({"acct:n_1h", "acct:amt_sum_24h", "dev:n_1h", "amt"});
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(renamed.status()), HasSubstr("input 3 is 'amt'"));

  // Without names only the count can be checked: accepted, with a warning.
  request.artifact_sha256 = PutModelArtifact(4);
  auto unnamed = registry_->CreateVersion(request);
  ASSERT_TRUE(unnamed.ok()) << unnamed.status();
  ASSERT_EQ(unnamed->warnings.size(), 1u);
  EXPECT_THAT(unnamed->warnings[0], HasSubstr("carries no feature names"));
  EXPECT_THAT(unnamed->warnings[0], HasSubstr("acct:n_1h, acct:amt_sum_24h, dev:n_1h, amount"));
  // A warning is a reply, not part of the version.
  EXPECT_TRUE(registry_->GetVersion("fraud", unnamed->version)->warnings.empty());
}

TEST_F(ModelRegistryTest, AnUnknownHugeModelNameIsQuotedInPart) {
  const std::string huge(1 << 20, 'm');
  absl::Status s = registry_->GetModel(huge).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_LT(s.message().size(), 1000u);
  EXPECT_THAT(Message(s), HasSubstr("(1048576 bytes) not found"));
  CreateVersionRequest request = Request("fraud");
  request.model = huge;
  absl::Status create = registry_->CreateVersion(request).status();
  EXPECT_EQ(create.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(create.message().size(), 1000u);
}

TEST_F(ModelRegistryTest, MalformedBindingsAreRefused) {
  CreateVersionRequest request = Request("fraud");
  request.binding.request_fields.push_back({"device_age", ColumnType::kInt64});
  auto v = registry_->CreateVersion(request);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(v.status()), HasSubstr("request field 'device_age'"));

  request = Request("fraud");
  request.binding.feature_names[1] = request.binding.feature_names[0];
  EXPECT_THAT(Message(registry_->CreateVersion(request).status()),
              HasSubstr("appears more than once"));

  request = Request("fraud");
  request.feature_statistics[0].bin_counts.pop_back();
  EXPECT_EQ(registry_->CreateVersion(request).status().code(), absl::StatusCode::kInvalidArgument);

  request = Request("bad/name");
  EXPECT_EQ(registry_->CreateVersion(request).status().code(), absl::StatusCode::kInvalidArgument);
}

// `json` with `from` replaced by `to` once (the test fails when absent).
std::string Edited(std::string json, const std::string& from, const std::string& to) {
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << "no " << from << " in the model JSON";
  if (at != std::string::npos) json.replace(at, from.size(), to);
  return json;
}

// `json` with the first entry of array `key` replaced by `value`.
std::string WithFirstEntry(std::string json, absl::string_view key, const std::string& value) {
  const std::string open = absl::StrCat("\"", key, "\":[");
  const size_t at = json.find(open);
  EXPECT_NE(at, std::string::npos) << "no " << key << " in the model JSON";
  if (at == std::string::npos) return json;
  const size_t begin = at + open.size();
  return json.replace(begin, json.find_first_of(",]", begin) - begin, value);
}

class UnservableArtifactTest : public ModelRegistryTest {
 protected:
  // Registers `bytes` as a version bound to `num_features` inputs and
  // expects InvalidArgument naming `reason`.
  void ExpectRefused(const std::string& bytes, absl::string_view reason, int num_features = 4) {
    CreateVersionRequest request = Request("fraud", num_features);
    request.artifact_sha256 = *registry_->PutArtifact(bytes);
    auto v = registry_->CreateVersion(request);
    ASSERT_FALSE(v.ok()) << reason;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << v.status();
    EXPECT_THAT(Message(v.status()), HasSubstr("is refused: serving cannot run it: "));
    EXPECT_THAT(Message(v.status()), HasSubstr(reason));
    EXPECT_EQ(registry_->GetModel("fraud").status().code(), absl::StatusCode::kNotFound);
  }
};

TEST_F(UnservableArtifactTest, ALinearBoosterIsRefused) {
  ExpectRefused(Edited(ModelBytes(4), R"("name":"gbtree")", R"("name":"gblinear")"),
                "booster 'gblinear' is not supported");
}

TEST_F(UnservableArtifactTest, APoissonObjectiveIsRefused) {
  ExpectRefused(Edited(ModelBytes(4), R"("name":"binary:logistic")", R"("name":"count:poisson")"),
                "objective 'count:poisson' is not supported");
}

TEST_F(UnservableArtifactTest, AMultiClassModelIsRefused) {
  std::string json =
      Edited(ModelBytes(4), R"("name":"binary:logistic")", R"("name":"multi:softprob")");
  ExpectRefused(Edited(json, R"("num_class":"0")", R"("num_class":"3")"),
                "multi-class models are not supported for serving: num_class is 3");
}

TEST_F(UnservableArtifactTest, AChildIndexOutOfRangeIsRefused) {
  ExpectRefused(WithFirstEntry(ModelBytes(4), "left_children", "99"),
                "trees[0]: node 0 has children 99");
}

TEST_F(UnservableArtifactTest, ASplitOnAFeatureTheModelLacksIsRefused) {
  ExpectRefused(WithFirstEntry(ModelBytes(5), "split_indices", "77"),
                "node 0 splits on feature 77 of 5", 5);
}

TEST_F(UnservableArtifactTest, ANaNBaseScoreIsRefused) {
  ExpectRefused(Edited(ModelBytes(4), R"("base_score":"5E-1")", R"("base_score":"NaN")"),
                "base_score nan is not a finite number");
}

// `json` indented as a pretty-printer would: a newline and two spaces per
// level after every '{', '[' and ',' and before every '}' and ']' outside
// strings.
std::string Indented(absl::string_view json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&] { absl::StrAppend(&out, "\n", std::string(2 * depth, ' ')); };
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\') {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '}' || c == ']') {
      --depth;
      newline();
    }
    out.push_back(c);
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '{' || c == '[' || c == ',') newline();
    if (c == ':') out.push_back(' ');
  }
  return out;
}

TEST_F(ModelRegistryTest, PrettyPrintedOrIndentedJsonModelsRegister) {
  for (const std::string& bytes : {Indented(ModelBytes(4)), absl::StrCat(" \n\t", ModelBytes(4)),
                                   absl::StrCat("\n", Indented(ModelBytes(4)), "\n")}) {
    CreateVersionRequest request = Request("fraud");
    request.artifact_sha256 = *registry_->PutArtifact(bytes);
    auto v = registry_->CreateVersion(request);
    ASSERT_TRUE(v.ok()) << v.status() << "\n" << bytes.substr(0, 200);
    EXPECT_EQ(v->artifact_format, "json");
  }
}

TEST_F(ModelRegistryTest, UbjsonArtifactsRegisterAsUbjson) {
  CreateVersionRequest request = Request("fraud");
  request.artifact_sha256 = *registry_->PutArtifact(*TrainBoosterForTesting(4, 2, 5, "ubjson"));
  auto v = registry_->CreateVersion(request);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->artifact_format, "ubjson");
}

// ---- Stages ----

TEST_F(ModelRegistryTest, AnyStageTransitionIsAllowedAndAudited) {
  NewVersion("fraud");
  for (Stage s : {Stage::kStaging, Stage::kProduction, Stage::kArchived, Stage::kStaging,
                  Stage::kNone, Stage::kArchived}) {
    auto v = Move("fraud", 1, s);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->stage, s);
    EXPECT_EQ(StageOf("fraud", 1), s);
  }
  auto history = registry_->History("fraud");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 7u);
  EXPECT_EQ((*history)[2].kind, "stage");
  EXPECT_EQ((*history)[2].from, "Staging");
  EXPECT_EQ((*history)[2].to, "Production");
  EXPECT_EQ((*history)[2].actor, "bob");
  EXPECT_EQ((*history)[2].comment, "to Production");
}

TEST_F(ModelRegistryTest, MovingToTheCurrentStageChangesNothing) {
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kStaging).ok());
  ASSERT_TRUE(Move("fraud", 1, Stage::kStaging).ok());
  EXPECT_EQ(registry_->History("fraud")->size(), 2u);
}

TEST_F(ModelRegistryTest, PromotingOverAProductionVersionNeedsArchiveExisting) {
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  auto refused = Move("fraud", 2, Stage::kProduction);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(refused.status()),
              HasSubstr("version 1 is in Production; pass archive_existing"));
  EXPECT_EQ(StageOf("fraud", 1), Stage::kProduction);
  EXPECT_EQ(StageOf("fraud", 2), Stage::kNone);
}

TEST_F(ModelRegistryTest, ArchiveExistingArchivesThePreviousProductionVersionInTheSameWrite) {
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  now_ = 5'000'000;
  ASSERT_TRUE(Move("fraud", 2, Stage::kProduction, /*archive_existing=*/true).ok());
  EXPECT_EQ(StageOf("fraud", 1), Stage::kArchived);
  EXPECT_EQ(StageOf("fraud", 2), Stage::kProduction);

  // One write: both audit records carry the same time, the archive first,
  // so no point of the history ever has two versions in Production.
  auto history = *registry_->History("fraud");
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[3].version, 1);
  EXPECT_EQ(history[3].to, "Archived");
  EXPECT_EQ(history[4].version, 2);
  EXPECT_EQ(history[4].to, "Production");
  EXPECT_EQ(history[3].at, 5'000'000);
  EXPECT_EQ(history[4].at, 5'000'000);
  auto before = *registry_->StateAt("fraud", 4'999'999);
  EXPECT_THAT(before.stages, ElementsAre(Pair("None", 2), Pair("Production", 1)));
  auto after = *registry_->StateAt("fraud", 5'000'000);
  EXPECT_THAT(after.stages, ElementsAre(Pair("Archived", 1), Pair("Production", 2)));

  // And it is durable as one.
  Reopen();
  EXPECT_EQ(StageOf("fraud", 1), Stage::kArchived);
  EXPECT_EQ(StageOf("fraud", 2), Stage::kProduction);
}

TEST_F(ModelRegistryTest, PromotionGateRefusalNamesTheMetricItsValueAndTheBound) {
  RegisteredModel m;
  m.name = "fraud";
  m.production_gate = {{"auc", 0.95}};
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  NewVersion("fraud");  // auc 0.91

  auto refused = Move("fraud", 1, Stage::kProduction);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(refused.status()), HasSubstr("auc is 0.91, below the minimum 0.95"));
  EXPECT_EQ(StageOf("fraud", 1), Stage::kNone);
  // The gate guards Production only.
  EXPECT_TRUE(Move("fraud", 1, Stage::kStaging).ok());
}

TEST_F(ModelRegistryTest, PromotionRequirementsAreCheckedAndAMissingMetricFails) {
  NewVersion("fraud");
  StageTransitionRequest r;
  r.model = "fraud";
  r.version = 1;
  r.stage = Stage::kProduction;
  r.requirements = {{"pr_auc", 0.5}};
  auto low = registry_->TransitionStage(r);
  EXPECT_EQ(low.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(low.status()), HasSubstr("pr_auc is 0.42, below the minimum 0.5"));

  r.requirements = {{"recall_at_1pct", 0.3}};
  auto missing = registry_->TransitionStage(r);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(missing.status()), HasSubstr("no metric recall_at_1pct"));

  r.requirements = {{"auc", 0.9}, {"pr_auc", 0.4}};
  EXPECT_TRUE(registry_->TransitionStage(r).ok());
  EXPECT_EQ(registry_->History("fraud")->size(), 2u);  // refusals are not audited
}

TEST_F(ModelRegistryTest, AnAtMostGatePassesWhenTheMetricIsAtOrBelowItsBound) {
  RegisteredModel m;
  m.name = "fraud";
  m.production_gate_max = {{"logloss", 0.15}};  // the version's logloss is 0.2
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  NewVersion("fraud");
  auto refused = Move("fraud", 1, Stage::kProduction);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(refused.status()), HasSubstr("logloss is 0.2, above the maximum 0.15"));

  ModelUpdate update;
  update.model = "fraud";
  update.set_gate = true;
  update.production_gate = {{"auc", 0.9}};
  update.production_gate_max = {{"logloss", 0.2}};  // equal to the bound: passes
  ASSERT_TRUE(registry_->UpdateModel(update).ok());
  EXPECT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
}

TEST_F(ModelRegistryTest, AtMostRequirementsAreChecked) {
  NewVersion("fraud");  // logloss 0.2
  StageTransitionRequest r;
  r.model = "fraud";
  r.version = 1;
  r.stage = Stage::kProduction;
  r.requirements = {{"logloss", 0.1, /*at_most=*/true}};
  auto high = registry_->TransitionStage(r);
  EXPECT_EQ(high.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(high.status()), HasSubstr("logloss is 0.2, above the maximum 0.1"));
  r.requirements = {{"logloss", 0.3, true}, {"auc", 0.9, false}};
  EXPECT_TRUE(registry_->TransitionStage(r).ok());
}

TEST_F(ModelRegistryTest, GatesThatCanNeverHoldOrAreNotNumbersAreRefused) {
  RegisteredModel m;
  m.name = "fraud";
  m.production_gate = {{"auc", 0.9}};
  m.production_gate_max = {{"auc", 0.8}};
  auto never = registry_->CreateModel(m);
  EXPECT_EQ(never.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(never.status()), HasSubstr("auc>=0.9 and auc<=0.8 can never both hold"));
  m.production_gate_max = {{"logloss", std::nan("")}};
  EXPECT_EQ(registry_->CreateModel(m).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GateTextTest, ListsBoundsByMetric) {
  EXPECT_EQ(GateText({{"auc", 0.9}}, {{"logloss", 0.3}, {"auc", 0.99}}),
            "auc>=0.9, auc<=0.99, logloss<=0.3");
  EXPECT_EQ(GateText({}, {}), "none");
}

TEST_F(ModelRegistryTest, UpdateModelReplacesTheGateAndDescriptionAndAuditsTheActor) {
  RegisteredModel m;
  m.name = "fraud";
  m.description = "card fraud";
  m.production_gate = {{"auc", 0.8}};
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  now_ = 2'000'000;
  ModelUpdate update;
  update.model = "fraud";
  update.set_gate = true;
  update.production_gate_max = {{"logloss", 0.3}};
  update.description = "card fraud, weekly";
  update.actor = "carol";
  auto updated = registry_->UpdateModel(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_THAT(updated->production_gate, IsEmpty());
  EXPECT_THAT(updated->production_gate_max, ElementsAre(Pair("logloss", 0.3)));
  EXPECT_EQ(updated->description, "card fraud, weekly");
  EXPECT_EQ(updated->updated_at, 2'000'000);
  EXPECT_EQ(registry_->GetModel("fraud")->description, "card fraud, weekly");

  const std::vector<Transition> history = HistoryOf("fraud");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].kind, kTransitionModelUpdated);
  EXPECT_EQ(history[0].version, 0);
  EXPECT_EQ(history[0].actor, "carol");
  EXPECT_EQ(history[0].at, 2'000'000);
  EXPECT_EQ(history[0].from, "gate: auc>=0.8; description: card fraud");
  EXPECT_EQ(history[0].to, "gate: logloss<=0.3; description: card fraud, weekly");
  // StateAt replays a history holding model updates.
  EXPECT_TRUE(registry_->StateAt("fraud", 3'000'000).ok());

  // The same values again change nothing and audit nothing.
  ASSERT_TRUE(registry_->UpdateModel(update).ok());
  EXPECT_EQ(HistoryOf("fraud").size(), 1u);

  // Only the description: the gate stays.
  ModelUpdate describe;
  describe.model = "fraud";
  describe.description = "";
  ASSERT_TRUE(registry_->UpdateModel(describe).ok());
  EXPECT_THAT(registry_->GetModel("fraud")->production_gate_max, ElementsAre(Pair("logloss", 0.3)));
  EXPECT_EQ(HistoryOf("fraud").back().to, "description: ");

  Reopen();
  EXPECT_THAT(registry_->GetModel("fraud")->production_gate_max, ElementsAre(Pair("logloss", 0.3)));
}

TEST_F(ModelRegistryTest, UpdateModelRefusesAnEmptyUpdateAnUnknownModelAndBadGates) {
  ModelUpdate update;
  update.model = "fraud";
  auto empty = registry_->UpdateModel(update);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(empty.status()), HasSubstr("changes nothing"));
  update.description = "x";
  EXPECT_EQ(registry_->UpdateModel(update).status().code(), absl::StatusCode::kNotFound);
  NewVersion("fraud");
  update.set_gate = true;
  update.production_gate = {{"auc", std::numeric_limits<double>::infinity()}};
  EXPECT_EQ(registry_->UpdateModel(update).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->GetModel("fraud")->description, "");
}

TEST_F(ModelRegistryTest, UpdateModelIsDeliveredToWatchersWithoutAVersion) {
  NewVersion("fraud");
  std::vector<std::pair<std::string, int64_t>> seen;
  ModelRegistry::Subscription subscription =
      registry_->Subscribe([&](const Transition& t, const ModelVersion& v) {
        seen.emplace_back(t.kind, v.version);
        EXPECT_EQ(v.model, "fraud");
      });
  ModelUpdate update;
  update.model = "fraud";
  update.description = "new";
  ASSERT_TRUE(registry_->UpdateModel(update).ok());
  EXPECT_THAT(seen, ElementsAre(Pair(std::string(kTransitionModelUpdated), 0)));
}

TEST_F(ModelRegistryTest, AModelRecordWrittenBeforeAtMostGatesStillOpens) {
  RegisteredModel m;
  m.name = "fraud";
  m.description = "card fraud";
  m.production_gate = {{"auc", 0.9}};
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  // The record as the previous release wrote it: without the trailing
  // at-most map (an empty map is its 8-byte count).
  std::optional<std::string> value = *db_->Get(ColumnFamily::kModels, "fraud");
  ASSERT_TRUE(value.has_value());
  value->resize(value->size() - 8);
  ASSERT_TRUE(db_->Put(ColumnFamily::kModels, "fraud", *value).ok());
  Reopen();
  auto model = registry_->GetModel("fraud");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT(model->production_gate, ElementsAre(Pair("auc", 0.9)));
  EXPECT_THAT(model->production_gate_max, IsEmpty());
  EXPECT_EQ(model->description, "card fraud");
}

// ---- Size limits ----

TEST_F(ModelRegistryTest, DescriptionsTagsAndCommentsOverTheirLimitsAreRefusedNamingTheSize) {
  const std::string huge(10 << 20, 'd');
  RegisteredModel m;
  m.name = "fraud";
  m.description = huge;
  absl::Status s = registry_->CreateModel(m).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("the model's description is 10485760 bytes, more than the "
                                    "limit of 16384 bytes"));
  EXPECT_LT(s.message().size(), 1000u);
  m.description = std::string(kMaxDescriptionBytes, 'd');  // at the limit: accepted
  for (size_t i = 0; i <= kMaxTags; ++i) m.tags[absl::StrCat("t", i)] = "v";
  s = registry_->CreateModel(m).status();
  EXPECT_THAT(Message(s), HasSubstr("has 65 tags, more than the limit of 64"));
  m.tags = {{std::string(300, 'k'), "v"}};
  s = registry_->CreateModel(m).status();
  EXPECT_THAT(Message(s), HasSubstr("a tag key is 300 bytes, more than the limit of 256 bytes"));
  m.tags = {{"team", std::string(5000, 'v')}};
  s = registry_->CreateModel(m).status();
  EXPECT_THAT(Message(s),
              HasSubstr("tag team's value is 5000 bytes, more than the limit of 4096 bytes"));
  m.tags = {{std::string(256, 'k'), std::string(4096, 'v')}};
  ASSERT_TRUE(registry_->CreateModel(m).ok());

  ModelUpdate update;
  update.model = "fraud";
  update.description = huge;
  EXPECT_THAT(Message(registry_->UpdateModel(update).status()),
              HasSubstr("description is 10485760 bytes"));

  CreateVersionRequest request = Request("fraud");
  request.description = huge;
  s = registry_->CreateVersion(request).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("the version's description is 10485760 bytes"));

  NewVersion("fraud");
  StageTransitionRequest move;
  move.model = "fraud";
  move.version = 1;
  move.stage = Stage::kStaging;
  move.comment = std::string(kMaxCommentBytes + 1, 'c');
  s = registry_->TransitionStage(move).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(s), HasSubstr("the transition's comment is 4097 bytes, more than the "
                                    "limit of 4096 bytes"));
  EXPECT_EQ(StageOf("fraud", 1), Stage::kNone);
}

// ---- Aliases ----

TEST_F(ModelRegistryTest, AliasesPointAtOneVersionAndMovesAreRecorded) {
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 1, "alice").ok());
  ASSERT_TRUE(registry_->SetAlias("fraud", "challenger", 2, "alice").ok());
  EXPECT_THAT(registry_->GetVersion("fraud", 1)->aliases, ElementsAre("champion"));
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 2, "carol").ok());
  EXPECT_THAT(registry_->GetVersion("fraud", 1)->aliases, IsEmpty());
  EXPECT_THAT(registry_->GetVersion("fraud", 2)->aliases, ElementsAre("challenger", "champion"));
  EXPECT_EQ(Resolve("fraud@champion")->version, 2);

  const Transition moved = registry_->History("fraud")->back();
  EXPECT_EQ(moved.kind, "alias_set");
  EXPECT_EQ(moved.alias, "champion");
  EXPECT_EQ(moved.from, "1");
  EXPECT_EQ(moved.to, "2");
  EXPECT_EQ(moved.actor, "carol");

  ASSERT_TRUE(registry_->DeleteAlias("fraud", "challenger", "alice").ok());
  EXPECT_EQ(Resolve("fraud@challenger").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->DeleteAlias("fraud", "challenger", "alice").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->History("fraud")->back().kind, "alias_deleted");
}

TEST_F(ModelRegistryTest, AliasNamesMustBeValidAndNotStageNames) {
  NewVersion("fraud");
  for (const char* bad : {"production", "Staging", "bad alias", ""}) {
    absl::Status s = registry_->SetAlias("fraud", bad, 1, "alice");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(Message(registry_->SetAlias("fraud", "production", 1, "alice")),
              HasSubstr("stage name"));
  EXPECT_EQ(registry_->SetAlias("fraud", "champion", 7, "alice").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->SetAlias("nope", "champion", 1, "alice").code(),
            absl::StatusCode::kNotFound);
}

// ---- Resolve ----

TEST_F(ModelRegistryTest, ResolvesStageAliasAndVersionRefs) {
  NewVersion("fraud");
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kStaging).ok());
  ASSERT_TRUE(Move("fraud", 2, Stage::kProduction).ok());
  ASSERT_TRUE(Move("fraud", 3, Stage::kStaging).ok());
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 1, "alice").ok());

  EXPECT_EQ(Resolve("fraud@Production")->version, 2);
  EXPECT_EQ(Resolve("fraud@staging")->version, 3);  // the newest in the stage
  EXPECT_EQ(Resolve("fraud@champion")->version, 1);
  EXPECT_EQ(Resolve("fraud:3")->version, 3);
  EXPECT_EQ(Resolve("fraud:3")->stage, Stage::kStaging);
}

TEST_F(ModelRegistryTest, ResolveErrorsAreNotFoundNamingTheRef) {
  NewVersion("fraud");
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());
  NewVersion("fraud");
  for (const char* ref : {"fraud@Production", "fraud@champion", "fraud:1", "fraud:9",
                          "other@Production", "other:1"}) {
    auto v = Resolve(ref);
    ASSERT_FALSE(v.ok()) << ref;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound) << ref;
    EXPECT_THAT(Message(v.status()), HasSubstr(ref));
  }
  EXPECT_THAT(Message(Resolve("fraud@Production").status()),
              HasSubstr("no version of model fraud is in stage Production"));
  EXPECT_THAT(Message(Resolve("fraud:1").status()), HasSubstr("was deleted"));
}

TEST_F(ModelRegistryTest, ResolveSharedAgreesWithResolveAndOutlivesLaterChanges) {
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 2, "alice").ok());
  for (const char* text : {"fraud@Production", "fraud@champion", "fraud:2", "fraud@Staging",
                           "fraud@nosuch", "fraud:9", "other@Production"}) {
    const ModelRef ref = ParseModelRef(text).value();
    absl::StatusOr<ModelVersion> copied = registry_->Resolve(ref);
    absl::StatusOr<std::shared_ptr<const ModelVersion>> shared = registry_->ResolveShared(ref);
    ASSERT_EQ(copied.ok(), shared.ok()) << text;
    if (!copied.ok()) {
      EXPECT_EQ(shared.status(), copied.status()) << text;
      continue;
    }
    EXPECT_EQ((*shared)->version, copied->version) << text;
    EXPECT_EQ((*shared)->stage, copied->stage) << text;
    EXPECT_EQ((*shared)->aliases, copied->aliases) << text;
    EXPECT_EQ((*shared)->artifact_sha256, copied->artifact_sha256) << text;
  }

  // A resolved version stays readable, as it was, after the registry moves on.
  std::shared_ptr<const ModelVersion> before =
      registry_->ResolveShared(ParseModelRef("fraud@Production").value()).value();
  ASSERT_TRUE(Move("fraud", 1, Stage::kArchived).ok());
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());
  EXPECT_EQ(before->version, 1);
  EXPECT_EQ(before->stage, Stage::kProduction);
  EXPECT_EQ(registry_->ResolveShared(ParseModelRef("fraud@Production").value()).status().code(),
            absl::StatusCode::kNotFound);
}

// ---- History and time travel ----

TEST_F(ModelRegistryTest, HistoryAndStateAtFollowAPinnedClock) {
  now_ = 100;
  NewVersion("fraud");  // v1 at 100
  now_ = 200;
  NewVersion("fraud");  // v2 at 200
  now_ = 300;
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  now_ = 400;
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 1, "alice").ok());
  now_ = 500;
  ASSERT_TRUE(Move("fraud", 2, Stage::kProduction, true).ok());
  now_ = 600;
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 2, "alice").ok());
  now_ = 700;
  ASSERT_TRUE(registry_->DeleteAlias("fraud", "champion", "alice").ok());
  now_ = 800;
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());

  std::vector<std::string> kinds;
  std::vector<TimestampUs> times;
  for (const Transition& t : HistoryOf("fraud")) {
    kinds.push_back(absl::StrCat(t.kind, ":", t.version, ":", t.from, ">", t.to));
    times.push_back(t.at);
    EXPECT_EQ(t.model, "fraud");
  }
  EXPECT_THAT(
      kinds,
      ElementsAre("version_created:1:>None", "version_created:2:>None", "stage:1:None>Production",
                  "alias_set:1:>1", "stage:1:Production>Archived", "stage:2:None>Production",
                  "alias_set:2:1>2", "alias_deleted:2:2>", "version_deleted:1:Archived>"));
  EXPECT_THAT(times, ElementsAre(100, 200, 300, 400, 500, 500, 600, 700, 800));

  EXPECT_THAT(registry_->StateAt("fraud", 99)->version_stages, IsEmpty());
  auto at300 = *registry_->StateAt("fraud", 300);  // inclusive
  EXPECT_THAT(at300.stages, ElementsAre(Pair("None", 2), Pair("Production", 1)));
  EXPECT_THAT(at300.aliases, IsEmpty());
  auto at450 = *registry_->StateAt("fraud", 450);
  EXPECT_THAT(at450.aliases, ElementsAre(Pair("champion", 1)));
  auto at650 = *registry_->StateAt("fraud", 650);
  EXPECT_THAT(at650.stages, ElementsAre(Pair("Archived", 1), Pair("Production", 2)));
  EXPECT_THAT(at650.aliases, ElementsAre(Pair("champion", 2)));
  auto at800 = *registry_->StateAt("fraud", 800);
  EXPECT_THAT(at800.version_stages, ElementsAre(Pair(2, Stage::kProduction)));
  EXPECT_THAT(at800.aliases, IsEmpty());
  EXPECT_EQ(registry_->History("nope").status().code(), absl::StatusCode::kNotFound);
}

// ---- Concurrency ----

TEST_F(ModelRegistryTest, ConcurrentPromotionsLeaveExactlyOneProductionVersion) {
  constexpr int kWriters = 8;
  constexpr int kRoundsPerWriter = 10;
  for (int i = 0; i < kWriters; ++i) NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());

  absl::Mutex mu;
  std::vector<Transition> watched;
  ModelRegistry::Subscription subscription =
      registry_->Subscribe([&](const Transition& t, const ModelVersion&) {
        absl::MutexLock lock(&mu);
        watched.push_back(t);
      });
  const size_t history_before = registry_->History("fraud")->size();

  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      auto ref = *ParseModelRef("fraud@Production");
      while (!done.load()) {
        auto v = registry_->Resolve(ref);
        if (!v.ok() || v->stage != Stage::kProduction) bad_reads++;
        int production = 0;
        for (const ModelVersion& mv : Versions("fraud")) {
          production += mv.stage == Stage::kProduction;
        }
        if (production != 1) bad_reads++;
      }
    });
  }
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; round < kRoundsPerWriter; ++round) {
        if (!Move("fraud", w + 1, Stage::kProduction, /*archive_existing=*/true).ok()) failures++;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  done = true;
  for (std::thread& t : readers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  int production = 0;
  for (const ModelVersion& v : Versions("fraud")) {
    production += v.stage == Stage::kProduction;
  }
  EXPECT_EQ(production, 1);

  // The audit log replays to the current state, each transition starting
  // where the previous left its version, never with two in Production.
  std::map<int64_t, std::string> stages;
  const std::vector<Transition> history = *registry_->History("fraud");
  for (const Transition& t : history) {
    if (t.kind == "version_created") {
      stages[t.version] = t.to;
      continue;
    }
    ASSERT_EQ(t.kind, "stage");
    EXPECT_EQ(stages[t.version], t.from) << "version " << t.version;
    stages[t.version] = t.to;
    int in_production = 0;
    for (const auto& [v, s] : stages) in_production += s == "Production";
    EXPECT_LE(in_production, 1);
  }
  for (const ModelVersion& v : Versions("fraud")) {
    EXPECT_EQ(stages[v.version], StageName(v.stage)) << "version " << v.version;
  }

  // Watchers saw exactly the audited changes, in commit order.
  absl::MutexLock lock(&mu);
  ASSERT_EQ(watched.size(), history.size() - history_before);
  for (size_t i = 0; i < watched.size(); ++i) {
    const Transition& h = history[history_before + i];
    EXPECT_EQ(watched[i].version, h.version) << i;
    EXPECT_EQ(watched[i].from, h.from) << i;
    EXPECT_EQ(watched[i].to, h.to) << i;
  }
}

// ---- Durability ----

TEST_F(ModelRegistryTest, EverythingSurvivesARestartIncludingTheVersionCounter) {
  RegisteredModel m;
  m.name = "fraud";
  m.description = "card fraud";
  m.tags = {{"team", "risk"}};
  m.production_gate = {{"auc", 0.9}};
  ASSERT_TRUE(registry_->CreateModel(m).ok());
  for (int i = 0; i < 3; ++i) NewVersion("fraud");
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 3, "alice").ok());
  ASSERT_TRUE(Move("fraud", 2, Stage::kProduction).ok());
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 2, "alice").ok());
  const std::vector<Transition> history = *registry_->History("fraud");
  const ModelVersion v2 = *registry_->GetVersion("fraud", 2);

  Reopen();

  auto model = registry_->GetModel("fraud");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->description, "card fraud");
  EXPECT_THAT(model->tags, ElementsAre(Pair("team", "risk")));
  EXPECT_THAT(model->production_gate, ElementsAre(Pair("auc", 0.9)));
  EXPECT_EQ(model->latest_version, 3);
  EXPECT_EQ(registry_->ListVersions("fraud")->size(), 2u);
  const ModelVersion reloaded = *registry_->GetVersion("fraud", 2);
  EXPECT_EQ(reloaded.stage, Stage::kProduction);
  EXPECT_THAT(reloaded.aliases, ElementsAre("champion"));
  EXPECT_EQ(reloaded.metrics, v2.metrics);
  EXPECT_EQ(reloaded.binding.feature_names, v2.binding.feature_names);
  EXPECT_EQ(reloaded.feature_statistics[0].bin_edges, v2.feature_statistics[0].bin_edges);
  EXPECT_EQ(reloaded.updated_at, v2.updated_at);
  EXPECT_EQ(Resolve("fraud@champion")->version, 2);
  EXPECT_TRUE(registry_->GetArtifact(reloaded.artifact_sha256).ok());
  EXPECT_EQ(registry_->History("fraud")->size(), history.size());

  EXPECT_EQ(NewVersion("fraud"), 4);  // 3 was deleted before the restart
  EXPECT_EQ(registry_->History("fraud")->size(), history.size() + 1);
}

TEST_F(ModelRegistryTest, OpenRefusesACorruptVersionRecord) {
  NewVersion("fraud");
  std::string key;
  std::string value;
  {
    Iterator it = db_->NewIterator(ColumnFamily::kModelVersions);
    it.SeekToFirst();
    ASSERT_TRUE(it.Valid());
    key = std::string(it.key());
    value = std::string(it.value());
  }
  value.resize(value.size() - 3);
  ASSERT_TRUE(db_->Put(ColumnFamily::kModelVersions, key, value).ok());
  registry_.reset();
  auto reopened = ModelRegistry::Open(db_.get());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(reopened.status()), HasSubstr("fraud:1"));
}

// ---- Watch ----

TEST_F(ModelRegistryTest, WatchDeliversEveryChangeInOrderAndStopsAfterUnsubscribe) {
  std::vector<std::string> seen;
  auto subscription = registry_->Subscribe([&](const Transition& t, const ModelVersion& v) {
    seen.push_back(absl::StrCat(t.kind, " ", t.model, ":", t.version, " ", t.from, ">", t.to,
                                " stage=", StageName(v.stage)));
  });
  NewVersion("fraud");
  NewVersion("fraud");
  ASSERT_TRUE(Move("fraud", 1, Stage::kProduction).ok());
  ASSERT_TRUE(Move("fraud", 2, Stage::kProduction, true).ok());
  ASSERT_TRUE(registry_->SetAlias("fraud", "champion", 2, "alice").ok());
  ASSERT_TRUE(registry_->DeleteAlias("fraud", "champion", "alice").ok());
  ASSERT_TRUE(registry_->DeleteVersion("fraud", 1, "alice").ok());
  ASSERT_FALSE(Move("fraud", 1, Stage::kStaging).ok());  // refused: nothing delivered

  EXPECT_THAT(seen, ElementsAre("version_created fraud:1 >None stage=None",
                                "version_created fraud:2 >None stage=None",
                                "stage fraud:1 None>Production stage=Production",
                                "stage fraud:1 Production>Archived stage=Archived",
                                "stage fraud:2 None>Production stage=Production",
                                "alias_set fraud:2 >2 stage=Production",
                                "alias_deleted fraud:2 2> stage=Production",
                                "version_deleted fraud:1 Archived> stage=Archived"));
  subscription.Cancel();
  NewVersion("fraud");
  EXPECT_EQ(seen.size(), 8u);
}

TEST_F(ModelRegistryTest, DestroyingTheSubscriptionUnsubscribes) {
  int calls = 0;
  {
    auto subscription =
        registry_->Subscribe([&](const Transition&, const ModelVersion&) { ++calls; });
    NewVersion("fraud");
  }
  NewVersion("fraud");
  EXPECT_EQ(calls, 1);
}

TEST_F(ModelRegistryTest, CallbacksRunOutsideTheRegistrysLocks) {
  // A callback may read and even change the registry; its own change is
  // delivered after the one being handled.
  std::vector<std::string> seen;
  auto subscription = registry_->Subscribe([&](const Transition& t, const ModelVersion& v) {
    seen.push_back(absl::StrCat(t.kind, ":", t.version));
    if (t.kind == "version_created") {
      EXPECT_TRUE(registry_->GetVersion(v.model, v.version).ok());
      EXPECT_TRUE(registry_->SetAlias(v.model, "latest", v.version, "watcher").ok());
    }
  });
  NewVersion("fraud");
  EXPECT_THAT(seen, ElementsAre("version_created:1", "alias_set:1"));
  EXPECT_EQ(Resolve("fraud@latest")->version, 1);
}

TEST_F(ModelRegistryTest, ACallbackMayCancelItsOwnSubscription) {
  int calls = 0;
  ModelRegistry::Subscription subscription;
  subscription = registry_->Subscribe([&](const Transition&, const ModelVersion&) {
    ++calls;
    subscription.Cancel();
  });
  NewVersion("fraud");
  NewVersion("fraud");
  EXPECT_EQ(calls, 1);
}

TEST_F(ModelRegistryTest, ASubscriptionMayOutliveTheRegistry) {
  auto subscription = registry_->Subscribe([](const Transition&, const ModelVersion&) {});
  registry_.reset();
  subscription.Cancel();  // no crash, nothing to do
}

}  // namespace
}  // namespace fstore
