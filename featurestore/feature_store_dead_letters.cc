// FeatureStore dead letters: the stored form of a rejected row and the paged
// listing of a source's dead letters.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"
#include "featurestore/feature_store_impl.h"
#include "featurestore/keys.h"
#include "storage/record_codec.h"

namespace fstore {

namespace {

// Records written since ingests are named open with this marker where the
// first layout had the row number, which is never negative.
constexpr int64_t kNamedIngestLayout = -2;

}  // namespace

// A dead letter record (kDeadLetters): the layout marker, the rejection,
// when it was received, the ingest id and origin, then the row's raw cells
// until the end. Appends to *out.
void EncodeDeadLetter(const Rejection& rejection, TimestampUs received_at,
                      absl::string_view ingest_id, absl::string_view origin,
                      const std::vector<std::string>& raw, std::string* out) {
  codec::RecordWriter w(out);
  w.Int(kNamedIngestLayout);
  w.Int(rejection.row_number);
  w.Str(rejection.column);
  w.Str(rejection.value);
  w.Str(rejection.rule);
  w.Str(rejection.reason);
  w.Int(received_at);
  w.Str(ingest_id);
  w.Str(origin);
  for (const std::string& cell : raw) w.Str(cell);
}

// Reads a record of EncodeDeadLetter, or of the first layout (no marker, no
// ingest id or origin), into *d (but its source); false when malformed.
bool DecodeDeadLetter(absl::string_view value, DeadLetter* d) {
  codec::RecordReader r(value);
  const int64_t first = r.Int();
  const bool named = first == kNamedIngestLayout;
  d->rejection.row_number = named ? r.Int() : first;
  r.Str(&d->rejection.column);
  r.Str(&d->rejection.value);
  r.Str(&d->rejection.rule);
  r.Str(&d->rejection.reason);
  d->received_at = r.Int();
  if (named) {
    r.Str(&d->ingest_id);
    r.Str(&d->origin);
  }
  while (!r.failed() && !r.AtEnd()) d->raw_values.push_back(r.Str());
  return r.ok();
}

absl::StatusOr<int64_t> FeatureStore::Impl::CountOf(const std::string& key) const {
  FSTORE_ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(ColumnFamily::kMeta, key));
  if (!value.has_value()) return 0;
  uint64_t count = 0;
  if (!keys::DecodeCounter(*value, &count)) {
    return absl::DataLossError(absl::StrCat("malformed counter ", key));
  }
  return static_cast<int64_t>(count);
}

absl::StatusOr<DeadLetterPage> FeatureStore::Impl::ListDeadLetters(
    absl::string_view source, int page_size, absl::string_view page_token) const {
  if (catalog()->definitions.FindSource(source) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown source ", QuotedValue(source)));
  }
  if (page_size <= 0) page_size = 100;
  uint64_t start = 0;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &start)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid page token ", QuotedValue(page_token)));
  }
  DeadLetterPage page;
  FSTORE_ASSIGN_OR_RETURN(page.total, CountOf(keys::DeadLetterCount(source)));
  const std::string prefix = keys::DeadLetters(source);
  Iterator it = db_->NewIterator(ColumnFamily::kDeadLetters);
  for (it.Seek(keys::DeadLetter(source, start)); it.Valid() && absl::StartsWith(it.key(), prefix);
       it.Next()) {
    absl::string_view name;
    uint64_t seq = 0;
    if (!keys::DecodeDeadLetter(it.key(), &name, &seq)) {
      return absl::DataLossError(absl::StrCat("malformed dead letter key of ", source));
    }
    if (page.dead_letters.size() == static_cast<size_t>(page_size)) {
      page.next_page_token = absl::StrCat(seq);
      break;
    }
    DeadLetter d;
    d.source = std::string(source);
    if (!DecodeDeadLetter(it.value(), &d)) {
      return absl::DataLossError(absl::StrCat("malformed dead letter ", seq, " of ", source));
    }
    page.dead_letters.push_back(std::move(d));
  }
  FSTORE_RETURN_IF_ERROR(it.status("reading dead letters"));
  return page;
}

}  // namespace fstore
