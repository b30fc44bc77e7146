// FeatureStore snapshots: named high-water marks of the event log.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "storage/record_codec.h"

namespace fstore {

namespace {

std::string EncodeSnapshot(const Snapshot& s) {
  std::string value;
  codec::PutInt64(&value, s.created_at);
  codec::PutOrderedUint64(&value, s.high_water_mark);
  return value;
}

absl::StatusOr<Snapshot> DecodeSnapshot(absl::string_view name, absl::string_view value) {
  Snapshot s;
  s.name = std::string(name);
  if (!codec::GetInt64(&value, &s.created_at) ||
      !codec::GetOrderedUint64(&value, &s.high_water_mark)) {
    return absl::DataLossError(absl::StrCat("malformed snapshot record ", name));
  }
  return s;
}

absl::Status ValidateSnapshotName(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 128;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot name ", QuotedValue(name), " must be 1-128 letters, digits, '_', '-' or '.'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Snapshot> FeatureStore::Impl::CreateSnapshot(absl::string_view name) {
  Snapshot snapshot;
  snapshot.created_at = NowUs();
  if (name.empty()) {
    std::string generated = "snap-";
    for (char c : FormatIsoTime(snapshot.created_at)) {
      if (c != '-' && c != ':') generated.push_back(c);
    }
    snapshot.name = generated;
  } else {
    FSTORE_RETURN_IF_ERROR(ValidateSnapshotName(name));
    snapshot.name = std::string(name);
  }
  // Under the ingest lock, so the mark falls between two committed chunks.
  absl::MutexLock lock(&write_mu_);
  // A failed read is an error, not "absent" (which would overwrite it).
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                          db_->Get(ColumnFamily::kSnapshots, snapshot.name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot '", snapshot.name, "' already exists"));
  }
  snapshot.high_water_mark = next_seq_.load();
  FSTORE_RETURN_IF_ERROR(
      db_->Put(ColumnFamily::kSnapshots, snapshot.name, EncodeSnapshot(snapshot)));
  return snapshot;
}

absl::StatusOr<Snapshot> FeatureStore::Impl::GetSnapshot(absl::string_view name) const {
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          db_->Get(ColumnFamily::kSnapshots, name));
  if (!value.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("unknown snapshot ", QuotedValue(name), " (fsctl snapshot list)"));
  }
  return DecodeSnapshot(name, *value);
}

absl::StatusOr<std::vector<Snapshot>> FeatureStore::Impl::ListSnapshots() const {
  std::vector<Snapshot> out;
  Iterator it = db_->NewIterator(ColumnFamily::kSnapshots);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    FSTORE_ASSIGN_OR_RETURN(Snapshot s, DecodeSnapshot(it.key(), it.value()));
    out.push_back(std::move(s));
  }
  FSTORE_RETURN_IF_ERROR(it.status("listing snapshots"));
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.high_water_mark != b.high_water_mark ? a.high_water_mark < b.high_water_mark
                                                  : a.name < b.name;
  });
  return out;
}

absl::Status FeatureStore::Impl::DeleteSnapshot(absl::string_view name) {
  FSTORE_RETURN_IF_ERROR(GetSnapshot(name).status());
  return db_->Delete(ColumnFamily::kSnapshots, name);
}

}  // namespace fstore
