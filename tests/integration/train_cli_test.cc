// fsctl train against a real fsd: a point-in-time training set from the
// store, cross-validation, registration with everything the registry keeps,
// reproducible model bytes, and the trained model scoring through Score.
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

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
    options.metrics = true;
    options.extra_flags = {"--monitor_interval=1s"};
    fsd_ = FsdProcess::Start(options);
    ASSERT_NE(fsd_, nullptr);
    metrics_port_ = fsd_->metrics_port();
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
    std::vector<std::string> args = {
        "--output=json", "train",   "--service", "acct_svc", "--labels", labels_,  "--model",
        "fraud",         "--folds", "3",         "--rounds", "30",       "--seed", "7"};
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
  // 20 served values are fewer than the default minimum of 100: no verdict.
  ProgramResult few = fsd_->Fsctl({"--output=json", "drift", "fraud@Production", "--window", "1h"});
  ASSERT_EQ(few.exit_code, 0) << few.err;
  nlohmann::json f = nlohmann::json::parse(few.out);
  EXPECT_EQ(f["min_serving_values"], 100);
  EXPECT_EQ(f["drifted_features"], 0);
  EXPECT_EQ(f["not_assessed_features"], 5);
  EXPECT_EQ(f["features"][0]["status"], "insufficient_data");
  EXPECT_EQ(f["features"][0]["serving_count"], 20);
  ProgramResult drift = fsd_->Fsctl(
      {"--output=json", "drift", "fraud@Production", "--window", "1h", "--min-values", "20"});
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
  EXPECT_THAT(
      metrics.body,
      HasSubstr("fstore_feature_drift_psi{model=\"fraud\",version=\"1\",feature=\"acct:n_1h\"}"));
  ProgramResult table = fsd_->Fsctl({"drift", "fraud@Production"});
  EXPECT_THAT(table.out, HasSubstr("(prediction)"));
  EXPECT_THAT(table.out, HasSubstr("0 of 0 assessed features drifted"));
  EXPECT_THAT(table.out, HasSubstr("5 of 5 features could not be assessed: "));
  EXPECT_THAT(table.out, HasSubstr("with fewer than 100 served values (--min-values)"));
  EXPECT_THAT(table.out, HasSubstr("insufficient_data (20)"));
  ProgramResult bad_min = fsd_->Fsctl({"drift", "fraud@Production", "--min-values", "0"});
  EXPECT_NE(bad_min.exit_code, 0);
  EXPECT_THAT(bad_min.err, HasSubstr("--min-values '0'"));
  ProgramResult too_long = fsd_->Fsctl({"drift", "fraud@Production", "--window", "30d"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_THAT(too_long.err, HasSubstr("retention"));
  ProgramResult unknown = fsd_->Fsctl({"drift", "nosuch@Production"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("nosuch"));
}

TEST_F(TrainCliTest, GateIsSetOnTheModelTrainCreatesAndNeverChangedOnAnExistingOne) {
  ProgramResult first = Train({"--gate", "auc>=0.5", "--gate", "logloss<=0.9"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ProgramResult shown = fsd_->Fsctl({"--output=json", "models", "show", "fraud"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  nlohmann::json model = nlohmann::json::parse(shown.out)["model"];
  EXPECT_EQ(model["production_gate"]["auc"], 0.5);
  EXPECT_EQ(model["production_gate_max"]["logloss"], 0.9);
  // The same gate again: fine. Another: refused before training.
  EXPECT_EQ(Train({"--gate", "logloss<=0.9", "--gate", "auc>=0.5"}).exit_code, 0);
  ProgramResult other = Train({"--gate", "auc>=0.8"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("already exists with gate auc>=0.5, logloss<=0.9"));
  EXPECT_THAT(other.err, HasSubstr("fsctl models update fraud --gate auc>=0.8"));
  ProgramResult listed = fsd_->Fsctl({"--output=json", "models", "show", "fraud"});
  EXPECT_EQ(nlohmann::json::parse(listed.out)["versions"].size(), 2u);
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
  ProgramResult service =
      fsd_->Fsctl({"train", "--service", "nosuch", "--labels", labels_, "--model", "fraud"});
  EXPECT_EQ(service.exit_code, 1);
  EXPECT_THAT(service.err, HasSubstr("nosuch"));
  const std::string no_label =
      WriteFile("nolabel.csv", "account_id,ts,amount\nA-1," + FormatIsoTime(kT0) + ",5\n");
  ProgramResult label =
      fsd_->Fsctl({"train", "--service", "acct_svc", "--labels", no_label, "--model", "fraud"});
  EXPECT_EQ(label.exit_code, 1);
  EXPECT_THAT(label.err, HasSubstr("no label column 'label'"));
  const std::string no_field =
      WriteFile("nofield.csv", "account_id,ts,label\nA-1," + FormatIsoTime(kT0) + ",1\n");
  ProgramResult field =
      fsd_->Fsctl({"train", "--service", "acct_svc", "--labels", no_field, "--model", "fraud"});
  EXPECT_EQ(field.exit_code, 1);
  EXPECT_THAT(field.err, HasSubstr("request field amount"));
  const std::string bad_label = WriteFile(
      "badlabel.csv", "account_id,ts,amount,label\nA-1," + FormatIsoTime(kT0) + ",5,maybe\n");
  ProgramResult value =
      fsd_->Fsctl({"train", "--service", "acct_svc", "--labels", bad_label, "--model", "fraud"});
  EXPECT_EQ(value.exit_code, 1);
  EXPECT_THAT(value.err, HasSubstr("label 'maybe'"));
  ProgramResult folds = fsd_->Fsctl(
      {"train", "--service", "acct_svc", "--labels", labels_, "--model", "fraud", "--folds", "1"});
  EXPECT_EQ(folds.exit_code, 2);  // a usage error
  EXPECT_THAT(folds.err, HasSubstr("--folds '1'"));
  // Nothing was registered by any of these.
  EXPECT_EQ(fsd_->Fsctl({"models", "show", "fraud"}).exit_code, 1);
}

// Polls /metrics until `pred` holds for its body (up to 30 s).
bool MetricsEventually(int port, const std::function<bool(const std::string&)>& pred) {
  for (int i = 0; i < 300; ++i) {
    HttpResponse r = HttpGet(port, "/metrics");
    if (r.status == 200 && pred(r.body)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Contains(const std::string& body, const std::string& text) {
  return body.find(text) != std::string::npos;
}

TEST_F(TrainCliTest, FeedbackLabelsServedRequestsFeedsLiveMetricsAndRetraining) {
  ASSERT_EQ(Train({}).exit_code, 0);
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  // 40 scored events; every 10th account is fraud and pays more.
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const bool fraud = i % 10 == 0;
    ProgramResult r = fsd_->Fsctl({"--output=json", "score", "fraud@Production", "--entity",
                                   "account_id=A-" + std::to_string(i), "--field",
                                   fraud ? "amount=900" : "amount=60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ids.push_back(nlohmann::json::parse(r.out)["request_id"]);
  }
  // The scheduled refresh publishes the Production model's drift without
  // anyone asking for it.
  EXPECT_TRUE(MetricsEventually(metrics_port_, [](const std::string& body) {
    return Contains(body, "fstore_feature_drift_psi{model=\"fraud\",version=\"1\"");
  }));

  // Labels by request id for the first 30 ...
  std::ostringstream by_id;
  by_id << "request_id,label\n";
  for (int i = 0; i < 30; ++i) by_id << ids[i] << "," << (i % 10 == 0 ? 1 : 0) << "\n";
  ProgramResult sent =
      fsd_->Fsctl({"--output=json", "feedback", WriteFile("ids.csv", by_id.str())});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  nlohmann::json f = nlohmann::json::parse(sent.out);
  EXPECT_EQ(f["labels"], 30);
  EXPECT_EQ(f["labelled"], 30);
  EXPECT_EQ(f["relabelled"], 0);
  EXPECT_EQ(f["unknown"], 0);
  ASSERT_EQ(f["live"].size(), 1u);
  EXPECT_EQ(f["live"][0]["version"], 1);
  EXPECT_EQ(f["live"][0]["labelled"], 30);
  EXPECT_EQ(f["live"][0]["positives"], 3);

  // ... and by entity and time for the other 10.
  std::ostringstream by_keys;
  by_keys << "account_id,ts,label\n";
  for (int i = 30; i < 40; ++i) {
    by_keys << "A-" << i << "," << FormatIsoTime(NowUs()) << "," << (i % 10 == 0 ? 1 : 0) << "\n";
  }
  ProgramResult keyed =
      fsd_->Fsctl({"--output=json", "feedback", WriteFile("keys.csv", by_keys.str()),
                   "--match-within", "10m", "--model", "fraud"});
  ASSERT_EQ(keyed.exit_code, 0) << keyed.err;
  EXPECT_EQ(nlohmann::json::parse(keyed.out)["labelled"], 10);

  // Live metrics over all 40: 4 frauds, both classes, so an AUC.
  ProgramResult perf = fsd_->Fsctl({"--output=json", "performance", "fraud@Production"});
  ASSERT_EQ(perf.exit_code, 0) << perf.err;
  nlohmann::json p = nlohmann::json::parse(perf.out);
  EXPECT_EQ(p["labelled"], 40);
  EXPECT_EQ(p["positives"], 4);
  ASSERT_TRUE(p["auc"].is_number());
  EXPECT_GE(p["auc"].get<double>(), 0.0);
  EXPECT_LE(p["auc"].get<double>(), 1.0);
  EXPECT_EQ(p["high_bucket"], "high");
  ProgramResult perf_table = fsd_->Fsctl({"performance", "fraud@Production", "--window", "1h"});
  EXPECT_THAT(perf_table.out, HasSubstr("PRECISION@HIGH"));
  EXPECT_TRUE(MetricsEventually(metrics_port_, [](const std::string& body) {
    return Contains(body, "fstore_model_labelled_requests{model=\"fraud\",version=\"1\"} 40") &&
           Contains(body, "fstore_model_live_auc{model=\"fraud\",version=\"1\"}");
  }));

  // An unknown request id fails the whole file, naming it; nothing is kept.
  const std::string ghost =
      WriteFile("ghost.csv", "request_id,label\n" + ids[0] + ",0\nghost-1,1\n");
  ProgramResult unknown = fsd_->Fsctl({"feedback", ghost});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("row 2"));
  EXPECT_THAT(unknown.err, HasSubstr("'ghost-1'"));
  p = nlohmann::json::parse(fsd_->Fsctl({"--output=json", "performance", "fraud@Production"}).out);
  EXPECT_EQ(p["positives"], 4) << "the first row of the refused file was not recorded";
  // With --skip-unknown the rest goes in: ids[0] is relabelled.
  ProgramResult skipped = fsd_->Fsctl({"--output=json", "feedback", ghost, "--skip-unknown"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  nlohmann::json s = nlohmann::json::parse(skipped.out);
  EXPECT_EQ(s["relabelled"], 1);
  EXPECT_EQ(s["unknown"], 1);
  EXPECT_EQ(s["live"][0]["positives"], 3);
  // Put it back.
  ASSERT_EQ(fsd_->Fsctl({"feedback", WriteFile("back.csv", "request_id,label\n" + ids[0] + ",1\n")})
                .exit_code,
            0);

  // Retraining on the served vectors and their labels.
  ProgramResult retrained =
      fsd_->Fsctl({"--output=json", "train", "--from-feedback", "fraud@Production", "--model",
                   "fraud", "--folds", "2", "--rounds", "10"});
  ASSERT_EQ(retrained.exit_code, 0) << retrained.err;
  nlohmann::json r = nlohmann::json::parse(retrained.out);
  EXPECT_EQ(r["version"], 2);
  EXPECT_EQ(r["rows"], 40);
  EXPECT_EQ(r["snapshot"], "");
  EXPECT_EQ(r["training_source"], "feedback:fraud:1");
  nlohmann::json v2 = nlohmann::json::parse(
      fsd_->Fsctl({"--output=json", "models", "show", "fraud", "--version", "2"})
          .out)["versions"][0];
  EXPECT_EQ(v2["service"], "acct_svc");
  EXPECT_EQ(v2["params"]["training_source"], "feedback:fraud:1");
  EXPECT_EQ(v2["dataset_fingerprint"], r["dataset_fingerprint"]);

  // When v2 takes over Production, v1's series leave /metrics.
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "2", "--stage", "Production", "--archive-existing"})
                .exit_code,
            0);
  EXPECT_TRUE(MetricsEventually(metrics_port_, [](const std::string& body) {
    return !Contains(body, "fstore_feature_drift_psi{model=\"fraud\",version=\"1\"") &&
           !Contains(body, "fstore_model_labelled_requests{model=\"fraud\",version=\"1\"}");
  }));
}

TEST_F(TrainCliTest, BadFeedbackIsRefusedNamingTheProblem) {
  ProgramResult label =
      fsd_->Fsctl({"feedback", WriteFile("maybe.csv", "request_id,label\nr-1,maybe\n")});
  EXPECT_EQ(label.exit_code, 1);
  EXPECT_THAT(label.err, HasSubstr("line 2"));
  EXPECT_THAT(label.err, HasSubstr("label 'maybe'"));
  ProgramResult columns =
      fsd_->Fsctl({"feedback", WriteFile("cols.csv", "request,label\nr-1,1\n")});
  EXPECT_EQ(columns.exit_code, 1);
  EXPECT_THAT(columns.err, HasSubstr("request_id"));
  ProgramResult empty = fsd_->Fsctl({"feedback", WriteFile("empty.csv", "request_id,label\n")});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("no labels"));
  ProgramResult within = fsd_->Fsctl(
      {"feedback", WriteFile("w.csv", "request_id,label\nr-1,1\n"), "--match-within", "soon"});
  EXPECT_EQ(within.exit_code, 2);  // a usage error
  EXPECT_THAT(within.err, HasSubstr("--match-within 'soon'"));
  ProgramResult unknown_model = fsd_->Fsctl({"performance", "nosuch@Production"});
  EXPECT_EQ(unknown_model.exit_code, 1);
  EXPECT_THAT(unknown_model.err, HasSubstr("nosuch"));
  ProgramResult nothing =
      fsd_->Fsctl({"train", "--from-feedback", "nosuch@Production", "--model", "m"});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_THAT(nothing.err, HasSubstr("nosuch"));
  ASSERT_EQ(Train({}).exit_code, 0);
  ProgramResult unlabelled =
      fsd_->Fsctl({"train", "--from-feedback", "fraud:1", "--model", "fraud"});
  EXPECT_EQ(unlabelled.exit_code, 1);
  EXPECT_THAT(unlabelled.err, HasSubstr("no labelled requests"));
  ProgramResult mixed =
      fsd_->Fsctl({"train", "--from-feedback", "fraud:1", "--model", "fraud", "--labels", labels_});
  EXPECT_EQ(mixed.exit_code, 2);  // a usage error
  EXPECT_THAT(mixed.err, HasSubstr("--labels does not apply"));
}

// A STRING feature holding numeric text and a BOOL feature enter training
// and serving the same way (featurestore/model_input.h): the STRING is
// missing in both (training used to parse "42" into 42 while serving read
// it as missing), the BOOL is 1/0 in both, never missing.
TEST(TrainCliModelInputTest, StringAndBoolFeaturesTrainAsTheyServe) {
  TempDir files;
  auto write = [&](const std::string& name, const std::string& content) {
    const std::string path = files.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  };
  std::unique_ptr<FsdProcess> fsd = FsdProcess::Start();
  ASSERT_NE(fsd, nullptr);
  ProgramResult apply = fsd->Fsctl({"apply", write("defs.yaml", R"(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: evts
    timestamp_column: ts
    columns:
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: code, type: STRING}
      - {name: flag, type: BOOL}
feature_views:
  - name: acct
    entities: [account]
    source: evts
    features:
      - {name: last_code, function: LAST, column: code}
      - {name: last_flag, function: LAST, column: flag}
      - {name: n_24h, function: COUNT, window: 24h}
feature_services:
  - name: svc
    features: [acct:last_code, acct:last_flag, acct:n_24h]
)")});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  std::ostringstream events, labels;
  events << "account_id,ts,code,flag\n";
  labels << "account_id,ts,label\n";
  for (int i = 0; i < 60; ++i) {
    const std::string account = "A-" + std::to_string(i);
    const TimestampUs t = kT0 + i * 10 * kMinute;
    const bool positive = i % 3 == 0;
    events << account << "," << FormatIsoTime(t - 5 * kMinute) << "," << (positive ? 42 : 7) << ","
           << (positive ? "true" : "false") << "\n";
    labels << account << "," << FormatIsoTime(t) << "," << (positive ? 1 : 0) << "\n";
  }
  ProgramResult ingest = fsd->Fsctl({"ingest", "evts", write("evts.csv", events.str())});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ProgramResult train = fsd->Fsctl({"--output=json", "train", "--service", "svc", "--labels",
                                    write("labels.csv", labels.str()), "--model", "m", "--folds",
                                    "3", "--rounds", "5"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  ASSERT_EQ(fsd->Fsctl({"promote", "m", "1", "--stage", "Production"}).exit_code, 0);
  for (int i = 0; i < 6; ++i) {
    ProgramResult r = fsd->Fsctl({"--output=json", "score", "m@Production", "--entity",
                                  "account_id=A-" + std::to_string(i)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProgramResult drift = fsd->Fsctl({"--output=json", "drift", "m@Production", "--window", "1h"});
  ASSERT_EQ(drift.exit_code, 0) << drift.err;
  nlohmann::json d = nlohmann::json::parse(drift.out);
  ASSERT_EQ(d["features"].size(), 3u);
  EXPECT_EQ(d["features"][0]["feature"], "acct:last_code");
  EXPECT_EQ(d["features"][0]["training_missing_rate"].get<double>(), 1.0);
  EXPECT_EQ(d["features"][0]["serving_missing_rate"].get<double>(), 1.0);
  EXPECT_EQ(d["features"][1]["feature"], "acct:last_flag");
  EXPECT_EQ(d["features"][1]["training_missing_rate"].get<double>(), 0.0);
  EXPECT_EQ(d["features"][1]["serving_missing_rate"].get<double>(), 0.0);
}

}  // namespace
}  // namespace fstore::testing
