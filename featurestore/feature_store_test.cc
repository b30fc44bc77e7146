#include "featurestore/feature_store.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/record_codec.h"
#include "storage/temp_database.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

// The definitions file of the issue that specified this store.
std::string ReadDefinitionsFile() {
  std::ifstream in(std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const std::string kDefinitions = ReadDefinitionsFile();

const TimestampUs kT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;
constexpr DurationUs kHour = 60 * kMinute;

class FeatureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-fs-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    Reopen();
    ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false).ok());
  }

  void Reopen() {
    store_.reset();
    ASSERT_TRUE(temp_->Reopen().ok());
    auto store = FeatureStore::Open(temp_->db());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Ingests txns rows: {txn_id, account_id, device_id, ts, amount, kind}.
  IngestSummary Ingest(const std::vector<std::vector<std::string>>& rows) {
    auto writer =
        store_->StartIngest("txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"});
    EXPECT_TRUE(writer.ok()) << writer.status();
    EXPECT_TRUE((*writer)->WriteText(rows, 0).ok());
    return (*writer)->summary();
  }

  static std::vector<std::string> Txn(std::string id, std::string account, TimestampUs ts,
                                      double amount, std::string kind = "PAY",
                                      std::string device = "D-1") {
    return {std::move(id),     std::move(account),         std::move(device),
            FormatIsoTime(ts), ValueToText(Value(amount)), std::move(kind)};
  }

  // Feature name -> value for one account as of `at`.
  std::map<std::string, Value> Features(const std::string& account, TimestampUs at,
                                        const std::string& view = "acct") {
    FeatureSelector selector{FeatureSelector::Kind::kView, view, {}};
    auto f = store_->GetOnlineFeatures(selector, {{"account_id", account}}, at);
    EXPECT_TRUE(f.ok()) << f.status();
    std::map<std::string, Value> out;
    if (f.ok()) {
      for (const NamedValue& v : f->features) out[v.name] = v.value;
    }
    return out;
  }

  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<FeatureStore> store_;
};

TEST_F(FeatureStoreTest, TheIssueExampleComputesEveryFeature) {
  IngestSummary s = Ingest({Txn("t1", "A", kT0, 10, "PAY", "D-1"),
                            Txn("t2", "A", kT0 + 10 * kMinute, 30, "XFER", "D-2"),
                            Txn("t3", "A", kT0 + 2 * kHour, 5, "XFER", "D-1")});
  EXPECT_EQ(s.accepted, 3);
  auto f = Features("A", kT0 + 2 * kHour + 1);
  EXPECT_EQ(f["n_1h"], Value(int64_t{1}));
  EXPECT_EQ(f["amt_sum_24h"], Value(45.0));
  EXPECT_EQ(f["amt_max_7d"], Value(30.0));
  EXPECT_EQ(f["amt_mean_24h"], Value(15.0));
  EXPECT_EQ(f["xfer_n_24h"], Value(int64_t{2}));
  EXPECT_EQ(f["dev_distinct_7d"], Value(int64_t{2}));
  EXPECT_EQ(f["last_amt"], Value(5.0));
}

TEST_F(FeatureStoreTest, EventAtTheQueryTimeIsNotSeen) {
  Ingest({Txn("t1", "A", kT0, 10)});
  auto f = Features("A", kT0);
  EXPECT_EQ(f["n_1h"], Value(int64_t{0}));
  EXPECT_TRUE(IsNull(f["last_amt"]));
  EXPECT_EQ(Features("A", kT0 + 1)["n_1h"], Value(int64_t{1}));
}

TEST_F(FeatureStoreTest, EventExactlyAtWindowStartIsIncluded) {
  Ingest({Txn("t1", "A", kT0, 10)});
  EXPECT_EQ(Features("A", kT0 + kHour)["n_1h"], Value(int64_t{1}));
  EXPECT_EQ(Features("A", kT0 + kHour + 1)["n_1h"], Value(int64_t{0}));
}

TEST_F(FeatureStoreTest, UnknownEntityGetsEmptyAggregatesAndNulls) {
  auto f = Features("nobody", kT0);
  EXPECT_EQ(f["n_1h"], Value(int64_t{0}));
  EXPECT_EQ(f["amt_sum_24h"], Value(0.0));
  EXPECT_TRUE(IsNull(f["amt_max_7d"]));
  EXPECT_TRUE(IsNull(f["amt_mean_24h"]));
  EXPECT_TRUE(IsNull(f["last_amt"]));
}

TEST_F(FeatureStoreTest, EmptyOrBlankEntityKeysAreRefusedNamingTheKey) {
  Ingest({Txn("t1", "A", kT0, 10)});
  const FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  auto prepared = store_->PrepareSelection(selector);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  for (const std::string key : {"", " ", " \t "}) {
    SCOPED_TRACE("key '" + key + "'");
    auto online = store_->GetOnlineFeatures(selector, {{"account_id", key}}, kT0 + 1);
    EXPECT_EQ(online.status().code(), absl::StatusCode::kInvalidArgument) << online.status();
    EXPECT_THAT(std::string(online.status().message()), HasSubstr("entity key 'account_id'"));
    OnlineFeatures out;
    absl::Status read = store_->GetOnlineFeatures(**prepared, {{"account_id", key}}, kT0 + 1, &out);
    EXPECT_EQ(read.code(), absl::StatusCode::kInvalidArgument) << read;
    EXPECT_THAT(std::string(read.message()), HasSubstr("entity key 'account_id'"));

    EntityRows rows;
    rows.columns = {"account_id", "ts"};
    rows.rows = {{"A", FormatIsoTime(kT0 + 1)}, {key, FormatIsoTime(kT0 + 1)}};
    auto historical = store_->GetHistoricalFeatures(
        selector, rows, "", [](absl::string_view) { return absl::OkStatus(); });
    EXPECT_EQ(historical.status().code(), absl::StatusCode::kInvalidArgument)
        << historical.status();
    EXPECT_THAT(std::string(historical.status().message()),
                HasSubstr("entity row 2: entity key 'account_id'"));
  }
  EXPECT_EQ(Features("A", kT0 + 1)["n_1h"], Value(int64_t{1}));
}

