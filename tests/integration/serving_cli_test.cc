// Scoring through fsctl and the Serving RPCs against a real fsd: features
// joined by the server, explanations, errors that name the bad value,
// promotions that switch versions under load without failing a request,
// streams of scores, and every Serving call counted in /metrics.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/time_util.h"
#include "fstore/v1/serving.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "registry/xgboost_booster.h"
#include "tests/integration/fsd_process.h"
#include "tests/integration/http_get.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";

class ServingCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FsdProcess::Options options;
    options.metrics = true;
    std::string log;
    fsd_ = FsdProcess::Start(options, &log);
    ASSERT_NE(fsd_, nullptr) << log;
    metrics_port_ = fsd_->metrics_port();
    ASSERT_GT(metrics_port_, 0);
    ASSERT_EQ(fsd_->Fsctl({"apply", kDefinitions}).exit_code, 0);
    // Timestamps relative to now so that the 1h window still holds them.
    const TimestampUs now = NowUs();
    const std::string csv =
        WriteFile("txns.csv",
                  "txn_id,account_id,device_id,ts,amount,kind\n"
                  "t1,A-1,D-1," +
                      FormatIsoTime(now - 30 * 60 * kMicrosPerSecond) +
                      ",10,PAY\n"
                      "t2,A-1,D-1," +
                      FormatIsoTime(now - 20 * 60 * kMicrosPerSecond) +
                      ",250,XFER\n"
                      "t3,A-2,D-2," +
                      FormatIsoTime(now - 120 * 60 * kMicrosPerSecond) + ",70,PAY\n");
    ProgramResult ingest = fsd_->Fsctl({"ingest", "txns", csv});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    for (uint64_t seed : {1, 2}) {
      absl::StatusOr<std::string> model = TrainBoosterForTesting(5, 10, seed);
      ASSERT_TRUE(model.ok());
      const std::string path = WriteFile("m" + std::to_string(seed) + ".json", *model);
      ProgramResult r = fsd_->Fsctl(
          {"register", "--model", "fraud", "--artifact", path, "--service", "acct_svc"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::unique_ptr<v1::Serving::Stub> NewStub() const {
    return v1::Serving::NewStub(
        grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials()));
  }

  // Scores `n` made-up accounts E-0 .. E-(n-1) in one batch with fraud:1.
  v1::BatchScoreResponse BatchScoreAccounts(int n) {
    v1::BatchScoreRequest request;
    request.set_model_ref("fraud:1");
    for (int i = 0; i < n; ++i) {
      (*request.add_entities()->mutable_values())["account_id"] = "E-" + std::to_string(i);
    }
    (*request.mutable_request_fields())["amount"].set_double_value(1);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::BatchScoreResponse response;
    grpc::Status status = NewStub()->BatchScore(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
  int metrics_port_ = 0;
};

TEST_F(ServingCliTest, ScoreJoinsFeaturesAndExplains) {
  ProgramResult r = fsd_->Fsctl({"--output=json", "score", "fraud@Production", "--entity",
                                 "account_id=A-1", "--field", "amount=120.5", "--explain", "fast"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["score"].get<double>(), 0.0);
  EXPECT_LT(j["score"].get<double>(), 1.0);
  EXPECT_EQ(j["model"], "fraud");
  EXPECT_EQ(j["version"], 1);
  EXPECT_FALSE(j["request_id"].get<std::string>().empty());
  EXPECT_TRUE(j["missing_features"].empty());
  ASSERT_EQ(j["contributions"].size(), 5u);
  double margin = j["bias"].get<double>();
  bool saw_count = false;
  for (const auto& c : j["contributions"]) {
    margin += c["contribution"].get<double>();
    if (c["feature"] == "acct:n_1h") {
      EXPECT_EQ(c["value"], 2);
      saw_count = true;
    }
  }
  EXPECT_TRUE(saw_count);
  EXPECT_NEAR(1 / (1 + std::exp(-margin)), j["score"].get<double>(), 1e-5);

  ProgramResult table = fsd_->Fsctl({"score", "fraud:2", "--entity", "account_id=NEW", "--field",
                                     "amount=5", "--explain", "exact"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("fraud:2"));
  EXPECT_THAT(table.out, HasSubstr("missing  acct:n_1h"));
  EXPECT_THAT(table.out, HasSubstr("CONTRIBUTION"));
  // The table shows the request id, and feedback labels the request by it.
  const size_t at = table.out.find("\nrequest  ");
  ASSERT_NE(at, std::string::npos) << table.out;
  const size_t start = at + std::string("\nrequest  ").size();
  const std::string request_id = table.out.substr(start, table.out.find('\n', start) - start);
  ASSERT_FALSE(request_id.empty());
  ProgramResult labelled =
      fsd_->Fsctl({"feedback", WriteFile("by_id.csv", "request_id,label\n" + request_id + ",1\n")});
  EXPECT_EQ(labelled.exit_code, 0) << labelled.err;
}

TEST_F(ServingCliTest, ScoreAtAPastTimeReadsTheFeaturesOfThatTime) {
  // 25 minutes ago only t1 (30 minutes ago) had happened.
  ProgramResult r = fsd_->Fsctl({"--output=json", "score", "fraud:1", "--entity", "account_id=A-1",
                                 "--field", "amount=1", "--explain", "fast", "--at", "now-25m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& c : nlohmann::json::parse(r.out)["contributions"]) {
    if (c["feature"] == "acct:n_1h") {
      EXPECT_EQ(c["value"], 1);
    }
  }
  ProgramResult bad = fsd_->Fsctl({"score", "fraud:1", "--entity", "account_id=A-1", "--field",
                                   "amount=1", "--at", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);  // a usage error
  EXPECT_THAT(bad.err, HasSubstr("yesterday"));
}

// Older than the online state keeps (acct: its 7d window plus a day), reads
// and scores are answered from the stored events with the values dataset
// build gives; only a time before the oldest stored event is refused.
TEST_F(ServingCliTest, ReadsAndScoresOlderThanTheOnlineStateComeFromTheStoredEvents) {
  const TimestampUs now = NowUs();
  const TimestampUs old = now - 20 * 24 * 3600 * kMicrosPerSecond;
  const TimestampUs minute = 60 * kMicrosPerSecond;
  ProgramResult past = fsd_->Fsctl({"ingest", "txns",
                                    WriteFile("old.csv",
                                              "txn_id,account_id,device_id,ts,amount,kind\n"
                                              "o1,A-9,D-9," +
                                                  FormatIsoTime(old) +
                                                  ",40,XFER\n"
                                                  "o2,A-9,D-9," +
                                                  FormatIsoTime(old + 10 * minute) + ",5,PAY\n")});
  ASSERT_EQ(past.exit_code, 0) << past.err;
  // A-9 is seen again: its state from 20 days ago is reclaimed.
  ProgramResult recent =
      fsd_->Fsctl({"ingest", "txns",
                   WriteFile("new.csv",
                             "txn_id,account_id,device_id,ts,amount,kind\n"
                             "n1,A-9,D-9," +
                                 FormatIsoTime(now - 10 * minute) + ",1,PAY\n")});
  ASSERT_EQ(recent.exit_code, 0) << recent.err;
  const std::string at = FormatIsoTime(old + 30 * minute);

  ProgramResult get = fsd_->Fsctl(
      {"--output=json", "features", "get", "acct_svc", "--entity", "account_id=A-9", "--at", at});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  nlohmann::json features = nlohmann::json::parse(get.out);
  EXPECT_EQ(features["served_from"], "stored_events");
  EXPECT_EQ(features["features"]["n_1h"], 2);
  EXPECT_EQ(features["features"]["amt_sum_24h"], 45.0);
  EXPECT_EQ(features["features"]["xfer_n_24h"], 1);
  EXPECT_EQ(features["features"]["last_amt"], 5.0);
  EXPECT_EQ(features["freshness"]["acct"], FormatIsoTime(old + 10 * minute));
  ProgramResult table =
      fsd_->Fsctl({"features", "get", "acct_svc", "--entity", "account_id=A-9", "--at", at});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("as of " + at + ", from the stored events"));
  ProgramResult now_read =
      fsd_->Fsctl({"--output=json", "features", "get", "acct_svc", "--entity", "account_id=A-9"});
  ASSERT_EQ(now_read.exit_code, 0) << now_read.err;
  EXPECT_EQ(nlohmann::json::parse(now_read.out)["served_from"], "online_state");

  // The same row through historical retrieval...
  const std::string built = files_.path() + "/built.csv";
  ProgramResult build =
      fsd_->Fsctl({"dataset", "build", "--service", "acct_svc", "--entities",
                   WriteFile("rows.csv", "account_id,ts\nA-9," + at + "\n"), "--out", built});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  std::ifstream in(built);
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  EXPECT_EQ(line, "A-9," + at + ",2,45,1,5");
  // ...scored by XGBoost itself equals the served score at that time.
  std::vector<float> inputs;  // the binding: the service's features, then amount
  std::istringstream cells(line);
  std::string cell;
  for (int c = 0; std::getline(cells, cell, ','); ++c) {
    if (c >= 2) inputs.push_back(cell.empty() ? NAN : std::stof(cell));
  }
  inputs.push_back(3.0f);
  std::ifstream model_file(files_.path() + "/m1.json");
  const std::string model((std::istreambuf_iterator<char>(model_file)),
                          std::istreambuf_iterator<char>());
  absl::StatusOr<XgboostBooster> booster = XgboostBooster::Load(model);
  ASSERT_TRUE(booster.ok()) << booster.status();
  absl::StatusOr<std::vector<float>> expected = booster->Predict(inputs, 1, 5);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ProgramResult score = fsd_->Fsctl({"--output=json", "score", "fraud:1", "--entity",
                                     "account_id=A-9", "--field", "amount=3", "--at", at});
  ASSERT_EQ(score.exit_code, 0) << score.err;
  nlohmann::json scored = nlohmann::json::parse(score.out);
  EXPECT_EQ(scored["served_from"], "stored_events");
  EXPECT_NEAR(scored["score"].get<double>(), (*expected)[0], 1e-6);
  ProgramResult score_table = fsd_->Fsctl(
      {"score", "fraud:1", "--entity", "account_id=A-9", "--field", "amount=3", "--at", at});
  ASSERT_EQ(score_table.exit_code, 0) << score_table.err;
  EXPECT_THAT(score_table.out, HasSubstr("features from the stored events"));

  // Before the oldest stored event: refused, naming both times.
  const std::string before = FormatIsoTime(old - 60 * minute);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"features", "get", "acct_svc", "--entity", "account_id=A-9",
                                 "--at", before},
        std::vector<std::string>{"score", "fraud:1", "--entity", "account_id=A-9", "--field",
                                 "amount=3", "--at", before}}) {
    ProgramResult refused = fsd_->Fsctl(args);
    EXPECT_EQ(refused.exit_code, 1) << args[0];
    EXPECT_THAT(refused.err, HasSubstr(before));
    EXPECT_THAT(refused.err, HasSubstr("before the oldest stored event (" + FormatIsoTime(old)));
  }
}

TEST_F(ServingCliTest, BadRequestsFailNamingTheValue) {
  auto score = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"score"};
    all.insert(all.end(), args.begin(), args.end());
    return fsd_->Fsctl(all);
  };
  ProgramResult unknown =
      score({"nosuch@Production", "--entity", "account_id=A-1", "--field", "amount=1"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("nosuch"));
  ProgramResult no_stage =
      score({"fraud@Staging", "--entity", "account_id=A-1", "--field", "amount=1"});
  EXPECT_EQ(no_stage.exit_code, 1);
  EXPECT_THAT(no_stage.err, HasSubstr("Staging"));
  ProgramResult no_key = score({"fraud@Production", "--field", "amount=1"});
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_THAT(no_key.err, HasSubstr("account_id"));
  for (const std::string blank : {"account_id=", "account_id=  "}) {
    ProgramResult r = score({"fraud@Production", "--entity", blank, "--field", "amount=1"});
    EXPECT_EQ(r.exit_code, 1) << blank;
    EXPECT_THAT(r.err, HasSubstr("entity key 'account_id'")) << blank;
  }
  ProgramResult no_field = score({"fraud@Production", "--entity", "account_id=A-1"});
  EXPECT_EQ(no_field.exit_code, 1);
  EXPECT_THAT(no_field.err, HasSubstr("amount"));
  ProgramResult text =
      score({"fraud@Production", "--entity", "account_id=A-1", "--field", "amount=lots"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_THAT(text.err, HasSubstr("'lots'"));
  ProgramResult nan =
      score({"fraud@Production", "--entity", "account_id=A-1", "--field", "amount=nan"});
  EXPECT_EQ(nan.exit_code, 1);
  EXPECT_THAT(nan.err, HasSubstr("finite"));
  ProgramResult typo = score({"fraud@Production", "--entity", "account_id=A-1", "--field",
                              "amount=1", "--field", "typo=3"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.err, HasSubstr("unknown request field 'typo'"));
  EXPECT_THAT(typo.err, HasSubstr("request fields amount"));
  ProgramResult explain = score({"fraud@Production", "--entity", "account_id=A-1", "--field",
                                 "amount=1", "--explain", "why"});
  EXPECT_EQ(explain.exit_code, 2);  // a usage error
  EXPECT_THAT(explain.err, HasSubstr("'why'"));
}

TEST_F(ServingCliTest, PromotionsSwitchVersionsUnderLoadWithoutAFailedRequest) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> seen_v1{0}, seen_v2{0};
  std::string first_error;
  std::mutex error_mu;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto stub = v1::Serving::NewStub(
          grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials()));
      v1::ScoreRequest request;
      request.set_model_ref("fraud@Production");
      (*request.mutable_entity()->mutable_values())["account_id"] = "A-1";
      (*request.mutable_request_fields())["amount"].set_double_value(42);
      while (!stop.load()) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::ScoreResponse response;
        grpc::Status status = stub->Score(&context, request, &response);
        if (!status.ok()) {
          failures.fetch_add(1);
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.empty()) first_error = status.error_message();
        } else {
          (response.model_version() == 1 ? seen_v1 : seen_v2).fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 6; ++i) {
    const std::string version = i % 2 == 0 ? "2" : "1";
    ProgramResult r =
        fsd_->Fsctl({"promote", "fraud", version, "--stage", "Production", "--archive-existing"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop.store(true);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  EXPECT_GT(seen_v1.load(), 0);
  EXPECT_GT(seen_v2.load(), 0);
}

TEST_F(ServingCliTest, ScoreStreamAnswersInOrderAndNamesAFailingRequest) {
  auto stub = v1::Serving::NewStub(
      grpc::CreateChannel(fsd_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->ScoreStream(&context);
  v1::ScoreRequest request;
  (*request.mutable_entity()->mutable_values())["account_id"] = "A-1";
  (*request.mutable_request_fields())["amount"].set_double_value(42);
  for (const char* ref : {"fraud:1", "fraud:2", "fraud:1"}) {
    request.set_model_ref(ref);
    ASSERT_TRUE(stream->Write(request));
  }
  request.set_model_ref("fraud:9");
  stream->Write(request);
  stream->WritesDone();
  v1::ScoreResponse response;
  std::vector<int64_t> versions;
  while (stream->Read(&response)) versions.push_back(response.model_version());
  EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 1}));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("request 4"));
}

TEST_F(ServingCliTest, ScoreStreamEndsCleanlyWhenTheClientStopsSending) {
  auto stub = NewStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->ScoreStream(&context);
  v1::ScoreRequest request;
  request.set_model_ref("fraud@Production");
  (*request.mutable_entity()->mutable_values())["account_id"] = "A-1";
  (*request.mutable_request_fields())["amount"].set_double_value(42);
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    // Ids given by the caller are kept; the others are generated, all distinct.
    request.set_request_id(i % 2 == 0 ? "mine-" + std::to_string(i) : "");
    ASSERT_TRUE(stream->Write(request));
    v1::ScoreResponse response;
    ASSERT_TRUE(stream->Read(&response));
    EXPECT_EQ(response.model_version(), 1);
    if (i % 2 == 0) {
      EXPECT_EQ(response.request_id(), "mine-" + std::to_string(i));
    }
    ids.push_back(response.request_id());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  stream->WritesDone();
  v1::ScoreResponse extra;
  EXPECT_FALSE(stream->Read(&extra));
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServingCliTest, ListScoresSendsLargeTablesInPagesInScoringOrder) {
  ASSERT_EQ(BatchScoreAccounts(2500).scored(), 2500);
  auto list = [&](int limit) {
    v1::ListScoresRequest request;
    request.set_limit(limit);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto reader = NewStub()->ListScores(&context, request);
    std::vector<int> pages;
    int next = 0;
    v1::ListScoresResponse page;
    while (reader->Read(&page)) {
      pages.push_back(page.records_size());
      for (const v1::ScoreRecord& r : page.records()) {
        EXPECT_EQ(r.entity().values().at("account_id"), "E-" + std::to_string(next++));
      }
    }
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return pages;
  };
  EXPECT_EQ(list(0), (std::vector<int>{1000, 1000, 500}));
  EXPECT_EQ(list(2000), (std::vector<int>{1000, 1000}));
  EXPECT_EQ(list(7), (std::vector<int>{7}));
}

TEST_F(ServingCliTest, ListingsCancelledMidStreamFreeTheServerForOtherCalls) {
  ASSERT_EQ(BatchScoreAccounts(5000).scored(), 5000);
  // More cancelled listings than the server has threads for them.
  for (int i = 0; i < 8; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = NewStub()->ListScores(&context, v1::ListScoresRequest());
    v1::ListScoresResponse page;
    ASSERT_TRUE(reader->Read(&page));
    context.TryCancel();
    while (reader->Read(&page)) {
    }
    // CANCELLED, unless the client's transport had taken in the whole
    // listing (flow control windows grow on loopback) before the cancel.
    const grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::CANCELLED || status.ok())
        << status.error_message();
  }
  // Listings whose reader stalls hold the scan back, not Score.
  std::vector<std::unique_ptr<grpc::ClientContext>> stalled;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::ListScoresResponse>>> readers;
  auto stub = NewStub();
  for (int i = 0; i < 6; ++i) {
    stalled.push_back(std::make_unique<grpc::ClientContext>());
    stalled.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    readers.push_back(stub->ListScores(stalled.back().get(), v1::ListScoresRequest()));
  }
  v1::ScoreRequest request;
  request.set_model_ref("fraud@Production");
  (*request.mutable_entity()->mutable_values())["account_id"] = "A-1";
  (*request.mutable_request_fields())["amount"].set_double_value(42);
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ScoreResponse response;
    grpc::Status status = stub->Score(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (auto& context : stalled) context->TryCancel();
  for (auto& reader : readers) {
    v1::ListScoresResponse page;
    while (reader->Read(&page)) {
    }
    reader->Finish();
  }
  // And a whole listing still goes through afterwards.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub->ListScores(&context, v1::ListScoresRequest());
  int64_t records = 0;
  v1::ListScoresResponse page;
  while (reader->Read(&page)) records += page.records_size();
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(records, 5000);
}

TEST_F(ServingCliTest, EveryServingCallIsCountedInTheMetrics) {
  auto stub = NewStub();
  v1::ScoreRequest request;
  request.set_model_ref("fraud@Production");
  (*request.mutable_entity()->mutable_values())["account_id"] = "A-1";
  (*request.mutable_request_fields())["amount"].set_double_value(42);
  for (const char* ref : {"fraud@Production", "fraud:2", "fraud:9"}) {
    request.set_model_ref(ref);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ScoreResponse response;
    stub->Score(&context, request, &response);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = stub->ScoreStream(&context);
    request.set_model_ref("fraud:1");
    ASSERT_TRUE(stream->Write(request));
    stream->WritesDone();
    v1::ScoreResponse response;
    while (stream->Read(&response)) {
    }
    EXPECT_TRUE(stream->Finish().ok());
  }
  BatchScoreAccounts(3);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto reader = stub->ListScores(&context, v1::ListScoresRequest());
    v1::ListScoresResponse page;
    while (reader->Read(&page)) {
    }
    EXPECT_TRUE(reader->Finish().ok());
  }
  HttpResponse scrape = HttpGet(metrics_port_, "/metrics");
  ASSERT_EQ(scrape.status, 200);
  const std::string& text = scrape.body;
  EXPECT_THAT(text, HasSubstr("fstore_rpc_requests_total{method=\"fstore.v1.Serving/Score\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_errors_total{method=\"fstore.v1.Serving/Score\","
                              "code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("fstore_rpc_latency_seconds_count{method=\"fstore.v1.Serving/Score\"} 3\n"));
  for (const char* method : {"ScoreStream", "BatchScore", "ListScores"}) {
    EXPECT_THAT(text,
                HasSubstr(std::string("fstore_rpc_requests_total{method=\"fstore.v1.Serving/") +
                          method + "\"} 1\n"));
  }
}

TEST_F(ServingCliTest, BatchScoringWritesTheScoresTableForActiveEntities) {
  ProgramResult recent = fsd_->Fsctl({"--output=json", "batch-score", "fraud@Production",
                                      "--lookback", "1h", "--field", "amount=0"});
  ASSERT_EQ(recent.exit_code, 0) << recent.err;
  nlohmann::json a = nlohmann::json::parse(recent.out);
  EXPECT_EQ(a["scored"], 1);  // A-2's only event is 2h old
  EXPECT_EQ(a["version"], 1);
  ProgramResult wider = fsd_->Fsctl({"--output=json", "batch-score", "fraud@Production",
                                     "--lookback", "3h", "--field", "amount=0"});
  ASSERT_EQ(wider.exit_code, 0) << wider.err;
  nlohmann::json b = nlohmann::json::parse(wider.out);
  EXPECT_EQ(b["scored"], 2);
  EXPECT_NE(b["batch_id"], a["batch_id"]);

  ProgramResult listed = fsd_->Fsctl({"--output=json", "scores", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  nlohmann::json scores = nlohmann::json::parse(listed.out)["scores"];
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_EQ(scores[0]["entity"]["account_id"], "A-1");
  EXPECT_EQ(scores[0]["model"], "fraud");

  const std::string out = files_.path() + "/scores.csv";
  ProgramResult exported =
      fsd_->Fsctl({"scores", "export", "--batch", b["batch_id"], "--out", out});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream in(out);
  std::string header, row1, row2, extra;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_EQ(header, "account_id,fraud_score,risk_bucket,model,model_version,scored_at,batch_id");
  EXPECT_THAT(row1, ::testing::StartsWith("A-1,"));
  EXPECT_THAT(row2, ::testing::StartsWith("A-2,"));
  EXPECT_FALSE(std::getline(in, extra));

  // Explicit entities; a batch that cannot be scored writes nothing.
  const std::string entities = WriteFile("entities.csv", "account_id\nA-2\nNEW-9\n");
  ProgramResult listed_batch = fsd_->Fsctl(
      {"--output=json", "batch-score", "fraud:2", "--entities", entities, "--field", "amount=1"});
  ASSERT_EQ(listed_batch.exit_code, 0) << listed_batch.err;
  EXPECT_EQ(nlohmann::json::parse(listed_batch.out)["scored"], 2);
  ProgramResult no_field = fsd_->Fsctl({"batch-score", "fraud@Production", "--lookback", "3h"});
  EXPECT_EQ(no_field.exit_code, 1);
  EXPECT_THAT(no_field.err, HasSubstr("amount"));
  EXPECT_THAT(no_field.err, HasSubstr("nothing was written"));
  ProgramResult both =
      fsd_->Fsctl({"batch-score", "fraud@Production", "--lookback", "3h", "--entities", entities});
  EXPECT_EQ(both.exit_code, 2);  // a usage error
  ProgramResult all = fsd_->Fsctl({"--output=json", "scores", "list", "--limit", "0"});
  EXPECT_EQ(nlohmann::json::parse(all.out)["scores"].size(), 5u);
}

TEST_F(ServingCliTest, BatchScoreEntitiesFileColumnsAreKeysOrTheRowsOwnRequestFields) {
  const std::string entities =
      WriteFile("amounts.csv", "account_id,amount\nA-1,250\nA-2,\nB-9,0.5\n");
  ProgramResult batch = fsd_->Fsctl(
      {"--output=json", "batch-score", "fraud:1", "--entities", entities, "--field", "amount=1"});
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  const std::string batch_id = nlohmann::json::parse(batch.out)["batch_id"];
  ProgramResult listed =
      fsd_->Fsctl({"--output=json", "scores", "list", "--batch", batch_id, "--limit", "0"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  nlohmann::json scores = nlohmann::json::parse(listed.out)["scores"];
  ASSERT_EQ(scores.size(), 3u);
  const char* amounts[] = {"250", "1", "0.5"};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    // Stored under the join key alone, scored with the row's own amount (the
    // --field value only where the row has none).
    EXPECT_EQ(scores[i]["entity"].size(), 1u) << scores[i];
    const std::string account = scores[i]["entity"]["account_id"];
    ProgramResult single = fsd_->Fsctl(
        {"--output=json", "score", "fraud:1", "--entity", "account_id=" + account, "--field",
         std::string("amount=") + amounts[i], "--at", scores[i]["scored_at"]});
    ASSERT_EQ(single.exit_code, 0) << single.err;
    EXPECT_NEAR(scores[i]["fraud_score"].get<double>(),
                nlohmann::json::parse(single.out)["score"].get<double>(), 1e-6);
  }
  const std::string extra = WriteFile("extra.csv", "account_id,amount,type_code\nA-1,5,2\n");
  ProgramResult refused =
      fsd_->Fsctl({"batch-score", "fraud:1", "--entities", extra, "--field", "amount=1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("column 'type_code'"));
  EXPECT_THAT(refused.err,
              HasSubstr("neither a join key (account_id) nor a request field (amount)"));
}

TEST_F(ServingCliTest, APythonClientScoresThroughTheGeneratedStubs) {
  const std::string script = std::string(FSTORE_SOURCE_DIR) + "/examples/python/score.py";
  ProgramResult r =
      RunProgram({"/usr/bin/env", std::string("PYTHONPATH=") + PYTHON_STUBS_DIR, "/usr/bin/python3",
                  script, "--server", fsd_->address(), "--model", "fraud@Production", "--entity",
                  "account_id=A-1", "--field", "amount=120.5", "--explain", "fast"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"], "fraud");
  EXPECT_EQ(j["version"], 1);
  EXPECT_GT(j["score"].get<double>(), 0.0);
  EXPECT_EQ(j["contributions"].size(), 5u);
  // The same event through fsctl gets the same score.
  ProgramResult cli = fsd_->Fsctl({"--output=json", "score", "fraud@Production", "--entity",
                                   "account_id=A-1", "--field", "amount=120.5"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(cli.out)["score"].get<double>(), j["score"].get<double>());

  ProgramResult refused = RunProgram(
      {"/usr/bin/env", std::string("PYTHONPATH=") + PYTHON_STUBS_DIR, "/usr/bin/python3", script,
       "--server", fsd_->address(), "--model", "nosuch@Production", "--entity", "account_id=A-1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("NOT_FOUND"));
}

}  // namespace
}  // namespace fstore::testing
