// Damaged input: every truncation, every single-bit flip, lying lengths. Always a clean error.
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

namespace tc = tadm::container;
using namespace tadm::testing;

std::vector<Bytes> sample_files() {
  std::vector<Bytes> files = {write_or_fail(small_file()), write_or_fail(full_file())};
  RawFile r = split(write_or_fail(small_file()));
  r.chunks.insert(r.chunks.begin() + 1, RawChunk{"zzzz", {1, 2, 3, 4, 5}});
  r.chunks.insert(r.chunks.end() - 1, RawChunk{"tiMe", {}});
  files.push_back(join(r));
  return files;
}

TEST(ContainerRobustness, TruncationAtEveryOffset) {
  for (const Bytes& file : sample_files()) {
    for (std::size_t n = 0; n < file.size(); ++n) {
      SCOPED_TRACE("prefix of " + std::to_string(n) + " bytes");
      // A copy of exactly n bytes, so ASan sees any read past the end.
      const Bytes prefix(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
      tc::File out;
      const tc::Error e = tc::read(prefix, tc::Limits{}, out);
      EXPECT_EQ(e.code, tc::ErrorCode::kTruncated) << e.message;
      EXPECT_FALSE(e.message.empty());
      Bytes png;
      EXPECT_EQ(tc::extract_lr_image(prefix, tc::Limits{}, png).code, tc::ErrorCode::kTruncated);
    }
    tc::File out;
    EXPECT_FALSE(tc::read(file, tc::Limits{}, out));
  }
}

TEST(ContainerRobustness, EveryBitFlip) {
  for (const Bytes& file : sample_files()) {
    tc::File original;
    ASSERT_FALSE(tc::read(file, tc::Limits{}, original));
    Bytes damaged = file;
    for (std::size_t i = 0; i < file.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        damaged[i] = static_cast<std::uint8_t>(file[i] ^ (1u << bit));
        tc::File out;
        const tc::Error e = tc::read(damaged, tc::Limits{}, out);
        // Only version_minor (byte 9) and the reserved header bytes (10, 11) are free to change;
        // everything after the header is covered by a chunk CRC.
        if (i >= 9 && i <= 11) {
          EXPECT_FALSE(e) << "byte " << i << " bit " << bit << ": " << e.message;
          if (!e) {
            tc::File expect = original;
            expect.version_minor = damaged[9];
            expect_same_fields(expect, out);
          }
        } else {
          EXPECT_TRUE(e) << "flip of byte " << i << " bit " << bit << " was not detected";
          EXPECT_FALSE(e.message.empty());
        }
        damaged[i] = file[i];
      }
    }
  }
}

// The HEAD rules of spec section 6.1, written out again independently of the library.
tc::ErrorCode expected_head_result(const Bytes& d, std::uint32_t png_w, std::uint32_t png_h) {
  const std::uint64_t w = get_u32(d, 0), h = get_u32(d, 4);
  const std::uint64_t sx = (d[8] << 8) | d[9], sy = (d[10] << 8) | d[11];
  const std::uint64_t lw = get_u32(d, 12), lh = get_u32(d, 16);
  const bool ok = w >= 1 && h >= 1 && sx >= 2 && sx <= 64 && sy >= 2 && sy <= 64 && (d[20] & 0xFC) == 0 &&
                  (d[21] == 8 || d[21] == 16) && d[22] == 0 && lw == (w + sx - 1) / sx && lh == (h + sy - 1) / sy;
  if (!ok) return tc::ErrorCode::kBadField;
  if (w > (1u << 20) || h > (1u << 20) || w * h > (1ull << 30)) return tc::ErrorCode::kLimitExceeded;
  if (lw != png_w || lh != png_h) return tc::ErrorCode::kBadField;  // LRIM's IHDR check
  return tc::ErrorCode::kNone;
}

TEST(ContainerRobustness, EveryByteValueInTheHeadChunk) {
  // HEAD with its CRC recomputed: each value is judged by the field rules, never a crash.
  const Bytes file = write_or_fail(small_file());  // 16x16, scale 16, LR PNG 1x1
  const RawFile base = split(file);
  int accepted = 0;
  for (std::size_t i = 0; i < 24; ++i) {
    for (int v = 0; v < 256; ++v) {
      RawFile r = base;
      r.chunks[0].data[i] = static_cast<std::uint8_t>(v);
      tc::File out;
      const tc::Error e = tc::read(join(r), tc::Limits{}, out);
      EXPECT_EQ(e.code, expected_head_result(r.chunks[0].data, 1, 1))
          << "HEAD byte " << i << " value " << v << ": " << e.message;
      if (!e) ++accepted;
    }
  }
  EXPECT_GT(accepted, 24);  // at least the original bytes and the reserved byte's 256 values
}

TEST(ContainerRobustness, LyingLengths) {
  const Bytes file = write_or_fail(full_file());
  tc::File parsed;
  ASSERT_FALSE(tc::read(file, tc::Limits{}, parsed));
  for (const tc::ChunkInfo& c : parsed.chunks) {
    const std::string type(c.type.begin(), c.type.end());
    const std::uint32_t lies[] = {c.length + 1,  c.length + 4,  c.length + 12, c.length + 1000,
                                  c.length - 1,  c.length - 12, 0u,            0x7FFFFFFFu,
                                  0x80000000u,   0xFFFFFFFFu,   c.length ^ 0x01000000u};
    for (std::uint32_t lie : lies) {
      if (lie == c.length) continue;
      SCOPED_TRACE(type + " length " + std::to_string(lie));
      Bytes b = file;
      set_u32(b, static_cast<std::size_t>(c.offset), lie);
      tc::File out;
      const tc::Error e = tc::read(b, tc::Limits{}, out);
      EXPECT_TRUE(e);
      if (lie > 0x7FFFFFFFu) {
        EXPECT_EQ(e.code, tc::ErrorCode::kBadChunk) << e.message;
      } else if (lie > c.length + 1000) {
        EXPECT_TRUE(e.code == tc::ErrorCode::kTruncated || e.code == tc::ErrorCode::kLimitExceeded) << e.message;
      }
    }
  }
}

