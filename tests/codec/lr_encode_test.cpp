// Thumbnail codecs through the encoder and decoder (issue 19): the chosen codec lands in the file,
// lossless codecs restore exactly what PNG restores, and a byte target is never exceeded.
#include <gtest/gtest.h>

#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;

namespace {

struct Encoded {
  std::vector<uint8_t> bytes;
  tadm_lr_codec codec = TADM_LR_AUTO;
  int quality = 0;
};

Encoded encode_with(const tadm_image& im, tadm_encoder_settings s) {
  tadm_cpp::Encoder enc(s);
  Encoded e;
  e.bytes = enc.encode(im);
  e.codec = enc.lr_codec();
  e.quality = enc.lr_quality();
  return e;
}

ImagePtr decode_bytes(const std::vector<uint8_t>& bytes) {
  tadm_cpp::Decoder dec(default_decoder());
  return dec.decode(bytes);
}

uint8_t stored_codec(const std::vector<uint8_t>& bytes) {
  tadm::container::File f;
  EXPECT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f));
  return f.lr_codec;
}

}  // namespace

TEST(LrEncode, LosslessCodecsRestoreExactlyWhatPngRestores) {
  ImagePtr im = make_image(300, 200);
  const Encoded png = encode_with(*im, classic_encoder(16));
  EXPECT_EQ(png.codec, TADM_LR_PNG);
  ImagePtr ref = decode_bytes(png.bytes);
  for (tadm_lr_codec c : {TADM_LR_WEBP, TADM_LR_JXL, TADM_LR_AVIF}) {
    SCOPED_TRACE(c);
    tadm_encoder_settings s = classic_encoder(16);
    s.lr_codec = c;
    s.lr_lossless = 1;
    const Encoded e = encode_with(*im, s);
    EXPECT_EQ(e.codec, c);
    EXPECT_EQ(stored_codec(e.bytes), static_cast<uint8_t>(c));
    ImagePtr out = decode_bytes(e.bytes);
    ASSERT_EQ(out->channels, ref->channels);
    EXPECT_EQ(std::memcmp(out->pixels, ref->pixels, ref->row_bytes * ref->height), 0) << "restoration differs";
  }
}

TEST(LrEncode, LossyThumbnailAtASmallerScaleFitsTheTargetAndBeatsPngAtEqualBytes) {
  ImagePtr im = make_image(512, 384);
  const Encoded png = encode_with(*im, classic_encoder(16));
  tadm_encoder_settings s = classic_encoder(4);
  s.lr_codec = TADM_LR_JPEG;
  s.target_bytes = static_cast<uint32_t>(png.bytes.size());
  const Encoded jpeg = encode_with(*im, s);
  EXPECT_EQ(jpeg.codec, TADM_LR_JPEG);
  EXPECT_EQ(stored_codec(jpeg.bytes), 1u);
  EXPECT_LE(jpeg.bytes.size(), png.bytes.size());
  EXPECT_GE(jpeg.quality, 1);
  EXPECT_LT(jpeg.quality, 90) << "the default quality would not have fitted";
  // The next quality up would not fit: the search keeps the best that does.
  tadm_encoder_settings up = s;
  up.target_bytes = 0;
  up.lr_quality = jpeg.quality + 1;
  EXPECT_GT(encode_with(*im, up).bytes.size(), png.bytes.size());
  EXPECT_GT(psnr(*im, *decode_bytes(jpeg.bytes)), psnr(*im, *decode_bytes(png.bytes)));
}

TEST(LrEncode, UnreachableTargetsFailNamingTheSmallestSize) {
  ImagePtr im = make_image(256, 256);
  std::string message;
  tadm_encoder_settings s = classic_encoder(16);
  s.target_bytes = 100;
  EXPECT_EQ(encode_status(*im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("the smallest file at scale 16 with a lossless png thumbnail is"), std::string::npos) << message;
  s.lr_codec = TADM_LR_JPEG;
  EXPECT_EQ(encode_status(*im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("lossy jpeg thumbnail is"), std::string::npos) << message;
}

TEST(LrEncode, ImpossibleCombinationsAreClearErrors) {
  ImagePtr rgba = make_image(64, 64, 4);
  tadm_encoder_settings s = classic_encoder(8);
  s.lr_codec = TADM_LR_JPEG;
  std::string message;
  EXPECT_EQ(encode_status(*rgba, s, &message), TADM_ERROR_UNSUPPORTED);
  EXPECT_NE(message.find("alpha"), std::string::npos) << message;
  s.lr_lossless = 1;
  EXPECT_EQ(encode_status(*rgba, s, &message), TADM_ERROR_INVALID_ARGUMENT);
  s.lr_lossless = 0;
  s.container = TADM_CONTAINER_AVIF;
  EXPECT_EQ(encode_status(*rgba, s, &message), TADM_ERROR_UNSUPPORTED);
  s.container = TADM_CONTAINER_TADM;
  s.lr_codec = static_cast<tadm_lr_codec>(7);
  EXPECT_EQ(encode_status(*rgba, s, &message), TADM_ERROR_INVALID_ARGUMENT);
  s.lr_codec = TADM_LR_WEBP;
  s.lr_quality = 101;
  EXPECT_EQ(encode_status(*rgba, s, &message), TADM_ERROR_INVALID_ARGUMENT);
}