TEST_F(FeatureStoreTest, EventsFurtherInTheFutureThanTheSkewAreDeadLetters) {
  const TimestampUs now = NowUs();
  IngestSummary s = Ingest({Txn("t1", "A", now - kHour, 10),
                            Txn("t2", "X", now - 2 * kHour, 5),
                            {"t3", "X", "D-1", "2100-01-01T00:00:00Z", "7", "PAY"},
                            {"t4", "X", "D-1", "9223372036854775807", "7", "PAY"},
                            Txn("t5", "X", now + kHour, 3)});  // within the skew
  EXPECT_EQ(s.accepted, 3);
  EXPECT_EQ(s.rejected, 2);
  ASSERT_EQ(s.rejections.size(), 2u);
  EXPECT_EQ(s.rejections[0].rule, "future");
  EXPECT_EQ(s.rejections[0].column, "ts");
  EXPECT_EQ(s.rejections[0].row_number, 3);
  EXPECT_THAT(s.rejections[0].reason,
              HasSubstr("txns row 3: column ts: 2100-01-01T00:00:00Z is more than 1d after"));
  EXPECT_EQ(s.rejections[1].rule, "future");
  // Every other entity still reads, before and after a restart.
  for (int restart = 0; restart < 2; ++restart) {
    SCOPED_TRACE(restart);
    EXPECT_EQ(Features("A", now)["n_1h"], Value(int64_t{1}));
    EXPECT_EQ(Features("X", now + 2 * kHour)["n_1h"], Value(int64_t{1}));
    auto dead = store_->ListDeadLetters("txns", 0, "");
    ASSERT_TRUE(dead.ok()) << dead.status();
    ASSERT_EQ(dead->dead_letters.size(), 2u);
    EXPECT_EQ(dead->dead_letters[0].rejection.rule, "future");
    EXPECT_EQ(dead->dead_letters[0].raw_values[3], "2100-01-01T00:00:00Z");
    Reopen();
  }
}

TEST_F(FeatureStoreTest, AFarFutureEventAcceptedUnderALargeSkewMovesNoOneElsesReads) {
  FeatureStore::Options options;
  options.max_future_skew = 200LL * 365 * 24 * kHour;
  auto reopen = [&] {
    store_.reset();
    ASSERT_TRUE(temp_->Reopen().ok());
    auto store = FeatureStore::Open(temp_->db(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  };
  reopen();
  const TimestampUs now = NowUs();
  Ingest({Txn("t1", "A", now - kHour, 10), Txn("t2", "X", now - 2 * kHour, 5)});
  // X's state older than the horizon before 2100 is reclaimed, but what is
  // kept for everyone is measured from the clock, not from 2100.
  EXPECT_EQ(Ingest({{"t3", "X", "D-1", "2100-01-01T00:00:00Z", "7", "PAY"}}).accepted, 1);
  for (int restart = 0; restart < 2; ++restart) {
    SCOPED_TRACE(restart);
    EXPECT_EQ(Features("A", now)["n_1h"], Value(int64_t{1}));
    EXPECT_EQ(Features("A", now)["last_amt"], Value(10.0));
    reopen();
  }
}

TEST_F(FeatureStoreTest, LateEventLandsInItsWindow) {
  Ingest({Txn("t2", "A", kT0 + 30 * kMinute, 20)});
  Ingest({Txn("t1", "A", kT0, 10)});  // arrives later, happened earlier
  auto f = Features("A", kT0 + 31 * kMinute);
  EXPECT_EQ(f["n_1h"], Value(int64_t{2}));
  EXPECT_EQ(f["last_amt"], Value(20.0));
  EXPECT_EQ(Features("A", kT0 + 1)["last_amt"], Value(10.0));
}

TEST_F(FeatureStoreTest, ReplayedEventIdsAreCountedOnce) {
  EXPECT_EQ(Ingest({Txn("t1", "A", kT0, 10), Txn("t1", "A", kT0, 10)}).duplicates, 1);
  IngestSummary again = Ingest({Txn("t1", "A", kT0, 10), Txn("t2", "A", kT0, 1)});
  EXPECT_EQ(again.accepted, 1);
  EXPECT_EQ(again.duplicates, 1);
  EXPECT_EQ(Features("A", kT0 + 1)["n_1h"], Value(int64_t{2}));
  Reopen();  // the ids survive a restart
  EXPECT_EQ(Ingest({Txn("t2", "A", kT0, 1)}).duplicates, 1);
}

TEST_F(FeatureStoreTest, RejectedRowsAreCountedAndKeptAsDeadLetters) {
  IngestSummary s =
      Ingest({Txn("t1", "A", kT0, -5), Txn("t2", "A", kT0, 1, "REFUND"), Txn("t3", "A", kT0, 2)});
  EXPECT_EQ(s.accepted, 1);
  EXPECT_EQ(s.rejected, 2);
  ASSERT_EQ(s.rejections.size(), 2u);
  EXPECT_EQ(s.rejections[0].row_number, 1);
  EXPECT_EQ(s.rejections[0].rule, "min");
  EXPECT_EQ(s.rejections[1].rule, "allowed");
  auto page = store_->ListDeadLetters("txns", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->dead_letters.size(), 2u);
  EXPECT_EQ(page->dead_letters[0].rejection.column, "amount");
  EXPECT_EQ(page->dead_letters[0].rejection.value, "-5");
  EXPECT_EQ(page->dead_letters[0].raw_values[0], "t1");
  EXPECT_EQ(page->dead_letters[1].rejection.value, "REFUND");
}

TEST_F(FeatureStoreTest, DeadLettersPage) {
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(Txn("t" + std::to_string(i), "A", kT0, -1));
  Ingest(rows);
  auto first = store_->ListDeadLetters("txns", 2, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->dead_letters.size(), 2u);
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = store_->ListDeadLetters("txns", 10, first->next_page_token);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->dead_letters.size(), 3u);
  EXPECT_EQ(second->dead_letters[0].rejection.row_number, 3);
  EXPECT_TRUE(second->next_page_token.empty());
  EXPECT_EQ(store_->ListDeadLetters("nope", 1, "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FeatureStoreTest, OnlineStateSurvivesRestart) {
  Ingest({Txn("t1", "A", kT0, 10), Txn("t2", "A", kT0 + kMinute, 20)});
  Reopen();
  auto f = Features("A", kT0 + 2 * kMinute);
  EXPECT_EQ(f["n_1h"], Value(int64_t{2}));
  EXPECT_EQ(f["amt_sum_24h"], Value(30.0));
  EXPECT_EQ(store_->NextSequence(), 2u);
}

// ---- Storage errors are returned, never read as "absent" ----

// A read fault for every key of `family` starting with `prefix`, as a
// failing disk would give.
Database::ReadFault FailReadsOf(ColumnFamily family, std::string prefix) {
  return [family, prefix](ColumnFamily cf, absl::string_view key) {
    return cf == family && absl::StartsWith(key, prefix) ? absl::InternalError("injected I/O error")
                                                         : absl::OkStatus();
  };
}

TEST_F(FeatureStoreTest, ADeadLetterCountThatCannotBeReadFailsTheListing) {
  Ingest({Txn("t1", "A", kT0, -5)});
  temp_->db()->SetReadFaultForTesting(FailReadsOf(ColumnFamily::kMeta, "dead_letters/txns"));
  auto page = store_->ListDeadLetters("txns", 0, "");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(page.status().message()), HasSubstr("dead_letters/txns"));
}

TEST_F(FeatureStoreTest, AFailedReadOfViewBuiltFailsTheOpenNamingTheKey) {
  Ingest({Txn("t1", "A", kT0, 10)});
  store_.reset();
  ASSERT_TRUE(temp_->Reopen().ok());
  temp_->db()->SetReadFaultForTesting(FailReadsOf(ColumnFamily::kMeta, "view_built/"));
  auto store = FeatureStore::Open(temp_->db());
  ASSERT_FALSE(store.ok()) << "a failed read must not start a rebuild";
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("view_built/"));
  // Without the fault, the stored state is used as it was.
  temp_->db()->SetReadFaultForTesting(nullptr);
  store = FeatureStore::Open(temp_->db());
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  EXPECT_EQ(Features("A", kT0 + kMinute)["n_1h"], Value(int64_t{1}));
}

TEST_F(FeatureStoreTest, AFailedReadOfViewReclaimedFailsTheOpen) {
  Ingest({Txn("t1", "A", kT0, 10)});
  store_.reset();
  ASSERT_TRUE(temp_->Reopen().ok());
  temp_->db()->SetReadFaultForTesting(FailReadsOf(ColumnFamily::kMeta, "view_reclaimed/"));
  auto store = FeatureStore::Open(temp_->db());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("view_reclaimed/"));
}

