// JPEG input through libjpeg-turbo, with its ICC, EXIF and XMP reaching the decoded output.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "test_util.hpp"

using namespace tadm_test;

namespace {

std::vector<uint8_t> make_jpeg(const tadm_image& im, const std::vector<uint8_t>& icc,
                               const std::vector<uint8_t>& exif, const std::string& xmp) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &out, &size);
  c.image_width = im.width;
  c.image_height = im.height;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), exif.begin(), exif.end());
  jpeg_write_marker(&c, JPEG_APP0 + 1, app1.data(), static_cast<unsigned>(app1.size()));
  std::string x = std::string("http://ns.adobe.com/xap/1.0/") + '\0' + xmp;
  jpeg_write_marker(&c, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(x.data()), static_cast<unsigned>(x.size()));
  jpeg_write_icc_profile(&c, icc.data(), static_cast<unsigned>(icc.size()));
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = im.pixels + c.next_scanline * im.row_bytes;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> bytes(out, out + size);
  std::free(out);
  return bytes;
}

TEST(Jpeg, PixelsAndMetadataArrive) {
  ImagePtr im = make_image(90, 60);
  const auto icc = tiny_icc();
  const auto exif = tiny_exif();
  const std::string xmp = tiny_xmp();
  const auto jpeg = make_jpeg(*im, icc, exif, xmp);
  tadm_image* raw = nullptr;
  char err[256] = {};
  ASSERT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), nullptr, &raw, err, sizeof err), TADM_OK) << err;
  ImagePtr back(raw);
  EXPECT_EQ(back->width, 90u);
  EXPECT_EQ(back->height, 60u);
  EXPECT_EQ(back->channels, 3u);
  EXPECT_GT(psnr(*im, *back), 35.0);
  EXPECT_EQ(std::vector<uint8_t>(back->icc, back->icc + back->icc_size), icc);
  EXPECT_EQ(std::vector<uint8_t>(back->exif, back->exif + back->exif_size), exif);
  EXPECT_EQ(std::string(back->xmp, back->xmp + back->xmp_size), xmp);
  // And through the codec.
  tadm_cpp::Encoder enc(classic_encoder(16));
  tadm_cpp::Decoder dec(default_decoder());
  ImagePtr out = dec.decode(enc.encode(*back));
  EXPECT_EQ(out->width, 90u);
  EXPECT_EQ(std::vector<uint8_t>(out->exif, out->exif + out->exif_size), exif);
}

TEST(Jpeg, MetadataOverTheLimitIsRefused) {
  ImagePtr im = make_image(32, 32);
  const std::string xmp(5000, 'x');
  const auto jpeg = make_jpeg(*im, tiny_icc(), tiny_exif(), xmp);
  tadm_limits limits{};
  limits.max_metadata_bytes = 4096;
  tadm_image* out = nullptr;
  char err[256] = {};
  EXPECT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), &limits, &out, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(err).find("metadata limit"), std::string::npos) << err;
}

TEST(Jpeg, TruncatedJpegFailsCleanly) {
  ImagePtr im = make_image(64, 64);
  const auto jpeg = make_jpeg(*im, tiny_icc(), tiny_exif(), tiny_xmp());
  for (size_t cut : {size_t{0}, size_t{2}, size_t{20}, jpeg.size() / 3, jpeg.size() - 40}) {
    SCOPED_TRACE(cut);
    tadm_image* raw = nullptr;
    char err[256] = {};
    // libjpeg pads a truncated scan with grey and only warns: that warning is an error here.
    EXPECT_NE(tadm_image_read_memory(jpeg.data(), cut, nullptr, &raw, err, sizeof err), TADM_OK);
    EXPECT_EQ(raw, nullptr);
    EXPECT_NE(std::string(err), "");
  }
  // Asked to, the reader takes the padded image and says what was wrong.
  tadm_limits allow{};
  allow.allow_corrupt = 1;
  tadm_image* raw = nullptr;
  char err[256] = {};
  ASSERT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size() - 40, &allow, &raw, err, sizeof err), TADM_OK);
  EXPECT_NE(std::string(err).find("Premature end"), std::string::npos) << err;
  tadm_image_free(raw);
  tadm_limits l{};
  l.max_dimension = 32;
  raw = nullptr;
  EXPECT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), &l, &raw, nullptr, 0), TADM_ERROR_LIMIT);
}

