#include "featurestore/entity_events.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "featurestore/catalog.h"
#include "featurestore/feature_store.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

constexpr TimestampUs kT0 = 1'767'607'200'000'000;  // 2026-01-05T10:00:00Z
constexpr DurationUs kMinute = 60 * kMicrosPerSecond;

// ------------------------------------------------------------ EntityEvents

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
      - {name: kinds_1h, function: DISTINCT_COUNT, column: kind, window: 1h}
      - {name: last_kind, function: LAST, column: kind, ttl: 30m}
  - name: forever
    entities: [account]
    source: ev
    features:
      - {name: last_amount, function: LAST, column: amount}
)yaml";

struct Event {
  std::string account;
  TimestampUs ts;
  std::optional<double> amount;
  std::string kind;
};

class EntityEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fstore-entity-events-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = *Database::Open(dir_ + "/data");
    store_ = *FeatureStore::Open(db_.get());
    ASSERT_TRUE(store_->Apply(kDefinitions, "yaml", false).ok());
    catalog_ = *BuildCatalog(store_->GetDefinitions());
    // Random events of a few accounts over 6 hours, ingested in chunks out
    // of time order (late events), some kinds with commas.
    std::mt19937 rng(5);
    const std::vector<std::string> kinds = {"X", "Y", "Z,W"};
    // More events than a scanning thread resolves at once (4096).
    for (int i = 0; i < 12000; ++i) {
      Event e;
      e.account = "A" + std::to_string(rng() % 7);
      e.ts = kT0 + static_cast<int64_t>(rng() % (6 * 60)) * kMinute + rng() % 2;
      if (rng() % 5 != 0) e.amount = static_cast<double>(rng() % 1000) / 4;
      e.kind = kinds[rng() % kinds.size()];
      events_.push_back(e);
    }
    for (size_t i = 0; i < events_.size(); i += 1000) {
      auto writer = *store_->StartIngest("ev", {"id", "account_id", "ts", "amount", "kind"});
      std::vector<std::vector<std::string>> rows;
      for (size_t j = i; j < i + 1000; ++j) {
        const Event& e = events_[j];
        rows.push_back({"e" + std::to_string(j), e.account, FormatIsoTime(e.ts),
                        e.amount ? ValueToText(Value(*e.amount)) : "", e.kind});
      }
      ASSERT_TRUE(writer->WriteText(rows, 0).ok());
    }
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  const CompiledView& View(const std::string& name) { return catalog_->views.at(name); }

  // A timeline of `view` holding every event of `account`.
  EntityTimeline Reference(const CompiledView& view, const std::string& account) {
    EntityTimeline timeline(view.schema);
    for (size_t i = 0; i < events_.size(); ++i) {
      const Event& e = events_[i];
      if (e.account != account) continue;
      std::vector<Value> slots;
      for (int column : view.slot_columns) {
        Value v = e.kind;
        if (column == 3) {
          v = std::monostate{};
          if (e.amount) v = *e.amount;
        }
        slots.push_back(std::move(v));
      }
      timeline.Insert(e.ts, i, slots);
    }
    return timeline;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<FeatureStore> store_;
  std::shared_ptr<const Catalog> catalog_;
  std::vector<Event> events_;
};

// A filled timeline reads like one holding all the entity's events at every
// time in the span the set asks about, on any number of scanning threads.
TEST_F(EntityEventsTest, FilledTimelinesAgreeWithAllTheEventsWithinTheAskedSpan) {
  for (int threads : {1, 2, 5}) {
    EntitySet entities;
    // Accounts asked about over different spans; A6 not at all; A9 has no
    // events.
    entities.Add("A0", kT0 + 3 * 60 * kMinute);
    entities.Add("A0", kT0 + 4 * 60 * kMinute);
    entities.Add("A1", kT0 + 30 * kMinute);
    entities.Add("A2", kT0 + 6 * 60 * kMinute + 1);
    entities.Add("A3", kT0 + 2 * 60 * kMinute);
    entities.Add("A3", kT0 + 5 * 60 * kMinute);
    entities.Add("A9", kT0);
    for (const char* name : {"acct", "forever"}) {
      const CompiledView& view = View(name);
      EntityEventsRequest request{&view, &entities};
      auto events =
          CollectEntityEvents(*db_, *view.source, store_->NextSequence(), {&request, 1}, threads);
      ASSERT_TRUE(events.ok()) << events.status();
      ASSERT_EQ(events->size(), 1u);
      const EntityEvents& collected = (*events)[0];
      EXPECT_EQ(collected.event_count(4), 0u);  // A9
      EntityTimeline filled(view.schema);
      std::vector<Value> scratch;
      std::vector<uint32_t> order;
      for (uint32_t e = 0; e < entities.size(); ++e) {
        collected.Fill(e, &filled, &scratch, &order);
        EntityTimeline reference = Reference(view, std::string(entities.key(e)));
        for (TimestampUs at = entities.earliest(e); at <= entities.latest(e);
             at += 7 * kMinute + 1) {
          for (TimestampUs t : {at, entities.latest(e)}) {
            for (size_t f = 0; f < view.schema->features.size(); ++f) {
              ASSERT_EQ(filled.Evaluate(f, t), reference.Evaluate(f, t))
                  << name << " feature " << f << " of " << entities.key(e) << " at " << t << " on "
                  << threads << " threads";
            }
          }
        }
      }
    }
  }
}

