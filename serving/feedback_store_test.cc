#include "serving/feedback_store.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

constexpr TimestampUs kSecond = kMicrosPerSecond;

class FeedbackStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-feedback-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    db_ = temp_->db();
    ServingLog::Options options;
    options.clock = [this] { return now_; };
    options.flush_interval = absl::Hours(1);
    options.retention = 1000 * kSecond;
    log_ = ServingLog::Start(db_, options);
    store_ = std::make_unique<FeedbackStore>(db_, log_.get(), [this] { return now_; });
  }
  void Serve(const std::string& id, TimestampUs at, const std::string& model, int64_t version,
             const std::string& account, double score) {
    ServedRequest r;
    r.request_id = id;
    r.at = at;
    r.model = model;
    r.version = version;
    r.entity = {{"account_id", account}, {"device_id", "D-" + account}};
    r.inputs = {static_cast<float>(score), NAN};
    r.score = score;
    log_->Append(std::move(r));  // Record flushes the log itself
  }
  static FeedbackLabel ById(int64_t row, const std::string& id, int label) {
    FeedbackLabel l;
    l.row = row;
    l.request_id = id;
    l.label = label;
    return l;
  }
  static FeedbackLabel ByKeys(int64_t row, const std::string& account, TimestampUs at, int label) {
    FeedbackLabel l;
    l.row = row;
    l.entity = {{"account_id", account}};
    l.at = at;
    l.label = label;
    return l;
  }
  std::vector<LabelledRequest> All(const std::string& model) {
    std::vector<LabelledRequest> out;
    EXPECT_TRUE(store_
                    ->Scan(model, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(),
                           [&](const LabelledRequest& l) {
                             out.push_back(l);
                             return absl::OkStatus();
                           })
                    .ok());
    return out;
  }

  TimestampUs now_ = 500 * kSecond;
  std::unique_ptr<TempDatabase> temp_;
  Database* db_ = nullptr;
  std::unique_ptr<ServingLog> log_;
  std::unique_ptr<FeedbackStore> store_;
};

TEST_F(FeedbackStoreTest, LabelsByRequestIdKeepTheServedVector) {
  Serve("r1", 100 * kSecond, "fraud", 2, "A", 0.9);
  Serve("r2", 110 * kSecond, "fraud", 2, "B", 0.1);
  FeedbackStore::RecordOptions options;
  absl::StatusOr<FeedbackSummary> s = store_->Record({ById(1, "r1", 1), ById(2, "r2", 0)}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labels, 2);
  EXPECT_EQ(s->labelled, 2);
  EXPECT_EQ(s->relabelled, 0);
  ASSERT_EQ(s->versions.size(), 1u);
  EXPECT_EQ(s->versions[0], std::make_pair(std::string("fraud"), int64_t{2}));
  std::vector<LabelledRequest> all = All("fraud");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].served.request_id, "r1");  // in served-time order
  EXPECT_EQ(all[0].label, 1);
  EXPECT_EQ(all[0].labelled_at, 500 * kSecond);
  ASSERT_EQ(all[0].served.inputs.size(), 2u);
  EXPECT_FLOAT_EQ(all[0].served.inputs[0], 0.9f);
  EXPECT_TRUE(std::isnan(all[0].served.inputs[1]));
  EXPECT_EQ(all[1].label, 0);
  EXPECT_TRUE(All("other").empty());
}

TEST_F(FeedbackStoreTest, AnUnknownRequestIdFailsTheWholeCallNamingTheRow) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  absl::StatusOr<FeedbackSummary> s =
      store_->Record({ById(1, "r1", 1), ById(2, "ghost", 0)}, FeedbackStore::RecordOptions());
  ASSERT_TRUE(absl::IsNotFound(s.status())) << s.status();
  EXPECT_NE(s.status().message().find("row 2"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("'ghost'"), std::string::npos) << s.status();
  EXPECT_TRUE(All("fraud").empty());  // nothing written
}

TEST_F(FeedbackStoreTest, SkipUnknownRecordsTheRestAndCountsTheSkipped) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  FeedbackStore::RecordOptions options;
  options.skip_unknown = true;
  absl::StatusOr<FeedbackSummary> s =
      store_->Record({ById(1, "r1", 1), ById(2, "ghost", 0)}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labelled, 1);
  EXPECT_EQ(s->unknown, 1);
  ASSERT_EQ(s->unknown_examples.size(), 1u);
  EXPECT_NE(s->unknown_examples[0].find("row 2"), std::string::npos);
  EXPECT_EQ(All("fraud").size(), 1u);
}

TEST_F(FeedbackStoreTest, RelabellingReplacesTheLabel) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  ASSERT_TRUE(store_->Record({ById(1, "r1", 0)}, FeedbackStore::RecordOptions()).ok());
  now_ += kSecond;
  absl::StatusOr<FeedbackSummary> s =
      store_->Record({ById(1, "r1", 1)}, FeedbackStore::RecordOptions());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labelled, 0);
  EXPECT_EQ(s->relabelled, 1);
  std::vector<LabelledRequest> all = All("fraud");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].label, 1);
  EXPECT_EQ(all[0].labelled_at, 501 * kSecond);
}

