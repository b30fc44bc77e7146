#include "server/token_table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sha256.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(TokenTableTest, FindsThePrincipalOfATokenByItsDigest) {
  const std::string text = "# tokens\n\n" + Sha256::Hex("s3cret") + "  alice  reader,scorer\n" +
                           Sha256::Hex("admin-token") + "\tops\tadmin\n";
  absl::StatusOr<TokenTable> table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 2u);
  const Principal* alice = table->Find("s3cret");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->roles.ToString(), "reader,scorer");
  EXPECT_EQ(table->Find("admin-token")->name, "ops");
  EXPECT_EQ(table->Find("S3CRET"), nullptr);
  // The digest itself is not a token.
  EXPECT_EQ(table->Find(Sha256::Hex("s3cret")), nullptr);
}

TEST(TokenTableTest, UpperCaseDigestsAreAccepted) {
  std::string digest = Sha256::Hex("t");
  for (char& c : digest) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  absl::StatusOr<TokenTable> table = TokenTable::Parse(digest + " bob ingester\n", "tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->Find("t")->name, "bob");
}

TEST(TokenTableTest, ErrorsNameTheLineAndTheProblem) {
  auto error = [](const std::string& text) {
    absl::StatusOr<TokenTable> t = TokenTable::Parse(text, "/etc/fstore/tokens");
    EXPECT_FALSE(t.ok());
    return std::string(t.status().message());
  };
  EXPECT_THAT(error("\n" + Sha256::Hex("a") + " alice\n"),
              HasSubstr("/etc/fstore/tokens:2: expected 3 fields"));
  EXPECT_THAT(error("plaintext-token alice reader\n"),
              HasSubstr("is not a SHA-256 in hex (64 digits)"));
  EXPECT_THAT(error(Sha256::Hex("a") + " alice superuser\n"),
              HasSubstr("unknown role 'superuser'"));
  EXPECT_THAT(error(Sha256::Hex("a") + " alice reader\n" + Sha256::Hex("a") + " bob admin\n"),
              HasSubstr(":2: the token of bob is listed twice"));
}

TEST(TokenTableTest, LoadNamesAMissingFile) {
  absl::StatusOr<TokenTable> t = TokenTable::Load("/nonexistent/tokens");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("/nonexistent/tokens"));
}

}  // namespace
}  // namespace fstore
