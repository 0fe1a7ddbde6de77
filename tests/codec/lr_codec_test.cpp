// The LR image codecs (codec/src/lr_codec.hpp): round trips, damaged and mismatching payloads,
// limits before decoding, and the non-PNG streams of spec/vectors decoded by their libraries.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../../codec/src/error.hpp"
#include "../../codec/src/lr_codec.hpp"
#include "../container/lr_streams.hpp"
#include "tadm/container.hpp"
#include "test_util.hpp"

namespace {

using tadm::Image;
using tadm::LrCodec;
using tadm::LrEncodeOptions;

Image engine_image(uint32_t w, uint32_t h, uint32_t channels, uint32_t seed = 1) {
  const tadm_test::ImagePtr im = tadm_test::make_image(w, h, channels, 8, seed);
  Image out;
  out.width = w;
  out.height = h;
  out.channels = channels;
  out.pixels.resize(out.row_bytes() * h);
  for (uint32_t y = 0; y < h; ++y)
    std::memcpy(out.pixels.data() + y * out.row_bytes(), im->pixels + y * im->row_bytes, out.row_bytes());
  return out;
}

// RGBA samples of an image (gray replicated, opaque when it has no alpha): codecs may return
// gray as RGB or drop an opaque alpha, which changes no sample.
std::vector<uint8_t> rgba(const Image& im) {
  std::vector<uint8_t> out(std::size_t{im.width} * im.height * 4);
  for (std::size_t i = 0; i < std::size_t{im.width} * im.height; ++i) {
    const uint8_t* s = im.pixels.data() + i * im.channels;
    uint8_t* d = out.data() + i * 4;
    if (im.channels <= 2) d[0] = d[1] = d[2] = s[0];
    else std::memcpy(d, s, 3);
    d[3] = im.has_alpha() ? s[im.channels - 1] : 255;
  }
  return out;
}

double psnr(const Image& a, const Image& b) {
  const std::vector<uint8_t> x = rgba(a), y = rgba(b);
  double se = 0;
  for (std::size_t i = 0; i < x.size(); ++i) se += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
  return se == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 * double(x.size()) / se);
}

LrEncodeOptions options(LrCodec codec, int quality = 90, bool lossless = false) {
  LrEncodeOptions o;
  o.codec = codec;
  o.quality = quality;
  o.lossless = lossless;
  o.effort = 4;
  return o;
}

tadm::PngWriteOptions png_options() {
  tadm::PngWriteOptions p;
  p.effort = 1;
  p.metadata = false;
  p.reduce = true;
  return p;
}

tadm_limits default_limits() { return tadm::resolve_limits(nullptr); }

// The status of a decode that must fail, with its message.
tadm_status decode_status(std::span<const uint8_t> payload, LrCodec codec, uint32_t w, uint32_t h,
                          const tadm_limits& limits, std::string* message = nullptr) {
  try {
    tadm::decode_lr(payload, codec, w, h, limits);
  } catch (const tadm::Error& e) {
    if (message) *message = e.what();
    return e.status();
  }
  return TADM_OK;
}

tadm_status encode_status(const Image& im, const LrEncodeOptions& o) {
  try {
    tadm::encode_lr(im, o, png_options());
  } catch (const tadm::Error& e) {
    return e.status();
  }
  return TADM_OK;
}

constexpr LrCodec kAll[] = {LrCodec::kPng, LrCodec::kJpeg, LrCodec::kWebp, LrCodec::kJxl, LrCodec::kAvif};

TEST(LrCodec, Names) {
  EXPECT_STREQ(tadm::lr_codec_name(LrCodec::kPng), "png");
  EXPECT_STREQ(tadm::lr_codec_name(LrCodec::kJpeg), "jpeg");
  EXPECT_STREQ(tadm::lr_codec_name(LrCodec::kWebp), "webp");
  EXPECT_STREQ(tadm::lr_codec_name(LrCodec::kJxl), "jxl");
  EXPECT_STREQ(tadm::lr_codec_name(LrCodec::kAvif), "avif");
  for (LrCodec c : kAll)  // the same names as the container's
    EXPECT_STREQ(tadm::lr_codec_name(c), tadm::container::lr_codec_name(static_cast<uint8_t>(c)));
}

TEST(LrCodec, LosslessRoundTripsAreBitExact) {
  for (LrCodec codec : {LrCodec::kPng, LrCodec::kWebp, LrCodec::kJxl, LrCodec::kAvif}) {
    for (uint32_t channels : {1u, 2u, 3u, 4u}) {
      SCOPED_TRACE(std::string(tadm::lr_codec_name(codec)) + ", " + std::to_string(channels) + " channel(s)");
      const Image in = engine_image(37, 23, channels);
      const std::vector<uint8_t> bytes = tadm::encode_lr(in, options(codec, 100, true), png_options());
      const Image out = tadm::decode_lr(bytes, codec, in.width, in.height, default_limits());
      EXPECT_EQ(out.bit_depth, 8u);
      EXPECT_EQ(out.has_alpha(), in.has_alpha());
      EXPECT_EQ(rgba(out), rgba(in));
      // The container accepts the stream as LRIM of that codec.
      tadm::container::File f;
      f.width = in.width * 4;
      f.height = in.height * 4;
      f.scale_x = f.scale_y = 4;
      f.lr_width = in.width;
      f.lr_height = in.height;
      f.lr_codec = static_cast<uint8_t>(codec);
      f.model_name = "classic";
      f.lr_image = bytes;
      std::vector<uint8_t> file;
      EXPECT_FALSE(tadm::container::write(f, file)) << tadm::container::write(f, file).message;
    }
  }
}

