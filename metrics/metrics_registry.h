// MetricsRegistry: counters, gauges and histograms with labels, rendered in
// the Prometheus text exposition format 0.0.4 (metrics_text_format.h).
//
// A family is one metric name with N fixed label names (N is part of the
// type, so a wrong number of label values does not compile). Each distinct
// tuple of label values is one series, created on first use by WithLabels
// and kept until Remove or Clear. WithLabels takes the family's mutex; hot
// paths look a series up once and keep the pointer it returns. Updating a
// series takes no lock: counters and histograms are sharded by thread
// (relaxed atomics, one cache line per shard), a gauge is one atomic.
//
// Callback gauges compute their series when rendered, for values another
// object owns (store size, model stages): always current, no bookkeeping.
//
// Render writes the families in registration order, each family's series
// ordered by label values. A family with no series renders its HELP and
// TYPE lines only. Histogram buckets are cumulative, the +Inf bucket equals
// _count; _sum may miss observations that race with the render.
//
// Thread-safety: everything here is safe for concurrent use. A registry
// must outlive the families it returns; series pointers stay valid while
// the caller holds them, even after Remove.
#ifndef FSTORE_METRICS_METRICS_REGISTRY_H_
#define FSTORE_METRICS_METRICS_REGISTRY_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace fstore {

// Threads spread their updates over this many shards of a counter or
// histogram.
inline constexpr size_t kMetricShards = 8;

// The shard the calling thread updates (assigned round-robin on first use).
size_t CurrentMetricShard();

// A monotonically increasing count.
class Counter {
 public:
  void Increment(uint64_t n = 1) {
    shards_[CurrentMetricShard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> value{0};
  };
  std::array<Shard, kMetricShards> shards_;
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in buckets with fixed upper bounds (le), plus their
// sum and count.
class Histogram {
 public:
  // `bounds`: finite, strictly ascending upper bounds; +Inf is implied.
  // Checked by MetricsRegistry::AddHistogram.
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);

  // Counts `value` in the first bucket whose bound is >= value. NaN is
  // ignored.
  void Observe(double value);

  struct Reading {
    std::vector<uint64_t> cumulative;  // bounds.size() + 1 entries; last = +Inf = count
    double sum = 0;
    uint64_t count = 0;
  };
  Reading Read() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  // One shard: a cache-line-aligned run of counters, then the sum (as the
  // bits of a double).
  struct alignas(64) Line {
    std::atomic<uint64_t> slots[8];
  };
  std::atomic<uint64_t>& Slot(size_t shard, size_t index) const;

  const std::shared_ptr<const std::vector<double>> bounds_;
  const size_t lines_per_shard_;
  std::unique_ptr<Line[]> lines_;
};

namespace metrics_internal {

// What every family shares, for rendering.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;
  virtual void AppendTo(std::string* out) const = 0;

 protected:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Counter& counter,
                  std::string* out);
void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Gauge& gauge,
                  std::string* out);
void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Histogram& histogram,
                  std::string* out);
void AppendHeader(const std::string& name, const std::string& help, const Counter*,
                  std::string* out);
void AppendHeader(const std::string& name, const std::string& help, const Gauge*, std::string* out);
void AppendHeader(const std::string& name, const std::string& help, const Histogram*,
                  std::string* out);

}  // namespace metrics_internal

// One metric name with N label names; see the file comment.
template <typename Metric, size_t N>
class Family final : public metrics_internal::FamilyBase {
 public:
  using Labels = std::array<std::string, N>;

  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::shared_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
        make_(std::move(make)) {}

  // The series with these label values, created (at zero) when absent.
  std::shared_ptr<Metric> WithLabels(const Labels& values) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Metric>& series = series_[values];
    if (series == nullptr) series = make_();
    return series;
  }
  // Stops rendering a series (holders may still update it, unseen).
  void Remove(const Labels& values) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    series_.erase(values);
  }
  void Clear() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    series_.clear();
  }
  // Removes every series whose label values `keep` rejects.
  void RetainIf(const std::function<bool(const Labels&)>& keep) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    std::erase_if(series_, [&](const auto& entry) { return !keep(entry.first); });
  }

  void AppendTo(std::string* out) const override {
    std::map<Labels, std::shared_ptr<Metric>> series;
    {
      absl::MutexLock lock(&mu_);
      series = series_;
    }
    metrics_internal::AppendHeader(name_, help_, static_cast<const Metric*>(nullptr), out);
    for (const auto& [labels, metric] : series) {
      metrics_internal::AppendSeries(name_, label_names_,
                                     std::vector<std::string>(labels.begin(), labels.end()),
                                     *metric, out);
    }
  }

 private:
  const std::function<std::shared_ptr<Metric>()> make_;
  mutable absl::Mutex mu_;
  std::map<Labels, std::shared_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
};

