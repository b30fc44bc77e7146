// Snapshots, historical retrieval and export through the FeatureStore, and
// the parity contract between training and serving: for any entity and T,
// online, historical and a brute-force recomputation agree exactly.
#include "featurestore/point_in_time_join.h"

#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "featurestore/catalog.h"
#include "featurestore/csv_writer.h"
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

// A store in a temp directory with the given definitions, and direct calls
// of JoinHistorical / ExportAsOf with a chosen number of threads.
class JoinFixture : public ::testing::Test {
 protected:
  void Open(const char* definitions, const FeatureStore::Options& options = {}) {
    char tmpl[] = "/tmp/fstore-pit-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = *Database::Open(dir_ + "/data");
    store_ = *FeatureStore::Open(db_.get(), options);
    auto applied = store_->Apply(definitions, "yaml", false);
    ASSERT_TRUE(applied.ok()) << applied.status();
    auto catalog = BuildCatalog(store_->GetDefinitions());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *catalog;
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Ingest(const std::string& source, const std::vector<std::string>& columns,
              const std::vector<std::vector<std::string>>& rows) {
    auto writer = store_->StartIngest(source, columns);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->WriteText(rows, 0).ok());
    ASSERT_EQ((*writer)->summary().accepted + (*writer)->summary().duplicates,
              static_cast<int64_t>(rows.size()));
  }

  std::vector<SelectedFeature> Select(const FeatureSelector& selector) {
    auto features = SelectFeatures(*catalog_, selector, /*always_prefix=*/true);
    EXPECT_TRUE(features.ok()) << features.status();
    return features.ok() ? *features : std::vector<SelectedFeature>();
  }

  // The CSV of JoinHistorical on `threads` threads at the current end of
  // the event log.
  std::string Join(const FeatureSelector& selector, const EntityRows& rows, int threads,
                   std::string* fingerprint) {
    std::string csv;
    auto result = JoinHistorical(
        *db_, Select(selector), store_->NextSequence(), rows,
        [&](absl::string_view chunk) {
          csv.append(chunk.data(), chunk.size());
          return absl::OkStatus();
        },
        JoinOptions{threads});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    EXPECT_EQ(result->row_count, static_cast<int64_t>(rows.rows.size()));
    *fingerprint = result->fingerprint;
    return csv;
  }

  std::string Export(const FeatureSelector& selector, TimestampUs at, int threads,
                     std::string* fingerprint) {
    std::string csv;
    auto result = ExportAsOf(
        *db_, Select(selector), store_->GetDefinitions().sources, store_->NextSequence(), at,
        [&](absl::string_view chunk) {
          csv.append(chunk.data(), chunk.size());
          return absl::OkStatus();
        },
        JoinOptions{threads});
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    *fingerprint = result->fingerprint;
    return csv;
  }

  // The CSV line historical retrieval must give for `cells` (the row's
  // input cells) from the online values of `selector` as of `at`.
  std::string OnlineLine(const FeatureSelector& selector,
                         const std::map<std::string, std::string>& entity, TimestampUs at,
                         const std::vector<std::string>& cells) {
    std::string line;
    AppendCsvLine(&line, cells);
    line.pop_back();
    auto online = store_->GetOnlineFeatures(selector, entity, at);
    EXPECT_TRUE(online.ok()) << online.status();
    if (!online.ok()) return "";
    for (const NamedValue& f : online->features) {
      line.push_back(',');
      AppendCsvValue(&line, f.value);
    }
    return line;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FeatureStore> store_;
  std::shared_ptr<const Catalog> catalog_;
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
  auto no_snapshot =
      store_->GetHistoricalFeatures(view, {{"account_id", "ts"}, {}, "ts"}, "nope", sink);
  EXPECT_EQ(no_snapshot.status().code(), absl::StatusCode::kNotFound);
  FeatureSelector unknown{FeatureSelector::Kind::kService, "nope", {}};
  EXPECT_EQ(store_->GetHistoricalFeatures(unknown, rows, "", sink).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PointInTimeTest, ATimestampColumnNamedTwiceIsRefusedNamingIt) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}});
  auto sink = [](absl::string_view) { return absl::OkStatus(); };
  FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  EntityRows rows;
  // The same column twice (the rows' cells would disagree on the time).
  rows.columns = {"account_id", "ts", "label", "ts"};
  rows.rows = {{"A", "2026-01-05T10:00:01Z", "0", "2026-01-05T09:00:00Z"}};
  auto twice = store_->GetHistoricalFeatures(view, rows, "", sink);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("column 'ts' twice"));
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("timestamp column"));
  // Any other column twice as well.
  rows.columns = {"account_id", "ts", "label", "label"};
  EXPECT_THAT(std::string(store_->GetHistoricalFeatures(view, rows, "", sink).status().message()),
              HasSubstr("column 'label' twice (columns 3 and 4)"));
  // The timestamp column named as the join key.
  rows.columns = {"account_id", "ts"};
  rows.timestamp_column = "account_id";
  rows.rows = {{"2026-01-05T10:00:01Z", "2026-01-05T10:00:01Z"}};
  auto key = store_->GetHistoricalFeatures(view, rows, "", sink);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(key.status().message()),
              HasSubstr("timestamp column 'account_id' is also the join key of feature view acct"));
  // None of the refused reads left a snapshot behind.
  EXPECT_TRUE(store_->ListSnapshots()->empty());
}

