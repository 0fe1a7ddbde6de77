// HEIF / AVIF containers through the public C API: metadata and pixels identical to .tadm, the
// container reported by tadm_file_info_read, bad settings refused, and damaged files (every
// truncation, byte flips) failing with a status instead of crashing. Three flavours: HEIF and
// AVIF with a lossless thumbnail of their own (the .tadm's is PNG), and AVIF whose image is the
// .tadm's lossy AVIF thumbnail (lr_codec avif).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <zlib.h>

#include "test_util.hpp"

namespace {

std::vector<uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

using namespace tadm_test;

// A container and the thumbnail codec the .tadm of the same encode has.
struct Flavour {
  tadm_container_format container;
  tadm_lr_codec lr = TADM_LR_PNG;
  const char* name = "";
  bool lossy() const { return lr == TADM_LR_AVIF; }
};

void PrintTo(const Flavour& f, std::ostream* os) { *os << f.name; }

constexpr int kLossyQuality = 40;

std::vector<uint8_t> encode(const tadm_image& im, tadm_container_format c, uint32_t scale = 8,
                            tadm_lr_codec lr = TADM_LR_PNG) {
  tadm_encoder_settings s = classic_encoder(scale);
  s.container = c;
  s.lr_codec = lr;
  if (lr == TADM_LR_AVIF) s.lr_quality = kLossyQuality;
  return encode_bytes(im, s);
}

std::vector<uint8_t> encode(const tadm_image& im, const Flavour& f) { return encode(im, f.container, 8, f.lr); }
// The .tadm of the same encode.
std::vector<uint8_t> encode_tadm(const tadm_image& im, const Flavour& f) { return encode(im, TADM_CONTAINER_TADM, 8, f.lr); }

ImagePtr decode(const std::vector<uint8_t>& bytes) {
  tadm_cpp::Decoder dec(default_decoder());
  return dec.decode(bytes);
}


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

class Containers : public ::testing::TestWithParam<Flavour> {};

// Where a file's TADM header is: the raw .tadm header (HEIF: the mime item) or its base64 (AVIF:
// the XMP attribute tadm:header). {0, 0} when absent.
std::pair<size_t, size_t> header_span(const std::vector<uint8_t>& f, tadm_container_format container) {
  if (container == TADM_CONTAINER_AVIF) {
    const std::string text(f.begin(), f.end()), key = "tadm:header=\"";
    const size_t at = text.find(key);
    if (at == std::string::npos) return {0, 0};
    return {at + key.size(), text.find('"', at + key.size())};
  }
  static const uint8_t kSig[8] = {0x89, 'T', 'A', 'D', 'M', 0x0D, 0x0A, 0x1A};
  static const uint8_t kTend[8] = {0, 0, 0, 0, 'T', 'E', 'N', 'D'};
  const auto begin = std::search(f.begin(), f.end(), std::begin(kSig), std::end(kSig));
  const auto tend = std::search(begin, f.end(), std::begin(kTend), std::end(kTend));
  if (begin == f.end() || tend == f.end()) return {0, 0};
  return {static_cast<size_t>(begin - f.begin()), static_cast<size_t>(tend - f.begin()) + 12};
}

// The file's info and its thumbnail are refused as corrupt too, returning nothing.
void expect_info_and_thumbnail_refused_as_corrupt(const std::vector<uint8_t>& bad) {
  char err[512] = {};
  tadm_file_info* info = nullptr;
  EXPECT_EQ(tadm_file_info_read(bad.data(), bad.size(), nullptr, &info, err, sizeof err), TADM_ERROR_CORRUPT) << err;
  EXPECT_EQ(info, nullptr);
  uint8_t* thumb = nullptr;
  size_t thumb_size = 0;
  EXPECT_EQ(tadm_extract_thumbnail(bad.data(), bad.size(), nullptr, &thumb, &thumb_size, err, sizeof err),
            TADM_ERROR_CORRUPT)
      << err;
  EXPECT_EQ(thumb, nullptr);
}

// `f` whose TADM header declares the thumbnail codec `lr_codec` (HEAD byte 22, spec/container.md
// 4.5), with HEAD's CRC made valid again: a crafted file only the flavour rule can refuse.
std::vector<uint8_t> with_declared_lr_codec(std::vector<uint8_t> f, tadm_container_format container, uint8_t lr_codec) {
  const auto [begin, end] = header_span(f, container);
  if (begin >= end) return {};
  std::vector<uint8_t> header(f.begin() + static_cast<std::ptrdiff_t>(begin), f.begin() + static_cast<std::ptrdiff_t>(end));
  if (container == TADM_CONTAINER_AVIF) {  // base64 of the header; padding bytes dropped below
    std::vector<uint8_t> raw(header.size() / 4 * 3);
    const int n = EVP_DecodeBlock(raw.data(), header.data(), static_cast<int>(header.size()));
    if (n < 0) return {};
    raw.resize(static_cast<size_t>(n));
    while (!header.empty() && header.back() == '=') header.pop_back(), raw.pop_back();
    header = raw;
  }
  constexpr size_t kHead = 12;  // the .tadm file header (signature, version, reserved)
  if (header.size() < kHead + 36 || std::memcmp(header.data() + kHead + 4, "HEAD", 4) != 0) return {};
  header[kHead + 8 + 22] = lr_codec;
  const uint32_t crc = static_cast<uint32_t>(crc32(0, header.data() + kHead + 4, 4 + 24));
  for (int i = 0; i < 4; ++i) header[kHead + 32 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  if (container == TADM_CONTAINER_AVIF) {
    std::vector<uint8_t> text(4 * ((header.size() + 2) / 3) + 1);
    text.resize(static_cast<size_t>(EVP_EncodeBlock(text.data(), header.data(), static_cast<int>(header.size()))));
    header = text;
  }
  if (header.size() != end - begin) return {};
  std::copy(header.begin(), header.end(), f.begin() + static_cast<std::ptrdiff_t>(begin));
  return f;
}

TEST_P(Containers, SameImageAndMetadataAsTadm) {
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("channels " + std::to_string(channels));
    ImagePtr im = make_image(101, 67, channels, channels == 3 ? 16 : 8, channels);
    const auto exif = tiny_exif();
    const std::string xmp = tiny_xmp();
    ASSERT_NO_FATAL_FAILURE(attach_tiny_metadata(im.get()));
    const auto tadm = encode_tadm(*im, GetParam());
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
  const auto tadm = encode_tadm(*im, GetParam());
  const auto other = encode(*im, GetParam());
  tadm_file_info *a = nullptr, *b = nullptr;
  char err[512] = {};
  ASSERT_EQ(tadm_file_info_read(tadm.data(), tadm.size(), nullptr, &a, err, sizeof err), TADM_OK) << err;
  ASSERT_EQ(tadm_file_info_read(other.data(), other.size(), nullptr, &b, err, sizeof err), TADM_OK) << err;
  EXPECT_EQ(a->container, TADM_CONTAINER_TADM);
  EXPECT_EQ(b->container, GetParam().container);
  EXPECT_EQ(b->file_size, other.size());
  EXPECT_EQ(b->lr_codec, GetParam().lr);
  EXPECT_EQ(a->width, b->width);
  EXPECT_EQ(a->lr_width, b->lr_width);
  EXPECT_EQ(a->scale_x, b->scale_x);
  EXPECT_STREQ(a->model_sha256, b->model_sha256);
  tadm_file_info_free(a);
  tadm_file_info_free(b);
}

TEST_P(Containers, ThumbnailHasTheSamePixels) {
  ImagePtr im = make_image(64, 40, 4);
  const auto tadm = encode_tadm(*im, GetParam());
  const auto other = encode(*im, GetParam());
  if (GetParam().lossy()) {
    // The thumbnail is the file itself (spec/heif-avif.md section 4), with the .tadm's pixels.
    uint8_t* thumb = nullptr;
    size_t n = 0;
    char err[512] = {};
    ASSERT_EQ(tadm_extract_thumbnail(other.data(), other.size(), nullptr, &thumb, &n, err, sizeof err), TADM_OK) << err;
    EXPECT_EQ(tadm_cpp::take_buffer(thumb, n), other);
    ImagePtr ta = tadm_cpp::decode_thumbnail(tadm), tb = tadm_cpp::decode_thumbnail(other);
    ASSERT_EQ(ta->channels, tb->channels);
    EXPECT_EQ(blob(ta->pixels, ta->row_bytes * ta->height), blob(tb->pixels, tb->row_bytes * tb->height));
    return;
  }
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
  // tadm_decode_thumbnail gives the same pixels from the HEIF/AVIF primary image, with the layout
  // of the decoded image.
  ImagePtr ta = tadm_cpp::decode_thumbnail(tadm), tb = tadm_cpp::decode_thumbnail(other);
  ASSERT_EQ(tb->channels, 4u);
  EXPECT_EQ(blob(ta->pixels, ta->row_bytes * ta->height), blob(a->pixels, a->row_bytes * a->height));
  EXPECT_EQ(blob(tb->pixels, tb->row_bytes * tb->height), blob(a->pixels, a->row_bytes * a->height));
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
              GetParam().name, refused, tried, flips_refused, flips);
  EXPECT_GT(flips_refused, flips / 4);
}

// The payload range [begin, end) of the top-level `mdat` box: the coded image data (and, in
// HEIF, the metadata items' payloads).
std::pair<size_t, size_t> mdat_payload(const std::vector<uint8_t>& f) {
  size_t at = 0;
  while (at + 8 <= f.size()) {
    uint64_t size = (uint64_t{f[at]} << 24) | (uint64_t{f[at + 1]} << 16) | (uint64_t{f[at + 2]} << 8) | f[at + 3];
    size_t header = 8;
    if (size == 1 && at + 16 <= f.size()) {
      size = 0;
      for (int k = 0; k < 8; ++k) size = (size << 8) | f[at + 8 + static_cast<size_t>(k)];
      header = 16;
    } else if (size == 0) {
      size = f.size() - at;
    }
    if (size < header || size > f.size() - at) break;
    if (std::memcmp(f.data() + at + 4, "mdat", 4) == 0) return {at + header, at + size};
    at += size;
  }
  return {0, 0};
}

// Every bit of 88 bytes (56 spread over the coded data, 32 over the rest of the file) flipped
// alone: each damaged file must be refused by the decoder and by tadm_extract_thumbnail, or give
// exactly the pixels of the undamaged file (a flip in a field nobody reads). spec/heif-avif.md §6.
TEST_P(Containers, SingleBitFlipsAreRefusedOrHarmless) {
  ImagePtr im = make_image(96, 64, 4);
  const auto good = encode(*im, GetParam());
  const ImagePtr want = decode(good);
  const ImagePtr want_lr = tadm_cpp::decode_thumbnail(good);

  const auto [mdat_begin, mdat_end] = mdat_payload(good);
  ASSERT_LT(mdat_begin, mdat_end) << "no mdat box";
  std::vector<size_t> positions;
  constexpr size_t kInMdat = 56, kElsewhere = 32;
  for (size_t k = 0; k < kInMdat; ++k) positions.push_back(mdat_begin + k * (mdat_end - mdat_begin) / kInMdat);
  const size_t rest = good.size() - (mdat_end - mdat_begin);
  for (size_t k = 0; k < kElsewhere; ++k) {
    const size_t r = k * rest / kElsewhere;  // an offset in the file with the mdat payload left out
    positions.push_back(r < mdat_begin ? r : r + (mdat_end - mdat_begin));
  }

  tadm_decoder_settings settings = default_decoder();
  tadm_decoder* dec = nullptr;
  ASSERT_EQ(tadm_decoder_create(&settings, &dec, nullptr, 0), TADM_OK);
  size_t refused = 0, harmless = 0, changed = 0, thumbnails_changed = 0;
  for (size_t at : positions) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bad = good;
      bad[at] ^= static_cast<uint8_t>(1u << bit);
      tadm_image* out = nullptr;
      const tadm_status st = tadm_decoder_decode(dec, bad.data(), bad.size(), &out);
      const ImagePtr got(out);
      if (st != TADM_OK) {
        ++refused;
        EXPECT_EQ(out, nullptr);
      } else if (got->width == want->width && got->height == want->height && got->channels == want->channels &&
                 blob(got->pixels, got->row_bytes * got->height) == blob(want->pixels, want->row_bytes * want->height)) {
        ++harmless;
      } else {
        ++changed;
        ADD_FAILURE() << "bit " << bit << " of byte " << at << " (mdat " << mdat_begin << ".." << mdat_end
                      << "): decoded without an error to other pixels";
      }
      // The thumbnail readers: tadm_extract_thumbnail refuses exactly when tadm_decode_thumbnail
      // does (one check of the file), and the pixels are the undamaged file's or none.
      uint8_t* thumb = nullptr;
      size_t thumb_size = 0;
      const tadm_status xs = tadm_extract_thumbnail(bad.data(), bad.size(), nullptr, &thumb, &thumb_size, nullptr, 0);
      tadm_buffer_free(thumb);
      tadm_image* lr = nullptr;
      const tadm_status ts = tadm_decode_thumbnail(bad.data(), bad.size(), nullptr, &lr, nullptr, 0);
      const ImagePtr got_lr(lr);
      EXPECT_EQ(xs == TADM_OK, ts == TADM_OK) << "bit " << bit << " of byte " << at;
      if (ts == TADM_OK && (lr->channels != want_lr->channels ||
                            blob(lr->pixels, lr->row_bytes * lr->height) !=
                                blob(want_lr->pixels, want_lr->row_bytes * want_lr->height))) {
        ++thumbnails_changed;
        ADD_FAILURE() << "bit " << bit << " of byte " << at << ": the thumbnail readers returned other pixels";
      }
    }
  }
  tadm_decoder_destroy(dec);
  std::printf("%s (%zu bytes, mdat payload %zu..%zu): %zu single-bit flips: %zu refused, %zu same pixels, "
              "%zu other pixels (decoder), %zu other thumbnails\n",
              GetParam().name, good.size(), mdat_begin, mdat_end,
              positions.size() * 8, refused, harmless, changed, thumbnails_changed);
  EXPECT_EQ(changed, 0u);
  EXPECT_EQ(thumbnails_changed, 0u);
}

