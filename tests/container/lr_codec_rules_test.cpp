// LRIM checks per HEAD lr_codec (spec/container.md section 6.3): signatures and header sizes,
// without decoding. The spec vectors cover one case of each rule; these cover the edges.
#include "lr_streams.hpp"
#include "test_files.hpp"

#include <gtest/gtest.h>

namespace {

namespace tc = tadm::container;
namespace s = tadm::testing::lr_streams;
using tadm::testing::Bytes;
using E = tc::ErrorCode;

// A 64x48 file at scale 16 (LR 4x3) with this codec and payload, through the writer.
tc::Error write_with(std::uint8_t codec, const Bytes& payload, Bytes* out = nullptr) {
  tc::File f = tadm::testing::small_file();
  f.width = 64;
  f.height = 48;
  f.lr_width = s::kWidth;
  f.lr_height = s::kHeight;
  f.lr_codec = codec;
  f.lr_image = payload;
  Bytes bytes;
  const tc::Error e = tc::write(f, bytes);
  if (out) *out = bytes;
  return e;
}

TEST(ContainerLrCodec, NamesAndExtensions) {
  EXPECT_STREQ(tc::lr_codec_name(tc::kLrCodecPng), "png");
  EXPECT_STREQ(tc::lr_codec_name(tc::kLrCodecJpeg), "jpeg");
  EXPECT_STREQ(tc::lr_codec_name(tc::kLrCodecWebp), "webp");
  EXPECT_STREQ(tc::lr_codec_name(tc::kLrCodecJxl), "jxl");
  EXPECT_STREQ(tc::lr_codec_name(tc::kLrCodecAvif), "avif");
  EXPECT_EQ(tc::lr_codec_name(tc::kLrCodecCount), nullptr);
  EXPECT_STREQ(tc::lr_codec_extension(tc::kLrCodecJpeg), "jpg");
  EXPECT_STREQ(tc::lr_codec_extension(tc::kLrCodecJxl), "jxl");
  EXPECT_EQ(tc::lr_codec_extension(255), nullptr);
}

TEST(ContainerLrCodec, EveryStreamRoundTripsAndExtracts) {
  const std::pair<std::uint8_t, const Bytes*> cases[] = {
      {tc::kLrCodecJpeg, &s::kJpeg4x3},         {tc::kLrCodecWebp, &s::kWebpLossy4x3},
      {tc::kLrCodecWebp, &s::kWebpLossless4x3}, {tc::kLrCodecJxl, &s::kJxlLossless4x3},
      {tc::kLrCodecJxl, &s::kJxlContainer4x3},  {tc::kLrCodecAvif, &s::kAvif4x3},
  };
  for (const auto& [codec, stream] : cases) {
    SCOPED_TRACE(tc::lr_codec_name(codec));
    Bytes file;
    ASSERT_FALSE(write_with(codec, *stream, &file));
    tc::File f;
    ASSERT_FALSE(tc::read(file, tc::Limits{}, f));
    EXPECT_EQ(f.lr_codec, codec);
    EXPECT_EQ(f.lr_image, *stream);
    Bytes lr;
    std::uint8_t got = 0xFF;
    ASSERT_FALSE(tc::extract_lr_image(file, tc::Limits{}, lr, &got));
    EXPECT_EQ(lr, *stream);
    EXPECT_EQ(got, codec);
  }
}

TEST(ContainerLrCodec, JpegMarkerWalk) {
  Bytes j = s::kJpeg4x3;
  EXPECT_FALSE(write_with(tc::kLrCodecJpeg, j));
  // Fill bytes before a marker are allowed (T.81 B.1.1.2).
  Bytes filled = j;
  filled.insert(filled.begin() + 2, {0xFF, 0xFF});
  EXPECT_FALSE(write_with(tc::kLrCodecJpeg, filled));
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF}).code, E::kBadChunk);
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD8}).code, E::kBadChunk);
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD9, 0xFF, 0xD8}).code, E::kBadField);
  // SOS before any frame header, a segment length below 2, a byte that is not a marker.
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08}).code, E::kBadField);
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01}).code, E::kBadField);
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD8, 0x12, 0x34}).code, E::kBadField);
  // A segment whose length runs past the end.
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x7F, 0xFF, 0x00}).code, E::kBadChunk);
  // Find SOF0 and change its type, precision, size and component count.
  std::size_t sof = 0;
  for (std::size_t i = 2; i + 1 < j.size(); ++i)
    if (j[i] == 0xFF && j[i + 1] == 0xC0) {
      sof = i;
      break;
    }
  ASSERT_NE(sof, 0u);
  auto edited = [&](std::size_t at, std::uint8_t v) {
    Bytes b = j;
    b[at] = v;
    return write_with(tc::kLrCodecJpeg, b).code;
  };
  EXPECT_EQ(edited(sof + 1, 0xC2), E::kNone);      // progressive
  EXPECT_EQ(edited(sof + 1, 0xC3), E::kBadField);  // lossless
  EXPECT_EQ(edited(sof + 1, 0xC9), E::kBadField);  // arithmetic
  EXPECT_EQ(edited(sof + 4, 12), E::kBadField);    // 12-bit
  EXPECT_EQ(edited(sof + 6, 4), E::kBadField);     // height 4
  EXPECT_EQ(edited(sof + 8, 5), E::kBadField);     // width 5
  EXPECT_EQ(edited(sof + 9, 4), E::kBadField);     // CMYK
  // Cut right inside SOF0.
  EXPECT_EQ(write_with(tc::kLrCodecJpeg, Bytes(j.begin(), j.begin() + static_cast<std::ptrdiff_t>(sof + 9))).code,
            E::kBadChunk);
}