TEST_F(PointInTimeTest, ALatestReadLeavesNoSnapshotAndANewOneStays) {
  Ingest({{"e1", "A", kT0, 5.0, "X"}});
  EntityRows rows{{"account_id", "ts"}, {{"A", FormatIsoTime(kT0 + 1)}}, "ts"};
  std::string latest_csv, snapshot_csv;
  auto latest = store_->GetHistoricalFeatures(
      {FeatureSelector::Kind::kView, "acct", {}}, rows, "",
      [&](absl::string_view chunk) {
        latest_csv.append(chunk.data(), chunk.size());
        return absl::OkStatus();
      },
      UnnamedReadPoint::kLatest);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->snapshot, "");
  EXPECT_EQ(latest->high_water_mark, 1u);
  EXPECT_TRUE(store_->ListSnapshots()->empty());
  // The default (training's): a new snapshot, kept, with the same answer.
  auto named = store_->GetHistoricalFeatures({FeatureSelector::Kind::kView, "acct", {}}, rows, "",
                                             [&](absl::string_view chunk) {
                                               snapshot_csv.append(chunk.data(), chunk.size());
                                               return absl::OkStatus();
                                             });
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(snapshot_csv, latest_csv);
  EXPECT_THAT(named->snapshot, ::testing::StartsWith("snap-"));
  EXPECT_EQ(named->high_water_mark, 1u);
  ASSERT_EQ(store_->ListSnapshots()->size(), 1u);
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
  Ingest({{"e1", "B", kT0, 5.0, "X"},
          {"e2", "A", kT0, 7.0, "Y"},
          {"e3", "A", kT0 + kMinute, 1.0, "Y"}});
  std::string csv;
  auto r =
      store_->ExportFeatures({FeatureSelector::Kind::kRefs, "", {"acct:n_10m", "acct:last_amount"}},
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
    Ingest(
        std::vector<Event>(events.begin() + i, events.begin() + std::min(events.size(), i + 50)));
  }
  std::vector<std::pair<std::string, TimestampUs>> points;
  for (int i = 0; i < 300; ++i) {
    const Event& e = events[rng() % events.size()];
    const DurationUs offsets[] = {0,
                                  1,
                                  -1,
                                  10 * kMinute,
                                  10 * kMinute + 1,
                                  60 * kMinute,
                                  30 * kMinute + 1,
                                  static_cast<int64_t>(rng() % 3600) * kMicrosPerSecond};
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

// Many entities, late and replayed events: enough rows and events for the
// work to be cut into several blocks and scanned in several ranges.
class ManyEntitiesJoinTest : public JoinFixture {
 protected:
  void SetUp() override {
    Open(kDefinitions);
    std::mt19937 rng(77);
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < 30000; ++i) {
      const int id = i < 28000 ? i : static_cast<int>(rng() % 28000);  // replays
      const TimestampUs ts = kT0 + static_cast<int64_t>(rng() % (6 * 3600)) * kMicrosPerSecond;
      const std::string amount = rng() % 8 == 0 ? "" : std::to_string(rng() % 200);
      rows.push_back({"e" + std::to_string(id), "A" + std::to_string(rng() % kAccounts),
                      FormatIsoTime(ts), amount,
                      std::string(1, static_cast<char>('X' + rng() % 3))});
    }
    // In chunks, not sorted by time: many events arrive late.
    for (size_t i = 0; i < rows.size(); i += 5000) {
      Ingest("ev", {"id", "account_id", "ts", "amount", "kind"},
             std::vector<std::vector<std::string>>(rows.begin() + i, rows.begin() + i + 5000));
    }
    points_.columns = {"label", "account_id", "ts"};
    for (int i = 0; i < 6000; ++i) {
      // Some accounts have no events; times around and beyond the events'.
      const std::string account = "A" + std::to_string(rng() % (kAccounts + 20));
      const TimestampUs at = kT0 + static_cast<int64_t>(rng() % (8 * 3600)) * kMicrosPerSecond -
                             3600 * kMicrosPerSecond;
      points_.rows.push_back({"row " + std::to_string(i), account, std::to_string(at)});
      times_.push_back(at);
    }
  }

  static constexpr int kAccounts = 400;
  EntityRows points_;
  std::vector<TimestampUs> times_;
};

