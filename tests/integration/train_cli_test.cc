// fsctl train against a real fsd: a point-in-time training set from the
// store, cross-validation, registration with everything the registry keeps,
// reproducible model bytes, and the trained model scoring through Score.
#include <fstream>
#include <sstream>

#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/fsd_process.h"
#include "tests/integration/http_get.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";
const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

class TrainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FsdProcess::Options options;
    options.extra_flags = {"--metrics_port=0", "--metrics_port_file=" + files_.path() + "/mport"};
    fsd_ = FsdProcess::Start(options);
    ASSERT_NE(fsd_, nullptr);
    std::ifstream port_file(files_.path() + "/mport");
    port_file >> metrics_port_;
    ASSERT_EQ(fsd_->Fsctl({"apply", kDefinitions}).exit_code, 0);
    // 300 accounts; every 10th bursts transfers in the half hour before its
    // labelled transaction (fraud), every 7th makes a couple of transfers
    // too (an innocent look-alike).
    std::ostringstream txns, labels;
    txns << "txn_id,account_id,device_id,ts,amount,kind\n";
    labels << "account_id,ts,amount,label\n";
    int id = 0;
    for (int i = 0; i < 300; ++i) {
      const std::string account = "A-" + std::to_string(i);
      const TimestampUs t = kT0 + i * 10 * kMinute;
      const bool fraud = i % 10 == 0;
      auto event = [&](TimestampUs ts, double amount, const char* kind) {
        txns << "t" << id++ << "," << account << ",D-" << i << "," << FormatIsoTime(ts) << ","
             << amount << "," << kind << "\n";
      };
      event(t - 3 * 24 * 60 * kMinute, 20 + i % 13, "PAY");
      event(t - 26 * 60 * kMinute, 35 + i % 7, "PAY");
      if (fraud) {
        for (int k = 0; k < 4 + i % 3; ++k) event(t - (30 - 5 * k) * kMinute, 400 + 10 * k, "XFER");
      } else if (i % 7 == 0) {
        event(t - 40 * kMinute, 300, "XFER");
        event(t - 20 * kMinute, 150, "XFER");
      }
      // The labelled transaction itself: ingested, but never in its own row.
      event(t, fraud ? 900 : 60, fraud ? "XFER" : "PAY");
      labels << account << "," << FormatIsoTime(t) << "," << (fraud ? 900 : 60) << ","
             << (fraud ? 1 : 0) << "\n";
    }
    ProgramResult ingest = fsd_->Fsctl({"ingest", "txns", WriteFile("txns.csv", txns.str())});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    labels_ = WriteFile("labels.csv", labels.str());
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  ProgramResult Train(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--output=json", "train", "--service", "acct_svc",
                                     "--labels", labels_, "--model", "fraud", "--folds", "3",
                                     "--rounds", "30", "--seed", "7"};
    args.insert(args.end(), extra.begin(), extra.end());
    return fsd_->Fsctl(args);
  }

  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
  std::string labels_;
  int metrics_port_ = 0;
};

