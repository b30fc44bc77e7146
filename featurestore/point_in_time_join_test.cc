// Snapshots, historical retrieval and export through the FeatureStore, and
// the parity contract between training and serving: for any entity and T,
// online, historical and a brute-force recomputation agree exactly.
#include <filesystem>
#include <set>
#include <random>

#include "absl/strings/str_split.h"
#include "featurestore/feature_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

constexpr char kDefinitions[] = R"yaml(
entities:
  - {name: account, join_key: account_id}
sources:
  - name: ev
    timestamp_column: ts
    event_id_column: id
    columns:
      - {name: id, type: STRING}
      - {name: account_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: amount, type: DOUBLE, nullable: true}
      - {name: kind, type: STRING}
feature_views:
  - name: acct
    entities: [account]
    source: ev
    features:
      - {name: n_10m, function: COUNT, window: 10m}
      - {name: sum_1h, function: SUM, column: amount, window: 1h}
      - {name: mean_1h, function: MEAN, column: amount, window: 1h}
      - {name: min_1h, function: MIN, column: amount, window: 1h}
      - {name: max_1h, function: MAX, column: amount, window: 1h}
      - {name: kinds_1h, function: DISTINCT_COUNT, column: kind, window: 1h}
      - {name: x_1h, function: COUNT, window: 1h, where: {column: kind, equals: X}}
      - {name: last_amount, function: LAST, column: amount, ttl: 30m}
)yaml";

constexpr TimestampUs kT0 = 1767607200LL * 1000000;
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

struct Event {
  std::string id, account;
  TimestampUs ts;
  std::optional<double> amount;
  std::string kind;
};

// The definition of every feature above, computed the slow obvious way.
Value BruteForce(const std::vector<Event>& events, const std::string& account,
                 const std::string& feature, TimestampUs at) {
  std::vector<const Event*> seen;  // distinct ids, first arrival wins
  std::set<std::string> ids;
  for (const Event& e : events) {
    if (ids.insert(e.id).second && e.account == account && e.ts < at) seen.push_back(&e);
  }
  auto in = [&](const Event* e, DurationUs w) { return at - w <= e->ts; };
  const DurationUs hour = 60 * kMinute;
  if (feature == "n_10m" || feature == "x_1h") {
    int64_t n = 0;
    for (const Event* e : seen) {
      if (feature == "n_10m" ? in(e, 10 * kMinute) : in(e, hour) && e->kind == "X") ++n;
    }
    return n;
  }
  if (feature == "kinds_1h") {
    std::set<std::string> kinds;
    for (const Event* e : seen) {
      if (in(e, hour)) kinds.insert(e->kind);
    }
    return static_cast<int64_t>(kinds.size());
  }
  if (feature == "last_amount") {
    const Event* last = nullptr;
    for (const Event* e : seen) {
      if (e->amount && (last == nullptr || e->ts >= last->ts)) last = e;  // later arrival wins ties
    }
    if (last == nullptr || last->ts < at - 30 * kMinute) return Value();
    return *last->amount;
  }
  std::vector<double> xs;
  for (const Event* e : seen) {
    if (in(e, hour) && e->amount) xs.push_back(*e->amount);
  }
  if (feature == "sum_1h") {
    double sum = 0;
    for (double x : xs) sum += x;  // small integers: exact in any order
    return sum;
  }
  if (xs.empty()) return Value();
  if (feature == "mean_1h") {
    double sum = 0;
    for (double x : xs) sum += x;
    return sum / xs.size();
  }
  if (feature == "min_1h") return *std::min_element(xs.begin(), xs.end());
  return *std::max_element(xs.begin(), xs.end());
}

class PointInTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-pit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = *Database::Open(dir_ + "/data");
    store_ = *FeatureStore::Open(db_.get());
    ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false).ok());
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Ingest(const std::vector<Event>& events) {
    auto writer = *store_->StartIngest("ev", {"id", "account_id", "ts", "amount", "kind"});
    std::vector<std::vector<std::string>> rows;
    for (const Event& e : events) {
      rows.push_back({e.id, e.account, FormatIsoTime(e.ts),
                      e.amount ? ValueToText(Value(*e.amount)) : "", e.kind});
    }
    ASSERT_TRUE(writer->WriteText(rows, 0).ok());
  }

  // Historical CSV for (account, ts) rows at a snapshot ("" = new one).
  std::string Historical(const std::vector<std::pair<std::string, TimestampUs>>& points,
                         const std::string& snapshot = "", std::string* fingerprint = nullptr,
                         absl::Status* status = nullptr) {
    EntityRows rows;
    rows.columns = {"account_id", "ts", "label"};
    for (const auto& [account, ts] : points) rows.rows.push_back({account, FormatIsoTime(ts), "0"});
    std::string csv;
    auto result = store_->GetHistoricalFeatures({FeatureSelector::Kind::kView, "acct", {}}, rows,
                                                snapshot, [&](absl::string_view chunk) {
                                                  csv.append(chunk.data(), chunk.size());
                                                  return absl::OkStatus();
                                                });
    if (status != nullptr) *status = result.status();
    if (!result.ok()) return "";
    if (fingerprint != nullptr) *fingerprint = result->join.fingerprint;
    return csv;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FeatureStore> store_;
};