// The TADM header of one file put into another whose thumbnail has another size (the headers have
// the same length; AVIF: the same base64 length): every reader refuses it as corrupt, naming the
// size the header declares, before the thumbnail is decoded (the decoders are bounded by that size).
TEST_P(Containers, ThumbnailOfAnotherSizeThanItsHeaderIsRefused) {
  const auto a = encode(*make_image(48, 32), GetParam());  // 6x4 thumbnail
  const auto b = encode(*make_image(56, 40), GetParam());  // 7x5 thumbnail
  const auto [a_begin, a_end] = header_span(a, GetParam().container);
  const auto [b_begin, b_end] = header_span(b, GetParam().container);
  ASSERT_LT(a_begin, a_end);
  ASSERT_EQ(a_end - a_begin, b_end - b_begin) << "the two headers must have the same length";
  std::vector<uint8_t> bad = a;
  std::copy(b.begin() + static_cast<std::ptrdiff_t>(b_begin), b.begin() + static_cast<std::ptrdiff_t>(b_end),
            bad.begin() + static_cast<std::ptrdiff_t>(a_begin));
  std::string message;
  EXPECT_EQ(decode_status(bad, default_decoder(), &message), TADM_ERROR_CORRUPT);
  EXPECT_NE(message.find("6x4"), std::string::npos) << message;
  EXPECT_NE(message.find("not the 7x5 thumbnail its TADM header declares"), std::string::npos) << message;
  expect_info_and_thumbnail_refused_as_corrupt(bad);
}

