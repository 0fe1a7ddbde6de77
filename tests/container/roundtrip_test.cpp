// write() then read() gives back every field; the chunk list, canonical order and overhead are as specified.
#include "test_files.hpp"

#include <gtest/gtest.h>

namespace {

namespace tc = tadm::container;
using namespace tadm::testing;

TEST(ContainerRoundTrip, EveryFieldSurvives) {
  const tc::File in = full_file();
  const Bytes bytes = write_or_fail(in);
  tc::File out;
  const tc::Error e = tc::read(bytes, tc::Limits{}, out);
  ASSERT_FALSE(e) << e.message;
  expect_same_fields(in, out);
  EXPECT_TRUE(out.unknown_optional.empty());
}

TEST(ContainerRoundTrip, MinimalFileHasNoOptionalChunks) {
  const tc::File in = small_file();
  const Bytes bytes = write_or_fail(in);
  tc::File out;
  ASSERT_FALSE(tc::read(bytes, tc::Limits{}, out));
  expect_same_fields(in, out);
  EXPECT_FALSE(out.icc);
  EXPECT_FALSE(out.cicp);
  EXPECT_FALSE(out.exif);
  EXPECT_FALSE(out.xmp);
  EXPECT_FALSE(out.hint);
}

TEST(ContainerRoundTrip, VariedValues) {
  // A spread of sizes, scales, flags and string lengths, each written and read back.
  const std::uint32_t sizes[] = {1, 2, 15, 16, 17, 63, 64, 65, 200, 301};
  const std::uint16_t scales[] = {2, 3, 7, 16, 31, 32, 64};
  int n = 0;
  for (std::uint32_t w : sizes) {
    for (std::uint16_t s : scales) {
      tc::File f = small_file();
      f.width = w;
      f.height = sizes[(n + 3) % 10];
      f.scale_x = s;
      f.scale_y = scales[(n + 2) % 7];
      f.lr_width = tc::lr_size(f.width, f.scale_x);
      f.lr_height = tc::lr_size(f.height, f.scale_y);
      f.flags = static_cast<std::uint8_t>(n % 4);
      f.original_bit_depth = n % 2 ? 16 : 8;
      f.version_minor = static_cast<std::uint8_t>(n % 256);
      static constexpr char kNameChars[] = "ABCXYZabcxyz0189._-";
      f.model_name = std::string(1, 'm') + std::string(static_cast<std::size_t>(n % 64), kNameChars[n % (sizeof kNameChars - 1)]);
      f.model_version = std::string(static_cast<std::size_t>(n % 65), static_cast<char>(' ' + n % 95));
      f.model_sha256.fill(static_cast<std::uint8_t>(n));
      const std::uint8_t colour_types[] = {0, 2, 3, 4, 6};
      f.lr_image = make_png(f.lr_width, f.lr_height, colour_types[n % 5]);
      SCOPED_TRACE("case " + std::to_string(n));
      const Bytes bytes = write_or_fail(f);
      tc::File out;
      const tc::Error e = tc::read(bytes, tc::Limits{}, out);
      ASSERT_FALSE(e) << e.message;
      expect_same_fields(f, out);
      ++n;
    }
  }
}

TEST(ContainerRoundTrip, ChunkListAndCanonicalOrder) {
  const tc::File in = full_file();
  const Bytes bytes = write_or_fail(in);
  tc::File out;
  ASSERT_FALSE(tc::read(bytes, tc::Limits{}, out));
  const char* order[] = {"HEAD", "MODL", "LRIM", "iccp", "cicp", "exif", "xmpp", "hint", "TEND"};
  ASSERT_EQ(out.chunks.size(), 9u);
  std::uint64_t offset = tc::kFileHeaderSize;
  for (std::size_t i = 0; i < 9; ++i) {
    const tc::ChunkInfo& c = out.chunks[i];
    EXPECT_EQ(std::string(c.type.begin(), c.type.end()), order[i]);
    EXPECT_EQ(c.offset, offset);
    EXPECT_TRUE(c.known);
    EXPECT_EQ(c.critical, i < 3 || i == 8);
    offset += tc::kChunkOverhead + c.length;
  }
  EXPECT_EQ(offset, bytes.size());
}

TEST(ContainerRoundTrip, WriterOutputIsByteExact) {
  // The file header and the HEAD chunk of the minimal file, byte for byte.
  tc::File f = small_file();
  f.model_sha256.fill(0);
  const Bytes b = write_or_fail(f);
  const Bytes header = {0x89, 'T', 'A', 'D', 'M', 0x0D, 0x0A, 0x1A, 1, 0, 0, 0};
  ASSERT_GE(b.size(), 48u);
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 12), header);
  const Bytes head = {0, 0, 0, 24, 'H', 'E', 'A', 'D', 0, 0, 0, 16, 0, 0, 0, 16, 0, 16, 0, 16,
                      0, 0, 0, 1, 0, 0, 0, 1, 0, 8, 0, 0};
  EXPECT_EQ(Bytes(b.begin() + 12, b.begin() + 44), head);
  const Bytes head_data(head.begin() + 8, head.end());
  EXPECT_EQ(get_u32(b, 44), crc_of("HEAD", head_data));
}

