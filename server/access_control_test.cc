#include "server/access_control.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/server_context.h"
#include "gtest/gtest.h"
#include "storage/sha256.h"

namespace fstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kScore[] = "/fstore.v1.Serving/Score";
constexpr char kApply[] = "/fstore.v1.FeatureStore/ApplyDefinitions";
constexpr char kHealth[] = "/grpc.health.v1.Health/Check";

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/tokens-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    WriteTokens({{"reader-token", "rita reader"}, {"admin-token", "ada admin"}});
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void WriteTokens(const std::vector<std::pair<std::string, std::string>>& tokens) {
    std::ofstream out(path_);
    for (const auto& [token, rest] : tokens) out << Sha256::Hex(token) << " " << rest << "\n";
  }

  std::unique_ptr<AccessControl> Make(AccessControl::Options options) {
    options.on_denied = [this](absl::string_view method, absl::string_view reason) {
      denied_.emplace_back(std::string(method), std::string(reason));
    };
    absl::StatusOr<std::unique_ptr<AccessControl>> access = AccessControl::Create(options);
    EXPECT_TRUE(access.ok()) << access.status();
    return access.ok() ? *std::move(access) : nullptr;
  }
  std::unique_ptr<AccessControl> WithTokens() {
    AccessControl::Options options;
    options.tokens_path = path_;
    return Make(options);
  }

  std::string path_;
  std::vector<std::pair<std::string, std::string>> denied_;
};

TEST_F(AccessControlTest, MissingOrUnknownTokenIsUnauthenticated) {
  auto access = WithTokens();
  const absl::Status none = access->CheckCall(kScore, "", "");
  EXPECT_EQ(none.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(none.message()), HasSubstr("needs a bearer token"));
  EXPECT_EQ(access->CheckCall(kScore, "Bearer wrong", "").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(access->CheckCall(kScore, "reader-token", "").code(),  // no "Bearer "
            absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(denied_, ElementsAre(Pair(kScore, "unauthenticated"), Pair(kScore, "unauthenticated"),
                                   Pair(kScore, "unauthenticated")));
}

TEST_F(AccessControlTest, ARoleMissingIsPermissionDeniedNamingTheRoleNeeded) {
  auto access = WithTokens();
  const absl::Status denied = access->CheckCall(kScore, "Bearer reader-token", "");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()),
              HasSubstr("rita (reader) may not call fstore.v1.Serving/Score: it needs the scorer "
                        "role"));
  EXPECT_THAT(denied_, ElementsAre(Pair(kScore, "permission_denied")));
  EXPECT_TRUE(
      access->CheckCall("/fstore.v1.Registry/ListModels", "bearer  reader-token ", "").ok());
}

TEST_F(AccessControlTest, AdminMayCallEverythingHealthNeedsNoToken) {
  auto access = WithTokens();
  EXPECT_TRUE(access->CheckCall(kScore, "Bearer admin-token", "").ok());
  EXPECT_TRUE(access->CheckCall(kApply, "Bearer admin-token", "").ok());
  EXPECT_TRUE(access->CheckCall(kHealth, "", "").ok());
  EXPECT_EQ(access->CheckCall("/fstore.v1.Serving/Unknown", "Bearer admin-token", "").code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(AccessControlTest, WithoutTokensEveryCallIsAllowed) {
  auto access = Make(AccessControl::Options());
  EXPECT_FALSE(access->checks_calls());
  EXPECT_TRUE(access->CheckCall(kApply, "", "").ok());
  EXPECT_TRUE(access->CheckCall(kScore, "Bearer anything", "").ok());
  grpc::ServerContext context;
  EXPECT_EQ(access->CallerOf(context).name, "anonymous");
  EXPECT_TRUE(access->Require(context, kApply, Role::kAdmin, "apply").ok());
}

TEST_F(AccessControlTest, ReloadTakesAwayARemovedTokenAndKeepsTheTableOnABadFile) {
  auto access = WithTokens();
  ASSERT_TRUE(access->CheckCall(kApply, "Bearer admin-token", "").ok());
  WriteTokens({{"reader-token", "rita reader"}});
  ASSERT_TRUE(access->Reload().ok());
  EXPECT_EQ(access->CheckCall(kApply, "Bearer admin-token", "").code(),
            absl::StatusCode::kUnauthenticated);
  {
    std::ofstream out(path_);
    out << "not a token line\n";
  }
  EXPECT_FALSE(access->Reload().ok());
  EXPECT_TRUE(access->CheckCall("/fstore.v1.Registry/ListModels", "Bearer reader-token", "").ok());
}

TEST_F(AccessControlTest, RateLimitRefusesBeyondTheBurstPerPrincipal) {
  AccessControl::Options options;
  options.tokens_path = path_;
  options.rate_limits[Role::kReader] = 2;  // burst of 2
  auto access = Make(options);
  const char* list = "/fstore.v1.Registry/ListModels";
  EXPECT_TRUE(access->CheckCall(list, "Bearer reader-token", "").ok());
  EXPECT_TRUE(access->CheckCall(list, "Bearer reader-token", "").ok());
  const absl::Status third = access->CheckCall(list, "Bearer reader-token", "");
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.message()), HasSubstr("rita exceeded the reader rate limit of 2"));
  // Another principal has its own bucket; a role without a limit has none.
  EXPECT_TRUE(access->CheckCall(list, "Bearer admin-token", "").ok());
  EXPECT_TRUE(access->CheckCall(kScore, "Bearer admin-token", "").ok());
  EXPECT_THAT(denied_, ElementsAre(Pair(list, "rate_limited")));
}

TEST_F(AccessControlTest, StreamSlotsAreCappedPerCallerAndReleased) {
  AccessControl::Options options;
  options.max_streams_per_principal = 2;
  auto access = Make(options);
  grpc::ServerContext context;
  const char* method = "/fstore.v1.FeatureStore/IngestStream";
  absl::StatusOr<AccessControl::StreamSlot> first = access->AcquireStream(context, method);
  absl::StatusOr<AccessControl::StreamSlot> second = access->AcquireStream(context, method);
  ASSERT_TRUE(first.ok() && second.ok());
  absl::StatusOr<AccessControl::StreamSlot> third = access->AcquireStream(context, method);
  ASSERT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()),
              HasSubstr("anonymous already holds 2 open streams"));
  EXPECT_THAT(denied_, ElementsAre(Pair(method, "stream_limit")));
  *first = AccessControl::StreamSlot();  // released
  EXPECT_TRUE(access->AcquireStream(context, method).ok());
}

TEST_F(AccessControlTest, RowsPerMessageAreBounded) {
  AccessControl::Options options;
  options.max_rows_per_message = 10;
  auto access = Make(options);
  EXPECT_TRUE(access->CheckRows(10, "ingest message").ok());
  const absl::Status over = access->CheckRows(11, "ingest message");
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(over.message()),
              HasSubstr("one ingest message carries 11 rows; the limit is 10"));
}

TEST_F(AccessControlTest, CreateRefusesAMissingTokenFileAndBadLimits) {
  AccessControl::Options options;
  options.tokens_path = path_ + ".missing";
  EXPECT_EQ(AccessControl::Create(options).status().code(), absl::StatusCode::kNotFound);
  AccessControl::Options bad_rate;
  bad_rate.rate_limits[Role::kScorer] = 0;
  EXPECT_FALSE(AccessControl::Create(bad_rate).ok());
}

}  // namespace
}  // namespace fstore
