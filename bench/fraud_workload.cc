#include "bench/fraud_workload.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "registry/xgboost_booster.h"

namespace fstore {
namespace {

using Rows = std::vector<std::vector<Value>>;
using WriteFn =
    std::function<absl::Status(const std::string&, const std::vector<std::string>&, const Rows&)>;

std::string Account(int a) { return absl::StrCat("A-", a); }
std::string Device(int d) { return absl::StrCat("D-", d); }

// Emits `total` rows of one source evenly spread over [start, start + span),
// `make(i, ts)` building row i, in chunks of `chunk_rows`.
absl::Status Emit(const std::string& source, const std::vector<std::string>& columns, int64_t total,
                  TimestampUs start, DurationUs span, size_t chunk_rows,
                  const std::function<std::vector<Value>(int64_t, TimestampUs)>& make,
                  const WriteFn& write) {
  Rows rows;
  rows.reserve(chunk_rows);
  for (int64_t i = 0; i < total; ++i) {
    rows.push_back(make(i, start + static_cast<TimestampUs>(static_cast<double>(i) * span /
                                                            std::max<int64_t>(total, 1))));
    if (rows.size() == chunk_rows || i + 1 == total) {
      if (absl::Status s = write(source, columns, rows); !s.ok()) return s;
      rows.clear();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ForEachFraudChunk(const FraudWorkloadOptions& o, size_t chunk_rows,
                               const WriteFn& write) {
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> account(0, o.accounts - 1);
  std::uniform_int_distribution<int> device(0, o.devices - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // An account mostly uses its own phone; one event in ten comes from
  // another device.
  auto device_of = [&](int a) { return unit(rng) < 0.9 ? a % o.devices : device(rng); };
  const TimestampUs start = kFraudScoreAt - kFraudSpan;
  const char* kCountries[] = {"US", "CA", "GB", "DE", "FR", "BR", "MX", "IN", "PH", "AU"};
  const char* kReferrals[] = {"organic", "ad", "friend", "offerwall"};
  const char* kApps[] = {"match3", "solitaire", "bingo", "word_puzzle", "idle_rpg", "trivia"};
  const char* kReasons[] = {"play_time", "daily_bonus", "level_up", "offer", "referral"};
  const char* kCards[] = {"amazon", "google_play", "visa", "steam", "starbucks"};
  // PAYMENT 40%, TRANSFER 20%, CASH_OUT 20%, CASH_IN 15%, DEBIT 5%.
  const char* kTypes[] = {"PAYMENT",  "PAYMENT",  "PAYMENT",  "PAYMENT",  "PAYMENT",
                          "PAYMENT",  "PAYMENT",  "PAYMENT",  "TRANSFER", "TRANSFER",
                          "TRANSFER", "TRANSFER", "CASH_OUT", "CASH_OUT", "CASH_OUT",
                          "CASH_OUT", "CASH_IN",  "CASH_IN",  "CASH_IN",  "DEBIT"};
  auto pick = [&](const auto& list) {
    return std::string(list[static_cast<size_t>(unit(rng) * std::size(list))]);
  };

  if (absl::Status s = Emit(
          "accounts", {"event_id", "account_id", "signup_ts", "country", "referral"}, o.accounts,
          start - kFraudSpan, 2 * kFraudSpan, chunk_rows,
          [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
            return {absl::StrCat("acc-", i), Account(static_cast<int>(i)), ts, pick(kCountries),
                    pick(kReferrals)};
          },
          write);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Emit(
          "devices", {"event_id", "device_id", "first_seen_ts", "os", "is_emulator", "is_rooted"},
          o.devices, start - kFraudSpan, 2 * kFraudSpan, chunk_rows,
          [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
            return {absl::StrCat("dev-", i),
                    Device(static_cast<int>(i)),
                    ts,
                    std::string(unit(rng) < 0.7 ? "android" : "ios"),
                    unit(rng) < 0.03,
                    unit(rng) < 0.05};
          },
          write);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Emit(
          "sessions", {"event_id", "account_id", "device_id", "start_ts", "minutes_played", "app"},
          int64_t{o.sessions_per_account} * o.accounts, start, kFraudSpan, chunk_rows,
          [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
            const int a = account(rng);
            return {absl::StrCat("ses-", i),          Account(a), Device(device_of(a)), ts,
                    std::round(unit(rng) * 600) / 10, pick(kApps)};
          },
          write);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Emit(
          "rewards", {"event_id", "account_id", "ts", "points", "reason"},
          int64_t{o.rewards_per_account} * o.accounts, start, kFraudSpan, chunk_rows,
          [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
            return {absl::StrCat("rew-", i), Account(account(rng)), ts,
                    static_cast<int64_t>(unit(rng) * 500), pick(kReasons)};
          },
          write);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Emit(
          "redemptions", {"event_id", "account_id", "device_id", "ts", "value", "card"},
          int64_t{o.redemptions_per_account} * o.accounts, start, kFraudSpan, chunk_rows,
          [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
            const int a = account(rng);
            return {absl::StrCat("red-", i),        Account(a),  Device(device_of(a)), ts,
                    std::round(5 + unit(rng) * 95), pick(kCards)};
          },
          write);
      !s.ok()) {
    return s;
  }
  return Emit(
      "transactions",
      {"event_id", "ts", "account_id", "device_id", "type", "amount", "dest_id", "old_balance",
       "new_balance"},
      int64_t{o.txns_per_account} * o.accounts, start, kFraudSpan, chunk_rows,
      [&](int64_t i, TimestampUs ts) -> std::vector<Value> {
        const int a = account(rng);
        const double amount = std::round(std::exp(unit(rng) * 8) * 100) / 100;
        const double old_balance = std::round(unit(rng) * 500000) / 100;
        return {absl::StrCat("txn-", i), ts,           Account(a),
                Device(device_of(a)),    pick(kTypes), amount,
                Account(account(rng)),   old_balance,  std::max(0.0, old_balance - amount)};
      },
      write);
}

std::vector<FraudRequest> MakeFraudRequests(const FraudWorkloadOptions& options, int n,
                                            uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> account(0, options.accounts - 1);
  std::uniform_int_distribution<int> type(0, 4);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<FraudRequest> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int a = account(rng);
    out.push_back({Account(a), Device(a % options.devices),
                   std::round(std::exp(unit(rng) * 8) * 100) / 100, type(rng)});
  }
  return out;
}

absl::StatusOr<std::string> TrainFraudModel(int rounds, int max_depth) {
  TestBoosterSpec spec;
  spec.num_features = kFraudModelInputs;
  spec.num_rows = 5000;
  spec.rounds = rounds;
  spec.max_depth = max_depth;
  spec.missing_fraction = 0.1;
  spec.params = {{"tree_method", "hist"}};
  return TrainBoosterForTesting(spec);
}

void FillFraudVersionMetadata(const std::vector<std::string>& feature_names,
                              CreateVersionRequest* request) {
  request->training_snapshot = "bench-snapshot";
  request->dataset_fingerprint = std::string(64, 'f');
  request->params = {{"objective", "binary:logistic"},
                     {"max_depth", "6"},
                     {"eta", "0.1"},
                     {"num_boost_round", "200"},
                     {"subsample", "0.8"},
                     {"colsample_bytree", "0.8"},
                     {"min_child_weight", "1"},
                     {"tree_method", "hist"},
                     {"scale_pos_weight", "12.5"},
                     {"seed", "7"}};
  request->metrics = {{"auc", 0.91}, {"pr_auc", 0.52}, {"logloss", 0.21}};
  for (int fold = 0; fold < 5; ++fold) {
    request->metrics[absl::StrCat("fold_", fold, "_auc")] = 0.9 + 0.002 * fold;
    request->metrics[absl::StrCat("fold_", fold, "_logloss")] = 0.2 + 0.003 * fold;
  }
  for (const std::string& name : feature_names) {
    FeatureStatistics s;
    s.feature = name;
    s.count = 100000;
    s.missing = 1200;
    s.mean = 12.5;
    s.stddev = 4.25;
    s.min = 0;
    s.max = 250;
    for (int b = 0; b <= 20; ++b) s.bin_edges.push_back(12.5 * b);
    for (int b = 0; b < 20; ++b) s.bin_counts.push_back(1000 + 37 * b);
    request->feature_statistics.push_back(std::move(s));
  }
  request->risk_thresholds = {{"low", 0}, {"medium", 0.3}, {"high", 0.7}};
  request->description = "fraud_v1 model for the serving benchmarks";
  request->created_by = "bench";
}

}  // namespace fstore