// The entity set may be filled by `prepare` while the scan starts.
TEST_F(EntityEventsTest, EntitiesAddedWhileTheScanStartsAreThoseItKeeps) {
  const CompiledView& view = View("acct");
  auto counts = [&](int threads, bool in_prepare) {
    EntitySet entities;
    auto fill = [&] {
      // Slow enough for the scanning threads to hold more than a batch of
      // unresolved events.
      if (in_prepare) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const char* account : {"A5", "A2", "A4"}) entities.Add(account, kT0 + 6 * 60 * kMinute);
    };
    if (!in_prepare) fill();
    EntityEventsRequest request{&view, &entities};
    auto events = CollectEntityEvents(*db_, *view.source, store_->NextSequence(), {&request, 1},
                                      threads, in_prepare ? fill : std::function<void()>());
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<size_t> counts;
    for (uint32_t e = 0; e < entities.size(); ++e) counts.push_back((*events)[0].event_count(e));
    return counts;
  };
  const std::vector<size_t> expected = counts(1, false);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_GT(expected[0], 0u);
  for (int threads : {1, 2, 4}) EXPECT_EQ(counts(threads, true), expected) << threads;
}

TEST_F(EntityEventsTest, AddingEntitiesFindsEveryEntityWithEventsInOrderOfFirstEvent) {
  const CompiledView& view = View("acct");
  EntitySet entities;
  EntityEventsRequest request{&view, &entities, /*add_entities=*/true, kT0 + 60 * kMinute};
  auto events = CollectEntityEvents(*db_, *view.source, store_->NextSequence(), {&request, 1}, 4);
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<std::string> first_seen;
  for (const Event& e : events_) {
    if (std::find(first_seen.begin(), first_seen.end(), e.account) == first_seen.end()) {
      first_seen.push_back(e.account);
    }
  }
  ASSERT_EQ(entities.size(), first_seen.size());
  for (uint32_t e = 0; e < entities.size(); ++e) {
    EXPECT_EQ(entities.key(e), first_seen[e]);
    EXPECT_EQ(entities.earliest(e), kT0 + 60 * kMinute);
    EXPECT_EQ(entities.latest(e), kT0 + 60 * kMinute);
  }
}

TEST_F(EntityEventsTest, ASnapshotHidesLaterEvents) {
  const CompiledView& view = View("forever");
  EntitySet entities;
  entities.Add("A0", kT0 + 7 * 60 * kMinute);
  EntityEventsRequest request{&view, &entities};
  // The first 250 events (sequences 0..249) only.
  auto events = CollectEntityEvents(*db_, *view.source, 250, {&request, 1}, 3);
  ASSERT_TRUE(events.ok()) << events.status();
  size_t expected = 0;
  for (size_t i = 0; i < 250; ++i) expected += events_[i].account == "A0" ? 1 : 0;
  EXPECT_EQ((*events)[0].event_count(0), expected);
}

// NewestBefore looks at every event held for the entity (also those older
// than the horizon that Fill leaves out); oldest_scanned at every event the
// scan read, of any entity, below the high-water mark.
TEST_F(EntityEventsTest, NewestBeforeAndOldestScannedSeeEveryEvent) {
  const CompiledView& view = View("acct");  // horizon 1h
  for (int threads : {1, 3}) {
    EntitySet entities;
    const TimestampUs at = kT0 + 6 * 60 * kMinute + 7;
    entities.Add("A3", at);
    entities.Add("A9", at);  // no events
    EntityEventsRequest request{&view, &entities};
    auto events =
        CollectEntityEvents(*db_, *view.source, store_->NextSequence(), {&request, 1}, threads);
    ASSERT_TRUE(events.ok()) << events.status();
    const EntityEvents& collected = (*events)[0];
    TimestampUs oldest = std::numeric_limits<TimestampUs>::max();
    for (const Event& e : events_) oldest = std::min(oldest, e.ts);
    EXPECT_EQ(collected.oldest_scanned(), oldest) << threads;
    for (TimestampUs t : {kT0, kT0 + 1, kT0 + 90 * kMinute, at}) {
      std::optional<TimestampUs> expected;
      for (const Event& e : events_) {
        if (e.account == "A3" && e.ts < t && (!expected || e.ts > *expected)) expected = e.ts;
      }
      EXPECT_EQ(collected.NewestBefore(0, t), expected) << t << " on " << threads << " threads";
    }
    EXPECT_EQ(collected.NewestBefore(1, at), std::nullopt);
  }
  EntitySet none;
  EntityEventsRequest request{&view, &none};
  auto empty = CollectEntityEvents(*db_, *view.source, 0, {&request, 1}, 2);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].oldest_scanned(), std::numeric_limits<TimestampUs>::max());
}

}  // namespace
}  // namespace fstore
