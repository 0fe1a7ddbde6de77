// HEIF / AVIF containers through the public C API: metadata and pixels identical to .tadm, the
// container reported by tadm_file_info_read, bad settings refused, and damaged files (every
// truncation, byte flips) failing with a status instead of crashing.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace {

using namespace tadm_test;

std::vector<uint8_t> encode(const tadm_image& im, tadm_container_format c, uint32_t scale = 8) {
  tadm_encoder_settings s = classic_encoder(scale);
  s.container = c;
  tadm_cpp::Encoder enc(s);
  return enc.encode(im);
}

ImagePtr decode(const std::vector<uint8_t>& bytes) {
  tadm_cpp::Decoder dec(default_decoder());
  return dec.decode(bytes);
}

std::vector<uint8_t> blob(const uint8_t* p, size_t n) { return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>{}; }

void expect_same(const tadm_image& a, const tadm_image& b) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.channels, b.channels);
  ASSERT_EQ(a.bit_depth, b.bit_depth);
  ASSERT_EQ(blob(a.pixels, a.row_bytes * a.height), blob(b.pixels, b.row_bytes * b.height));
  EXPECT_EQ(blob(a.icc, a.icc_size), blob(b.icc, b.icc_size));
  EXPECT_EQ(blob(a.exif, a.exif_size), blob(b.exif, b.exif_size));
  EXPECT_EQ(blob(a.xmp, a.xmp_size), blob(b.xmp, b.xmp_size));
  EXPECT_EQ(a.has_cicp, b.has_cicp);
}

class Containers : public ::testing::TestWithParam<tadm_container_format> {};

TEST_P(Containers, SameImageAndMetadataAsTadm) {
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("channels " + std::to_string(channels));
    ImagePtr im = make_image(101, 67, channels, channels == 3 ? 16 : 8, channels);
    const auto exif = tiny_exif();
    const std::string xmp = tiny_xmp();
    ASSERT_NO_FATAL_FAILURE(attach_tiny_metadata(im.get()));
    const auto tadm = encode(*im, TADM_CONTAINER_TADM);
    const auto other = encode(*im, GetParam());
    ASSERT_NE(tadm, other);
    const ImagePtr a = decode(tadm), b = decode(other);
    expect_same(*a, *b);
    EXPECT_EQ(blob(b->exif, b->exif_size), exif);
    EXPECT_EQ(std::string(b->xmp, b->xmp + b->xmp_size), xmp);
  }
}

TEST_P(Containers, InfoReportsTheContainerAndTheSameFields) {
  ImagePtr im = make_image(50, 30);
  const auto tadm = encode(*im, TADM_CONTAINER_TADM);
  const auto other = encode(*im, GetParam());
  tadm_file_info *a = nullptr, *b = nullptr;
  char err[512] = {};
  ASSERT_EQ(tadm_file_info_read(tadm.data(), tadm.size(), nullptr, &a, err, sizeof err), TADM_OK) << err;
  ASSERT_EQ(tadm_file_info_read(other.data(), other.size(), nullptr, &b, err, sizeof err), TADM_OK) << err;
  EXPECT_EQ(a->container, TADM_CONTAINER_TADM);
  EXPECT_EQ(b->container, GetParam());
  EXPECT_EQ(b->file_size, other.size());
  EXPECT_EQ(a->width, b->width);
  EXPECT_EQ(a->lr_width, b->lr_width);
  EXPECT_EQ(a->scale_x, b->scale_x);
  EXPECT_STREQ(a->model_sha256, b->model_sha256);
  tadm_file_info_free(a);
  tadm_file_info_free(b);
}