TEST(LrCodec, LossyRoundTripsKeepQuality) {
  for (LrCodec codec : {LrCodec::kJpeg, LrCodec::kWebp, LrCodec::kJxl, LrCodec::kAvif}) {
    for (uint32_t channels : {1u, 3u, 4u}) {
      if (codec == LrCodec::kJpeg && channels == 4) continue;
      SCOPED_TRACE(std::string(tadm::lr_codec_name(codec)) + ", " + std::to_string(channels) + " channel(s)");
      const Image in = engine_image(64, 48, channels);
      const std::vector<uint8_t> q90 = tadm::encode_lr(in, options(codec, 90), png_options());
      const Image out = tadm::decode_lr(q90, codec, in.width, in.height, default_limits());
      EXPECT_EQ(out.width, in.width);
      EXPECT_EQ(out.height, in.height);
      EXPECT_EQ(out.has_alpha(), in.has_alpha());
      EXPECT_GT(psnr(in, out), 30.0);
      // Lower quality, fewer bytes.
      const std::vector<uint8_t> q30 = tadm::encode_lr(in, options(codec, 30), png_options());
      EXPECT_LT(q30.size(), q90.size());
    }
  }
}

TEST(LrCodec, ThreadsAndEffortsEncode) {
  const Image in = engine_image(40, 30, 3);
  for (LrCodec codec : kAll) {
    for (int effort : {0, 9}) {
      LrEncodeOptions o = options(codec, 75);
      o.threads = 2;
      o.effort = effort;
      const std::vector<uint8_t> bytes = tadm::encode_lr(in, o, png_options());
      EXPECT_NO_THROW(tadm::decode_lr(bytes, codec, 40, 30, default_limits())) << tadm::lr_codec_name(codec);
    }
  }
}

TEST(LrCodec, JpegRefusesAlphaAndLossless) {
  EXPECT_EQ(encode_status(engine_image(8, 8, 4), options(LrCodec::kJpeg)), TADM_ERROR_UNSUPPORTED);
  EXPECT_EQ(encode_status(engine_image(8, 8, 2), options(LrCodec::kJpeg)), TADM_ERROR_UNSUPPORTED);
  EXPECT_EQ(encode_status(engine_image(8, 8, 3), options(LrCodec::kJpeg, 100, true)), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(encode_status(engine_image(8, 8, 3), options(LrCodec::kWebp, 101)), TADM_ERROR_INVALID_ARGUMENT);
  Image sixteen = engine_image(8, 8, 3);
  sixteen.bit_depth = 16;
  EXPECT_EQ(encode_status(sixteen, options(LrCodec::kWebp)), TADM_ERROR_INVALID_ARGUMENT);
}

TEST(LrCodec, SizeMismatchIsRefused) {
  const Image in = engine_image(12, 9, 3);
  for (LrCodec codec : kAll) {
    SCOPED_TRACE(tadm::lr_codec_name(codec));
    const std::vector<uint8_t> bytes = tadm::encode_lr(in, options(codec, 80), png_options());
    std::string message;
    EXPECT_EQ(decode_status(bytes, codec, 13, 9, default_limits(), &message), TADM_ERROR_CORRUPT);
    EXPECT_NE(message.find("12x9"), std::string::npos) << message;
    EXPECT_NE(message.find("13x9"), std::string::npos) << message;
    EXPECT_EQ(decode_status(bytes, codec, 12, 8, default_limits()), TADM_ERROR_CORRUPT);
  }
}

TEST(LrCodec, TruncatedAndDamagedPayloadsAreRefused) {
  const Image in = engine_image(48, 32, 3);
  for (LrCodec codec : kAll) {
    for (bool lossless : {false, true}) {
      if (codec == LrCodec::kJpeg && lossless) continue;
      SCOPED_TRACE(std::string(tadm::lr_codec_name(codec)) + (lossless ? " lossless" : " lossy"));
      const std::vector<uint8_t> bytes = tadm::encode_lr(in, options(codec, 80, lossless), png_options());
      for (std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t{10}, std::size_t{0}}) {
        const std::span<const uint8_t> cut(bytes.data(), keep);
        std::string message;
        EXPECT_EQ(decode_status(cut, codec, 48, 32, default_limits(), &message), TADM_ERROR_CORRUPT)
            << keep << " of " << bytes.size() << " bytes: " << message;
      }
      // The wrong format for the codec.
      const std::vector<uint8_t> other =
          tadm::encode_lr(in, options(codec == LrCodec::kPng ? LrCodec::kJpeg : LrCodec::kPng), png_options());
      EXPECT_EQ(decode_status(other, codec, 48, 32, default_limits()), TADM_ERROR_CORRUPT);
    }
  }
}

