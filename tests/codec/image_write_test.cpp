// tadm_image_write and tadm_image_resize: every output format reads back through
// tadm_image_read_memory with the size, layout and pixels it should have; bad arguments are
// refused with TADM_ERROR_INVALID_ARGUMENT.
#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

using namespace tadm_test;

namespace {

ImagePtr write_and_read(const tadm_image& im, tadm_image_format format, int quality, std::string* warning = nullptr) {
  const std::vector<uint8_t> bytes = tadm_cpp::write_image(im, format, quality, warning);
  return tadm_cpp::read_image_memory(bytes);
}

TEST(ImageWrite, LosslessFormatsRoundTripExactly) {
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    for (uint32_t depth : {8u, 16u}) {
      SCOPED_TRACE(testing::Message() << channels << " channels, " << depth << "-bit");
      ImagePtr im = make_image(37, 21, channels, depth);
      for (tadm_image_format f : {TADM_IMAGE_PNG, TADM_IMAGE_PAM}) {
        ImagePtr back = write_and_read(*im, f, 0);
        ASSERT_EQ(back->width, 37u);
        ASSERT_EQ(back->height, 21u);
        EXPECT_EQ(back->channels, channels);
        EXPECT_EQ(back->bit_depth, depth);
        EXPECT_EQ(psnr(*im, *back), 99.0);
      }
    }
  }
}

TEST(ImageWrite, PpmIsRgbAndSaysAlphaIsDropped) {
  ImagePtr im = make_image(20, 10, 4, 16);
  std::string warning;
  ImagePtr back = write_and_read(*im, TADM_IMAGE_PPM, 0, &warning);
  EXPECT_EQ(back->channels, 3u);
  EXPECT_EQ(back->bit_depth, 16u);  // maxval 65535
  EXPECT_NE(warning.find("alpha"), std::string::npos) << warning;
  for (uint32_t c = 0; c < 3; ++c) EXPECT_EQ(sample(*im, 5, 5, c), sample(*back, 5, 5, c));
}

TEST(ImageWrite, PamSixteenBitIsBigEndian) {
  ImagePtr im = make_image(1, 1, 1, 16);
  const uint16_t v = 0x1234;
  std::memcpy(im->pixels, &v, 2);
  const std::vector<uint8_t> bytes = tadm_cpp::write_image(*im, TADM_IMAGE_PAM);
  const std::string header(bytes.begin(), bytes.end() - 2);
  EXPECT_NE(header.find("MAXVAL 65535\n"), std::string::npos);
  EXPECT_NE(header.find("TUPLTYPE GRAYSCALE\n"), std::string::npos);
  EXPECT_EQ(bytes[bytes.size() - 2], 0x12);
  EXPECT_EQ(bytes.back(), 0x34);
}

TEST(ImageWrite, LossyFormatsAreCloseAndEightBit) {
  ImagePtr im = make_image(64, 48, 3, 16);
  std::string warning;
  ImagePtr jpeg = write_and_read(*im, TADM_IMAGE_JPEG, 95, &warning);
  EXPECT_EQ(jpeg->bit_depth, 8u);
  EXPECT_EQ(jpeg->channels, 3u);
  EXPECT_NE(warning.find("16-bit"), std::string::npos) << warning;
  ImagePtr eight = make_image(64, 48, 3, 8);
  EXPECT_GT(psnr(*eight, *write_and_read(*eight, TADM_IMAGE_JPEG, 95)), 30.0);
  ImagePtr rgba = make_image(64, 48, 4, 8);
  ImagePtr webp = write_and_read(*rgba, TADM_IMAGE_WEBP, 95, &warning);
  EXPECT_EQ(webp->channels, 4u);
  EXPECT_TRUE(warning.empty()) << warning;
  EXPECT_GT(psnr(*rgba, *webp), 30.0);
  // Quality is what it says: a lower one gives fewer bytes.
  EXPECT_LT(tadm_cpp::write_image(*eight, TADM_IMAGE_JPEG, 20).size(), tadm_cpp::write_image(*eight, TADM_IMAGE_JPEG, 95).size());
}

