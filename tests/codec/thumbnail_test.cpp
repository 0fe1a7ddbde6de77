// tadm_decode_thumbnail: the stored thumbnail's pixels for every thumbnail codec, equal to the
// thumbnail's own bytes decoded directly (by the codec layer that lr_codec_test checks against
// the codecs' libraries, and by the public image reader where it reads the format); lossless
// codecs equal the PNG thumbnail; the decoded image's channel layout; damaged input refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../../codec/src/error.hpp"
#include "../../codec/src/lr_codec.hpp"
#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;

namespace {

struct Variant {
  tadm_lr_codec codec;
  bool lossless;
  const char* name;
};

constexpr Variant kVariants[] = {
    {TADM_LR_PNG, false, "png"},           {TADM_LR_JPEG, false, "jpeg"},
    {TADM_LR_WEBP, false, "webp"},         {TADM_LR_WEBP, true, "webp-lossless"},
    {TADM_LR_JXL, false, "jxl"},           {TADM_LR_JXL, true, "jxl-lossless"},
    {TADM_LR_AVIF, false, "avif"},         {TADM_LR_AVIF, true, "avif-lossless"},
};

std::vector<uint8_t> encode_with(const tadm_image& im, tadm_lr_codec codec, bool lossless) {
  tadm_encoder_settings s = classic_encoder(8);
  s.lr_codec = codec;
  s.lr_lossless = lossless ? 1 : 0;
  s.lr_quality = 80;
  return encode_bytes(im, s);
}

// The samples of an image as RGBA (gray replicated, 255 without alpha): the reference decoders
// may return a gray stream as RGB or leave out an opaque alpha, which changes no sample.
std::vector<uint8_t> rgba(const uint8_t* pixels, size_t row_bytes, uint32_t w, uint32_t h, uint32_t channels) {
  std::vector<uint8_t> out(size_t{w} * h * 4);
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) {
      const uint8_t* s = pixels + y * row_bytes + size_t{x} * channels;
      uint8_t* d = out.data() + (size_t{y} * w + x) * 4;
      if (channels <= 2) d[0] = d[1] = d[2] = s[0];
      else std::memcpy(d, s, 3);
      d[3] = channels % 2 == 0 ? s[channels - 1] : 255;
    }
  return out;
}
std::vector<uint8_t> rgba(const tadm_image& im) { return rgba(im.pixels, im.row_bytes, im.width, im.height, im.channels); }
std::vector<uint8_t> rgba(const tadm::Image& im) {
  return rgba(im.pixels.data(), im.row_bytes(), im.width, im.height, im.channels);
}

// `thumb` holds the samples of `stored` (RGBA): exactly, or for a gray thumbnail whose stream a
// lossy codec decoded to colour (WebP codes gray as YUV), their BT.601 luma within one level.
void expect_stored_pixels(const tadm_image& thumb, const std::vector<uint8_t>& stored) {
  const std::vector<uint8_t> got = rgba(thumb);
  ASSERT_EQ(got.size(), stored.size());
  if (thumb.channels > 2 || got == stored) {
    EXPECT_EQ(got, stored);
    return;
  }
  int worst = 0;
  for (size_t i = 0; i < got.size(); i += 4) {
    const double luma = 0.299 * stored[i] + 0.587 * stored[i + 1] + 0.114 * stored[i + 2];
    worst = std::max(worst, static_cast<int>(std::ceil(std::abs(got[i] - luma))));
    ASSERT_EQ(got[i + 3], stored[i + 3]) << "alpha at sample " << i / 4;
  }
  EXPECT_LE(worst, 1) << "gray against the luma of the stored colour";
}

ImagePtr decode_thumbnail(const std::vector<uint8_t>& file, tadm_status expected = TADM_OK, std::string* message = nullptr) {
  tadm_image* out = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_decode_thumbnail(file.data(), file.size(), nullptr, &out, err, sizeof err);
  EXPECT_EQ(st, expected) << err;
  if (st != TADM_OK) {
    EXPECT_EQ(out, nullptr);
  }
  if (message) *message = err;
  return ImagePtr(out);
}

