// AccessControl: who is calling and whether they may (README "Security").
//
// Every call passes CheckCall before it reaches a handler (through the gRPC
// auth hook of NewAuthProcessor): the bearer token in its "authorization"
// metadata ("Bearer TOKEN") names a principal in the token table
// (server/token_table.h), the method's rule (server/rpc_roles.h) names the
// role it needs, and the principal's rate for that role is within its limit.
// A refusal is UNAUTHENTICATED (no token, an unknown one), PERMISSION_DENIED
// (naming the role needed), RESOURCE_EXHAUSTED (naming the limit) or
// UNIMPLEMENTED (a method fsd does not serve); each is
// logged with principal, method and reason and reported to on_denied.
//
// Without a token file, every caller may call everything (fsd then listens
// on loopback only, or requires client certificates: see FsdOptions); the
// caller's name is the client certificate's subject under mutual TLS, else
// "anonymous". Handlers name the caller in audit records (CallerOf), apply
// the request-dependent rules (Require), hold a stream slot for every
// stream (AcquireStream) and bound rows per message (CheckRows).
//
// Reload() re-reads the token file (SIGHUP): calls already admitted go on;
// the next call sees the new table; a file that fails to parse leaves the
// old table in force.
//
// Thread-safety: safe for concurrent use.
#ifndef FSTORE_SERVER_ACCESS_CONTROL_H_
#define FSTORE_SERVER_ACCESS_CONTROL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/server_context.h"
#include "server/roles.h"
#include "server/token_table.h"

namespace fstore {

struct Caller {
  std::string name;
  RoleSet roles;  // empty without a token file (everything is allowed then)
};

class AccessControl {
 public:
  struct Options {
    // The token file (server/token_table.h). Empty: no tokens; every caller
    // may call everything. Default: empty.
    std::string tokens_path;
    // Calls per second one principal may make per role it calls with
    // ("scorer" -> 2000); a burst of one second's worth is allowed. Roles
    // not listed are unlimited. Default: none.
    std::map<Role, double> rate_limits;
    // Streams one principal may hold open at once; 0: unlimited. Default: 64.
    int max_streams_per_principal = 64;
    // Rows (or entity rows) one request message may carry. Default: 100,000.
    int64_t max_rows_per_message = 100000;
    // Told of every refused call: method path and reason ("unauthenticated",
    // "permission_denied", "rate_limited", "stream_limit").
    std::function<void(absl::string_view method, absl::string_view reason)> on_denied;
  };

  // Loads the token file, if any; fails naming the file and line.
  static absl::StatusOr<std::unique_ptr<AccessControl>> Create(Options options);
  ~AccessControl();

  bool tokens_enabled() const { return !options_.tokens_path.empty(); }
  // True when calls must pass CheckCall (tokens or rate limits configured).
  static bool ChecksCalls(const Options& options) {
    return !options.tokens_path.empty() || !options.rate_limits.empty();
  }
  bool checks_calls() const { return ChecksCalls(options_); }
  // Re-reads the token file; on error the old table stays in force.
  absl::Status Reload();

  // Admits or refuses one call to `method` ("/fstore.v1.Serving/Score").
  // `authorization` is the call's authorization metadata ("" if none);
  // `cert_subject` the verified client certificate's subject ("" if none).
  absl::Status CheckCall(absl::string_view method, absl::string_view authorization,
                         absl::string_view cert_subject);

  // The caller of a call in progress, for audit records.
  Caller CallerOf(const grpc::ServerContextBase& context) const;
  // Ok when the caller of `context` (a call to `method`) may act with
  // `role` (always, without a token file); PermissionDenied naming `what`
  // ("promote to Production") and the role otherwise.
  absl::Status Require(const grpc::ServerContextBase& context, absl::string_view method, Role role,
                       absl::string_view what);

  // One open stream of a principal, released on destruction.
  class StreamSlot {
   public:
    StreamSlot() = default;
    StreamSlot(StreamSlot&& other) noexcept;
    StreamSlot& operator=(StreamSlot&& other) noexcept;
    ~StreamSlot();

   private:
    friend class AccessControl;
    AccessControl* owner_ = nullptr;
    std::string principal_;
  };
  // A slot for a stream (a call to `method`) of `context`'s caller;
  // ResourceExhausted naming the limit when the caller already holds
  // max_streams_per_principal.
  absl::StatusOr<StreamSlot> AcquireStream(const grpc::ServerContextBase& context,
                                           absl::string_view method);
  // ResourceExhausted naming the limit when `rows` exceeds
  // max_rows_per_message; `what` names the message ("ingest message").
  absl::Status CheckRows(int64_t rows, absl::string_view what) const;

  // The gRPC hook that runs CheckCall on every call (secure and local
  // server credentials only). The AccessControl must outlive it.
  std::shared_ptr<grpc::AuthMetadataProcessor> NewAuthProcessor();

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };

  explicit AccessControl(Options options) : options_(std::move(options)) {}
  std::shared_ptr<const TokenTable> tokens() const ABSL_LOCKS_EXCLUDED(tokens_mu_);
  // The principal of an "authorization" value; nullptr when unknown.
  static const Principal* Authenticate(const TokenTable& table, absl::string_view authorization);
  absl::Status Deny(absl::Status status, absl::string_view method, absl::string_view principal,
                    absl::string_view reason);
  bool TakeRate(absl::string_view principal, Role role, double per_second)
      ABSL_LOCKS_EXCLUDED(rate_mu_);
  void ReleaseStream(const std::string& principal) ABSL_LOCKS_EXCLUDED(streams_mu_);

  const Options options_;
  mutable absl::Mutex tokens_mu_;
  std::shared_ptr<const TokenTable> tokens_ ABSL_GUARDED_BY(tokens_mu_);
  absl::Mutex rate_mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(rate_mu_);
  absl::Mutex streams_mu_;
  absl::flat_hash_map<std::string, int> open_streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace fstore

#endif  // FSTORE_SERVER_ACCESS_CONTROL_H_
