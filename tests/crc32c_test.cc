#include "crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace pmap {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(0xE3069283u, crc32c::Value("123456789", 9));
}

TEST(Crc32cTest, MatchesPublishedVectorsFromRfc3720) {
  std::string zeros(32, '\0');
  EXPECT_EQ(0x8a9136aau, crc32c::Value(zeros.data(), zeros.size()));
  std::string ones(32, '\xff');
  EXPECT_EQ(0x62a8ab43u, crc32c::Value(ones.data(), ones.size()));
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(0x46dd794eu, crc32c::Value(ascending.data(), ascending.size()));
}

TEST(Crc32cTest, ExtendEqualsChecksumOfTheConcatenation) {
  std::string a = "hello ", b = "world";
  EXPECT_EQ(crc32c::Value("hello world", 11),
            crc32c::Extend(crc32c::Value(a.data(), a.size()), b.data(), b.size()));
}

TEST(Crc32cTest, HardwareAndPortableImplementationsAgree) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string data(rng() % 300, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    size_t offset = data.empty() ? 0 : rng() % data.size();
    uint32_t seed = static_cast<uint32_t>(rng());
    EXPECT_EQ(crc32c::internal::ExtendPortable(seed, data.data() + offset,
                                               data.size() - offset),
              crc32c::Extend(seed, data.data() + offset, data.size() - offset));
  }
}

TEST(Crc32cTest, MaskIsReversibleAndChangesTheValue) {
  uint32_t crc = crc32c::Value("foo", 3);
  EXPECT_NE(crc, crc32c::Mask(crc));
  EXPECT_NE(crc, crc32c::Mask(crc32c::Mask(crc)));
  EXPECT_EQ(crc, crc32c::Unmask(crc32c::Mask(crc)));
  EXPECT_EQ(crc, crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))));
}

}  // namespace
}  // namespace pmap