TEST_F(FeatureStoreTest, AMalformedCounterFailsTheOpen) {
  Ingest({Txn("t1", "A", kT0, 10)});
  store_.reset();
  ASSERT_TRUE(temp_->Reopen().ok());
  ASSERT_TRUE(temp_->db()->Put(ColumnFamily::kMeta, "next_seq", "bad").ok());
  auto store = FeatureStore::Open(temp_->db());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("next_seq"));
}

TEST_F(FeatureStoreTest, CreateSnapshotFailsWhenItCannotReadWhetherTheNameIsTaken) {
  Ingest({Txn("t1", "A", kT0, 10)});
  auto first = store_->CreateSnapshot("s1");
  ASSERT_TRUE(first.ok()) << first.status();
  Ingest({Txn("t2", "A", kT0, 10)});
  temp_->db()->SetReadFaultForTesting(FailReadsOf(ColumnFamily::kSnapshots, "s1"));
  auto second = store_->CreateSnapshot("s1");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kInternal);
  temp_->db()->SetReadFaultForTesting(nullptr);
  // The stored snapshot is untouched.
  auto stored = store_->GetSnapshot("s1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->high_water_mark, first->high_water_mark);
}

TEST_F(FeatureStoreTest, AMalformedDeadLetterIsDataLoss) {
  Ingest({Txn("t1", "A", kT0, -5)});
  Iterator it = temp_->db()->NewIterator(ColumnFamily::kDeadLetters);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  const std::string key(it.key());
  // A truncated raw cell at the end of the record.
  ASSERT_TRUE(
      temp_->db()->Put(ColumnFamily::kDeadLetters, key, std::string(it.value()) + "\x01").ok());
  auto page = store_->ListDeadLetters("txns", 0, "");
  EXPECT_EQ(page.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(FeatureStoreTest, ApplyingTheSameFileTwiceChangesNothing) {
  auto again = store_->Apply(kDefinitions, "yaml", false);
  ASSERT_TRUE(again.ok()) << again.status();
  for (const DefinitionChange& c : again->changes) {
    EXPECT_EQ(c.kind, DefinitionChange::Kind::kUnchanged) << c.name;
  }
  EXPECT_EQ(again->changes.size(), 5u);  // 2 entities, a source, a view, a service
}

// An ingest of txns rows in chunks, one WriteText per chunk.
std::unique_ptr<FeatureStore::IngestWriter> StartTxns(FeatureStore& store,
                                                      absl::string_view origin = "") {
  auto writer = store.StartIngest(
      "txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"}, origin);
  EXPECT_TRUE(writer.ok()) << writer.status();
  return writer.ok() ? *std::move(writer) : nullptr;
}

TEST_F(FeatureStoreTest, ANoOpApplyBetweenTwoChunksDoesNotDisturbTheIngest) {
  std::unique_ptr<FeatureStore::IngestWriter> writer = StartTxns(*store_);
  ASSERT_TRUE(writer->WriteText({Txn("t1", "A", kT0, 10)}, 0).ok());
  auto again = store_->Apply(kDefinitions, "yaml", false);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::Status second = writer->WriteText({Txn("t2", "A", kT0 + kMinute, 20)}, 0);
  ASSERT_TRUE(second.ok()) << second;
  EXPECT_EQ(writer->summary().accepted, 2);
  EXPECT_EQ(Features("A", kT0 + kHour)["amt_sum_24h"], Value(30.0));
  absl::StatusOr<std::vector<ApplyRecord>> history = store_->DefinitionsHistory(0);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 1u);  // SetUp's apply only
}

TEST_F(FeatureStoreTest, AChangedSourceTakesEffectAtTheIngestsNextChunk) {
  std::unique_ptr<FeatureStore::IngestWriter> writer = StartTxns(*store_);
  ASSERT_TRUE(writer->WriteText({Txn("t1", "A", kT0, 150)}, 0).ok());
  std::string capped = kDefinitions;
  const std::string from = "{name: amount, type: DOUBLE, min: 0}";
  capped.replace(capped.find(from), from.size(), "{name: amount, type: DOUBLE, min: 0, max: 100}");
  auto applied = store_->Apply(capped, "yaml", false);
  ASSERT_TRUE(applied.ok()) << applied.status();
  // The next chunk is validated against the new definition: 150 is now
  // above the max, 50 still fits; the ingest goes on.
  absl::Status second = writer->WriteText(
      {Txn("t2", "A", kT0 + kMinute, 150), Txn("t3", "A", kT0 + 2 * kMinute, 50)}, 0);
  ASSERT_TRUE(second.ok()) << second;
  EXPECT_EQ(writer->summary().accepted, 2);
  EXPECT_EQ(writer->summary().rejected, 1);
  ASSERT_EQ(writer->summary().rejections.size(), 1u);
  EXPECT_EQ(writer->summary().rejections[0].rule, "max");
  EXPECT_EQ(writer->summary().rejections[0].row_number, 2);
  EXPECT_EQ(Features("A", kT0 + kHour)["amt_sum_24h"], Value(200.0));
}

TEST_F(FeatureStoreTest, AViewAppliedDuringAnIngestGetsTheFollowingChunks) {
  std::unique_ptr<FeatureStore::IngestWriter> writer = StartTxns(*store_);
  ASSERT_TRUE(writer->WriteText({Txn("t1", "A", kT0, 10, "PAY", "D-7")}, 0).ok());
  auto applied = store_->Apply(R"yaml(
feature_views:
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: dev_n_24h, function: COUNT, window: 24h}
)yaml",
                               "yaml", false);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(writer->WriteText({Txn("t2", "B", kT0 + kMinute, 5, "PAY", "D-7")}, 0).ok());
  FeatureSelector selector{FeatureSelector::Kind::kView, "dev", {}};
  auto f = store_->GetOnlineFeatures(selector, {{"device_id", "D-7"}}, kT0 + kHour);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->features[0].value, Value(int64_t{2}));  // backfilled t1, then t2
}

