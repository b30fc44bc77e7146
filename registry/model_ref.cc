#include "registry/model_ref.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"
#include "common/status_macros.h"

namespace fstore {
namespace {

absl::Status BadRef(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid model reference ", QuotedValue(text), ": ", why,
                   " (expected NAME@STAGE, NAME@ALIAS or NAME:VERSION)"));
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

absl::Status ValidateRegistryName(absl::string_view name, absl::string_view what) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (name.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", name.substr(0, 32), "...' is longer than 128 characters"));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(what, " ", QuotedValue(name),
                                                     " has the character '", std::string(1, c),
                                                     "': use letters, digits, '_', '-' and '.'"));
    }
  }
  if (name[0] == '_' || name[0] == '-' || name[0] == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", QuotedValue(name), " must start with a letter or digit"));
  }
  return absl::OkStatus();
}

std::string ModelRef::ToString() const {
  switch (kind) {
    case Kind::kStage:
      return absl::StrCat(model, "@", StageName(stage));
    case Kind::kAlias:
      return absl::StrCat(model, "@", alias);
    case Kind::kVersion:
      return absl::StrCat(model, ":", version);
  }
  return model;
}

absl::StatusOr<ModelRef> ParseModelRef(absl::string_view text) {
  const size_t at = text.find('@');
  const size_t colon = text.find(':');
  if (at != absl::string_view::npos && colon != absl::string_view::npos) {
    return BadRef(text, "it has both '@' and ':'");
  }
  ModelRef ref;
  if (at == absl::string_view::npos && colon == absl::string_view::npos) {
    return BadRef(text, "no stage, alias or version given");
  }
  const size_t split = at != absl::string_view::npos ? at : colon;
  ref.model = std::string(text.substr(0, split));
  const absl::string_view rest = text.substr(split + 1);
  if (absl::Status s = ValidateRegistryName(ref.model, "model name"); !s.ok()) {
    return BadRef(text, s.message());
  }
  if (colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(rest, &ref.version) || ref.version < 1) {
      return BadRef(text,
                    absl::StrCat("version ", QuotedValue(rest), " is not a positive integer"));
    }
    ref.kind = ModelRef::Kind::kVersion;
    return ref;
  }
  if (auto stage = ParseStage(rest); stage.ok()) {
    ref.kind = ModelRef::Kind::kStage;
    ref.stage = *stage;
    return ref;
  }
  if (absl::Status s = ValidateRegistryName(rest, "alias"); !s.ok()) {
    return BadRef(text, s.message());
  }
  ref.kind = ModelRef::Kind::kAlias;
  ref.alias = std::string(rest);
  return ref;
}

}  // namespace fstore