TEST(ContainerLrCodec, WebpHeaders) {
  for (const Bytes* w : {&s::kWebpLossy4x3, &s::kWebpLossless4x3}) {
    EXPECT_FALSE(write_with(tc::kLrCodecWebp, *w));
    EXPECT_EQ(write_with(tc::kLrCodecWebp, Bytes(w->begin(), w->begin() + 19)).code, E::kBadChunk);
    Bytes trailing = *w;
    trailing.insert(trailing.end(), {0, 0});
    EXPECT_EQ(write_with(tc::kLrCodecWebp, trailing).code, E::kBadField);
    Bytes not_webp = *w;
    not_webp[8] = 'X';
    EXPECT_EQ(write_with(tc::kLrCodecWebp, not_webp).code, E::kBadField);
    Bytes other_chunk = *w;
    other_chunk[12] = 'A';
    EXPECT_EQ(write_with(tc::kLrCodecWebp, other_chunk).code, E::kBadField);
  }
  Bytes lossy = s::kWebpLossy4x3;
  lossy[20] |= 0x01;  // not a key frame
  EXPECT_EQ(write_with(tc::kLrCodecWebp, lossy).code, E::kBadField);
  lossy = s::kWebpLossy4x3;
  lossy[24] = 0x02;  // start code
  EXPECT_EQ(write_with(tc::kLrCodecWebp, lossy).code, E::kBadField);
  lossy = s::kWebpLossy4x3;
  lossy[26] = 5;  // width 5
  EXPECT_EQ(write_with(tc::kLrCodecWebp, lossy).code, E::kBadField);
  Bytes lossless = s::kWebpLossless4x3;
  lossless[20] = 0x2E;  // VP8L signature
  EXPECT_EQ(write_with(tc::kLrCodecWebp, lossless).code, E::kBadField);
  lossless = s::kWebpLossless4x3;
  lossless[24] |= 0x20;  // VP8L version 1
  EXPECT_EQ(write_with(tc::kLrCodecWebp, lossless).code, E::kBadField);
  // An extended (VP8X) header: canvas 4x3 accepted, animation refused.
  Bytes x = {'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0,
             0x00, 0, 0, 0, 3, 0, 0, 2, 0, 0};
  EXPECT_FALSE(write_with(tc::kLrCodecWebp, x));
  x[20] = 0x02;
  EXPECT_EQ(write_with(tc::kLrCodecWebp, x).code, E::kBadField);
  x[20] = 0x00;
  x[24] = 4;  // canvas width 5
  EXPECT_EQ(write_with(tc::kLrCodecWebp, x).code, E::kBadField);
}

TEST(ContainerLrCodec, JxlAndAvifSignatures) {
  EXPECT_EQ(write_with(tc::kLrCodecJxl, Bytes{0xFF}).code, E::kBadChunk);
  EXPECT_FALSE(write_with(tc::kLrCodecJxl, Bytes{0xFF, 0x0A}));  // the size check is the decoder's
  EXPECT_EQ(write_with(tc::kLrCodecJxl, Bytes{0xFF, 0x0B, 0, 0}).code, E::kBadField);
  EXPECT_EQ(write_with(tc::kLrCodecJxl, Bytes(s::kJxlContainer4x3.begin(), s::kJxlContainer4x3.begin() + 11)).code,
            E::kBadField);
  EXPECT_EQ(write_with(tc::kLrCodecAvif, Bytes(s::kAvif4x3.begin(), s::kAvif4x3.begin() + 15)).code, E::kBadChunk);
  Bytes a = s::kAvif4x3;
  a[4] = 'F';
  EXPECT_EQ(write_with(tc::kLrCodecAvif, a).code, E::kBadField);
  // ftyp naming only other brands: a HEIC file is not AVIF.
  const Bytes heic = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0,
                      'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'};
  EXPECT_EQ(write_with(tc::kLrCodecAvif, heic).code, E::kBadField);
  Bytes compatible = heic;  // "avif" as a compatible brand is enough
  compatible[20] = 'a', compatible[21] = 'v', compatible[22] = 'i', compatible[23] = 'f';
  EXPECT_FALSE(write_with(tc::kLrCodecAvif, compatible));
  Bytes bad_size = s::kAvif4x3;
  bad_size[3] = 0x21;  // ftyp size not 16 + 4k
  EXPECT_EQ(write_with(tc::kLrCodecAvif, bad_size).code, E::kBadField);
}

TEST(ContainerLrCodec, HeadRules) {
  EXPECT_EQ(write_with(tc::kLrCodecCount, tadm::testing::make_png(4, 3, 2)).code, E::kBadField);
  EXPECT_EQ(write_with(255, tadm::testing::make_png(4, 3, 2)).code, E::kBadField);
  // The alpha flag with a JPEG is allowed: an opaque alpha may be left out of the LR image (6.1).
  tc::File f = tadm::testing::small_file();
  f.width = 64;
  f.height = 48;
  f.lr_width = s::kWidth;
  f.lr_height = s::kHeight;
  f.lr_codec = tc::kLrCodecJpeg;
  f.lr_image = s::kJpeg4x3;
  f.flags = tc::kFlagAlpha;
  Bytes out;
  EXPECT_FALSE(tc::write(f, out));
}

}  // namespace