TEST(ContainerRoundTrip, OverheadFormula) {
  // 12 + 12 per chunk + HEAD 24 + MODL (2 + name + version + 32) + payloads.
  const tc::File f = small_file();
  const Bytes b = write_or_fail(f);
  EXPECT_EQ(b.size(), 126u + f.lr_image.size());
  const tc::File g = full_file();
  const std::size_t expect = 12 + 12 * 9 + 24 + (2 + g.model_name.size() + g.model_version.size() + 32) +
                             g.lr_image.size() + g.icc->size() + 4 + g.exif->size() + g.xmp->size() +
                             (8 + g.hint->values.size());
  EXPECT_EQ(write_or_fail(g).size(), expect);
}

TEST(ContainerRoundTrip, UnknownOptionalChunksAreKeptButNotRewritten) {
  const tc::File base = small_file();
  RawFile r = split(write_or_fail(base));
  r.chunks.insert(r.chunks.begin() + 1, RawChunk{"abCd", {9, 8, 7}});
  r.chunks.insert(r.chunks.end() - 1, RawChunk{"qqqq", {}});
  const Bytes b = join(r);
  tc::File out;
  const tc::Error e = tc::read(b, tc::Limits{}, out);
  ASSERT_FALSE(e) << e.message;
  ASSERT_EQ(out.unknown_optional.size(), 2u);
  EXPECT_EQ(std::string(out.unknown_optional[0].type.begin(), out.unknown_optional[0].type.end()), "abCd");
  EXPECT_EQ(out.unknown_optional[0].data, (Bytes{9, 8, 7}));
  EXPECT_EQ(std::string(out.unknown_optional[1].type.begin(), out.unknown_optional[1].type.end()), "qqqq");
  EXPECT_TRUE(out.unknown_optional[1].data.empty());
  ASSERT_EQ(out.chunks.size(), 6u);
  EXPECT_FALSE(out.chunks[1].known);
  EXPECT_FALSE(out.chunks[1].critical);
  // Re-writing drops them: the result equals the file written without them.
  EXPECT_EQ(write_or_fail(out), write_or_fail(base));
}

TEST(ContainerRoundTrip, ReadReplacesPreviousContent) {
  tc::File out = full_file();
  out.unknown_optional.push_back({{'x', 'x', 'x', 'x'}, {1}});
  const tc::File small = small_file();
  ASSERT_FALSE(tc::read(write_or_fail(small), tc::Limits{}, out));
  expect_same_fields(small, out);
  EXPECT_TRUE(out.unknown_optional.empty());
  EXPECT_EQ(out.chunks.size(), 4u);
}

TEST(ContainerExtract, ReturnsThePngStream) {
  const tc::File f = full_file();
  const Bytes b = write_or_fail(f);
  Bytes png;
  const tc::Error e = tc::extract_lr_image(b, tc::Limits{}, png);
  ASSERT_FALSE(e) << e.message;
  EXPECT_EQ(png, f.lr_image);
}

TEST(ContainerExtract, ValidatesTheWholeFile) {
  const tc::File f = full_file();
  Bytes b = write_or_fail(f);
  b[b.size() - 1] ^= 1;  // TEND CRC: the PNG itself is intact
  Bytes png;
  EXPECT_EQ(tc::extract_lr_image(b, tc::Limits{}, png).code, tc::ErrorCode::kBadCrc);
  tc::Limits tight;
  tight.max_pixels = 10;
  b[b.size() - 1] ^= 1;
  EXPECT_EQ(tc::extract_lr_image(b, tight, png).code, tc::ErrorCode::kLimitExceeded);
}

TEST(ContainerErrors, CodeNames) {
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kNone), "none");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kTruncated), "truncated");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kBadSignature), "bad_signature");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kUnsupportedVersion), "unsupported_version");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kBadCrc), "bad_crc");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kBadChunk), "bad_chunk");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kMissingChunk), "missing_chunk");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kUnknownCritical), "unknown_critical");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kBadField), "bad_field");
  EXPECT_STREQ(tc::error_code_name(tc::ErrorCode::kLimitExceeded), "limit_exceeded");
}

TEST(ContainerErrors, MessagesNameChunkFieldAndValue) {
  RawFile r = split(write_or_fail(small_file()));
  set_u16(r.chunks[0].data, 8, 65);
  tc::File out;
  tc::Error e = tc::read(join(r), tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kBadField);
  EXPECT_EQ(e.message, "chunk HEAD: scale_x 65 is outside 2..64");

  r = split(write_or_fail(small_file()));
  r.chunks.insert(r.chunks.begin() + 1, RawChunk{"ABCD", {}});
  e = tc::read(join(r), tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kUnknownCritical);
  EXPECT_NE(e.message.find("ABCD"), std::string::npos) << e.message;

  Bytes b = write_or_fail(small_file());
  b[25] ^= 0x04;  // HEAD data (height)
  e = tc::read(b, tc::Limits{}, out);
  EXPECT_EQ(e.code, tc::ErrorCode::kBadCrc);
  EXPECT_NE(e.message.find("HEAD"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("CRC"), std::string::npos) << e.message;
}

}  // namespace