INSTANTIATE_TEST_SUITE_P(HeifAvif, Containers,
                         ::testing::Values(Flavour{TADM_CONTAINER_HEIF, TADM_LR_PNG, "heif"},
                                           Flavour{TADM_CONTAINER_AVIF, TADM_LR_PNG, "avif"},
                                           Flavour{TADM_CONTAINER_AVIF, TADM_LR_AVIF, "avif_lossy"}),
                         [](const auto& p) { return std::string(p.param.name); });

// Thumbnail codecs a flavour cannot carry: refused when the encoder is made, naming the codec.
TEST(Containers, AThumbnailCodecTheFlavourCannotCarryIsRefused) {
  const struct {
    tadm_container_format container;
    tadm_lr_codec lr;
    const char* names;
  } cases[] = {{TADM_CONTAINER_HEIF, TADM_LR_AVIF, "coded as avif"},
               {TADM_CONTAINER_HEIF, TADM_LR_JPEG, "coded as jpeg"},
               {TADM_CONTAINER_AVIF, TADM_LR_WEBP, "coded as webp"},
               {TADM_CONTAINER_AVIF, TADM_LR_JXL, "coded as jxl"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.names);
    tadm_encoder_settings s = classic_encoder(8);
    s.container = c.container;
    s.lr_codec = c.lr;
    tadm_encoder* enc = nullptr;
    char err[512] = {};
    EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_UNSUPPORTED);
    EXPECT_EQ(enc, nullptr);
    EXPECT_NE(std::string(err).find(c.names), std::string::npos) << err;
    EXPECT_NE(std::string(err).find(".tadm container"), std::string::npos) << err;
  }
}