TEST_F(ManyEntitiesJoinTest, OutputDoesNotDependOnTheNumberOfThreads) {
  const FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  std::string f1;
  const std::string one = Join(view, points_, 1, &f1);
  ASSERT_EQ(std::count(one.begin(), one.end(), '\n'), 6001);
  for (int threads : {2, 3, 8}) {
    std::string f;
    EXPECT_EQ(Join(view, points_, threads, &f), one) << threads << " threads";
    EXPECT_EQ(f, f1) << threads << " threads";
  }
  // Through the store, which picks the number of threads.
  std::string through_store;
  auto result = store_->GetHistoricalFeatures(view, points_, "", [&](absl::string_view chunk) {
    through_store.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(through_store, one);
  EXPECT_EQ(result->join.fingerprint, f1);
}

TEST_F(ManyEntitiesJoinTest, TheFirstBadRowFailsTheJoinWhateverTheThreads) {
  EntityRows rows = points_;
  for (int i = 0; i < 20000; ++i) rows.rows.push_back(points_.rows[i % points_.rows.size()]);
  rows.rows[17000][2] = "soon";
  rows.rows[9000][2] = "later";
  rows.rows[12000].pop_back();
  for (int threads : {1, 3}) {
    std::string csv;
    auto result = JoinHistorical(
        *db_, Select({FeatureSelector::Kind::kView, "acct", {}}), store_->NextSequence(), rows,
        [&](absl::string_view chunk) {
          csv.append(chunk.data(), chunk.size());
          return absl::OkStatus();
        },
        JoinOptions{threads});
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("entity row 9001"));
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("'later'"));
    EXPECT_EQ(csv, "") << "no output before the rows are checked";
  }
}

TEST_F(ManyEntitiesJoinTest, ASinkErrorStopsTheJoinAndIsReturned) {
  EntityRows rows = points_;
  for (int i = 0; i < 60000; ++i) rows.rows.push_back(points_.rows[i % points_.rows.size()]);
  for (int threads : {1, 2}) {
    int calls = 0;
    auto result = JoinHistorical(
        *db_, Select({FeatureSelector::Kind::kView, "acct", {}}), store_->NextSequence(), rows,
        [&](absl::string_view) {
          return ++calls == 3 ? absl::UnavailableError("client went away") : absl::OkStatus();
        },
        JoinOptions{threads});
    EXPECT_EQ(result.status(), absl::UnavailableError("client went away"));
    EXPECT_EQ(calls, 3) << "no chunk after the failing one";
  }
}

