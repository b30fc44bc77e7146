// FraudWorkload: synthetic data for the serving benchmarks (docs/design.md §5),
// shaped by examples/fraud/features.yaml (service fraud_v1: 36 features of
// 9 account and device views, plus the request fields amount and type_code).
//
// Events: every source of the example over the 7 days before kFraudScoreAt,
// each source in time order (what live ingest sees), spread evenly over
// accounts and devices at random: by default 2,000 accounts with about 250
// transactions, 100 play sessions, 100 rewards and 5 redemptions each, and
// 1,000 devices with about 500 transactions each. Deterministic for a seed.
//
// The model: an XGBoost booster of `rounds` trees of `max_depth` over the
// service's 38 inputs (trained on random rows: its splits do not fit these
// features, but its size, depth and walk cost are those of a real one), and
// the metadata a trained version carries (params, per-fold metrics, feature
// statistics with histograms, risk thresholds), so that copying a version
// costs what it costs in production.
#ifndef FSTORE_BENCH_FRAUD_WORKLOAD_H_
#define FSTORE_BENCH_FRAUD_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/time_util.h"
#include "featurestore/value.h"
#include "registry/model_registry.h"

namespace fstore {

// Events cover [kFraudScoreAt - 7d, kFraudScoreAt); scores read as of
// kFraudScoreAt. Signups and first-seen devices go back 14 days.
inline constexpr TimestampUs kFraudT0 = 1767607200LL * 1000000;  // 2026-01-05T10:00:00Z
inline constexpr DurationUs kFraudSpan = 7LL * 86400 * 1000000;
inline constexpr TimestampUs kFraudScoreAt = kFraudT0 + kFraudSpan;

struct FraudWorkloadOptions {
  int accounts = 2000;
  int devices = 1000;
  int txns_per_account = 250;
  int sessions_per_account = 100;
  int rewards_per_account = 100;
  int redemptions_per_account = 5;
  uint64_t seed = 1;
};

// Calls `write(source, columns, rows)` with chunks of at most `chunk_rows`
// rows (values in `columns` order), source after source, each in time
// order. Stops at the first error `write` returns and returns it.
absl::Status ForEachFraudChunk(
    const FraudWorkloadOptions& options, size_t chunk_rows,
    const std::function<absl::Status(const std::string& source,
                                     const std::vector<std::string>& columns,
                                     const std::vector<std::vector<Value>>& rows)>& write);

// One request to score: the transaction's keys and request fields.
struct FraudRequest {
  std::string account_id;
  std::string device_id;
  double amount = 0;
  int64_t type_code = 0;
};

// `n` requests over random accounts and devices of the workload.
std::vector<FraudRequest> MakeFraudRequests(const FraudWorkloadOptions& options, int n,
                                            uint64_t seed);

// fraud_v1's model inputs, in binding order: the 36 features, then amount
// and type_code.
inline constexpr int kFraudModelInputs = 38;

// Trains the booster (JSON); takes a few seconds.
absl::StatusOr<std::string> TrainFraudModel(int rounds, int max_depth);

// What a version made by fsctl train carries besides its artifact and
// binding, for the given model inputs.
void FillFraudVersionMetadata(const std::vector<std::string>& feature_names,
                              CreateVersionRequest* request);

}  // namespace fstore

#endif  // FSTORE_BENCH_FRAUD_WORKLOAD_H_
