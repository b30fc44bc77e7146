#include "serving/feedback_store.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "serving/keys.h"
#include "storage/record_codec.h"

namespace fstore {
namespace {

constexpr size_t kUnknownExamples = 10;

std::string Encode(const LabelledRequest& l) {
  std::string out;
  codec::PutInt64(&out, l.label);
  codec::PutInt64(&out, l.labelled_at);
  codec::PutString(&out, EncodeServedRequest(l.served));
  return out;
}

bool Decode(absl::string_view in, LabelledRequest* l) {
  int64_t label = 0;
  std::string served;
  if (!codec::GetInt64(&in, &label) || (label != 0 && label != 1) ||
      !codec::GetInt64(&in, &l->labelled_at) || !codec::GetString(&in, &served) || !in.empty()) {
    return false;
  }
  l->label = static_cast<int>(label);
  return DecodeServedRequest(served, &l->served);
}

std::string KeysText(const std::map<std::string, std::string>& entity) {
  return absl::StrJoin(entity, ",", absl::PairFormatter("="));
}

bool HoldsKeys(const ServedRequest& r, const std::map<std::string, std::string>& keys) {
  for (const auto& [k, v] : keys) {
    auto it = r.entity.find(k);
    if (it == r.entity.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<ServedRequest>> FeedbackStore::Resolve(const FeedbackLabel& label,
                                                                  DurationUs match_within) const {
  if (!label.request_id.empty()) {
    FSTORE_ASSIGN_OR_RETURN(ServedRequest r, log_->Find(label.request_id));
    if (!label.model.empty() && r.model != label.model) {
      return absl::NotFoundError(absl::StrCat("request id ", QuotedValue(label.request_id),
                                              " was scored by ", r.model, ", not ", label.model));
    }
    return std::vector<ServedRequest>{std::move(r)};
  }
  // Per model version, the nearest request holding the keys.
  std::map<std::pair<std::string, int64_t>, ServedRequest> nearest;
  const TimestampUs since = label.at > std::numeric_limits<int64_t>::min() + match_within
                                ? label.at - match_within
                                : label.at;
  const TimestampUs until = label.at < std::numeric_limits<int64_t>::max() - match_within - 1
                                ? label.at + match_within + 1
                                : label.at;
  FSTORE_RETURN_IF_ERROR(log_->Scan(since, until, [&](const ServedRequest& r) {
    if ((!label.model.empty() && r.model != label.model) || !HoldsKeys(r, label.entity)) {
      return absl::OkStatus();
    }
    auto [it, inserted] = nearest.try_emplace(std::make_pair(r.model, r.version), r);
    // Scan is in time order, so a tie keeps the earlier one.
    if (!inserted && std::llabs(r.at - label.at) < std::llabs(it->second.at - label.at)) {
      it->second = r;
    }
    return absl::OkStatus();
  }));
  if (nearest.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no request", label.model.empty() ? "" : absl::StrCat(" of model ", label.model), " for ",
        KeysText(label.entity), " was scored within ", FormatDuration(match_within), " of ",
        FormatIsoTime(label.at)));
  }
  std::vector<ServedRequest> out;
  for (auto& [version, r] : nearest) out.push_back(std::move(r));
  return out;
}

absl::StatusOr<FeedbackSummary> FeedbackStore::Record(absl::Span<const FeedbackLabel> labels,
                                                      const RecordOptions& options) {
  if (options.match_within < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("match_within ", FormatDuration(options.match_within), " is negative"));
  }
  for (const FeedbackLabel& l : labels) {
    if (l.label != 0 && l.label != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", l.row, ": label ", l.label, " is not 0 or 1"));
    }
    if (l.request_id.empty() && (l.entity.empty() || l.at == 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", l.row, ": a label needs a request id, or entity keys and a time"));
    }
  }
  absl::MutexLock lock(&record_mu_);
  // Requests scored just before the labels arrive are matched too.
  FSTORE_RETURN_IF_ERROR(log_->Flush());

  FeedbackSummary summary;
  summary.labels = static_cast<int64_t>(labels.size());
  // Key -> the labelled request; a later label of the same request wins.
  std::map<std::string, LabelledRequest> resolved;
  const TimestampUs now = clock_();
  for (const FeedbackLabel& l : labels) {
    absl::StatusOr<std::vector<ServedRequest>> found = Resolve(l, options.match_within);
    if (!found.ok()) {
      if (!absl::IsNotFound(found.status())) return found.status();
      const std::string why = absl::StrCat("row ", l.row, ": ", found.status().message());
      if (!options.skip_unknown) {
        return absl::NotFoundError(
            absl::StrCat(why, "; nothing was recorded (skip unknown labels to record the rest)"));
      }
      ++summary.unknown;
      if (summary.unknown_examples.size() < kUnknownExamples) {
        summary.unknown_examples.push_back(why);
      }
      continue;
    }
    for (ServedRequest& r : *found) {
      std::string key = serving_keys::Feedback(r.model, r.at, r.request_id);
      resolved[std::move(key)] = LabelledRequest{std::move(r), l.label, now};
    }
  }

  WriteBatch write(*db_);
  constexpr ColumnFamily cf = ColumnFamily::kFeedback;
  std::set<std::pair<std::string, int64_t>> versions;
  for (const auto& [key, labelled] : resolved) {
    FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> existing, db_->Get(cf, key));
    if (existing.has_value()) {
      ++summary.relabelled;
    } else {
      ++summary.labelled;
    }
    write.Put(cf, key, Encode(labelled));
    versions.emplace(labelled.served.model, labelled.served.version);
  }
  if (write.Count() > 0) {
    // Synced: labels are costly to get again.
    FSTORE_RETURN_IF_ERROR(db_->Write(write, "writing feedback", WriteOptions{.sync = true}));
  }
  summary.versions.assign(versions.begin(), versions.end());
  return summary;
}

absl::Status FeedbackStore::Scan(
    absl::string_view model, TimestampUs since, TimestampUs until,
    const std::function<absl::Status(const LabelledRequest&)>& sink) const {
  const std::string start = serving_keys::FeedbackTime(model, since);
  const std::string end = serving_keys::FeedbackTime(model, until);
  Iterator it = db_->NewIterator(ColumnFamily::kFeedback, ReadOptions{.upper_bound = end});
  for (it.Seek(start); it.Valid(); it.Next()) {
    LabelledRequest l;
    if (!Decode(it.value(), &l)) {
      return absl::DataLossError(absl::StrCat("undecodable feedback record of model ", model));
    }
    FSTORE_RETURN_IF_ERROR(sink(l));
  }
  return it.status("reading feedback");
}

}  // namespace fstore