// A TADM header that declares a thumbnail codec the flavour cannot carry (an AVIF thumbnail in a
// HEIF file; JPEG, WebP or JPEG XL in either), its CRCs valid: refused as corrupt before the image
// is decoded, naming the codec, by the decoder, the info reader and the thumbnail extractor.
TEST(Containers, AHeaderDeclaringAThumbnailCodecTheFlavourCannotCarryIsRefused) {
  ImagePtr im = make_image(48, 32);
  const struct {
    tadm_container_format container;
    uint8_t declared;
    const char* codec;
  } cases[] = {{TADM_CONTAINER_HEIF, 4, "avif"}, {TADM_CONTAINER_HEIF, 2, "webp"},
               {TADM_CONTAINER_AVIF, 1, "jpeg"}, {TADM_CONTAINER_AVIF, 3, "jxl"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.codec);
    const auto bad = with_declared_lr_codec(encode(*im, c.container), c.container, c.declared);
    ASSERT_FALSE(bad.empty()) << "the header could not be rewritten";
    std::string message;
    EXPECT_EQ(decode_status(bad, default_decoder(), &message), TADM_ERROR_CORRUPT);
    EXPECT_NE(message.find(std::string("coded as ") + c.codec), std::string::npos) << message;
    EXPECT_NE(message.find(c.container == TADM_CONTAINER_HEIF ? "TADM-HEIF" : "TADM-AVIF"), std::string::npos)
        << message;
    expect_info_and_thumbnail_refused_as_corrupt(bad);
  }
}