TEST_F(FeatureStoreTest, AnIngestWhoseColumnsNoLongerFitTheSourceFailsNamingTheColumn) {
  const std::string logs = R"yaml(
sources:
  - name: logs
    timestamp_column: ts
    columns:
      - {name: ts, type: TIMESTAMP}
      - {name: msg, type: STRING}
)yaml";
  ASSERT_TRUE(store_->Apply(logs, "yaml", false).ok());
  auto writer = store_->StartIngest("logs", {"ts", "msg"});
  ASSERT_TRUE(writer.ok()) << writer.status();
  // No event stored yet (the row is rejected), so the source may still change.
  ASSERT_TRUE((*writer)->WriteText({{"not a time", "hello"}}, 0).ok());
  std::string renamed = logs;
  renamed.replace(renamed.find("name: msg"), 9, "name: text");
  auto applied = store_->Apply(renamed, "yaml", false);
  ASSERT_TRUE(applied.ok()) << applied.status();
  const uint64_t next = store_->NextSequence();
  absl::Status second = (*writer)->WriteText({{FormatIsoTime(kT0), "hello"}}, 0);
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.message()), HasSubstr("logs changed while ingesting"));
  EXPECT_THAT(std::string(second.message()), HasSubstr("msg"));
  EXPECT_EQ(store_->NextSequence(), next);  // nothing of the chunk was written
  EXPECT_EQ((*writer)->summary().rejected, 1);
}

TEST_F(FeatureStoreTest, DeadLettersNameTheIngestAndWhereItsRowsCameFrom) {
  std::unique_ptr<FeatureStore::IngestWriter> first = StartTxns(*store_, "day1.csv");
  ASSERT_TRUE(
      first->WriteText({Txn("t1", "A", kT0, -5), Txn("t2", "A", kT0, 1, "REFUND")}, 0).ok());
  ASSERT_TRUE(first->WriteText({Txn("t3", "A", kT0, -1)}, 0).ok());
  std::unique_ptr<FeatureStore::IngestWriter> second = StartTxns(*store_);
  ASSERT_TRUE(second->WriteText({Txn("t4", "A", kT0, -7)}, 0).ok());

  const IngestSummary& s = first->summary();
  EXPECT_THAT(s.ingest_id, ::testing::StartsWith("ingest-"));
  EXPECT_NE(s.ingest_id, second->summary().ingest_id);
  // Counts by rule cover every rejected row, not only the reported ones.
  EXPECT_EQ(s.rejected_by_rule, (std::map<std::string, int64_t>{{"allowed", 1}, {"min", 2}}));

  auto page = store_->ListDeadLetters("txns", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->dead_letters.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(page->dead_letters[i].ingest_id, s.ingest_id);
    EXPECT_EQ(page->dead_letters[i].origin, "day1.csv");
  }
  EXPECT_EQ(page->dead_letters[2].rejection.row_number, 3);
  EXPECT_EQ(page->dead_letters[3].ingest_id, second->summary().ingest_id);
  EXPECT_EQ(page->dead_letters[3].origin, "");
  EXPECT_EQ(page->dead_letters[3].raw_values, Txn("t4", "A", kT0, -7));
}

TEST_F(FeatureStoreTest, DeadLettersStoredBeforeIngestsWereNamedStillRead) {
  Ingest({Txn("t1", "A", kT0, -5)});  // counts one dead letter
  // Replace the record with the layout written before ingest ids: row
  // number, column, value, rule, reason, received time, raw cells.
  std::string old;
  codec::RecordWriter w(&old);
  w.Int(7);
  w.Str("amount");
  w.Str("-5");
  w.Str("min");
  w.Str("txns row 7: column amount: -5 is below min 0");
  w.Int(kT0);
  w.Str("t1");
  w.Str("A");
  Iterator it = temp_->db()->NewIterator(ColumnFamily::kDeadLetters);
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  ASSERT_TRUE(temp_->db()->Put(ColumnFamily::kDeadLetters, std::string(it.key()), old).ok());
  auto page = store_->ListDeadLetters("txns", 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->dead_letters.size(), 1u);
  const DeadLetter& d = page->dead_letters[0];
  EXPECT_EQ(d.rejection.row_number, 7);
  EXPECT_EQ(d.rejection.rule, "min");
  EXPECT_EQ(d.received_at, kT0);
  EXPECT_EQ(d.ingest_id, "");
  EXPECT_EQ(d.origin, "");
  EXPECT_EQ(d.raw_values, (std::vector<std::string>{"t1", "A"}));
}

TEST_F(FeatureStoreTest, AppliesThatChangeSomethingAreRecordedWithTheirActor) {
  // SetUp applied kDefinitions without an actor: record 1.
  ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false, "alice").ok());  // no change
  ASSERT_TRUE(
      store_->Apply("entities: [{name: merchant, join_key: merchant_id}]", "yaml", true, "bob")
          .ok());
  ASSERT_TRUE(
      store_->Apply("entities: [{name: merchant, join_key: merchant_id}]", "yaml", false, "carol")
          .ok());
  Reopen();
  absl::StatusOr<std::vector<ApplyRecord>> history = store_->DefinitionsHistory(0);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);  // the no-op and the dry run left no record
  EXPECT_EQ((*history)[0].number, 1u);
  EXPECT_EQ((*history)[0].changes.size(), 5u);
  const ApplyRecord& last = (*history)[1];
  EXPECT_EQ(last.number, 2u);
  EXPECT_EQ(last.actor, "carol");
  EXPECT_GT(last.applied_at, 0);
  ASSERT_EQ(last.changes.size(), 1u);
  EXPECT_EQ(last.changes[0].object_type, "entity");
  EXPECT_EQ(last.changes[0].name, "merchant");
  EXPECT_EQ(last.changes[0].kind, DefinitionChange::Kind::kCreated);
  absl::StatusOr<std::vector<ApplyRecord>> only_last = store_->DefinitionsHistory(1);
  ASSERT_TRUE(only_last.ok());
  ASSERT_EQ(only_last->size(), 1u);
  EXPECT_EQ((*only_last)[0].actor, "carol");
}

TEST_F(FeatureStoreTest, DryRunReportsButStoresNothing) {
  auto dry = store_->Apply("entities: [{name: merchant, join_key: merchant_id}]", "yaml", true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  ASSERT_EQ(dry->changes.size(), 1u);
  EXPECT_EQ(dry->changes[0].kind, DefinitionChange::Kind::kCreated);
  EXPECT_EQ(store_->GetDefinitions().FindEntity("merchant"), nullptr);
}

TEST_F(FeatureStoreTest, IncompatibleSourceChangeWithDataIsRefused) {
  Ingest({Txn("t1", "A", kT0, 10)});
  std::string changed = kDefinitions;
  const std::string from = "{name: device_id, type: STRING}";
  changed.replace(changed.find(from), from.size(), "{name: device_id, type: INT64}");
  auto r = store_->Apply(changed, "yaml", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("device_id"));
}

TEST_F(FeatureStoreTest, SourceChangeBeforeAnyEventIsAllowed) {
  std::string changed = kDefinitions;
  const std::string from = "{name: device_id, type: STRING}";
  changed.replace(changed.find(from), from.size(), "{name: device_id, type: INT64}");
  auto r = store_->Apply(changed, "yaml", false);
  ASSERT_TRUE(r.ok()) << r.status();
}

TEST_F(FeatureStoreTest, NewViewOverExistingEventsIsBackfilled) {
  Ingest({Txn("t1", "A", kT0, 10, "PAY", "D-7"), Txn("t2", "B", kT0, 5, "PAY", "D-7")});
  auto r = store_->Apply(R"yaml(
feature_views:
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: accounts_7d, function: DISTINCT_COUNT, column: account_id, window: 7d}
)yaml",
                         "yaml", false);
  ASSERT_TRUE(r.ok()) << r.status();
  FeatureSelector selector{FeatureSelector::Kind::kView, "dev", {}};
  auto f = store_->GetOnlineFeatures(selector, {{"device_id", "D-7"}}, kT0 + 1);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->features[0].value, Value(int64_t{2}));
  Reopen();
  f = store_->GetOnlineFeatures(selector, {{"device_id", "D-7"}}, kT0 + 1);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->features[0].value, Value(int64_t{2}));
}