TEST_F(PointInTimeTest, OneRowPerInputRowInInputOrderWithViewPrefixedColumns) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}, {"e2", "B", kT0, 7.0, "Y"}});
  const std::string csv = Historical({{"B", kT0 + 1}, {"A", kT0}, {"A", kT0 + 1}});
  EXPECT_EQ(csv,
            "account_id,ts,label,acct__n_10m,acct__sum_1h,acct__mean_1h,acct__min_1h,acct__max_1h,"
            "acct__kinds_1h,acct__x_1h,acct__last_amount\n"
            "B,2026-01-05T10:00:00.000001Z,0,1,7,7,7,7,1,0,7\n"
            "A,2026-01-05T10:00:00Z,0,0,0,,,,0,0,\n"
            "A,2026-01-05T10:00:00.000001Z,0,1,5,5,5,5,1,1,5\n");
}

TEST_F(PointInTimeTest, ASnapshotIgnoresLaterEventsEvenWithOlderTimestamps) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}});
  auto snap = store_->CreateSnapshot("before-late");
  ASSERT_TRUE(snap.ok()) << snap.status();
  Ingest({{"e0", "A", kT0 - kMinute, 100.0, "X"}});  // late: happened earlier
  const std::string at_snapshot = Historical({{"A", kT0 + kMinute}}, "before-late");
  EXPECT_THAT(at_snapshot, HasSubstr(",0,1,5,5,5,5,1,1,5\n"));
  const std::string now = Historical({{"A", kT0 + kMinute}});
  EXPECT_THAT(now, HasSubstr(",0,2,105,52.5,5,100,1,2,5\n"));
}

TEST_F(PointInTimeTest, SameRowsAndSnapshotGiveTheSameBytesAndFingerprint) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}, {"e2", "A", kT0 + kMinute, 1.5, "Y"}});
  ASSERT_TRUE(store_->CreateSnapshot("s1").ok());
  std::string f1, f2;
  const std::string a = Historical({{"A", kT0 + 2 * kMinute}, {"C", kT0}}, "s1", &f1);
  Ingest({{"e3", "A", kT0, 9.0, "X"}});
  const std::string b = Historical({{"A", kT0 + 2 * kMinute}, {"C", kT0}}, "s1", &f2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(f1, f2);
  EXPECT_EQ(f1.size(), 64u);
}

TEST_F(PointInTimeTest, BadEntityRowsFailNamingTheProblem) {
  absl::Status status;
  EntityRows rows;
  rows.columns = {"account", "ts"};
  rows.rows = {{"A", "2026-01-05T10:00:00Z"}};
  auto sink = [](absl::string_view) { return absl::OkStatus(); };
  FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  auto no_key = store_->GetHistoricalFeatures(view, rows, "", sink);
  EXPECT_THAT(std::string(no_key.status().message()), HasSubstr("no column 'account_id'"));
  rows.columns = {"account_id", "when"};
  auto no_ts = store_->GetHistoricalFeatures(view, rows, "", sink);
  EXPECT_THAT(std::string(no_ts.status().message()), HasSubstr("no timestamp column 'ts'"));
  rows.columns = {"account_id", "ts"};
  rows.rows.push_back({"B", "last tuesday"});
  auto bad_time = store_->GetHistoricalFeatures(view, rows, "", sink);
  EXPECT_THAT(std::string(bad_time.status().message()), HasSubstr("entity row 2"));
  EXPECT_THAT(std::string(bad_time.status().message()), HasSubstr("'last tuesday'"));
  auto no_snapshot = store_->GetHistoricalFeatures(view, {{"account_id", "ts"}, {}, "ts"}, "nope", sink);
  EXPECT_EQ(no_snapshot.status().code(), absl::StatusCode::kNotFound);
  FeatureSelector unknown{FeatureSelector::Kind::kService, "nope", {}};
  EXPECT_EQ(store_->GetHistoricalFeatures(unknown, rows, "", sink).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PointInTimeTest, SnapshotsAreNamedDurableAndUnique) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}});
  auto s = store_->CreateSnapshot("train-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->high_water_mark, 1u);
  EXPECT_EQ(store_->CreateSnapshot("train-1").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateSnapshot("bad name").status().code(), absl::StatusCode::kInvalidArgument);
  auto generated = store_->CreateSnapshot("");
  ASSERT_TRUE(generated.ok());
  EXPECT_THAT(generated->name, ::testing::StartsWith("snap-"));
  store_.reset();
  store_ = *FeatureStore::Open(db_.get());
  auto list = store_->ListSnapshots();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(store_->DeleteSnapshot("train-1").ok());
  EXPECT_EQ(store_->DeleteSnapshot("train-1").code(), absl::StatusCode::kNotFound);
}

