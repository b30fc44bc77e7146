#include "client/command_line.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/quoted_value.h"

namespace fstore::cli {
namespace {

constexpr absl::string_view kUsagePayload = "type.fstore/cli.UsageError";

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUsagePayload).has_value();
}

absl::StatusOr<std::string> RequiredFlag(const ParsedArgs& args, absl::string_view name) {
  std::optional<std::string> value = args.Get(name);
  if (!value || value->empty()) return UsageError(absl::StrCat("--", name, " is required"));
  return *value;
}

absl::StatusOr<std::optional<int64_t>> IntFlag(const ParsedArgs& args, absl::string_view name,
                                               int64_t min, int64_t max) {
  std::optional<std::string> text = args.Get(name);
  if (!text) return std::nullopt;
  int64_t n = 0;
  if (!absl::SimpleAtoi(*text, &n) || n < min || n > max) {
    return UsageError(absl::StrCat("--", name, " ", QuotedValue(*text),
                                   " must be a whole number from ", min, " to ", max));
  }
  return n;
}

absl::StatusOr<std::optional<TimestampUs>> TimeFlag(const ParsedArgs& args,
                                                    absl::string_view name) {
  std::optional<std::string> text = args.Get(name);
  if (!text) return std::nullopt;
  absl::StatusOr<TimestampUs> t = ParseTimeArg(*text, NowUs());
  if (!t.ok()) return UsageError(absl::StrCat("--", name, ": ", t.status().message()));
  return *t;
}

bool ParsedArgs::Has(absl::string_view name) const {
  return flags.find(std::string(name)) != flags.end();
}

std::optional<std::string> ParsedArgs::Get(absl::string_view name) const {
  auto [begin, end] = flags.equal_range(std::string(name));
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;
}

std::vector<std::string> ParsedArgs::GetAll(absl::string_view name) const {
  std::vector<std::string> values;
  auto [begin, end] = flags.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::string UnknownFlagMessage(absl::string_view name, const std::vector<FlagSpec>& known) {
  std::vector<std::string> names;
  for (const FlagSpec& f : known) names.push_back(f.name);
  std::string message = absl::StrCat("unknown flag --", ShortenedValue(name));
  if (std::string near = NearestName(name, names); !near.empty()) {
    absl::StrAppend(&message, "; did you mean --", near, "?");
  }
  return message;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& argv,
                                     const std::vector<FlagSpec>& known,
                                     std::vector<std::string>* unknown) {
  ParsedArgs out;
  bool flags_ended = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (flags_ended || arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      if (arg == "--") {
        flags_ended = true;
        continue;
      }
      out.words.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : known) {
      if (f.name == name) spec = &f;
    }
    if (spec == nullptr) {
      if (unknown == nullptr) return UsageError(UnknownFlagMessage(name, known));
      unknown->push_back(name);
      continue;
    }
    std::string value;
    if (spec->value_name.empty()) {
      if (eq != std::string::npos) {
        return UsageError(absl::StrCat("flag --", name, " takes no value (got ",
                                       QuotedValue(arg.substr(eq + 1)), ")"));
      }
      value = "true";
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      return UsageError(
          absl::StrCat("flag --", name, " needs a value: --", name, "=", spec->value_name));
    }
    if (!spec->repeated && out.Has(name)) {
      return UsageError(absl::StrCat("flag --", name, " given twice"));
    }
    out.flags.emplace(name, std::move(value));
  }
  return out;
}

absl::StatusOr<std::optional<DurationUs>> PositiveDurationFlag(const ParsedArgs& args,
                                                               absl::string_view name,
                                                               absl::string_view example) {
  std::optional<std::string> text = args.Get(name);
  if (!text) return std::nullopt;
  absl::StatusOr<DurationUs> d = ParseDuration(*text);
  if (!d.ok() || *d <= 0) {
    return UsageError(absl::StrCat("--", name, " ", QuotedValue(*text),
                                   " must be a positive duration such as ", example));
  }
  return *d;
}

std::string WithFlagNames(absl::string_view message, const std::vector<FlagSpec>& flags) {
  std::map<std::string, std::string, std::less<>> wire_to_flag;
  for (const FlagSpec& f : flags) {
    const std::string wire = absl::StrReplaceAll(f.name, {{"-", "_"}});
    if (wire.find('_') != std::string::npos) wire_to_flag[wire] = absl::StrCat("--", f.name);
    wire_to_flag[absl::StrCat(wire, "_us")] = absl::StrCat("--", f.name);
  }
  auto is_word = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    if (!is_word(message[i])) {
      out.push_back(message[i++]);
      continue;
    }
    size_t end = i;
    while (end < message.size() && is_word(message[end])) ++end;
    const absl::string_view word = message.substr(i, end - i);
    auto it = wire_to_flag.find(word);
    const bool after_dash = i > 0 && message[i - 1] == '-';
    if (it != wire_to_flag.end() && !after_dash) {
      absl::StrAppend(&out, it->second);
    } else {
      absl::StrAppend(&out, word);
    }
    i = end;
  }
  return out;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(absl::string_view text,
                                                                  absl::string_view flag) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return UsageError(absl::StrCat("--", flag, " ", QuotedValue(text), " is not KEY=VALUE (e.g. --",
                                   flag, " account_id=A-1)"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

}  // namespace fstore::cli
