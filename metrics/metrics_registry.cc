#include "metrics/metrics_registry.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "metrics/metrics_text_format.h"

namespace fstore {

size_t CurrentMetricShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kMetricShards;
  return shard;
}

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const Shard& s : shards_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

namespace {

constexpr size_t kSlotsPerLine = 8;

// Buckets (bounds + 1, the last is +Inf) and the sum, in whole lines.
size_t LinesPerShard(size_t bounds) { return (bounds + 2 + kSlotsPerLine - 1) / kSlotsPerLine; }

}  // namespace

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      lines_per_shard_(LinesPerShard(bounds_->size())),
      lines_(new Line[kMetricShards * lines_per_shard_]) {
  for (size_t i = 0; i < kMetricShards * lines_per_shard_; ++i) {
    for (std::atomic<uint64_t>& slot : lines_[i].slots) slot.store(0, std::memory_order_relaxed);
  }
  const uint64_t zero = std::bit_cast<uint64_t>(0.0);
  for (size_t s = 0; s < kMetricShards; ++s) Slot(s, bounds_->size() + 1).store(zero);
}

std::atomic<uint64_t>& Histogram::Slot(size_t shard, size_t index) const {
  return lines_[shard * lines_per_shard_ + index / kSlotsPerLine].slots[index % kSlotsPerLine];
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const std::vector<double>& b = *bounds_;
  const size_t bucket = std::lower_bound(b.begin(), b.end(), value) - b.begin();
  const size_t shard = CurrentMetricShard();
  Slot(shard, bucket).fetch_add(1, std::memory_order_relaxed);
  std::atomic<uint64_t>& sum = Slot(shard, b.size() + 1);
  uint64_t old_bits = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(
      old_bits, std::bit_cast<uint64_t>(std::bit_cast<double>(old_bits) + value),
      std::memory_order_relaxed)) {
  }
}

Histogram::Reading Histogram::Read() const {
  const size_t buckets = bounds_->size() + 1;
  Reading r;
  r.cumulative.assign(buckets, 0);
  for (size_t s = 0; s < kMetricShards; ++s) {
    for (size_t i = 0; i < buckets; ++i) {
      r.cumulative[i] += Slot(s, i).load(std::memory_order_relaxed);
    }
    r.sum += std::bit_cast<double>(Slot(s, buckets).load(std::memory_order_relaxed));
  }
  for (size_t i = 1; i < buckets; ++i) r.cumulative[i] += r.cumulative[i - 1];
  r.count = r.cumulative.back();
  return r;
}

namespace metrics_internal {

void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Counter& counter,
                  std::string* out) {
  AppendSampleLine(name, label_names, label_values, "", "", absl::StrCat(counter.Value()), out);
}

void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Gauge& gauge,
                  std::string* out) {
  AppendSampleLine(name, label_names, label_values, "", "", FormatSampleValue(gauge.Value()), out);
}

void AppendSeries(const std::string& name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const Histogram& histogram,
                  std::string* out) {
  const Histogram::Reading r = histogram.Read();
  const std::string bucket = name + "_bucket";
  const std::vector<double>& bounds = histogram.bounds();
  for (size_t i = 0; i < r.cumulative.size(); ++i) {
    const std::string le = i < bounds.size() ? FormatSampleValue(bounds[i]) : "+Inf";
    AppendSampleLine(bucket, label_names, label_values, "le", le, absl::StrCat(r.cumulative[i]),
                     out);
  }
  AppendSampleLine(name + "_sum", label_names, label_values, "", "", FormatSampleValue(r.sum), out);
  AppendSampleLine(name + "_count", label_names, label_values, "", "", absl::StrCat(r.count), out);
}

void AppendHeader(const std::string& name, const std::string& help, const Counter*,
                  std::string* out) {
  AppendMetricHeader(name, help, "counter", out);
}

void AppendHeader(const std::string& name, const std::string& help, const Gauge*,
                  std::string* out) {
  AppendMetricHeader(name, help, "gauge", out);
}

void AppendHeader(const std::string& name, const std::string& help, const Histogram*,
                  std::string* out) {
  AppendMetricHeader(name, help, "histogram", out);
}

}  // namespace metrics_internal

absl::Status MetricsRegistry::CheckBounds(absl::string_view name,
                                          const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram ", name, ": bucket bound ", i, " is not finite"));
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      return absl::InvalidArgumentError(absl::StrCat("histogram ", name, ": bucket bounds ",
                                                     bounds[i - 1], " and ", bounds[i],
                                                     " are not strictly ascending"));
    }
  }
  return absl::OkStatus();
}

absl::Status MetricsRegistry::Register(std::unique_ptr<metrics_internal::FamilyBase> family,
                                       absl::string_view name,
                                       const std::vector<std::string>& label_names,
                                       absl::string_view reserved_label) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric name '", name, "' is not [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& label : label_names) {
    if (!IsValidLabelName(label)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label name '", label,
                       "' is not [a-zA-Z_][a-zA-Z0-9_]* or starts with the reserved '__'"));
    }
    if (label == reserved_label) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label name '", label, "' is reserved here"));
    }
    if (!seen.insert(label).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric ", name, ": label name '", label, "' appears twice"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (!names_.insert(std::string(name)).second) {
    return absl::AlreadyExistsError(absl::StrCat("metric ", name, " is already registered"));
  }
  families_.push_back(std::move(family));
  return absl::OkStatus();
}

std::string MetricsRegistry::Render() const {
  std::vector<const metrics_internal::FamilyBase*> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  for (const metrics_internal::FamilyBase* f : families) f->AppendTo(&out);
  return out;
}

}  // namespace fstore