// The SOF of a real JPEG patched to claim another size, as a hostile file would.
std::vector<uint8_t> with_sof_size(std::vector<uint8_t> jpeg, uint16_t w, uint16_t h) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) {
      jpeg[i + 5] = static_cast<uint8_t>(h >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(h);
      jpeg[i + 7] = static_cast<uint8_t>(w >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(w);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF marker";
  return jpeg;
}

TEST(Jpeg, LyingSofIsRefused) {
  ImagePtr im = make_image(64, 64);
  const auto jpeg = make_jpeg(*im, tiny_icc(), tiny_exif(), tiny_xmp());
  tadm_image* raw = nullptr;
  char err[512] = {};
  // 16000 x 16000 is within the pixel limits but 768 MB decoded: the budget refuses it first
  // when set below that; by default the scan runs out and the damage is refused.
  tadm_limits tight{};
  tight.max_memory_mib = 512;
  EXPECT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), &tight, &raw, err, sizeof err), TADM_OK) << err;
  tadm_image_free(raw);
  const auto big = with_sof_size(jpeg, 16000, 16000);
  EXPECT_EQ(tadm_image_read_memory(big.data(), big.size(), &tight, &raw, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_NE(std::string(err).find("memory budget"), std::string::npos) << err;
  EXPECT_NE(tadm_image_read_memory(big.data(), big.size(), nullptr, &raw, err, sizeof err), TADM_OK);
  EXPECT_EQ(raw, nullptr);
  const auto wider = with_sof_size(jpeg, 80, 64);  // a smaller lie: the scan does not fit
  EXPECT_EQ(tadm_image_read_memory(wider.data(), wider.size(), nullptr, &raw, err, sizeof err), TADM_ERROR_CORRUPT) << err;
}

}  // namespace

// Found by fuzz_image_reader_allocfail: an Exif segment without a TIFF header was accepted, and
// the AVIF container then failed with an internal error. It is damaged input: CORRUPT, or with
// allow_corrupt the EXIF is dropped with a warning; the API refuses to attach such a payload.
TEST(Jpeg, ExifWithoutATiffHeaderIsDamage) {
  ImagePtr im = make_image(32, 32);
  const std::vector<uint8_t> bad_exif = {'I', 'I', '*', 'E', 'x', 'i', 'f', 0, 0, 0};
  const auto jpeg = make_jpeg(*im, tiny_icc(), bad_exif, tiny_xmp());
  tadm_image* out = nullptr;
  char err[256] = {};
  EXPECT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), nullptr, &out, err, sizeof err), TADM_ERROR_CORRUPT);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(err).find("TIFF header"), std::string::npos) << err;
  tadm_limits limits{};
  limits.allow_corrupt = 1;
  ASSERT_EQ(tadm_image_read_memory(jpeg.data(), jpeg.size(), &limits, &out, err, sizeof err), TADM_OK) << err;
  ImagePtr back(out);
  EXPECT_EQ(back->exif, nullptr);
  EXPECT_NE(std::string(err).find("TIFF header"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_set_metadata(back.get(), "exif", bad_exif.data(), bad_exif.size(), nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
  const auto good = tiny_exif();
  EXPECT_EQ(tadm_image_set_metadata(back.get(), "exif", good.data(), good.size(), nullptr, 0), TADM_OK);
  // Put straight into the struct instead: the encoder refuses it before copying anything.
  std::vector<uint8_t> direct = bad_exif;
  uint8_t* const owned = back->exif;
  back->exif = direct.data();
  back->exif_size = direct.size();
  tadm_encoder* enc = nullptr;
  const tadm_encoder_settings es = classic_encoder(16);
  ASSERT_EQ(tadm_encoder_create(&es, &enc, err, sizeof err), TADM_OK) << err;
  uint8_t* file = nullptr;
  size_t size = 0;
  EXPECT_EQ(tadm_encoder_encode(enc, back.get(), &file, &size), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tadm_encoder_last_error(enc)).find("TIFF header"), std::string::npos);
  tadm_encoder_destroy(enc);
  back->exif = owned;
  back->exif_size = good.size();
}