TEST_F(FeatureStoreTest, CompositeKeysKeepEntitiesApart) {
  ASSERT_TRUE(store_
                  ->Apply(R"yaml(
feature_views:
  - name: acct_dev
    entities: [account, device]
    source: txns
    features:
      - {name: n_24h, function: COUNT, window: 24h}
)yaml",
                          "yaml", false)
                  .ok());
  Ingest({Txn("t1", "A", kT0, 1, "PAY", "D-1"), Txn("t2", "A", kT0, 1, "PAY", "D-2"),
          Txn("t3", "A", kT0, 1, "PAY", "D-2")});
  FeatureSelector selector{FeatureSelector::Kind::kView, "acct_dev", {}};
  auto f =
      store_->GetOnlineFeatures(selector, {{"account_id", "A"}, {"device_id", "D-2"}}, kT0 + 1);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->features[0].value, Value(int64_t{2}));
  auto missing = store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0 + 1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("device_id"));
}

TEST_F(FeatureStoreTest, ServiceMixingViewsWithCollidingNamesPrefixesThem) {
  ASSERT_TRUE(store_
                  ->Apply(R"yaml(
feature_views:
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: 1h}
feature_services:
  - name: mixed
    features: [acct:n_1h, dev:n_1h, acct:last_amt]
)yaml",
                          "yaml", false)
                  .ok());
  Ingest({Txn("t1", "A", kT0, 4, "PAY", "D-1"), Txn("t2", "B", kT0, 1, "PAY", "D-1")});
  FeatureSelector selector{FeatureSelector::Kind::kService, "mixed", {}};
  auto f =
      store_->GetOnlineFeatures(selector, {{"account_id", "A"}, {"device_id", "D-1"}}, kT0 + 1);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->features.size(), 3u);
  EXPECT_EQ(f->features[0].name, "acct__n_1h");
  EXPECT_EQ(f->features[0].value, Value(int64_t{1}));
  EXPECT_EQ(f->features[1].name, "dev__n_1h");
  EXPECT_EQ(f->features[1].value, Value(int64_t{2}));
  EXPECT_EQ(f->features[2].name, "acct__last_amt");
  ASSERT_EQ(f->freshness.size(), 2u);
  EXPECT_EQ(f->freshness[0].newest_event, kT0);
}

TEST_F(FeatureStoreTest, UnknownNamesAreNotFound) {
  EXPECT_EQ(store_->StartIngest("nope", {"a"}).status().code(), absl::StatusCode::kNotFound);
  FeatureSelector view{FeatureSelector::Kind::kView, "nope", {}};
  EXPECT_EQ(store_->GetOnlineFeatures(view, {}, kT0).status().code(), absl::StatusCode::kNotFound);
  FeatureSelector refs{FeatureSelector::Kind::kRefs, "", {"acct:nope"}};
  auto r = store_->GetOnlineFeatures(refs, {{"account_id", "A"}}, kT0);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no feature 'nope'"));
}

TEST_F(FeatureStoreTest, StateBeyondTheHorizonIsReclaimedAndOlderReadsComeFromStoredEvents) {
  // acct has a LAST with a TTL, so its horizon is 7d (+1d grace).
  Ingest({Txn("old", "A", kT0, 10)});
  Ingest({Txn("new", "A", kT0 + 10 * 24 * kHour, 1)});
  FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  auto recent =
      store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0 + 10 * 24 * kHour + 1);
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->served_from, ServedFrom::kOnlineState);
  EXPECT_EQ(Features("A", kT0 + 10 * 24 * kHour + 1)["amt_max_7d"], Value(1.0));
  for (int pass = 0; pass < 2; ++pass) {
    // Older than the online state keeps: answered from the event log.
    auto old = store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0 + 1);
    ASSERT_TRUE(old.ok()) << old.status();
    EXPECT_EQ(old->served_from, ServedFrom::kStoredEvents);
    EXPECT_EQ(old->at, kT0 + 1);
    EXPECT_EQ(Features("A", kT0 + 1)["amt_max_7d"], Value(10.0));
    EXPECT_EQ(Features("A", kT0 + 1)["last_amt"], Value(10.0));
    ASSERT_EQ(old->freshness.size(), 1u);
    EXPECT_EQ(old->freshness[0].view, "acct");
    EXPECT_EQ(old->freshness[0].newest_event, kT0);
    // At the oldest event itself nothing counts yet; before it, refused.
    EXPECT_EQ(Features("A", kT0)["n_1h"], Value(int64_t{0}));
    auto before = store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0 - 1);
    EXPECT_EQ(before.status().code(), absl::StatusCode::kOutOfRange);
    EXPECT_THAT(std::string(before.status().message()), HasSubstr(FormatIsoTime(kT0 - 1)));
    EXPECT_THAT(std::string(before.status().message()),
                HasSubstr("before the oldest stored event (" + FormatIsoTime(kT0) + ")"));
    Reopen();  // the reclaimed rows are gone from disk too, the events are not
  }
}

// ---- Prepared selections ----

// Two reads agree: the same features (names and values), freshness and time.
void ExpectSameRead(const absl::StatusOr<OnlineFeatures>& expected, const absl::Status& status,
                    const OnlineFeatures& got, const std::string& context) {
  ASSERT_EQ(status, expected.status()) << context;
  if (!status.ok()) return;
  ASSERT_EQ(got.features.size(), expected->features.size()) << context;
  for (size_t i = 0; i < got.features.size(); ++i) {
    EXPECT_EQ(got.features[i].name, expected->features[i].name) << context;
    EXPECT_EQ(got.features[i].value, expected->features[i].value) << context << " " << i;
  }
  ASSERT_EQ(got.freshness.size(), expected->freshness.size()) << context;
  for (size_t i = 0; i < got.freshness.size(); ++i) {
    EXPECT_EQ(got.freshness[i].view, expected->freshness[i].view) << context;
    EXPECT_EQ(got.freshness[i].newest_event, expected->freshness[i].newest_event) << context;
  }
  EXPECT_EQ(got.at, expected->at) << context;
}

