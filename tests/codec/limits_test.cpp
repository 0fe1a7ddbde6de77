// Resource limits: each limit gives TADM_ERROR_LIMIT with a message, before any allocation
// that depends on the input's claims (a decompression bomb costs nothing).
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>

#include "../container/vector_tools.hpp"
#include "test_util.hpp"

using namespace tadm_test;
using tadm::testing::append_chunk;
using tadm::testing::append_u32;

namespace {

// A PNG claiming width x height gray pixels whose IDAT is a tiny deflate stream of zeros.
std::vector<uint8_t> bomb_png(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  std::vector<uint8_t> ihdr;
  append_u32(ihdr, width);
  append_u32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});
  append_chunk(png, "IHDR", ihdr);
  std::vector<uint8_t> zeros(1 << 20, 0);  // the first megabyte of the claimed rows
  uLongf len = compressBound(static_cast<uLong>(zeros.size()));
  std::vector<uint8_t> z(len);
  compress2(z.data(), &len, zeros.data(), static_cast<uLong>(zeros.size()), 9);
  z.resize(len);
  append_chunk(png, "IDAT", z);
  append_chunk(png, "IEND", {});
  return png;
}

TEST(Limits, PngDecompressionBombIsRefusedBeforeAllocation) {
  const auto png = bomb_png(60000, 60000);  // 3.6 gigapixels claimed in ~1 KB
  EXPECT_LT(png.size(), 4096u);
  tadm_image* out = nullptr;
  char err[256] = {};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(tadm_image_read_memory(png.data(), png.size(), nullptr, &out, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));  // generous: no decode happened
  EXPECT_NE(std::string(err).find("limit"), std::string::npos) << err;
  EXPECT_EQ(out, nullptr);
}

TEST(Limits, PngWiderThanTheDimensionLimitIsRefused) {
  const auto png = bomb_png(70000, 10);
  tadm_image* out = nullptr;
  char err[256] = {};
  EXPECT_NE(tadm_image_read_memory(png.data(), png.size(), nullptr, &out, err, sizeof err), TADM_OK);
  EXPECT_EQ(out, nullptr);
  EXPECT_STRNE(err, "");
}

TEST(Limits, MetadataLimitOnEncode) {
  ImagePtr im = make_image(32, 32);
  std::vector<uint8_t> xmp(5000, 'x');
  ASSERT_EQ(tadm_image_set_metadata(im.get(), "xmp", xmp.data(), xmp.size(), nullptr, 0), TADM_OK);
  auto s = classic_encoder(16);
  s.common.limits.max_metadata_bytes = 4096;
  std::string message;
  EXPECT_EQ(encode_status(*im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("metadata"), std::string::npos) << message;
}

TEST(Limits, MetadataLimitOnDecode) {
  ImagePtr im = make_image(32, 32);
  std::vector<uint8_t> xmp(5000, 'x');
  ASSERT_EQ(tadm_image_set_metadata(im.get(), "xmp", xmp.data(), xmp.size(), nullptr, 0), TADM_OK);
  const auto bytes = tadm_cpp::Encoder(classic_encoder(16)).encode(*im);
  auto d = default_decoder();
  d.common.limits.max_metadata_bytes = 4096;
  std::string message;
  EXPECT_EQ(decode_status(bytes, d, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("xmpp"), std::string::npos) << message;
}

TEST(Limits, PixelLimitOnDecodeComesBeforeTheModelRuns) {
  // A 1200 x 1000 original (1.2 MP) from a 75 x 63 thumbnail, refused by a 1 MP decoder.
  const auto file = tadm_cpp::Encoder(classic_encoder(16)).encode(*make_image(1200, 1000));
  auto d = default_decoder();
  d.common.limits.max_pixels = 1000000;
  std::string message;
  EXPECT_EQ(decode_status(file, d, &message), TADM_ERROR_LIMIT);  // also checks no image comes back
  EXPECT_NE(message.find("limit"), std::string::npos) << message;
}

}  // namespace