TEST_F(PointInTimeTest, ExportGivesEveryEntityAsOfATime) {
  Ingest({{"e1", "B", kT0, 5.0, "X"}, {"e2", "A", kT0, 7.0, "Y"}, {"e3", "A", kT0 + kMinute, 1.0, "Y"}});
  std::string csv;
  auto r = store_->ExportFeatures({FeatureSelector::Kind::kRefs, "", {"acct:n_10m", "acct:last_amount"}},
                                  kT0 + kMinute, "", [&](absl::string_view chunk) {
                                    csv.append(chunk.data(), chunk.size());
                                    return absl::OkStatus();
                                  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->join.row_count, 2);
  EXPECT_EQ(csv, "account_id,acct__n_10m,acct__last_amount\nA,1,7\nB,1,5\n");
}

// The contract between training and serving.
TEST_F(PointInTimeTest, OnlineHistoricalAndBruteForceAgreeOnRandomStreams) {
  std::mt19937 rng(20261123);
  std::vector<Event> events;
  const std::vector<std::string> accounts = {"A", "B", "C"};
  const std::vector<std::string> kinds = {"X", "Y", "Z"};
  for (int i = 0; i < 600; ++i) {
    Event e;
    e.id = "e" + std::to_string(rng() % 500);  // some ids replay
    e.account = accounts[rng() % accounts.size()];
    e.ts = kT0 + static_cast<int64_t>(rng() % (180 * 60)) * kMicrosPerSecond;  // 3h, any order
    if (rng() % 8 != 0) e.amount = static_cast<double>(rng() % 200);
    e.kind = kinds[rng() % kinds.size()];
    events.push_back(e);
  }
  // Ingest in chunks, in arrival order (timestamps out of order).
  for (size_t i = 0; i < events.size(); i += 50) {
    Ingest(std::vector<Event>(events.begin() + i, events.begin() + std::min(events.size(), i + 50)));
  }
  std::vector<std::pair<std::string, TimestampUs>> points;
  for (int i = 0; i < 300; ++i) {
    const Event& e = events[rng() % events.size()];
    const DurationUs offsets[] = {0, 1, -1, 10 * kMinute, 10 * kMinute + 1, 60 * kMinute,
                                  30 * kMinute + 1, static_cast<int64_t>(rng() % 3600) * kMicrosPerSecond};
    points.push_back({accounts[rng() % accounts.size()], e.ts + offsets[rng() % 8]});
  }
  const std::string csv = Historical(points);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), points.size() + 1);
  const std::vector<std::string> names = {"n_10m",  "sum_1h",   "mean_1h", "min_1h",
                                          "max_1h", "kinds_1h", "x_1h",    "last_amount"};
  FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  for (size_t p = 0; p < points.size(); ++p) {
    const auto& [account, at] = points[p];
    std::vector<std::string> cells = absl::StrSplit(lines[p + 1], ',');
    auto online = store_->GetOnlineFeatures(view, {{"account_id", account}}, at);
    ASSERT_TRUE(online.ok()) << online.status();
    for (size_t f = 0; f < names.size(); ++f) {
      const Value expected = BruteForce(events, account, names[f], at);
      EXPECT_EQ(online->features[f].value, expected)
          << names[f] << " online, " << account << " at " << FormatIsoTime(at);
      EXPECT_EQ(cells[3 + f], ValueToText(expected))
          << names[f] << " historical, " << account << " at " << FormatIsoTime(at);
    }
  }
}

}  // namespace
}  // namespace fstore