TEST(ImageWrite, OnlyPngKeepsMetadata) {
  ImagePtr im = make_image(16, 16);
  attach_tiny_metadata(im.get());
  ImagePtr png = write_and_read(*im, TADM_IMAGE_PNG, 0);
  EXPECT_EQ(png->icc_size, im->icc_size);
  std::string warning;
  write_and_read(*im, TADM_IMAGE_WEBP, 0, &warning);
  EXPECT_NE(warning.find("metadata"), std::string::npos) << warning;
}

TEST(ImageWrite, BadArgumentsAreRefused) {
  ImagePtr im = make_image(8, 8);
  uint8_t* data = nullptr;
  size_t size = 0;
  char err[256];
  for (int bad : {-1, 5, 1000}) {
    EXPECT_EQ(tadm_image_write(im.get(), static_cast<tadm_image_format>(bad), 0, &data, &size, err, sizeof err),
              TADM_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(err).find("format"), std::string::npos) << err;
    EXPECT_EQ(data, nullptr);
  }
  EXPECT_EQ(tadm_image_write(im.get(), TADM_IMAGE_JPEG, 101, &data, &size, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_image_write(nullptr, TADM_IMAGE_PNG, 0, &data, &size, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_image_write(im.get(), TADM_IMAGE_PNG, 0, nullptr, &size, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
}

TEST(ImageRead, NetpbmVariants) {
  // PGM with a comment and maxval 1000 (rescaled to 16 bits); a truncated PPM; plain PNM is not read.
  const std::string pgm = std::string("P5\n# a comment\n2 1\n1000\n") + std::string("\x03\xe8\x00\x00", 4);
  ImagePtr g = tadm_cpp::read_image_memory(reinterpret_cast<const uint8_t*>(pgm.data()), pgm.size());
  EXPECT_EQ(g->channels, 1u);
  EXPECT_EQ(g->bit_depth, 16u);
  EXPECT_EQ(sample(*g, 0, 0, 0), 1.0);
  EXPECT_EQ(sample(*g, 1, 0, 0), 0.0);
  tadm_image* out = nullptr;
  char err[256];
  const std::string truncated = "P6\n4 4\n255\n\x01\x02";
  EXPECT_EQ(tadm_image_read_memory(reinterpret_cast<const uint8_t*>(truncated.data()), truncated.size(), nullptr, &out, err,
                                   sizeof err),
            TADM_ERROR_CORRUPT);
  EXPECT_NE(std::string(err).find("truncated"), std::string::npos) << err;
  const std::string plain = "P3\n1 1\n255\n0 0 0\n";
  EXPECT_EQ(tadm_image_read_memory(reinterpret_cast<const uint8_t*>(plain.data()), plain.size(), nullptr, &out, err, sizeof err),
            TADM_ERROR_UNSUPPORTED);
  const std::string over = "P5\n1 1\n10\n\x0b";
  EXPECT_EQ(tadm_image_read_memory(reinterpret_cast<const uint8_t*>(over.data()), over.size(), nullptr, &out, err, sizeof err),
            TADM_ERROR_CORRUPT);
}

TEST(ImageResize, KeepsLayoutDepthAndMetadata) {
  ImagePtr im = make_image(100, 60, 2, 16);
  attach_tiny_metadata(im.get());
  ImagePtr small = tadm_cpp::resize(*im, 25, 15);
  EXPECT_EQ(small->width, 25u);
  EXPECT_EQ(small->height, 15u);
  EXPECT_EQ(small->channels, 2u);
  EXPECT_EQ(small->bit_depth, 16u);
  EXPECT_EQ(small->icc_size, im->icc_size);
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_image_resize(im.get(), 0, 10, &out, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
}

}  // namespace
