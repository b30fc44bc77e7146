// The one table of who may call what: every RPC fsd serves and the role it
// needs (server/roles.h), or none for the public health check. The access
// check (server/access_control.h) reads it for every call; a call to a
// method missing from it is refused, and rpc_roles_test walks the service
// descriptors so that a new RPC without an entry fails the tests.
//
// Three registry calls need more than their entry when Production is
// involved; their handlers check that against the request
// (AccessControl::Require): TransitionStage to or from Production, and
// SetAlias / DeleteAlias of an alias that points (or would point) at a
// Production version, need admin.
//
// Thread-safety: immutable.
#ifndef FSTORE_SERVER_RPC_ROLES_H_
#define FSTORE_SERVER_RPC_ROLES_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/roles.h"

namespace fstore {

// The fstore services fsd serves (besides health and reflection).
inline constexpr const char* kFsdServiceNames[] = {"fstore.v1.FeatureStore", "fstore.v1.Registry",
                                                   "fstore.v1.Serving", "fstore.v1.Monitoring"};

struct RpcRule {
  // Full method path as gRPC names it: "/fstore.v1.Serving/Score".
  absl::string_view method;
  // The role a caller needs; nullopt: anyone, without a token.
  std::optional<Role> role;
};

// Every rule, in the order of the services' definitions.
absl::Span<const RpcRule> RpcRules();
// The rule of `method`; nullptr when fsd serves no such method.
const RpcRule* FindRpcRule(absl::string_view method);

}  // namespace fstore

#endif  // FSTORE_SERVER_RPC_ROLES_H_