TEST_F(FeedbackStoreTest, ByKeysEachModelsNearestRequestWithinTheToleranceIsLabelled) {
  // Champion and challenger scored the same event; another event of A
  // later; B at the same time.
  Serve("c1", 100 * kSecond, "champion", 3, "A", 0.8);
  Serve("x1", 100 * kSecond + 5, "challenger", 1, "A", 0.7);
  Serve("c2", 130 * kSecond, "champion", 3, "A", 0.2);
  Serve("b1", 100 * kSecond, "champion", 3, "B", 0.4);
  FeedbackStore::RecordOptions options;
  options.match_within = 10 * kSecond;
  absl::StatusOr<FeedbackSummary> s = store_->Record({ByKeys(1, "A", 101 * kSecond, 1)}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labelled, 2);
  std::vector<LabelledRequest> champion = All("champion");
  ASSERT_EQ(champion.size(), 1u);
  EXPECT_EQ(champion[0].served.request_id, "c1");
  std::vector<LabelledRequest> challenger = All("challenger");
  ASSERT_EQ(challenger.size(), 1u);
  EXPECT_EQ(challenger[0].served.request_id, "x1");

  // Narrowed to one model; out of tolerance is unknown, naming the keys.
  FeedbackLabel narrowed = ByKeys(1, "A", 129 * kSecond, 0);
  narrowed.model = "challenger";
  absl::StatusOr<FeedbackSummary> none = store_->Record({narrowed}, options);
  ASSERT_TRUE(absl::IsNotFound(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("account_id=A"), std::string::npos) << none.status();
  narrowed.model = "champion";
  ASSERT_TRUE(store_->Record({narrowed}, options).ok());
  champion = All("champion");
  ASSERT_EQ(champion.size(), 2u);
  EXPECT_EQ(champion[1].served.request_id, "c2");
  EXPECT_EQ(champion[1].label, 0);
}

TEST_F(FeedbackStoreTest, ByKeysEveryVersionThatScoredTheEventIsLabelled) {
  // Versions 1 and 2 of fraud (say Production and Staging) and another
  // model scored the same event.
  Serve("v1", 100 * kSecond, "fraud", 1, "A", 0.8);
  Serve("v2", 100 * kSecond + 3, "fraud", 2, "A", 0.7);
  Serve("o1", 100 * kSecond + 4, "other", 1, "A", 0.1);
  FeedbackStore::RecordOptions options;
  options.match_within = 10 * kSecond;
  absl::StatusOr<FeedbackSummary> s = store_->Record({ByKeys(1, "A", 101 * kSecond, 1)}, options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->labelled, 3);
  EXPECT_EQ(s->versions, (std::vector<std::pair<std::string, int64_t>>{
                             {"fraud", 1}, {"fraud", 2}, {"other", 1}}));
  std::vector<LabelledRequest> fraud = All("fraud");
  ASSERT_EQ(fraud.size(), 2u);
  EXPECT_EQ(fraud[0].served.request_id, "v1");
  EXPECT_EQ(fraud[1].served.request_id, "v2");

  // Narrowed to a model: every version of it, and only those.
  FeedbackLabel narrowed = ByKeys(1, "A", 101 * kSecond, 0);
  narrowed.model = "fraud";
  absl::StatusOr<FeedbackSummary> again = store_->Record({narrowed}, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->relabelled, 2);
  for (const LabelledRequest& l : All("fraud")) EXPECT_EQ(l.label, 0) << l.served.request_id;
  EXPECT_EQ(All("other")[0].label, 1);
}

TEST_F(FeedbackStoreTest, ByKeysATieGoesToTheEarlierRequest) {
  Serve("early", 90 * kSecond, "fraud", 1, "A", 0.3);
  Serve("late", 110 * kSecond, "fraud", 1, "A", 0.6);
  FeedbackStore::RecordOptions options;
  options.match_within = 60 * kSecond;
  ASSERT_TRUE(store_->Record({ByKeys(1, "A", 100 * kSecond, 1)}, options).ok());
  std::vector<LabelledRequest> all = All("fraud");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].served.request_id, "early");
}

TEST_F(FeedbackStoreTest, LabelsOutliveTheServingLog) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  ASSERT_TRUE(store_->Record({ById(1, "r1", 1)}, FeedbackStore::RecordOptions()).ok());
  now_ = 5000 * kSecond;  // far past the log's retention
  ASSERT_TRUE(log_->Flush().ok());
  EXPECT_TRUE(absl::IsNotFound(log_->Find("r1").status()));
  std::vector<LabelledRequest> all = All("fraud");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].served.request_id, "r1");
}

TEST_F(FeedbackStoreTest, BadLabelsAreRefusedNamingTheRow) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  FeedbackLabel two = ById(7, "r1", 2);
  absl::StatusOr<FeedbackSummary> s = store_->Record({two}, FeedbackStore::RecordOptions());
  ASSERT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("row 7: label 2"), std::string::npos) << s.status();
  FeedbackLabel nothing;
  nothing.row = 3;
  s = store_->Record({nothing}, FeedbackStore::RecordOptions());
  ASSERT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("row 3"), std::string::npos) << s.status();
  FeedbackStore::RecordOptions negative;
  negative.match_within = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Record({ById(1, "r1", 1)}, negative).status()));
}

TEST_F(FeedbackStoreTest, ScanReadsAServedTimeRange) {
  Serve("r1", 100 * kSecond, "fraud", 1, "A", 0.9);
  Serve("r2", 200 * kSecond, "fraud", 1, "B", 0.1);
  ASSERT_TRUE(
      store_->Record({ById(1, "r1", 1), ById(2, "r2", 0)}, FeedbackStore::RecordOptions()).ok());
  std::vector<std::string> ids;
  ASSERT_TRUE(store_
                  ->Scan("fraud", 150 * kSecond, 250 * kSecond,
                         [&](const LabelledRequest& l) {
                           ids.push_back(l.served.request_id);
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(ids, std::vector<std::string>{"r2"});
}

}  // namespace
}  // namespace fstore