// With a byte target, the lossy AVIF flavour lowers the thumbnail's quality until the whole file
// (XMP header included) fits, and never returns more.
TEST(Containers, TheLossyAvifFlavourMeetsAByteTarget) {
  ImagePtr im = make_image(256, 192);
  const auto encode_avif = [&](int quality, uint32_t target) {
    tadm_encoder_settings s = classic_encoder(4);
    s.container = TADM_CONTAINER_AVIF;
    s.lr_codec = TADM_LR_AVIF;
    s.lr_quality = quality;
    s.target_bytes = target;
    return encode_bytes(*im, s);
  };
  const size_t top = encode_avif(90, 0).size(), bottom = encode_avif(1, 0).size();
  ASSERT_LT(bottom + 100, top);
  for (size_t target : {top - 1, (top + bottom) / 2, bottom}) {
    SCOPED_TRACE("target " + std::to_string(target));
    const auto file = encode_avif(90, static_cast<uint32_t>(target));
    EXPECT_LE(file.size(), target);
    tadm_file_info* info = nullptr;
    ASSERT_EQ(tadm_file_info_read(file.data(), file.size(), nullptr, &info, nullptr, 0), TADM_OK);
    EXPECT_EQ(info->container, TADM_CONTAINER_AVIF);
    EXPECT_EQ(info->lr_codec, TADM_LR_AVIF);
    tadm_file_info_free(info);
    EXPECT_EQ(decode(file)->width, 256u);
  }
  // Below the smallest: refused, naming the smallest AVIF file.
  tadm_encoder_settings s = classic_encoder(4);
  s.container = TADM_CONTAINER_AVIF;
  s.lr_codec = TADM_LR_AVIF;
  s.target_bytes = static_cast<uint32_t>(bottom - 1);
  std::string message;
  EXPECT_EQ(encode_status(*im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("the smallest AVIF file at scale 4 with a lossy avif thumbnail is " + std::to_string(bottom) +
                         " bytes"),
            std::string::npos)
      << message;
}

// The progress callback names the wrapper's stage, so a long HEIF/AVIF encode says what it does.
TEST_P(Containers, ProgressNamesTheContainer) {
  std::vector<std::string> stages;
  tadm_encoder_settings s = classic_encoder(8);
  s.container = GetParam().container;
  s.lr_codec = GetParam().lr;
  if (GetParam().lossy()) s.lr_quality = kLossyQuality;
  s.common.user = &stages;
  s.common.progress = [](void* user, float, const char* stage) {
    static_cast<std::vector<std::string>*>(user)->push_back(stage ? stage : "");
    return 0;
  };
  encode_bytes(*make_image(48, 32), s);
  const std::string wanted = GetParam().container == TADM_CONTAINER_HEIF ? "writing HEIF" : "writing AVIF";
  EXPECT_TRUE(std::any_of(stages.begin(), stages.end(), [&](const std::string& st) {
    return st.find(wanted) != std::string::npos;
  })) << "no stage names " << wanted;
}

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

// tests/heif/regress/: files the readers used to accept with other thumbnail pixels (one flipped
// bit in the coded image; see README there), and one written before the checksum existed. Every
// reader must refuse each of them as corrupt, naming the checksum.
TEST(Containers, RegressionFilesAreRefused) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(TADM_HEIF_REGRESS_DIR)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".heif" && ext != ".avif") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++files;
    const std::vector<uint8_t> bytes = file_bytes(entry.path());
    std::string message;
    EXPECT_EQ(decode_status(bytes, default_decoder(), &message), TADM_ERROR_CORRUPT);
    EXPECT_NE(message.find("checksum"), std::string::npos) << message;
    char err[512] = {};
    tadm_file_info* info = nullptr;
    EXPECT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, err, sizeof err), TADM_ERROR_CORRUPT);
    EXPECT_EQ(info, nullptr);
    EXPECT_NE(std::string(err).find("checksum"), std::string::npos) << err;
    uint8_t* png = nullptr;
    size_t png_size = 0;
    EXPECT_EQ(tadm_extract_thumbnail(bytes.data(), bytes.size(), nullptr, &png, &png_size, err, sizeof err),
              TADM_ERROR_CORRUPT);
    EXPECT_EQ(png, nullptr);
    EXPECT_NE(std::string(err).find("checksum"), std::string::npos) << err;
  }
  EXPECT_GE(files, 3u);
}

