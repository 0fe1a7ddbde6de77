// Each Limits field turns an otherwise valid file into kLimitExceeded, exactly at its boundary.
#include "test_files.hpp"

#include <gtest/gtest.h>

namespace {

namespace tc = tadm::container;
using namespace tadm::testing;

tc::ErrorCode read_code(const Bytes& b, const tc::Limits& limits) {
  tc::File out;
  return tc::read(b, limits, out).code;
}

TEST(ContainerLimits, MaxPixels) {
  const tc::File f = full_file();  // 100 x 70
  const Bytes b = write_or_fail(f);
  tc::Limits l;
  l.max_pixels = 7000;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kNone);
  l.max_pixels = 6999;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kLimitExceeded);
}

TEST(ContainerLimits, MaxDimension) {
  const Bytes b = write_or_fail(full_file());  // 100 x 70
  tc::Limits l;
  l.max_dimension = 100;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kNone);
  l.max_dimension = 99;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kLimitExceeded);
  // The height alone over the limit.
  tc::File f = full_file();
  f.width = 60;
  f.lr_width = 2;
  f.hint->tile_width = 1;
  f.lr_image = make_png(2, 5, 4);
  l.max_dimension = 69;
  EXPECT_EQ(read_code(write_or_fail(f), l), tc::ErrorCode::kLimitExceeded);
  l.max_dimension = 70;
  EXPECT_EQ(read_code(write_or_fail(f), l), tc::ErrorCode::kNone);
}

TEST(ContainerLimits, MaxLrBytes) {
  const tc::File f = full_file();
  const Bytes b = write_or_fail(f);
  tc::Limits l;
  l.max_lr_bytes = static_cast<std::uint32_t>(f.lr_image.size());
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kNone);
  l.max_lr_bytes -= 1;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kLimitExceeded);
  Bytes png;
  EXPECT_EQ(tc::extract_lr_image(b, l, png).code, tc::ErrorCode::kLimitExceeded);
}

TEST(ContainerLimits, MaxMetadataBytesForEachChunk) {
  // Each of iccp, exif, xmpp, hint and an unknown chunk in turn is the largest metadata chunk.
  struct Case {
    const char* what;
    std::size_t size;
    Bytes file;
  };
  std::vector<Case> cases;
  const auto add = [&](const char* what, tc::File f) {
    const Bytes b = write_or_fail(f);
    cases.push_back({what, 0, b});
  };
  {
    tc::File f = small_file();
    f.icc = Bytes(300, 1);
    add("iccp", f);
    cases.back().size = 300;
  }
  {
    tc::File f = small_file();
    f.exif = Bytes(301, 2);
    add("exif", f);
    cases.back().size = 301;
  }
  {
    tc::File f = small_file();
    f.xmp = Bytes(302, 'x');
    add("xmpp", f);
    cases.back().size = 302;
  }
  {
    tc::File f = small_file();
    f.width = 16 * 300;
    f.lr_width = 300;
    f.lr_image = make_png(300, 1, 0);
    tc::Hint h;
    h.grid_width = 300;
    h.grid_height = 1;
    h.tile_width = 1;
    h.tile_height = 1;
    h.values.assign(300, 7);
    f.hint = h;
    add("hint", f);
    cases.back().size = 308;
  }
  {
    RawFile r = split(write_or_fail(small_file()));
    r.chunks.insert(r.chunks.begin() + 1, RawChunk{"unKn", Bytes(303, 3)});
    cases.push_back({"unknown", 303, join(r)});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    tc::Limits l;
    l.max_metadata_bytes = static_cast<std::uint32_t>(c.size);
    EXPECT_EQ(read_code(c.file, l), tc::ErrorCode::kNone);
    l.max_metadata_bytes -= 1;
    EXPECT_EQ(read_code(c.file, l), tc::ErrorCode::kLimitExceeded);
  }
}

TEST(ContainerLimits, MaxChunks) {
  const Bytes b = write_or_fail(full_file());  // 9 chunks
  tc::Limits l;
  l.max_chunks = 9;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kNone);
  l.max_chunks = 8;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kLimitExceeded);
  l.max_chunks = 0;
  EXPECT_EQ(read_code(b, l), tc::ErrorCode::kLimitExceeded);
}

TEST(ContainerLimits, ManyUnknownChunksHitTheDefaultChunkLimit) {
  RawFile r = split(write_or_fail(small_file()));
  for (int i = 0; i < 1100; ++i) r.chunks.insert(r.chunks.begin() + 1, RawChunk{"pads", {}});
  tc::File out;
  const tc::Error e = tc::read(join(r), tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kLimitExceeded) << e.message;
}

TEST(ContainerLimits, AbsurdDimensions) {
  // Valid per spec (the writer accepts them) but far beyond the default limits.
  tc::File f = small_file();
  f.width = 0x80000000u;
  f.height = 0x80000000u;
  f.scale_x = 64;
  f.scale_y = 64;
  f.lr_width = 1u << 25;
  f.lr_height = 1u << 25;
  set_u32(f.lr_image, 16, f.lr_width);
  set_u32(f.lr_image, 20, f.lr_height);
  Bytes b;
  ASSERT_FALSE(tc::write(f, b));
  tc::File out;
  tc::Error e = tc::read(b, tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kLimitExceeded);
  EXPECT_NE(e.message.find("2147483648"), std::string::npos) << e.message;
  // Within max_dimension but over max_pixels.
  f.width = 1u << 20;
  f.height = 1u << 20;
  f.lr_width = 1u << 14;
  f.lr_height = 1u << 14;
  set_u32(f.lr_image, 16, f.lr_width);
  set_u32(f.lr_image, 20, f.lr_height);
  ASSERT_FALSE(tc::write(f, b));
  e = tc::read(b, tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kLimitExceeded);
  EXPECT_NE(e.message.find("pixels"), std::string::npos) << e.message;
  // 0xFFFFFFFF x 0xFFFFFFFF does not overflow the pixel count.
  tc::Limits wide;
  wide.max_dimension = 0xFFFFFFFFu;
  f.width = 0xFFFFFFFFu;
  f.height = 0xFFFFFFFFu;
  f.lr_width = tc::lr_size(f.width, 64);
  f.lr_height = f.lr_width;
  set_u32(f.lr_image, 16, f.lr_width);
  set_u32(f.lr_image, 20, f.lr_height);
  ASSERT_FALSE(tc::write(f, b));
  EXPECT_EQ(tc::read(b, wide, out).code, tc::ErrorCode::kLimitExceeded);
  wide.max_pixels = ~0ull;
  EXPECT_EQ(tc::read(b, wide, out).code, tc::ErrorCode::kNone);
}

}  // namespace