std::vector<uint8_t> thumbnail_stream(const std::vector<uint8_t>& file) {
  uint8_t* data = nullptr;
  size_t size = 0;
  char err[512] = {};
  EXPECT_EQ(tadm_extract_thumbnail(file.data(), file.size(), nullptr, &data, &size, err, sizeof err), TADM_OK) << err;
  return tadm_cpp::take_buffer(data, size);
}

tadm::container::File read_file(const std::vector<uint8_t>& bytes) {
  tadm::container::File f;
  EXPECT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f)) << "the test file does not read";
  return f;
}

std::vector<uint8_t> write_file(const tadm::container::File& f) {
  std::vector<uint8_t> out;
  EXPECT_FALSE(tadm::container::write(f, out));
  return out;
}

}  // namespace

// Every codec and layout: the pixels are the stored stream's, decoded directly.
TEST(DecodeThumbnail, EveryCodecGivesTheStoredPixels) {
  for (const Variant& v : kVariants) {
    for (const uint32_t channels : {1u, 2u, 3u, 4u}) {
      if (v.codec == TADM_LR_JPEG && channels % 2 == 0) continue;  // JPEG has no alpha
      SCOPED_TRACE(std::string(v.name) + ", " + std::to_string(channels) + " channel(s)");
      ImagePtr im = make_image(203, 150, channels, 8, channels);
      const std::vector<uint8_t> file = encode_with(*im, v.codec, v.lossless);
      const tadm::container::File f = read_file(file);
      ASSERT_EQ(f.lr_codec, static_cast<uint8_t>(v.codec));
      ImagePtr thumb = decode_thumbnail(file);
      ASSERT_TRUE(thumb);
      EXPECT_EQ(thumb->width, 26u);  // ceil(203 / 8)
      EXPECT_EQ(thumb->height, 19u);
      EXPECT_EQ(thumb->bit_depth, 8u);
      EXPECT_EQ(thumb->channels, channels) << "the decoded image's layout";
      // The stream, byte for byte as tadm_extract_thumbnail gives it, through the codec layer.
      const std::vector<uint8_t> stream = thumbnail_stream(file);
      EXPECT_EQ(stream, f.lr_image);
      const tadm::Image direct = tadm::decode_lr(stream, static_cast<tadm::LrCodec>(v.codec), f.lr_width, f.lr_height,
                                                 tadm::resolve_limits(nullptr));
      expect_stored_pixels(*thumb, rgba(direct));
      // The formats the public image reader knows, through it.
      if (v.codec == TADM_LR_PNG || v.codec == TADM_LR_JPEG || v.codec == TADM_LR_WEBP) {
        ImagePtr read = tadm_cpp::read_image_memory(stream);
        expect_stored_pixels(*thumb, rgba(*read));
      }
      // Lossless codecs hold exactly what the PNG thumbnail holds.
      if (v.lossless) {
        ImagePtr png = decode_thumbnail(encode_with(*im, TADM_LR_PNG, false));
        ASSERT_TRUE(png);
        EXPECT_EQ(blob(thumb->pixels, thumb->row_bytes * thumb->height), blob(png->pixels, png->row_bytes * png->height));
      }
    }
  }
}

// The thumbnail carries the file's metadata, as the decoded image does.
TEST(DecodeThumbnail, KeepsTheFilesMetadata) {
  ImagePtr im = make_image(64, 48);
  const std::vector<uint8_t> icc = tiny_icc(), exif = tiny_exif();
  ASSERT_EQ(tadm_image_set_metadata(im.get(), "icc", icc.data(), icc.size(), nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_set_metadata(im.get(), "exif", exif.data(), exif.size(), nullptr, 0), TADM_OK);
  ImagePtr thumb = decode_thumbnail(encode_with(*im, TADM_LR_JXL, false));
  ASSERT_TRUE(thumb);
  EXPECT_EQ(blob(thumb->icc, thumb->icc_size), icc);
  EXPECT_EQ(blob(thumb->exif, thumb->exif_size), exif);
}

// A stream whose layout differs from the file's flags (a colour thumbnail of a gray original, an
// opaque alpha left out) comes back in the decoded image's layout, converted as the decoder does.
TEST(DecodeThumbnail, ConvertsToTheDecodedLayout) {
  ImagePtr gray = make_image(64, 48, 1);
  tadm::container::File f = read_file(encode_with(*gray, TADM_LR_PNG, false));
  ImagePtr expected = decode_thumbnail(write_file(f));
  ASSERT_TRUE(expected);
  ASSERT_EQ(expected->channels, 1u);
  // The same samples stored as RGB, then as RGB with an opaque alpha, under the gray flag.
  ImagePtr colour = make_image(f.lr_width, f.lr_height, 3);
  for (size_t i = 0; i < size_t{f.lr_width} * f.lr_height; ++i)
    for (int c = 0; c < 3; ++c) colour->pixels[i * 3 + c] = expected->pixels[i];
  f.lr_image = tadm_cpp::write_png(*colour);
  ImagePtr thumb = decode_thumbnail(write_file(f));
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->channels, 1u);
  EXPECT_EQ(blob(thumb->pixels, thumb->row_bytes * thumb->height),
            blob(expected->pixels, expected->row_bytes * expected->height));
  f.flags |= tadm::container::kFlagAlpha;
  thumb = decode_thumbnail(write_file(f));
  ASSERT_TRUE(thumb);
  ASSERT_EQ(thumb->channels, 2u);
  for (size_t i = 0; i < size_t{thumb->width} * thumb->height; ++i) {
    ASSERT_EQ(thumb->pixels[i * 2], expected->pixels[i]);
    ASSERT_EQ(thumb->pixels[i * 2 + 1], 255);
  }
}

