#include "server/registry_service.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fstore {
namespace {

using ::testing::HasSubstr;

TEST(AppendUploadChunkTest, ChunksUpToTheProtosStatedMiBAreAppended) {
  std::string artifact;
  ASSERT_TRUE(
      AppendUploadChunk(std::string(kMaxUploadChunkBytes, 'a'), 1, 1 << 30, &artifact).ok());
  ASSERT_TRUE(AppendUploadChunk("bc", 2, 1 << 30, &artifact).ok());
  EXPECT_EQ(artifact.size(), kMaxUploadChunkBytes + 2);
}

TEST(AppendUploadChunkTest, ALargerChunkIsRefusedNamingItsSize) {
  std::string artifact = "abc";
  absl::Status s =
      AppendUploadChunk(std::string(kMaxUploadChunkBytes + 1, 'a'), 2, 1 << 30, &artifact);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("upload chunk 2 is 1048577 bytes, more than the limit of 1048576 bytes"));
  EXPECT_EQ(artifact, "abc");
}

TEST(AppendUploadChunkTest, AnArtifactOverTheLimitIsRefused) {
  std::string artifact(10, 'a');
  absl::Status s = AppendUploadChunk("abcdef", 2, 12, &artifact);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("larger than 12 bytes"));
}

}  // namespace
}  // namespace fstore