TEST_P(Containers, ThumbnailHasTheSamePixels) {
  ImagePtr im = make_image(64, 40, 4);
  const auto tadm = encode(*im, TADM_CONTAINER_TADM);
  const auto other = encode(*im, GetParam());
  std::vector<uint8_t> pngs[2];
  const std::vector<uint8_t>* files[2] = {&tadm, &other};
  for (int k = 0; k < 2; ++k) {
    uint8_t* png = nullptr;
    size_t n = 0;
    char err[512] = {};
    ASSERT_EQ(tadm_extract_thumbnail(files[k]->data(), files[k]->size(), nullptr, &png, &n, err, sizeof err), TADM_OK) << err;
    pngs[k] = tadm_cpp::take_buffer(png, n);
  }
  tadm_image *a = nullptr, *b = nullptr;
  ASSERT_EQ(tadm_image_read_memory(pngs[0].data(), pngs[0].size(), nullptr, &a, nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_read_memory(pngs[1].data(), pngs[1].size(), nullptr, &b, nullptr, 0), TADM_OK);
  ImagePtr pa(a), pb(b);
  ASSERT_EQ(a->channels, b->channels);
  EXPECT_EQ(blob(a->pixels, a->row_bytes * a->height), blob(b->pixels, b->row_bytes * b->height));
}

TEST_P(Containers, DamagedFilesFailCleanly) {
  ImagePtr im = make_image(40, 24);
  const auto good = encode(*im, GetParam());
  tadm_cpp::Decoder dec(default_decoder());
  size_t refused = 0, tried = 0;
  for (size_t len = 0; len < good.size(); len += 7) {  // every truncation (step 7)
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len));
    tadm_image* out = nullptr;
    tadm_decoder* raw = nullptr;
    tadm_decoder_settings s = default_decoder();
    ASSERT_EQ(tadm_decoder_create(&s, &raw, nullptr, 0), TADM_OK);
    const tadm_status st = tadm_decoder_decode(raw, cut.data(), cut.size(), &out);
    ++tried;
    if (st != TADM_OK) {
      ++refused;
      EXPECT_EQ(out, nullptr);
      EXPECT_GT(std::strlen(tadm_decoder_last_error(raw)), 10u);
    }
    tadm_image_free(out);
    tadm_decoder_destroy(raw);
  }
  EXPECT_EQ(refused, tried) << "every truncated file must be refused";
  // Byte flips anywhere: never a crash; most are refused (the header's CRCs, the ISOBMFF
  // structure); a flip inside the coded image may decode to other pixels.
  size_t flips_refused = 0, flips = 0;
  for (size_t at = 0; at < good.size(); at += 5) {
    std::vector<uint8_t> bad = good;
    bad[at] ^= 0x41;
    tadm_file_info* info = nullptr;
    const tadm_status st = tadm_file_info_read(bad.data(), bad.size(), nullptr, &info, nullptr, 0);
    ++flips;
    if (st != TADM_OK) ++flips_refused;
    tadm_file_info_free(info);
  }
  std::printf("%s: %zu/%zu truncations refused, %zu/%zu byte flips refused by tadm_file_info_read\n",
              GetParam() == TADM_CONTAINER_HEIF ? "HEIF" : "AVIF", refused, tried, flips_refused, flips);
  EXPECT_GT(flips_refused, flips / 4);
}

INSTANTIATE_TEST_SUITE_P(HeifAvif, Containers, ::testing::Values(TADM_CONTAINER_HEIF, TADM_CONTAINER_AVIF),
                         [](const auto& p) { return p.param == TADM_CONTAINER_HEIF ? "heif" : "avif"; });

TEST(Containers, UnknownContainerIsRefused) {
  tadm_encoder_settings s = classic_encoder(16);
  const int bogus = 7;  // an out-of-range value, as a C caller could pass
  std::memcpy(&s.container, &bogus, sizeof bogus);
  tadm_encoder* enc = nullptr;
  char err[512] = {};
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(enc, nullptr);
  EXPECT_NE(std::string(err).find("container"), std::string::npos) << err;
}

TEST(Containers, DefaultIsTadm) {
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  EXPECT_EQ(s.container, TADM_CONTAINER_TADM);
}

}  // namespace