// tests/heif/regress/hostile/: fuzz_decoder findings (README there). Each must be refused cleanly,
// as corrupt or over a limit, by every reader, before libheif decodes anything large: one whose
// primary image's ispe (23814x5) is not the thumbnail size its TADM header declares and whose coded
// picture is smaller than that ispe (read past libheif's plane), two whose grid output size
// (24950x26982) is far beyond their ispe and TADM header (libheif allocated 673 MB).
TEST(Containers, HostileFilesFailCleanly) {
  size_t files = 0;
  tadm_decoder_settings tight = default_decoder();  // the fuzz target's limits
  tight.common.limits.max_pixels = 1u << 18;
  tight.common.limits.max_dimension = 4096;
  for (const auto& entry : std::filesystem::directory_iterator(TADM_HEIF_REGRESS_DIR "/hostile")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".heif" && ext != ".avif") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++files;
    const std::vector<uint8_t> bytes = file_bytes(entry.path());
    const auto start = std::chrono::steady_clock::now();
    const auto refused = [](tadm_status st) { return st == TADM_ERROR_CORRUPT || st == TADM_ERROR_LIMIT; };
    // The message names what the image contradicts (its TADM header) or the limit it is over.
    const auto explained = [](const std::string& m) {
      return m.find("TADM header") != std::string::npos || m.find("limit") != std::string::npos;
    };
    for (const tadm_decoder_settings& settings : {default_decoder(), tight}) {
      std::string message;
      const tadm_status st = decode_status(bytes, settings, &message);
      EXPECT_TRUE(refused(st)) << tadm_status_string(st) << ": " << message;
      EXPECT_TRUE(explained(message)) << message;
      tadm_file_info* info = nullptr;
      char err[512] = {};
      const tadm_status is = tadm_file_info_read(bytes.data(), bytes.size(), &settings.common.limits, &info, err, sizeof err);
      EXPECT_TRUE(refused(is)) << tadm_status_string(is) << ": " << err;
      EXPECT_EQ(info, nullptr);
      EXPECT_TRUE(explained(err)) << err;
      tadm_file_info_free(info);
      uint8_t* png = nullptr;
      size_t png_size = 0;
      const tadm_status xs =
          tadm_extract_thumbnail(bytes.data(), bytes.size(), &settings.common.limits, &png, &png_size, err, sizeof err);
      EXPECT_TRUE(refused(xs)) << tadm_status_string(xs) << ": " << err;
      EXPECT_EQ(png, nullptr);
      tadm_buffer_free(png);
    }
    // Six refusals of a file of a few KB: milliseconds, not the seconds of a 673 MB decode.
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 10.0);
  }
  EXPECT_GE(files, 2u);
}

TEST(Containers, DefaultIsTadm) {
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  EXPECT_EQ(s.container, TADM_CONTAINER_TADM);
}

}  // namespace