TEST_F(TrainCliTest, TrainsRegistersAndReproducesTheModelAtASnapshot) {
  ProgramResult first = Train({});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err, "") << "--output=json is quiet";
  nlohmann::json a = nlohmann::json::parse(first.out);
  EXPECT_EQ(a["model"], "fraud");
  EXPECT_EQ(a["version"], 1);
  EXPECT_EQ(a["rows"], 300);
  EXPECT_GT(a["auc"].get<double>(), 0.9);
  EXPECT_GT(a["pr_auc"].get<double>(), 0.5);
  EXPECT_EQ(a["folds"].size(), 3u);
  EXPECT_EQ(a["importance"].size(), 5u);
  EXPECT_EQ(a["risk_thresholds"].size(), 3u);
  const std::string snapshot = a["snapshot"];
  ASSERT_FALSE(snapshot.empty());

  // The registry keeps the binding, snapshot, fingerprint, params, metrics,
  // statistics and thresholds.
  ProgramResult show = fsd_->Fsctl({"--output=json", "models", "show", "fraud"});
  nlohmann::json v = nlohmann::json::parse(show.out)["versions"][0];
  EXPECT_EQ(v["training_snapshot"], snapshot);
  EXPECT_EQ(v["dataset_fingerprint"], a["dataset_fingerprint"]);
  EXPECT_EQ(v["service"], "acct_svc");
  EXPECT_EQ(v["feature_statistics"], 6);  // 5 inputs and the out-of-fold predictions
  EXPECT_EQ(v["risk_thresholds"].size(), 3u);
  EXPECT_DOUBLE_EQ(v["metrics"]["auc"].get<double>(), a["auc"].get<double>());
  EXPECT_EQ(v["params"]["objective"], "binary:logistic");
  EXPECT_EQ(v["params"]["tree_method"], "hist");

  // Same labels, snapshot and seed: the same model bytes.
  ProgramResult second = Train({"--snapshot", snapshot});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  nlohmann::json b = nlohmann::json::parse(second.out);
  EXPECT_EQ(b["version"], 2);
  EXPECT_EQ(b["artifact_sha256"], a["artifact_sha256"]);
  EXPECT_EQ(b["dataset_fingerprint"], a["dataset_fingerprint"]);

  // The trained model serves: a burst of transfers scores above a quiet
  // account.
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  auto score = [&](const std::string& account) {
    ProgramResult r = fsd_->Fsctl({"--output=json", "score", "fraud@Production", "--entity",
                                   "account_id=" + account, "--field", "amount=900"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["score"].get<double>();
  };
  const double score_a0 = score("A-0");  // features as of now: every event is long past
  EXPECT_GT(score_a0, 0.0);
  EXPECT_LT(score_a0, 1.0);
  for (int i = 1; i < 20; ++i) score("A-" + std::to_string(i));

  // Every score was logged; drift compares the served inputs with training.
  ProgramResult drift = fsd_->Fsctl({"--output=json", "drift", "fraud@Production", "--window",
                                     "1h"});
  ASSERT_EQ(drift.exit_code, 0) << drift.err;
  nlohmann::json d = nlohmann::json::parse(drift.out);
  EXPECT_EQ(d["version"], 1);
  EXPECT_EQ(d["requests"], 20);
  ASSERT_EQ(d["features"].size(), 5u);
  EXPECT_EQ(d["features"][0]["feature"], "acct:n_1h");
  // Served as of now, every window is empty: counts drift far from training.
  EXPECT_EQ(d["features"][0]["status"], "drift");
  EXPECT_EQ(d["features"][4]["feature"], "amount");
  EXPECT_EQ(d["features"][4]["serving_count"], 20);
  EXPECT_TRUE(d.contains("prediction"));
  // The drift of a Production model is published on /metrics.
  HttpResponse metrics = HttpGet(metrics_port_, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr("fstore_feature_drift_psi{model=\"fraud\",version=\"1\",feature=\"acct:n_1h\"}"));
  ProgramResult table = fsd_->Fsctl({"drift", "fraud@Production"});
  EXPECT_THAT(table.out, HasSubstr("(prediction)"));
  EXPECT_THAT(table.out, HasSubstr("features drifted"));
  ProgramResult too_long = fsd_->Fsctl({"drift", "fraud@Production", "--window", "30d"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_THAT(too_long.err, HasSubstr("retention"));
  ProgramResult unknown = fsd_->Fsctl({"drift", "nosuch@Production"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("nosuch"));
}

TEST_F(TrainCliTest, ProgressGoesToStderrWithATableOnStdout) {
  ProgramResult r = fsd_->Fsctl({"train", "--service", "acct_svc", "--labels", labels_, "--model",
                                 "fraud", "--folds", "2", "--rounds", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("building the training set: 300 rows"));
  EXPECT_THAT(r.err, HasSubstr("fold 1/2: AUC"));
  EXPECT_THAT(r.out, HasSubstr("FOLD"));
  EXPECT_THAT(r.out, HasSubstr("top features by gain"));
  EXPECT_THAT(r.out, HasSubstr("registered fraud version 1"));
}

TEST_F(TrainCliTest, BadInputsAreRefusedNamingTheProblem) {
  ProgramResult service = fsd_->Fsctl(
      {"train", "--service", "nosuch", "--labels", labels_, "--model", "fraud"});
  EXPECT_EQ(service.exit_code, 1);
  EXPECT_THAT(service.err, HasSubstr("nosuch"));
  const std::string no_label = WriteFile("nolabel.csv", "account_id,ts,amount\nA-1," +
                                                            FormatIsoTime(kT0) + ",5\n");
  ProgramResult label = fsd_->Fsctl(
      {"train", "--service", "acct_svc", "--labels", no_label, "--model", "fraud"});
  EXPECT_EQ(label.exit_code, 1);
  EXPECT_THAT(label.err, HasSubstr("no label column 'label'"));
  const std::string no_field = WriteFile("nofield.csv", "account_id,ts,label\nA-1," +
                                                            FormatIsoTime(kT0) + ",1\n");
  ProgramResult field = fsd_->Fsctl(
      {"train", "--service", "acct_svc", "--labels", no_field, "--model", "fraud"});
  EXPECT_EQ(field.exit_code, 1);
  EXPECT_THAT(field.err, HasSubstr("request field amount"));
  const std::string bad_label = WriteFile(
      "badlabel.csv", "account_id,ts,amount,label\nA-1," + FormatIsoTime(kT0) + ",5,maybe\n");
  ProgramResult value = fsd_->Fsctl(
      {"train", "--service", "acct_svc", "--labels", bad_label, "--model", "fraud"});
  EXPECT_EQ(value.exit_code, 1);
  EXPECT_THAT(value.err, HasSubstr("label 'maybe'"));
  ProgramResult folds = fsd_->Fsctl(
      {"train", "--service", "acct_svc", "--labels", labels_, "--model", "fraud", "--folds", "1"});
  EXPECT_EQ(folds.exit_code, 1);
  EXPECT_THAT(folds.err, HasSubstr("--folds '1'"));
  // Nothing was registered by any of these.
  EXPECT_EQ(fsd_->Fsctl({"models", "show", "fraud"}).exit_code, 1);
}

}  // namespace
}  // namespace fstore::testing