// A lossless WebP header (RIFF, VP8L) that claims 16000x16000, followed by a few bytes.
std::vector<uint8_t> huge_webp_header() {
  std::vector<uint8_t> b = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 13, 0, 0, 0, 0x2F};
  const uint32_t bits = (16000u - 1) | ((16000u - 1) << 14);
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  b.resize(b.size() + 8, 0);
  b.push_back(0);  // pad to an even chunk
  const uint32_t riff = static_cast<uint32_t>(b.size() - 8);
  for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<uint8_t>(riff >> (8 * i));
  return b;
}

TEST(LrCodec, LimitsApplyBeforeDecoding) {
  const std::vector<uint8_t> webp = huge_webp_header();
  tadm_limits limits = default_limits();
  limits.max_pixels = 1u << 24;
  std::string message;
  EXPECT_EQ(decode_status(webp, LrCodec::kWebp, 16000, 16000, limits, &message), TADM_ERROR_LIMIT) << message;
  limits = default_limits();
  limits.max_dimension = 8000;
  EXPECT_EQ(decode_status(webp, LrCodec::kWebp, 16000, 16000, limits), TADM_ERROR_LIMIT);
  limits = default_limits();
  limits.max_memory_mib = 64;
  EXPECT_EQ(decode_status(webp, LrCodec::kWebp, 16000, 16000, limits), TADM_ERROR_LIMIT);
  // A size that differs from the declared one is refused before any limit matters.
  EXPECT_EQ(decode_status(webp, LrCodec::kWebp, 40, 30, default_limits()), TADM_ERROR_CORRUPT);
  // Every codec: a declared size over the limits is refused whatever the payload.
  const Image in = engine_image(20, 10, 3);
  limits = default_limits();
  limits.max_pixels = 100;
  for (LrCodec codec : kAll) {
    const std::vector<uint8_t> bytes = tadm::encode_lr(in, options(codec, 80), png_options());
    EXPECT_EQ(decode_status(bytes, codec, 20, 10, limits), TADM_ERROR_LIMIT) << tadm::lr_codec_name(codec);
  }
}

// The LR images of the committed spec vectors are real streams of their formats.
TEST(LrCodec, SpecVectorStreamsDecode) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(TADM_SPEC_VECTORS_DIR) / "valid")) {
    if (entry.path().extension() != ".tadm") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    tadm::container::File f;
    ASSERT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f));
    const Image lr = tadm::decode_lr(f.lr_image, static_cast<LrCodec>(f.lr_codec), f.lr_width, f.lr_height,
                                     default_limits());
    EXPECT_EQ(lr.width, f.lr_width);
    ++checked;
    if (f.lr_codec == tadm::container::kLrCodecPng) continue;
    // The streams of lr_streams.hpp code v(x, y, c) = 40 + 50x + 30y + 25c (modulo 256).
    const bool lossless = entry.path().stem() == "lr_webp_lossless" || entry.path().stem().string().rfind("lr_jxl", 0) == 0;
    double worst = 0, total = 0;
    for (uint32_t y = 0; y < lr.height; ++y)
      for (uint32_t x = 0; x < lr.width; ++x)
        for (uint32_t c = 0; c < 3; ++c) {
          const double want = (40 + 50 * x + 30 * y + 25 * c) % 256;
          const double error = std::abs(lr.pixels[(std::size_t{y} * lr.width + x) * lr.channels + c] - want);
          worst = std::max(worst, error);
          total += error;
        }
    if (lossless) {
      EXPECT_EQ(worst, 0.0);
    } else {  // the pattern wraps at 256: a lossy coder blurs that edge, the mean stays close
      EXPECT_LT(total / (lr.width * lr.height * 3), 40.0);
    }
  }
  EXPECT_GE(checked, 15);
}

TEST(LrCodec, CommittedStreamsDecode) {
  namespace s = tadm::testing::lr_streams;
  const std::pair<LrCodec, const std::vector<uint8_t>*> cases[] = {
      {LrCodec::kJpeg, &s::kJpeg4x3},         {LrCodec::kWebp, &s::kWebpLossy4x3},
      {LrCodec::kWebp, &s::kWebpLossless4x3}, {LrCodec::kJxl, &s::kJxlLossless4x3},
      {LrCodec::kJxl, &s::kJxlContainer4x3},  {LrCodec::kAvif, &s::kAvif4x3},
  };
  for (const auto& [codec, stream] : cases)
    EXPECT_NO_THROW(tadm::decode_lr(*stream, codec, s::kWidth, s::kHeight, default_limits()))
        << tadm::lr_codec_name(codec);
}

}  // namespace