TEST(ContainerRobustness, LyingLengthWithMatchingCrcRunsPastEnd) {
  // The last chunk claims more data than the file holds: truncated, whatever the CRC.
  Bytes b = write_or_fail(small_file());
  const std::size_t tend = b.size() - 12;
  set_u32(b, tend, 100);
  tc::File out;
  EXPECT_EQ(tc::read(b, tc::Limits{}, out).code, tc::ErrorCode::kTruncated);
}

TEST(ContainerRobustness, GarbageAndEdgeInputs) {
  tc::File out;
  EXPECT_EQ(tc::read({}, tc::Limits{}, out).code, tc::ErrorCode::kTruncated);
  const Bytes sig(tc::kSignature.begin(), tc::kSignature.end());
  EXPECT_EQ(tc::read(sig, tc::Limits{}, out).code, tc::ErrorCode::kTruncated);
  EXPECT_EQ(tc::read(Bytes{0x89, 'P'}, tc::Limits{}, out).code, tc::ErrorCode::kBadSignature);
  EXPECT_EQ(tc::read(Bytes(100, 0), tc::Limits{}, out).code, tc::ErrorCode::kBadSignature);
  EXPECT_EQ(tc::read(make_png(2, 2, 6), tc::Limits{}, out).code, tc::ErrorCode::kBadSignature);
  Bytes header = sig;
  header.insert(header.end(), {1, 0, 0, 0});
  EXPECT_EQ(tc::read(header, tc::Limits{}, out).code, tc::ErrorCode::kTruncated);
  for (int major : {0, 2, 255}) {
    header[8] = static_cast<std::uint8_t>(major);
    EXPECT_EQ(tc::read(header, tc::Limits{}, out).code, tc::ErrorCode::kUnsupportedVersion);
  }
  // A lone TEND after the header: the first chunk must be HEAD.
  header[8] = 1;
  Bytes lone = header;
  append_chunk(lone, "TEND", {});
  EXPECT_EQ(tc::read(lone, tc::Limits{}, out).code, tc::ErrorCode::kMissingChunk);
}

TEST(ContainerRobustness, ChunkTypeBytes) {
  // Every non-letter byte in every type position is refused as kBadChunk, before the CRC.
  const Bytes file = write_or_fail(small_file());
  const std::size_t lrim_type = 12 + 36 + 12 + 2 + 7 + 1 + 32 + 4;  // header, HEAD, MODL, LRIM length
  ASSERT_EQ(std::string(file.begin() + static_cast<std::ptrdiff_t>(lrim_type),
                        file.begin() + static_cast<std::ptrdiff_t>(lrim_type + 4)),
            "LRIM");
  for (std::size_t k = 0; k < 4; ++k) {
    for (int v = 0; v < 256; ++v) {
      const bool letter = (v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z');
      if (letter) continue;
      Bytes b = file;
      b[lrim_type + k] = static_cast<std::uint8_t>(v);
      tc::File out;
      EXPECT_EQ(tc::read(b, tc::Limits{}, out).code, tc::ErrorCode::kBadChunk) << "byte " << k << " value " << v;
    }
  }
}

TEST(ContainerRobustness, OrderingRules) {
  const RawFile base = split(write_or_fail(full_file()));  // HEAD MODL LRIM iccp cicp exif xmpp hint TEND
  const auto code = [](const RawFile& r) {
    tc::File out;
    return tc::read(join(r), tc::Limits{}, out).code;
  };
  for (std::size_t i = 1; i + 1 < base.chunks.size(); ++i) {
    SCOPED_TRACE(base.chunks[i].type);
    RawFile dup = base;
    dup.chunks.insert(dup.chunks.end() - 1, base.chunks[i]);
    EXPECT_EQ(code(dup), tc::ErrorCode::kBadChunk);
    RawFile first = base;
    std::swap(first.chunks[0], first.chunks[i]);
    EXPECT_EQ(code(first), tc::ErrorCode::kMissingChunk);
    RawFile after_tend = base;
    after_tend.chunks.push_back(base.chunks[i]);
    EXPECT_EQ(code(after_tend), tc::ErrorCode::kBadChunk);
  }
  RawFile two_tend = base;
  two_tend.chunks.push_back(base.chunks.back());
  EXPECT_EQ(code(two_tend), tc::ErrorCode::kBadChunk);
  // Reversing everything between HEAD and TEND is still valid.
  RawFile reversed = base;
  std::reverse(reversed.chunks.begin() + 1, reversed.chunks.end() - 1);
  EXPECT_EQ(code(reversed), tc::ErrorCode::kNone);
  // Missing required chunks.
  for (const char* t : {"MODL", "LRIM"}) {
    RawFile r = base;
    r.chunks.erase(r.chunks.begin() + static_cast<std::ptrdiff_t>(find_chunk(r, t)));
    EXPECT_EQ(code(r), tc::ErrorCode::kMissingChunk) << t;
  }
  RawFile no_tend = base;
  no_tend.chunks.pop_back();
  EXPECT_EQ(code(no_tend), tc::ErrorCode::kTruncated);
}

}  // namespace