TEST_F(ManyEntitiesJoinTest, EveryRowEqualsTheOnlineRead) {
  const FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  std::string fingerprint;
  const std::string csv = Join(view, points_, 3, &fingerprint);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), points_.rows.size() + 1);
  int mismatches = 0;
  for (size_t r = 0; r < points_.rows.size(); ++r) {
    const std::vector<std::string>& row = points_.rows[r];
    const std::string want = OnlineLine(view, {{"account_id", row[1]}}, times_[r], row);
    if (lines[r + 1] != want && ++mismatches <= 5) {
      ADD_FAILURE() << "row " << r + 1 << ": historical " << lines[r + 1] << ", online " << want;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_F(ManyEntitiesJoinTest, ExportEqualsOnlineReadsWhateverTheThreads) {
  const FeatureSelector view{FeatureSelector::Kind::kView, "acct", {}};
  const TimestampUs at = kT0 + 3 * 3600 * kMicrosPerSecond + 1;
  std::string f1;
  const std::string one = Export(view, at, 1, &f1);
  for (int threads : {2, 5}) {
    std::string f;
    EXPECT_EQ(Export(view, at, threads, &f), one) << threads << " threads";
    EXPECT_EQ(f, f1);
  }
  std::vector<std::string> lines = absl::StrSplit(one, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), kAccounts + 1u);  // every account has events
  std::string previous;
  for (size_t l = 1; l < lines.size(); ++l) {
    const std::string account = lines[l].substr(0, lines[l].find(','));
    EXPECT_LT(previous, account) << "export is ordered by key";
    previous = account;
    std::string want;
    AppendCsvField(&want, account);
    auto online = store_->GetOnlineFeatures(view, {{"account_id", account}}, at);
    ASSERT_TRUE(online.ok()) << online.status();
    for (const NamedValue& f : online->features) {
      want.push_back(',');
      AppendCsvValue(&want, f.value);
    }
    EXPECT_EQ(lines[l], want);
  }
}

// Two entities, a composite key, two sources, and a service whose features
// alternate between views keyed differently.
constexpr char kServiceDefinitions[] = R"yaml(
entities:
  - {name: account, join_key: account_id}
  - {name: device, join_key: device_id}
sources:
  - name: tx
    timestamp_column: ts
    event_id_column: id
    columns:
      - {name: id, type: STRING}
      - {name: account_id, type: STRING}
      - {name: device_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
      - {name: amount, type: DOUBLE, nullable: true}
      - {name: kind, type: STRING}
  - name: logins
    timestamp_column: ts
    columns:
      - {name: device_id, type: STRING}
      - {name: ts, type: TIMESTAMP}
feature_views:
  - name: acct
    entities: [account]
    source: tx
    features:
      - {name: n_1h, function: COUNT, window: 1h}
      - {name: sum_1h, function: SUM, column: amount, window: 1h}
      - {name: last_kind, function: LAST, column: kind}
  - name: dev
    entities: [device]
    source: tx
    features:
      - {name: accounts_1h, function: DISTINCT_COUNT, column: account_id, window: 1h}
      - {name: max_10m, function: MAX, column: amount, window: 10m}
  - name: dev_logins
    entities: [device]
    source: logins
    features:
      - {name: n_1h, function: COUNT, window: 1h}
  - name: pair
    entities: [account, device]
    source: tx
    features:
      - {name: n_1h, function: COUNT, window: 1h}
      - {name: last_amount, function: LAST, column: amount, ttl: 20m}
feature_services:
  - name: svc
    features: [acct:n_1h, dev:accounts_1h, acct:last_kind, pair:n_1h, dev_logins:n_1h,
               dev:max_10m, acct:sum_1h, pair:last_amount]
)yaml";

TEST_F(JoinFixture, ServiceOfSeveralEntityKeysEqualsOnlineReadsWhateverTheThreads) {
  Open(kServiceDefinitions);
  std::mt19937 rng(3);
  // Kinds that CSV must quote.
  const std::vector<std::string> kinds = {"X", "Y,Z", "say \"hi\""};
  std::vector<std::vector<std::string>> tx, logins;
  for (int i = 0; i < 3000; ++i) {
    const TimestampUs ts = kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kMicrosPerSecond;
    tx.push_back({"t" + std::to_string(rng() % 2800), "A" + std::to_string(rng() % 30),
                  "D" + std::to_string(rng() % 12), std::to_string(ts),
                  rng() % 6 == 0 ? "" : std::to_string(rng() % 500), kinds[rng() % kinds.size()]});
    if (i % 2 == 0) {
      logins.push_back(
          {"D" + std::to_string(rng() % 14),
           std::to_string(kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kMicrosPerSecond)});
    }
  }
  for (size_t i = 0; i < tx.size(); i += 500) {
    Ingest("tx", {"id", "account_id", "device_id", "ts", "amount", "kind"},
           std::vector<std::vector<std::string>>(tx.begin() + i, tx.begin() + i + 500));
  }
  Ingest("logins", {"device_id", "ts"}, logins);

  EntityRows rows;
  rows.columns = {"device_id", "when", "account_id", "note"};
  rows.timestamp_column = "when";
  std::vector<TimestampUs> times;
  for (int i = 0; i < 1500; ++i) {
    const TimestampUs at = kT0 + static_cast<int64_t>(rng() % (4 * 3600)) * kMicrosPerSecond;
    times.push_back(at);
    rows.rows.push_back({"D" + std::to_string(rng() % 14), FormatIsoTime(at),
                         "A" + std::to_string(rng() % 32), i % 7 == 0 ? "a, b" : "n"});
  }
  const FeatureSelector service{FeatureSelector::Kind::kService, "svc", {}};
  std::string f1;
  const std::string csv = Join(service, rows, 1, &f1);
  for (int threads : {2, 4}) {
    std::string f;
    EXPECT_EQ(Join(service, rows, threads, &f), csv) << threads << " threads";
    EXPECT_EQ(f, f1);
  }
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), rows.rows.size() + 1);
  EXPECT_EQ(lines[0],
            "device_id,when,account_id,note,acct__n_1h,dev__accounts_1h,acct__last_kind,"
            "pair__n_1h,dev_logins__n_1h,dev__max_10m,acct__sum_1h,pair__last_amount");
  int mismatches = 0;
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    const std::vector<std::string>& row = rows.rows[r];
    const std::string want =
        OnlineLine(service, {{"device_id", row[0]}, {"account_id", row[2]}}, times[r], row);
    if (lines[r + 1] != want && ++mismatches <= 5) {
      ADD_FAILURE() << "row " << r + 1 << ": historical " << lines[r + 1] << ", online " << want;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// Reads older than the online state keeps are answered from the stored
// events with exactly the values historical retrieval gives for that entity
// and time: a service of four views, windows from 10m to forever, keyed by
// account, device and both, on two sources.
TEST_F(JoinFixture, OnlineReadsOlderThanTheOnlineStateEqualHistoricalRows) {
  FeatureStore::Options options;
  options.retention_grace = 10 * kMinute;  // state older than ~1h goes soon
  Open(kServiceDefinitions, options);
  std::mt19937 rng(41);
  std::vector<std::vector<std::string>> tx, logins;
  TimestampUs oldest = std::numeric_limits<TimestampUs>::max();
  for (int i = 0; i < 800; ++i) {
    const TimestampUs ts = kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kMicrosPerSecond;
    oldest = std::min(oldest, ts);
    tx.push_back({"t" + std::to_string(i), "A" + std::to_string(rng() % 10),
                  "D" + std::to_string(rng() % 6), std::to_string(ts),
                  rng() % 6 == 0 ? "" : std::to_string(rng() % 500),
                  std::string(1, static_cast<char>('X' + rng() % 3))});
    if (i % 2 == 0) {
      const TimestampUs login = kT0 + static_cast<int64_t>(rng() % (3 * 3600)) * kMicrosPerSecond;
      oldest = std::min(oldest, login);
      logins.push_back({"D" + std::to_string(rng() % 7), std::to_string(login)});
    }
  }
  Ingest("tx", {"id", "account_id", "device_id", "ts", "amount", "kind"}, tx);
  Ingest("logins", {"device_id", "ts"}, logins);
  // Two days on, every account, device and pair is seen again: their old
  // state is reclaimed.
  const TimestampUs later = kT0 + 48 * 3600 * kMicrosPerSecond;
  std::vector<std::vector<std::string>> tx2, logins2;
  for (int a = 0; a < 10; ++a) {
    for (int d = 0; d < 7; ++d) {
      tx2.push_back({"u" + std::to_string(a * 10 + d), "A" + std::to_string(a),
                     "D" + std::to_string(d), std::to_string(later), "1", "X"});
    }
  }
  for (int d = 0; d < 7; ++d) logins2.push_back({"D" + std::to_string(d), std::to_string(later)});
  Ingest("tx", {"id", "account_id", "device_id", "ts", "amount", "kind"}, tx2);
  Ingest("logins", {"device_id", "ts"}, logins2);

  const FeatureSelector service{FeatureSelector::Kind::kService, "svc", {}};
  auto prepared = store_->PrepareSelection(service);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EntityRows rows;
  rows.columns = {"account_id", "device_id", "ts"};
  std::vector<TimestampUs> times;
  for (int i = 0; i < 40; ++i) {
    const TimestampUs at = kT0 + static_cast<int64_t>(rng() % (4 * 3600)) * kMicrosPerSecond;
    times.push_back(at);
    rows.rows.push_back(
        {"A" + std::to_string(rng() % 11), "D" + std::to_string(rng() % 8), FormatIsoTime(at)});
  }
  std::string fingerprint;
  const std::string csv = Join(service, rows, 2, &fingerprint);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), rows.rows.size() + 1);
  // The entity's newest event before `at` in each view, from the raw rows.
  auto newest = [&](const std::vector<std::vector<std::string>>& events, int key_a, int key_d,
                    int ts_column, const std::vector<std::string>& row, TimestampUs at) {
    TimestampUs best = 0;
    for (const std::vector<std::string>& e : events) {
      const TimestampUs ts = std::stoll(e[ts_column]);
      if (key_a >= 0 && e[key_a] != row[0]) continue;
      if (key_d >= 0 && e[key_d] != row[1]) continue;
      if (ts < at) best = std::max(best, ts);
    }
    return best;
  };
  OnlineFeatures out;
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    const std::vector<std::string>& row = rows.rows[r];
    const std::map<std::string, std::string> entity = {{"account_id", row[0]},
                                                       {"device_id", row[1]}};
    auto online = store_->GetOnlineFeatures(service, entity, times[r]);
    ASSERT_TRUE(online.ok()) << online.status();
    EXPECT_EQ(online->served_from, ServedFrom::kStoredEvents) << r;
    std::string line;
    AppendCsvLine(&line, row);
    line.pop_back();
    for (const NamedValue& f : online->features) {
      line.push_back(',');
      AppendCsvValue(&line, f.value);
    }
    EXPECT_EQ(line, lines[r + 1]) << "row " << r + 1;
    // The prepared read (serving's) agrees, names and freshness included.
    ASSERT_TRUE(store_->GetOnlineFeatures(**prepared, entity, times[r], &out).ok());
    EXPECT_EQ(out.served_from, ServedFrom::kStoredEvents);
    ASSERT_EQ(out.features.size(), online->features.size());
    for (size_t f = 0; f < out.features.size(); ++f) {
      EXPECT_EQ(out.features[f].name, online->features[f].name);
      EXPECT_EQ(out.features[f].value, online->features[f].value) << r << " " << f;
    }
    // Views in first-use order: acct, dev, pair, dev_logins.
    ASSERT_EQ(out.freshness.size(), 4u);
    EXPECT_EQ(out.freshness[0].view, "acct");
    EXPECT_EQ(out.freshness[0].newest_event, newest(tx, 1, -1, 3, row, times[r]));
    EXPECT_EQ(out.freshness[1].view, "dev");
    EXPECT_EQ(out.freshness[1].newest_event, newest(tx, -1, 2, 3, row, times[r]));
    EXPECT_EQ(out.freshness[2].view, "pair");
    EXPECT_EQ(out.freshness[2].newest_event, newest(tx, 1, 2, 3, row, times[r]));
    EXPECT_EQ(out.freshness[3].view, "dev_logins");
    EXPECT_EQ(out.freshness[3].newest_event, newest(logins, -1, 0, 1, row, times[r]));
  }
  // Recent times still read the online state.
  auto recent =
      store_->GetOnlineFeatures(service, {{"account_id", "A1"}, {"device_id", "D1"}}, later + 1);
  ASSERT_TRUE(recent.ok()) << recent.status();
  EXPECT_EQ(recent->served_from, ServedFrom::kOnlineState);
  // Before the oldest stored event of the service's sources: refused,
  // naming both times.
  auto before =
      store_->GetOnlineFeatures(service, {{"account_id", "A1"}, {"device_id", "D1"}}, oldest - 1);
  EXPECT_EQ(before.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(before.status().message()), HasSubstr(FormatIsoTime(oldest - 1)));
  EXPECT_THAT(std::string(before.status().message()), HasSubstr(FormatIsoTime(oldest)));
  EXPECT_THAT(std::string(before.status().message()), HasSubstr("logins, tx"));
  // At the oldest event itself: answered (nothing counts yet).
  auto at_oldest =
      store_->GetOnlineFeatures(service, {{"account_id", "A1"}, {"device_id", "D1"}}, oldest);
  ASSERT_TRUE(at_oldest.ok()) << at_oldest.status();
  EXPECT_EQ(at_oldest->features[0].value, Value(int64_t{0}));
}