TEST_F(FeatureStoreTest, PreparedReadsEqualSelectorReads) {
  ASSERT_TRUE(store_
                  ->Apply(R"yaml(
feature_views:
  - name: dev
    entities: [device]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: 1h}
      - {name: accounts_7d, function: DISTINCT_COUNT, column: account_id, window: 7d}
  - name: acct_dev
    entities: [account, device]
    source: txns
    features:
      - {name: n_24h, function: COUNT, window: 24h}
feature_services:
  - name: mixed
    features: [acct:n_1h, dev:n_1h, acct:last_amt]
)yaml",
                          "yaml", false)
                  .ok());
  Ingest({Txn("t1", "A", kT0, 4, "PAY", "D-1"), Txn("t2", "B", kT0 + kMinute, 1, "XFER", "D-1"),
          Txn("t3", "A", kT0 + kHour, 7, "XFER", "D-2"),
          Txn("t4", "A", kT0 + 3 * kHour, 2, "PAY", "D-1")});
  const std::vector<FeatureSelector> selectors = {
      {FeatureSelector::Kind::kView, "acct", {}},
      {FeatureSelector::Kind::kView, "acct_dev", {}},
      {FeatureSelector::Kind::kService, "mixed", {}},
      {FeatureSelector::Kind::kService, "acct_svc", {}},
      // Views interleaved, one of them twice.
      {FeatureSelector::Kind::kRefs,
       "",
       {"dev:accounts_7d", "acct:amt_sum_24h", "acct_dev:n_24h", "acct:last_amt", "dev:n_1h"}},
  };
  const std::vector<std::map<std::string, std::string>> entities = {
      {{"account_id", "A"}, {"device_id", "D-1"}},
      {{"account_id", "B"}, {"device_id", "D-2"}},
      {{"account_id", "NEW"}, {"device_id", "NEW"}},
      {{"account_id", "A"}},  // no device: views keyed by device fail
  };
  OnlineFeatures out;  // reused across every read, whatever it held before
  for (size_t s = 0; s < selectors.size(); ++s) {
    auto prepared = store_->PrepareSelection(selectors[s]);
    ASSERT_TRUE(prepared.ok()) << prepared.status();
    EXPECT_EQ((*prepared)->selector().name, selectors[s].name);
    for (size_t e = 0; e < entities.size(); ++e) {
      for (TimestampUs at : {kT0, kT0 + 1, kT0 + kHour + 1, kT0 + 5 * kHour}) {
        const std::string context = absl::StrCat("selector ", s, " entity ", e, " at ", at);
        absl::StatusOr<OnlineFeatures> expected =
            store_->GetOnlineFeatures(selectors[s], entities[e], at);
        absl::Status status = store_->GetOnlineFeatures(**prepared, entities[e], at, &out);
        ExpectSameRead(expected, status, out, context);
      }
    }
  }
}

TEST_F(FeatureStoreTest, PrepareFailsLikeAReadWouldAndRefusesOtherStores) {
  for (const FeatureSelector& selector :
       {FeatureSelector{FeatureSelector::Kind::kView, "nope", {}},
        FeatureSelector{FeatureSelector::Kind::kRefs, "", {"acct:nope"}},
        FeatureSelector{FeatureSelector::Kind::kRefs, "", {"no_colon"}},
        FeatureSelector{FeatureSelector::Kind::kRefs, "", {}}}) {
    EXPECT_EQ(store_->PrepareSelection(selector).status(),
              store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0).status());
  }
  auto db = Database::Open(temp_->dir() + "/other");
  ASSERT_TRUE(db.ok()) << db.status();
  auto other = FeatureStore::Open(db->get());
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->Apply(kDefinitions, "yaml", false).ok());
  auto prepared =
      (*other)->PrepareSelection(FeatureSelector{FeatureSelector::Kind::kView, "acct", {}});
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  OnlineFeatures out;
  EXPECT_EQ(store_->GetOnlineFeatures(**prepared, {{"account_id", "A"}}, kT0, &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FeatureStoreTest, PreparedSelectionsFollowDefinitionChanges) {
  FeatureSelector selector{FeatureSelector::Kind::kRefs, "", {"acct:n_1h", "acct:amt_sum_24h"}};
  auto prepared = store_->PrepareSelection(selector);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  Ingest({Txn("t1", "A", kT0, 10), Txn("t2", "A", kT0 + 2 * kHour, 5)});
  const std::map<std::string, std::string> entity = {{"account_id", "A"}};
  const TimestampUs at = kT0 + 2 * kHour + 1;
  OnlineFeatures out;
  ASSERT_TRUE(store_->GetOnlineFeatures(**prepared, entity, at, &out).ok());
  EXPECT_EQ(out.features[0].value, Value(int64_t{1}));

  // n_1h becomes a 24h count: the view is rebuilt, the selection follows.
  auto acct = [](const char* n_window, bool with_sum) {
    return absl::StrCat(R"yaml(
feature_views:
  - name: acct
    entities: [account]
    source: txns
    features:
      - {name: n_1h, function: COUNT, window: )yaml",
                        n_window, "}\n",
                        with_sum ? "      - {name: amt_sum_24h, function: SUM, column: amount, "
                                   "window: 24h}\n"
                                 : "",
                        "      - {name: xfer_n_24h, function: COUNT, window: 24h, where: "
                        "{column: kind, equals: XFER}}\n"
                        "      - {name: last_amt, function: LAST, column: amount, ttl: 48h}\n"
                        // acct_svc may not name a feature that is gone.
                        "feature_services:\n"
                        "  - name: acct_svc\n"
                        "    features: [acct:n_1h, acct:last_amt]\n");
  };
  auto applied = store_->Apply(acct("24h", true), "yaml", false);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE(store_->GetOnlineFeatures(**prepared, entity, at, &out).ok());
  EXPECT_EQ(out.features[0].value, Value(int64_t{2}));
  ExpectSameRead(store_->GetOnlineFeatures(selector, entity, at), absl::OkStatus(), out, "24h");

  // A feature it reads goes away: reads fail as a selector read does...
  ASSERT_TRUE(store_->Apply(acct("24h", false), "yaml", false).ok());
  absl::Status gone = store_->GetOnlineFeatures(**prepared, entity, at, &out);
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(gone, store_->GetOnlineFeatures(selector, entity, at).status());
  // ...and work again once it is back.
  ASSERT_TRUE(store_->Apply(acct("1h", true), "yaml", false).ok());
  ASSERT_TRUE(store_->GetOnlineFeatures(**prepared, entity, at, &out).ok());
  EXPECT_EQ(out.features[0].value, Value(int64_t{1}));
  EXPECT_EQ(out.features[1].value, Value(15.0));
}

TEST_F(FeatureStoreTest, PreparedReadsAnswerReclaimedTimesLikeSelectorReads) {
  FeatureSelector selector{FeatureSelector::Kind::kView, "acct", {}};
  auto prepared = store_->PrepareSelection(selector);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  Ingest({Txn("old", "A", kT0, 10), Txn("old2", "A", kT0 + kMinute, 4, "XFER")});
  Ingest({Txn("new", "A", kT0 + 10 * 24 * kHour, 1)});
  OnlineFeatures out;
  for (TimestampUs at : {kT0 + 2 * kMinute, kT0 + 10 * 24 * kHour + 1}) {
    const absl::Status status =
        store_->GetOnlineFeatures(**prepared, {{"account_id", "A"}}, at, &out);
    auto expected = store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, at);
    ExpectSameRead(expected, status, out, FormatIsoTime(at));
    EXPECT_EQ(out.served_from, expected->served_from);
  }
  EXPECT_EQ(out.served_from, ServedFrom::kOnlineState);  // the recent read, after the old one
  ASSERT_TRUE(
      store_->GetOnlineFeatures(**prepared, {{"account_id", "A"}}, kT0 + 2 * kMinute, &out).ok());
  EXPECT_EQ(out.served_from, ServedFrom::kStoredEvents);
  EXPECT_EQ(out.features[4].name, "xfer_n_24h");
  EXPECT_EQ(out.features[4].value, Value(int64_t{1}));
  const absl::Status before =
      store_->GetOnlineFeatures(**prepared, {{"account_id", "A"}}, kT0 - kHour, &out);
  EXPECT_EQ(before.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(before,
            store_->GetOnlineFeatures(selector, {{"account_id", "A"}}, kT0 - kHour).status());
  // A bad key is refused as on the online path.
  EXPECT_EQ(store_->GetOnlineFeatures(**prepared, {{"account_id", " "}}, kT0 + 1, &out).code(),
            absl::StatusCode::kInvalidArgument);
}

// ------------------------------------------------- data quality per source

// A source with nullable columns and no views.
constexpr char kClicks[] = R"yaml(
sources:
  - name: clicks
    timestamp_column: ts
    event_id_column: click_id
    columns:
      - {name: click_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: page, type: STRING, nullable: true}
      - {name: ms, type: INT64, nullable: true, min: 0}
)yaml";

