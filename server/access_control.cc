#include "server/access_control.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/rpc_roles.h"
#include "spdlog/spdlog.h"

namespace fstore {
namespace {

constexpr absl::string_view kAnonymous = "anonymous";
// gRPC's name of the verified client certificate's subject (RFC 2253).
constexpr char kSubjectProperty[] = "x509_subject";

// "fstore.v1.Serving/Score" from "/fstore.v1.Serving/Score": how logs and
// messages name a method.
absl::string_view Shown(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  return method;
}

std::string SubjectOf(const grpc::AuthContext* auth) {
  if (auth == nullptr) return "";
  for (const grpc::string_ref& value : auth->FindPropertyValues(kSubjectProperty)) {
    return std::string(value.data(), value.size());
  }
  return "";
}

absl::string_view MetadataValue(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                                absl::string_view key) {
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return absl::string_view(it->second.data(), it->second.size());
}

class AuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit AuthProcessor(AccessControl* access) : access_(access) {}
  // CheckCall takes no lock for long and does no I/O: run it on the call's
  // own thread rather than hop to gRPC's pool.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    const absl::Status status =
        access_->CheckCall(MetadataValue(metadata, ":path"),
                           MetadataValue(metadata, "authorization"), SubjectOf(context));
    if (status.ok()) return grpc::Status::OK;
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                        std::string(status.message()));
  }

 private:
  AccessControl* const access_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::Create(Options options) {
  for (const auto& [role, rate] : options.rate_limits) {
    if (!(rate > 0)) {
      return absl::InvalidArgumentError(absl::StrCat("the rate limit of role ", RoleName(role),
                                                     " must be a positive number of calls/s"));
    }
  }
  if (options.max_streams_per_principal < 0 || options.max_rows_per_message < 1) {
    return absl::InvalidArgumentError(
        "streams per principal must be >= 0 and rows per message >= 1");
  }
  std::unique_ptr<AccessControl> access(new AccessControl(std::move(options)));
  if (access->tokens_enabled()) {
    absl::StatusOr<TokenTable> table = TokenTable::Load(access->options_.tokens_path);
    if (!table.ok()) return table.status();
    absl::MutexLock lock(&access->tokens_mu_);
    access->tokens_ = std::make_shared<const TokenTable>(*std::move(table));
  }
  return access;
}

AccessControl::~AccessControl() = default;

absl::Status AccessControl::Reload() {
  if (!tokens_enabled()) return absl::OkStatus();
  absl::StatusOr<TokenTable> table = TokenTable::Load(options_.tokens_path);
  if (!table.ok()) return table.status();
  const size_t size = table->size();
  {
    absl::MutexLock lock(&tokens_mu_);
    tokens_ = std::make_shared<const TokenTable>(*std::move(table));
  }
  spdlog::info("reloaded {}: {} tokens", options_.tokens_path, size);
  return absl::OkStatus();
}

std::shared_ptr<const TokenTable> AccessControl::tokens() const {
  absl::ReaderMutexLock lock(&tokens_mu_);
  return tokens_;
}

const Principal* AccessControl::Authenticate(const TokenTable& table,
                                             absl::string_view authorization) {
  absl::string_view token = absl::StripAsciiWhitespace(authorization);
  if (token.size() < 7 || !absl::EqualsIgnoreCase(token.substr(0, 7), "Bearer ")) return nullptr;
  token = absl::StripAsciiWhitespace(token.substr(7));
  return token.empty() ? nullptr : table.Find(token);
}

absl::Status AccessControl::Deny(absl::Status status, absl::string_view method,
                                 absl::string_view principal, absl::string_view reason) {
  // A client hammering past its rate limit is told every time but logged
  // at most once a second, so it cannot flood the log.
  static std::atomic<int64_t> last_rate_log_s{0};
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  if (reason != "rate_limited" || last_rate_log_s.exchange(now_s) != now_s) {
    spdlog::warn("denied {} to {}: {} ({})", std::string(Shown(method)), std::string(principal),
                 std::string(reason), std::string(status.message()));
  }
  if (options_.on_denied) options_.on_denied(method, reason);
  return status;
}

absl::Status AccessControl::CheckCall(absl::string_view method, absl::string_view authorization,
                                      absl::string_view cert_subject) {
  const RpcRule* rule = FindRpcRule(method);
  // Points into the token table held below, or the caller's arguments: no
  // copy on this per-call path.
  absl::string_view name = cert_subject.empty() ? kAnonymous : cert_subject;
  if (rule == nullptr) {
    return Deny(absl::UnimplementedError(absl::StrCat("fsd serves no method ", Shown(method))),
                method, name, "permission_denied");
  }
  if (!rule->role.has_value()) return absl::OkStatus();  // public (health)
  const Role needed = *rule->role;
  // Held to the end of the call: `name` may point into it.
  std::shared_ptr<const TokenTable> table;
  if (tokens_enabled()) {
    table = tokens();
    if (absl::StripAsciiWhitespace(authorization).empty()) {
      return Deny(absl::UnauthenticatedError(absl::StrCat(
                      Shown(method),
                      " needs a bearer token: this server checks tokens (fsctl --token or "
                      "FSTORE_TOKEN)")),
                  method, name, "unauthenticated");
    }
    const Principal* principal = Authenticate(*table, authorization);
    if (principal == nullptr) {
      return Deny(absl::UnauthenticatedError(
                      "the bearer token is not known to this server (expected \"Bearer TOKEN\" "
                      "with a token listed in fsd's --auth_tokens file)"),
                  method, name, "unauthenticated");
    }
    name = principal->name;
    if (!principal->roles.Allows(needed)) {
      return Deny(absl::PermissionDeniedError(absl::StrCat(
                      principal->name, " (", principal->roles.ToString(), ") may not call ",
                      Shown(method), ": it needs the ", RoleName(needed), " role")),
                  method, name, "permission_denied");
    }
  }
  if (auto limit = options_.rate_limits.find(needed); limit != options_.rate_limits.end()) {
    if (!TakeRate(name, needed, limit->second)) {
      return Deny(absl::ResourceExhaustedError(
                      absl::StrCat(name, " exceeded the ", RoleName(needed), " rate limit of ",
                                   limit->second, " calls/s (fsd --rate_limits); retry later")),
                  method, name, "rate_limited");
    }
  }
  return absl::OkStatus();
}