// Damaged files and damaged streams: a clear status and message, never an image.
TEST(DecodeThumbnail, DamagedInputIsRefused) {
  ImagePtr im = make_image(120, 80);
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(v.name);
    const std::vector<uint8_t> good = encode_with(*im, v.codec, v.lossless);
    std::string msg;
    // Truncated files: the container's checks.
    for (const size_t keep : {size_t{0}, size_t{7}, good.size() / 2, good.size() - 1}) {
      decode_thumbnail(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(keep)),
                       TADM_ERROR_CORRUPT, &msg);
      EXPECT_NE(msg.find("not a valid .tadm file"), std::string::npos) << msg;
    }
    // A valid container around a truncated or garbled stream: the codec's checks. (The container
    // checks a WebP stream's RIFF size, so the truncated one says its new size.)
    tadm::container::File f = read_file(good);
    const std::vector<uint8_t> stream = f.lr_image;
    f.lr_image.resize(stream.size() / 2);
    if (v.codec == TADM_LR_WEBP) {
      const auto riff = static_cast<uint32_t>(f.lr_image.size() - 8);
      for (int k = 0; k < 4; ++k) f.lr_image[4 + k] = static_cast<uint8_t>(riff >> (8 * k));
    }
    decode_thumbnail(write_file(f), TADM_ERROR_CORRUPT, &msg);
    EXPECT_FALSE(msg.empty());
    f.lr_image = stream;
    for (size_t i = f.lr_image.size() / 2; i + 2 < f.lr_image.size(); i += 5) f.lr_image[i] ^= 0x5a;
    tadm_image* out = nullptr;
    char err[512] = {};
    const std::vector<uint8_t> garbled = write_file(f);
    const tadm_status st = tadm_decode_thumbnail(garbled.data(), garbled.size(), nullptr, &out, err, sizeof err);
    // Some codecs decode garbled entropy-coded data to other pixels; none may crash or lie about it.
    if (st == TADM_OK) {
      EXPECT_EQ(out->width, f.lr_width);
      EXPECT_EQ(out->height, f.lr_height);
    } else {
      EXPECT_EQ(st, TADM_ERROR_CORRUPT) << err;
      EXPECT_NE(err[0], '\0');
      EXPECT_EQ(out, nullptr);
    }
    tadm_image_free(out);
  }
}

TEST(DecodeThumbnail, ArgumentsAndLimits) {
  char err[256] = {};
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_decode_thumbnail(nullptr, 0, nullptr, nullptr, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_decode_thumbnail(nullptr, 5, nullptr, &out, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(err[0], '\0');
  ImagePtr im = make_image(120, 80);
  const std::vector<uint8_t> file = encode_with(*im, TADM_LR_JXL, true);
  tadm_limits limits{};
  limits.max_pixels = 100;  // the original is over it
  EXPECT_EQ(tadm_decode_thumbnail(file.data(), file.size(), &limits, &out, err, sizeof err), TADM_ERROR_LIMIT) << err;
  EXPECT_EQ(out, nullptr);
}
