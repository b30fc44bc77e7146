#include "server/roles.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(RoleSetTest, ParsesCommaSeparatedRolesAndPrintsThemInOrder) {
  absl::StatusOr<RoleSet> roles = RoleSet::Parse("scorer, reader");
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_TRUE(roles->Has(Role::kReader));
  EXPECT_TRUE(roles->Has(Role::kScorer));
  EXPECT_FALSE(roles->Has(Role::kAdmin));
  EXPECT_EQ(roles->ToString(), "reader,scorer");
}

TEST(RoleSetTest, AdminAllowsEveryRoleOthersOnlyTheirOwn) {
  const RoleSet admin = RoleSet::Of(Role::kAdmin);
  const RoleSet reader = RoleSet::Of(Role::kReader);
  for (Role role : {Role::kReader, Role::kScorer, Role::kIngester, Role::kModeler, Role::kAdmin}) {
    EXPECT_TRUE(admin.Allows(role)) << RoleName(role);
  }
  EXPECT_TRUE(reader.Allows(Role::kReader));
  EXPECT_FALSE(reader.Allows(Role::kScorer));
  EXPECT_FALSE(reader.Allows(Role::kAdmin));
}

TEST(RoleSetTest, UnknownOrMissingRoleIsRefusedListingTheRoles) {
  absl::StatusOr<RoleSet> typo = RoleSet::Parse("reader,scorrer");
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("'scorrer'"));
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("reader, scorer, ingester"));
  EXPECT_FALSE(RoleSet::Parse(" , ").ok());
}

}  // namespace
}  // namespace fstore