// When rows arrive (ingest time), weeks after the events they carry (kT0).
const TimestampUs kReceived = kT0 + 27 * 24 * kHour + 2 * kHour;  // 2026-02-01T12:00:00Z

// The store's clock is pinned to now_; rows are stamped with their ingest
// time from it.
class FeatureStoreQualityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDatabase::Create("fstore-quality-test");
    ASSERT_TRUE(temp.ok()) << temp.status();
    temp_ = *std::move(temp);
    Reopen();
    ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false).ok());
    ASSERT_TRUE(store_->Apply(kClicks, "yaml", false).ok());
  }
  void Reopen() {
    store_.reset();
    ASSERT_TRUE(temp_->Reopen().ok());
    FeatureStore::Options options;
    options.clock = [this] { return now_; };
    auto store = FeatureStore::Open(temp_->db(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  IngestSummary Ingest(const std::string& source, const std::vector<std::string>& columns,
                       const std::vector<std::vector<std::string>>& rows) {
    auto writer = store_->StartIngest(source, columns);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return {};
    absl::Status s = (*writer)->WriteText(rows, 0);
    EXPECT_TRUE(s.ok()) << s;
    return (*writer)->summary();
  }
  IngestSummary IngestTxns(const std::vector<std::vector<std::string>>& rows) {
    return Ingest("txns", {"txn_id", "account_id", "device_id", "ts", "amount", "kind"}, rows);
  }
  IngestSummary IngestClicks(const std::vector<std::vector<std::string>>& rows) {
    return Ingest("clicks", {"click_id", "ts", "page", "ms"}, rows);
  }

  SourceQualityReport Quality(const std::string& source, TimestampUs since, TimestampUs until,
                              DurationUs bucket) {
    auto r = store_->GetSourceQuality(source, since, until, bucket);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SourceQualityReport{};
  }

  static std::vector<std::string> Txn(std::string id, std::string amount, std::string kind = "PAY",
                                      std::string account = "A") {
    return {std::move(id),      std::move(account), "D-1",
            FormatIsoTime(kT0), std::move(amount),  std::move(kind)};
  }
  static std::vector<std::string> Click(std::string id, std::string page, std::string ms) {
    return {std::move(id), FormatIsoTime(kT0), std::move(page), std::move(ms)};
  }

  TimestampUs now_ = kReceived + 30 * kMicrosPerSecond;
  std::unique_ptr<TempDatabase> temp_;
  std::unique_ptr<FeatureStore> store_;
};

TEST_F(FeatureStoreQualityTest, CountsByRuleMatchTheSummaryAndTheDeadLetters) {
  IngestSummary s = IngestTxns({Txn("t1", "-5"),                        // min
                                Txn("t2", "1", "REFUND"),               // allowed
                                Txn("t3", "2"),                         // accepted
                                Txn("t3", "2"),                         // duplicate
                                Txn("t4", "1", "PAY", ""),              // not_null
                                Txn("t5", "abc"),                       // type
                                {"t6", "A"},                            // column_count
                                Txn("t7", "3")});                       // accepted
  IngestSummary again = IngestTxns({Txn("t3", "2"), Txn("t8", "-1")});  // duplicate, min

  SourceQualityReport r = Quality("txns", kReceived, kReceived + kMinute, kMinute);
  EXPECT_EQ(r.total.accepted, s.accepted + again.accepted);
  EXPECT_EQ(r.total.rejected, s.rejected + again.rejected);
  EXPECT_EQ(r.total.duplicates, s.duplicates + again.duplicates);
  EXPECT_EQ(r.total.accepted, 2);
  EXPECT_EQ(r.total.rejected, 6);
  EXPECT_EQ(r.total.duplicates, 2);
  EXPECT_EQ(r.total.rejected_by_rule,
            (std::map<std::string, int64_t>{
                {"allowed", 1}, {"column_count", 1}, {"min", 2}, {"not_null", 1}, {"type", 1}}));
  // The same rules as the dead letters.
  auto page = store_->ListDeadLetters("txns", 100, "");
  ASSERT_TRUE(page.ok()) << page.status();
  std::map<std::string, int64_t> dead;
  for (const DeadLetter& d : page->dead_letters) {
    ++dead[d.rejection.rule];
    EXPECT_EQ(d.received_at, now_);  // stamped by the same clock
  }
  EXPECT_EQ(dead, r.total.rejected_by_rule);
  // Every column is listed, in source order, with its (zero) nulls.
  EXPECT_EQ(r.columns, (std::vector<std::string>{"txn_id", "account_id", "device_id", "ts",
                                                 "amount", "kind"}));
  EXPECT_EQ(r.total.nulls, std::vector<int64_t>(6, 0));
  ASSERT_EQ(r.buckets.size(), 1u);
  EXPECT_EQ(r.buckets[0].start, kReceived);
  EXPECT_EQ(r.buckets[0].counts, r.total);
}

TEST_F(FeatureStoreQualityTest, NullsAreCountedAmongAcceptedRowsOnly) {
  IngestSummary s = IngestClicks({Click("c1", "", "5"),     // page null
                                  Click("c2", "", ""),      // both null
                                  Click("c3", "home", ""),  // ms null
                                  Click("c4", "", "-1"),    // rejected: its null is not counted
                                  Click("c1", "", "")});    // duplicate: not counted
  EXPECT_EQ(s.accepted, 3);
  // A header without the nullable column: every row's ms is null.
  Ingest("clicks", {"click_id", "ts", "page"},
         {{"c5", FormatIsoTime(kT0), "home"}, {"c6", FormatIsoTime(kT0), ""}});
  // Typed rows count their nulls the same way.
  auto writer = store_->StartIngest("clicks", {"click_id", "ts", "page", "ms"});
  ASSERT_TRUE(writer.ok());
  const std::vector<std::vector<Value>> typed = {
      {Value(std::string("c7")), Value(kT0), Value(), Value(int64_t{1})}};
  ASSERT_TRUE((*writer)->WriteValues(typed, 0).ok());

  SourceQualityReport r = Quality("clicks", kReceived, kReceived + kHour, kHour);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"click_id", "ts", "page", "ms"}));
  EXPECT_EQ(r.total.accepted, 6);
  EXPECT_EQ(r.total.rejected, 1);
  EXPECT_EQ(r.total.duplicates, 1);
  EXPECT_EQ(r.total.rejected_by_rule, (std::map<std::string, int64_t>{{"min", 1}}));
  //                       click_id ts page          ms
  EXPECT_EQ(r.total.nulls, (std::vector<int64_t>{0, 0, 2 + 1 + 1, 2 + 2}));
}