bool AccessControl::TakeRate(absl::string_view principal, Role role, double per_second) {
  const absl::Time now = absl::Now();
  const double burst = std::max(1.0, per_second);
  absl::MutexLock lock(&rate_mu_);
  auto [it, inserted] = buckets_.try_emplace(absl::StrCat(RoleName(role), "/", principal));
  Bucket& bucket = it->second;
  if (inserted) {
    bucket.tokens = burst;
  } else {
    bucket.tokens =
        std::min(burst, bucket.tokens + absl::ToDoubleSeconds(now - bucket.refilled) * per_second);
  }
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

Caller AccessControl::CallerOf(const grpc::ServerContextBase& context) const {
  if (tokens_enabled()) {
    const std::shared_ptr<const TokenTable> table = tokens();
    const auto& md = context.client_metadata();
    auto it = md.find("authorization");
    if (it != md.end()) {
      const Principal* principal =
          Authenticate(*table, absl::string_view(it->second.data(), it->second.size()));
      if (principal != nullptr) return Caller{principal->name, principal->roles};
    }
    // Admitted, then its token was removed (SIGHUP) while it ran.
    return Caller{"(token withdrawn)", RoleSet()};
  }
  std::string subject = SubjectOf(context.auth_context().get());
  return Caller{subject.empty() ? std::string(kAnonymous) : std::move(subject), RoleSet()};
}

absl::Status AccessControl::Require(const grpc::ServerContextBase& context,
                                    absl::string_view method, Role role, absl::string_view what) {
  if (!tokens_enabled()) return absl::OkStatus();
  const Caller caller = CallerOf(context);
  if (caller.roles.Allows(role)) return absl::OkStatus();
  return Deny(absl::PermissionDeniedError(absl::StrCat(caller.name, " (", caller.roles.ToString(),
                                                       ") may not ", what, ": it needs the ",
                                                       RoleName(role), " role")),
              method, caller.name, "permission_denied");
}

AccessControl::StreamSlot::StreamSlot(StreamSlot&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), principal_(std::move(other.principal_)) {}

AccessControl::StreamSlot& AccessControl::StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->ReleaseStream(principal_);
    owner_ = std::exchange(other.owner_, nullptr);
    principal_ = std::move(other.principal_);
  }
  return *this;
}

AccessControl::StreamSlot::~StreamSlot() {
  if (owner_ != nullptr) owner_->ReleaseStream(principal_);
}

absl::StatusOr<AccessControl::StreamSlot> AccessControl::AcquireStream(
    const grpc::ServerContextBase& context, absl::string_view method) {
  if (options_.max_streams_per_principal == 0) return StreamSlot();
  std::string principal = CallerOf(context).name;
  {
    absl::MutexLock lock(&streams_mu_);
    int& open = open_streams_[principal];
    if (open >= options_.max_streams_per_principal) {
      const std::string message =
          absl::StrCat(principal, " already holds ", open, " open streams, the most one caller ",
                       "may hold (fsd --max_streams_per_principal); close one first");
      if (options_.on_denied) options_.on_denied(method, "stream_limit");
      spdlog::warn("denied {} to {}: stream_limit ({})", std::string(Shown(method)), principal,
                   message);
      return absl::ResourceExhaustedError(message);
    }
    ++open;
  }
  StreamSlot slot;
  slot.owner_ = this;
  slot.principal_ = std::move(principal);
  return slot;
}

void AccessControl::ReleaseStream(const std::string& principal) {
  absl::MutexLock lock(&streams_mu_);
  auto it = open_streams_.find(principal);
  if (it != open_streams_.end() && --it->second <= 0) open_streams_.erase(it);
}

absl::Status AccessControl::CheckRows(int64_t rows, absl::string_view what) const {
  if (rows <= options_.max_rows_per_message) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "one ", what, " carries ", rows, " rows; the limit is ", options_.max_rows_per_message,
      " per message (fsd --max_rows_per_message): send them in several messages"));
}

std::shared_ptr<grpc::AuthMetadataProcessor> AccessControl::NewAuthProcessor() {
  return std::make_shared<AuthProcessor>(this);
}

}  // namespace fstore
