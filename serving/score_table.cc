#include "serving/score_table.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "featurestore/value_codec.h"
#include "serving/keys.h"
#include "storage/record_codec.h"

namespace fstore {
namespace {

std::string Encode(const ScoreRecord& r) {
  std::string out;
  codec::PutString(&out, r.model);
  codec::PutInt64(&out, r.model_version);
  codec::PutValue(&out, Value(r.fraud_score));
  codec::PutString(&out, r.risk_bucket);
  codec::PutInt64(&out, r.scored_at);
  codec::PutString(&out, r.batch_id);
  codec::PutInt64(&out, static_cast<int64_t>(r.entity.size()));
  for (const auto& [k, v] : r.entity) {
    codec::PutString(&out, k);
    codec::PutString(&out, v);
  }
  return out;
}

bool Decode(absl::string_view in, ScoreRecord* r) {
  Value score;
  int64_t n = 0;
  if (!codec::GetString(&in, &r->model) || !codec::GetInt64(&in, &r->model_version) ||
      !codec::GetValue(&in, &score) || !std::holds_alternative<double>(score) ||
      !codec::GetString(&in, &r->risk_bucket) || !codec::GetInt64(&in, &r->scored_at) ||
      !codec::GetString(&in, &r->batch_id) || !codec::GetInt64(&in, &n) || n < 0) {
    return false;
  }
  r->fraud_score = std::get<double>(score);
  for (int64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!codec::GetString(&in, &k) || !codec::GetString(&in, &v)) return false;
    r->entity.emplace(std::move(k), std::move(v));
  }
  return in.empty();
}

}  // namespace

absl::Status ScoreTable::Append(absl::Span<const ScoreRecord> records, int64_t first_row,
                                bool sync) {
  if (records.empty()) return absl::OkStatus();
  WriteBatch batch(*db_);
  for (size_t i = 0; i < records.size(); ++i) {
    const ScoreRecord& r = records[i];
    if (r.batch_id != records[0].batch_id || r.scored_at != records[0].scored_at) {
      return absl::InvalidArgumentError(
          absl::StrCat("score records of one append must share a batch; got ", records[0].batch_id,
                       " and ", r.batch_id));
    }
    batch.Put(ColumnFamily::kScores,
              serving_keys::Score(r.scored_at, r.batch_id, first_row + static_cast<int64_t>(i)),
              Encode(r));
  }
  return db_->Write(batch, "writing batch scores", WriteOptions{.sync = sync});
}

absl::Status ScoreTable::Scan(const Filter& filter,
                              const std::function<absl::Status(const ScoreRecord&)>& sink) const {
  Iterator it = db_->NewIterator(ColumnFamily::kScores);
  int64_t emitted = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    ScoreRecord r;
    if (!Decode(it.value(), &r)) {
      return absl::DataLossError(
          absl::StrCat("undecodable score record at key ", absl::BytesToHexString(it.key())));
    }
    if (!filter.model.empty() && r.model != filter.model) continue;
    if (!filter.batch_id.empty() && r.batch_id != filter.batch_id) continue;
    if (absl::Status s = sink(r); !s.ok()) return s;
    if (filter.limit > 0 && ++emitted >= filter.limit) break;
  }
  return it.status("reading batch scores");
}

}  // namespace fstore