template <size_t N>
using CounterFamily = Family<Counter, N>;
template <size_t N>
using GaugeFamily = Family<Gauge, N>;
template <size_t N>
using HistogramFamily = Family<Histogram, N>;

// One series of a callback gauge.
template <size_t N>
struct GaugeSample {
  std::array<std::string, N> labels;
  double value = 0;
};
template <size_t N>
using GaugeCallback = std::function<std::vector<GaugeSample<N>>()>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each Add fails with InvalidArgument for a name or label name the format
  // forbids (or "le" on a histogram) and AlreadyExists for a name taken.
  // The family lives as long as the registry.
  template <size_t N>
  absl::StatusOr<CounterFamily<N>*> AddCounter(absl::string_view name, absl::string_view help,
                                               const std::string (&label_names)[N]) {
    return Add<Counter, N>(name, help, ToVector(label_names), "",
                           [] { return std::make_shared<Counter>(); });
  }
  absl::StatusOr<CounterFamily<0>*> AddCounter(absl::string_view name, absl::string_view help) {
    return Add<Counter, 0>(name, help, {}, "", [] { return std::make_shared<Counter>(); });
  }

  template <size_t N>
  absl::StatusOr<GaugeFamily<N>*> AddGauge(absl::string_view name, absl::string_view help,
                                           const std::string (&label_names)[N]) {
    return Add<Gauge, N>(name, help, ToVector(label_names), "",
                         [] { return std::make_shared<Gauge>(); });
  }
  absl::StatusOr<GaugeFamily<0>*> AddGauge(absl::string_view name, absl::string_view help) {
    return Add<Gauge, 0>(name, help, {}, "", [] { return std::make_shared<Gauge>(); });
  }

  // `bounds`: finite and strictly ascending (InvalidArgument otherwise).
  template <size_t N>
  absl::StatusOr<HistogramFamily<N>*> AddHistogram(absl::string_view name, absl::string_view help,
                                                   const std::string (&label_names)[N],
                                                   std::vector<double> bounds) {
    if (absl::Status s = CheckBounds(name, bounds); !s.ok()) return s;
    auto shared = std::make_shared<const std::vector<double>>(std::move(bounds));
    return Add<Histogram, N>(name, help, ToVector(label_names), "le",
                             [shared] { return std::make_shared<Histogram>(shared); });
  }

  // A gauge family whose series `collect` returns at each render. `collect`
  // runs on the rendering thread without the registry's lock; it must not
  // call Render.
  template <size_t N>
  absl::Status AddGaugeCallback(absl::string_view name, absl::string_view help,
                                const std::string (&label_names)[N], GaugeCallback<N> collect) {
    return Register(std::make_unique<CallbackFamily<N>>(std::string(name), std::string(help),
                                                        ToVector(label_names), std::move(collect)),
                    name, ToVector(label_names), "");
  }

  // Every family in the text format.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  template <size_t N>
  class CallbackFamily final : public metrics_internal::FamilyBase {
   public:
    CallbackFamily(std::string name, std::string help, std::vector<std::string> label_names,
                   GaugeCallback<N> collect)
        : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
          collect_(std::move(collect)) {}
    void AppendTo(std::string* out) const override {
      metrics_internal::AppendHeader(name_, help_, static_cast<const Gauge*>(nullptr), out);
      std::vector<GaugeSample<N>> samples = collect_();
      std::map<std::array<std::string, N>, double> sorted;
      for (GaugeSample<N>& s : samples) sorted[std::move(s.labels)] = s.value;
      for (const auto& [labels, value] : sorted) {
        Gauge gauge;
        gauge.Set(value);
        metrics_internal::AppendSeries(name_, label_names_,
                                       std::vector<std::string>(labels.begin(), labels.end()),
                                       gauge, out);
      }
    }

   private:
    const GaugeCallback<N> collect_;
  };

  template <size_t N>
  static std::vector<std::string> ToVector(const std::string (&names)[N]) {
    return std::vector<std::string>(names, names + N);
  }

  template <typename Metric, size_t N>
  absl::StatusOr<Family<Metric, N>*> Add(absl::string_view name, absl::string_view help,
                                         std::vector<std::string> label_names,
                                         absl::string_view reserved_label,
                                         std::function<std::shared_ptr<Metric>()> make) {
    auto family = std::make_unique<Family<Metric, N>>(std::string(name), std::string(help),
                                                      label_names, std::move(make));
    Family<Metric, N>* raw = family.get();
    if (absl::Status s = Register(std::move(family), name, label_names, reserved_label); !s.ok()) {
      return s;
    }
    return raw;
  }

  static absl::Status CheckBounds(absl::string_view name, const std::vector<double>& bounds);
  absl::Status Register(std::unique_ptr<metrics_internal::FamilyBase> family,
                        absl::string_view name, const std::vector<std::string>& label_names,
                        absl::string_view reserved_label) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<metrics_internal::FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fstore

#endif  // FSTORE_METRICS_METRICS_REGISTRY_H_
