#include "common/program_flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/build_info.h"
#include "common/nearest_name.h"
#include "common/quoted_value.h"
#include "gflags/gflags.h"

namespace fstore {
namespace {

bool IsHelpFlag(absl::string_view name) { return name == "help" || name == "h"; }

// gflags' own flags that a program accepts as they are.
bool IsGflagsBuiltin(absl::string_view name) {
  return name == "helpfull" || name == "helpshort" || name == "helpxml" || name == "helpon" ||
         name == "helpmatch" || name == "helppackage" || name == "flagfile" || name == "fromenv" ||
         name == "tryfromenv" || name == "undefok";
}

bool ParsesAsBool(absl::string_view value) {
  const std::string v = absl::AsciiStrToLower(value);
  return v == "true" || v == "false" || v == "1" || v == "0" || v == "yes" || v == "no" ||
         v == "t" || v == "f" || v == "y" || v == "n";
}

// Empty when `value` is a valid value of a flag of gflags type `type`.
std::string ValueError(const gflags::CommandLineFlagInfo& flag, absl::string_view value) {
  const std::string& type = flag.type;
  bool ok = true;
  if (type == "bool") {
    ok = ParsesAsBool(value);
  } else if (type == "int32") {
    int32_t v;
    ok = absl::SimpleAtoi(value, &v);
  } else if (type == "int64") {
    int64_t v;
    ok = absl::SimpleAtoi(value, &v);
  } else if (type == "uint32") {
    uint32_t v;
    ok = absl::SimpleAtoi(value, &v);
  } else if (type == "uint64") {
    uint64_t v;
    ok = absl::SimpleAtoi(value, &v);
  } else if (type == "double") {
    double v;
    ok = absl::SimpleAtod(value, &v);
  }
  if (ok) return "";
  return absl::StrCat("--", flag.name, "=", QuotedValue(value), " is not a valid ", type,
                      type == "bool" ? " (true or false)" : "");
}

std::vector<std::string> AllFlagNames() {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  std::vector<std::string> names;
  names.reserve(flags.size());
  for (const gflags::CommandLineFlagInfo& f : flags) names.push_back(f.name);
  return names;
}

// Appends `text` to `out` wrapped at `width` columns, each line indented by
// `indent` spaces.
void AppendWrapped(std::string* out, absl::string_view text, size_t indent, size_t width) {
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      absl::StrAppend(out, std::string(indent, ' '), line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(out, std::string(indent, ' '), line, "\n");
}

}  // namespace

absl::Status CheckFlags(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    absl::string_view name = arg;
    bool has_value = false;
    absl::string_view value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (IsHelpFlag(name) || name == "version" || IsGflagsBuiltin(name)) continue;
    gflags::CommandLineFlagInfo flag;
    if (!gflags::GetCommandLineFlagInfo(std::string(name).c_str(), &flag)) {
      // --noNAME turns a bool flag off.
      if (absl::StartsWith(name, "no") && !has_value &&
          gflags::GetCommandLineFlagInfo(std::string(name.substr(2)).c_str(), &flag) &&
          flag.type == "bool") {
        continue;
      }
      std::string message = absl::StrCat("unknown flag --", ShortenedValue(name));
      if (std::string near = NearestName(name, AllFlagNames()); !near.empty()) {
        absl::StrAppend(&message, "; did you mean --", near, "?");
      }
      return absl::InvalidArgumentError(message);
    }
    if (!has_value) {
      if (flag.type == "bool") continue;
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag.name, " needs a value (", flag.type, ")"));
      }
      value = args[++i];
    }
    if (std::string error = ValueError(flag, value); !error.empty()) {
      return absl::InvalidArgumentError(error);
    }
  }
  return absl::OkStatus();
}

std::string ProgramHelp(const ProgramFlags& program) {
  std::string out = absl::StrCat(program.usage, "\n\nFlags:\n");
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);  // sorted by file, then name
  for (const gflags::CommandLineFlagInfo& f : flags) {
    if (!absl::EndsWith(f.filename, program.flags_file)) continue;
    std::string head = absl::StrCat("  --", f.name, " (", f.type);
    if (f.type == "string") {
      absl::StrAppend(&head, f.default_value.empty()
                                 ? ", default empty"
                                 : absl::StrCat(", default \"", f.default_value, "\""));
    } else {
      absl::StrAppend(&head, ", default ", f.default_value);
    }
    absl::StrAppend(&out, head, ")\n");
    AppendWrapped(&out, f.description, 6, 80);
  }
  absl::StrAppend(&out,
                  "\n  --help      this text\n"
                  "  --helpfull  also the flags of the libraries ",
                  program.program,
                  " links\n"
                  "  --version   the version and the git commit it was built from\n");
  return out;
}

void ParseProgramFlags(const ProgramFlags& program, int* argc, char*** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < *argc; ++i) args.emplace_back((*argv)[i]);
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      std::fputs(ProgramHelp(program).c_str(), stdout);
      std::exit(0);
    }
    if (arg == "--version" || arg == "-version") {
      std::printf("%s\n", VersionLine(program.program).c_str());
      std::exit(0);
    }
  }
  if (absl::Status status = CheckFlags(args); !status.ok()) {
    std::fprintf(stderr, "%s: %s; see %s --help\n", program.program.c_str(),
                 std::string(status.message()).c_str(), program.program.c_str());
    std::exit(2);
  }
  gflags::SetUsageMessage(program.usage);
  gflags::SetVersionString(VersionLine(program.program));
  gflags::ParseCommandLineFlags(argc, argv, true);
}

}  // namespace fstore