TEST_F(FeatureStoreQualityTest, BucketsFollowIngestTimeNotEventTime) {
  now_ = kReceived + 59 * kMicrosPerSecond;  // the last instant of 12:00
  IngestTxns({Txn("t1", "1")});
  now_ = kReceived + kMinute;  // 12:01 exactly
  IngestTxns({Txn("t2", "1"), Txn("t3", "1")});
  now_ = kReceived + kHour + 5 * kMinute;  // 13:05
  IngestTxns({Txn("t4", "-1")});

  SourceQualityReport minutes = Quality("txns", kReceived, kReceived + 2 * kHour, kMinute);
  ASSERT_EQ(minutes.buckets.size(), 3u);
  EXPECT_EQ(minutes.buckets[0].start, kReceived);
  EXPECT_EQ(minutes.buckets[0].counts.accepted, 1);
  EXPECT_EQ(minutes.buckets[1].start, kReceived + kMinute);
  EXPECT_EQ(minutes.buckets[1].counts.accepted, 2);
  EXPECT_EQ(minutes.buckets[2].start, kReceived + kHour + 5 * kMinute);
  EXPECT_EQ(minutes.buckets[2].counts.rejected, 1);

  SourceQualityReport hours = Quality("txns", kReceived, kReceived + 2 * kHour, kHour);
  ASSERT_EQ(hours.buckets.size(), 2u);
  EXPECT_EQ(hours.buckets[0].start, kReceived);
  EXPECT_EQ(hours.buckets[0].counts.accepted, 3);
  EXPECT_EQ(hours.buckets[1].start, kReceived + kHour);
  EXPECT_EQ(hours.buckets[1].counts.rejected, 1);
  EXPECT_EQ(hours.total.accepted, 3);

  // A window that starts at 12:01 leaves out the 12:00 minute.
  EXPECT_EQ(Quality("txns", kReceived + kMinute, kReceived + kHour, kHour).total.accepted, 2);
  // Nothing is filed under the events' own time.
  EXPECT_TRUE(Quality("txns", kT0 - kHour, kT0 + kHour, kHour).buckets.empty());

  // The recent window ends with the bucket holding the clock's now (13:05).
  auto recent = store_->GetRecentSourceQuality("txns", 2 * kHour, kHour);
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->since, kReceived);
  EXPECT_EQ(recent->until, kReceived + 2 * kHour);
  EXPECT_EQ(recent->total.accepted, 3);
  EXPECT_EQ(recent->total.rejected, 1);
}

TEST_F(FeatureStoreQualityTest, CountsSurviveARestartAndKeepAddingUp) {
  IngestClicks({Click("c1", "", "1"), Click("c2", "x", "")});
  Reopen();
  // Same minute after the restart: added to the stored record, not over it.
  IngestClicks({Click("c3", "", "1"), Click("c4", "x", "-2")});
  SourceQualityReport r = Quality("clicks", kReceived, kReceived + kMinute, kMinute);
  EXPECT_EQ(r.total.accepted, 3);
  EXPECT_EQ(r.total.rejected, 1);
  EXPECT_EQ(r.total.nulls, (std::vector<int64_t>{0, 0, 2, 1}));
  Reopen();
  EXPECT_EQ(Quality("clicks", kReceived, kReceived + kMinute, kMinute).total, r.total);
}

TEST_F(FeatureStoreQualityTest, ANewNullableColumnIsCountedFromThenOn) {
  IngestClicks({Click("c1", "", "1")});
  ASSERT_TRUE(
      store_
          ->Apply(std::string(kClicks) + "      - {name: ref, type: STRING, nullable: true}\n",
                  "yaml", false)
          .ok());
  IngestClicks({Click("c2", "", "1")});  // ref absent: null
  SourceQualityReport r = Quality("clicks", kReceived, kReceived + kMinute, kMinute);
  EXPECT_EQ(r.columns.back(), "ref");
  EXPECT_EQ(r.total.nulls, (std::vector<int64_t>{0, 0, 2, 0, 1}));
}

TEST_F(FeatureStoreQualityTest, RecordsPastTheRetentionAreDeleted) {
  IngestTxns({Txn("t1", "1")});
  now_ += 30 * 24 * kHour;
  IngestTxns({Txn("t2", "1")});
  now_ += 61 * 24 * kHour;  // 91 days after the first
  IngestTxns({Txn("t3", "1")});
  const DurationUs day = 24 * kHour;
  SourceQualityReport r = Quality("txns", kReceived - day, kReceived + 100 * day, day);
  ASSERT_EQ(r.buckets.size(), 2u);
  EXPECT_EQ(r.buckets[0].start, FloorToMultiple(kReceived + 30 * day, day));
  EXPECT_EQ(r.total.accepted, 2);
}

TEST_F(FeatureStoreQualityTest, BadRequestsAreRefusedNamingTheValue) {
  auto unknown = store_->GetSourceQuality("nosuch", kReceived, kReceived + kHour, kHour);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown source 'nosuch'"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("clicks"));
  EXPECT_EQ(store_->GetRecentSourceQuality("nosuch", kHour, kHour).status().code(),
            absl::StatusCode::kNotFound);

  auto odd = store_->GetSourceQuality("txns", kReceived, kReceived + kHour, 90 * kMicrosPerSecond);
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(odd.status().message(), HasSubstr("bucket 90s"));
  auto zero = store_->GetRecentSourceQuality("txns", kHour, 0);
  EXPECT_THAT(zero.status().message(), HasSubstr("bucket 0us"));
  auto empty = store_->GetSourceQuality("txns", kReceived, kReceived, kHour);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  auto window = store_->GetRecentSourceQuality("txns", -kHour, kHour);
  EXPECT_THAT(window.status().message(), HasSubstr("window -3600000000us"));
}

}  // namespace
}  // namespace fstore