// Export of a service mixing entity keys: one row per combination of its
// join keys seen together on an event, each as historical retrieval gives
// it at that time; none of a source that carries only some of the keys.
TEST_F(JoinFixture, ExportOfSeveralEntityKeysListsEveryCombinationSeen) {
  Open(kServiceDefinitions);
  Ingest("tx", {"id", "account_id", "device_id", "ts", "amount", "kind"},
         {{"t1", "A2", "D1", std::to_string(kT0), "5", "X"},
          {"t2", "A1", "D1", std::to_string(kT0 + kMinute), "7", "Y"},
          {"t3", "A1", "D2", std::to_string(kT0 + 2 * kMinute), "", "X"},
          {"t4", "A1", "D1", std::to_string(kT0 + 3 * kMinute), "1", "X"},
          {"t5", "A3", "D3", std::to_string(kT0 + 90 * kMinute), "2", "X"}});
  Ingest("logins", {"device_id", "ts"},
         {{"D1", std::to_string(kT0)}, {"D9", std::to_string(kT0 + kMinute)}});
  const FeatureSelector service{FeatureSelector::Kind::kService, "svc", {}};
  const TimestampUs at = kT0 + 10 * kMinute;
  std::string f1, f2;
  const std::string csv = Export(service, at, 1, &f1);
  EXPECT_EQ(Export(service, at, 3, &f2), csv);
  EXPECT_EQ(f1, f2);
  // The same rows through historical retrieval.
  EntityRows rows;
  rows.columns = {"account_id", "device_id", "ts"};
  for (const auto& [a, d] : std::vector<std::pair<std::string, std::string>>{
           {"A1", "D1"}, {"A1", "D2"}, {"A2", "D1"}, {"A3", "D3"}}) {
    rows.rows.push_back({a, d, std::to_string(at)});
  }
  std::string fingerprint;
  std::string expected;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(Join(service, rows, 1, &fingerprint), '\n'))) {
    if (line.empty()) continue;
    // Without the ts column (the third).
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    cells.erase(cells.begin() + 2);
    expected += absl::StrJoin(cells, ",") + "\n";
  }
  EXPECT_EQ(csv, expected);
  EXPECT_THAT(
      csv, ::testing::StartsWith("account_id,device_id,acct__n_1h,dev__accounts_1h,acct__last_kind,"
                                 "pair__n_1h,dev_logins__n_1h,dev__max_10m,acct__sum_1h,"
                                 "pair__last_amount\nA1,D1,3,2,X,2,1,7,8,1\n"));
  // Through the store, at a transient read point: no snapshot is left.
  std::string through_store;
  auto result = store_->ExportFeatures(
      service, at, "",
      [&](absl::string_view chunk) {
        through_store.append(chunk.data(), chunk.size());
        return absl::OkStatus();
      },
      UnnamedReadPoint::kLatest);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(through_store, csv);
  EXPECT_EQ(result->join.row_count, 4);
  EXPECT_EQ(result->snapshot, "");
  EXPECT_EQ(result->high_water_mark, store_->NextSequence());
  EXPECT_TRUE(store_->ListSnapshots()->empty());
}

TEST_F(JoinFixture, ExportOfEntityKeysNoSourceCarriesTogetherSaysWhatToDo) {
  Open(kServiceDefinitions);
  const FeatureSelector refs{FeatureSelector::Kind::kRefs, "", {"dev_logins:n_1h", "acct:n_1h"}};
  auto result = ExportAsOf(
      *db_, Select(refs), std::vector<Source>{*store_->GetDefinitions().FindSource("logins")},
      store_->NextSequence(), kT0, [](absl::string_view) { return absl::OkStatus(); });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("device_id and account_id"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("fsctl export VIEW"));
}

}  // namespace
}  // namespace fstore
