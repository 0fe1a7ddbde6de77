// The public C API end to end with the classic rescaler: sizes, layouts, metadata, model
// identity, limits, cancellation, determinism and damaged input.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <tuple>

#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;

namespace {


ImagePtr decode(const std::vector<uint8_t>& bytes, tadm_decoder_settings s = default_decoder()) {
  tadm_cpp::Decoder dec(s);
  return dec.decode(bytes);
}

class SizeAndScale : public ::testing::TestWithParam<std::tuple<uint32_t, uint32_t, uint32_t>> {};

TEST_P(SizeAndScale, ClassicRoundTripRestoresTheExactSize) {
  const auto [w, h, scale] = GetParam();
  ImagePtr im = make_image(w, h);
  const auto bytes = encode_bytes(*im, classic_encoder(scale));
  tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, nullptr, 0), TADM_OK);
  EXPECT_EQ(info->width, w);
  EXPECT_EQ(info->height, h);
  EXPECT_EQ(info->scale_x, scale);
  EXPECT_EQ(info->lr_width, (w + scale - 1) / scale);
  EXPECT_EQ(info->lr_height, (h + scale - 1) / scale);
  EXPECT_STREQ(info->model_name, "classic");
  tadm_file_info_free(info);
  ImagePtr out = decode(bytes);
  ASSERT_EQ(out->width, w);
  ASSERT_EQ(out->height, h);
  EXPECT_EQ(out->channels, 3u);
  EXPECT_EQ(out->bit_depth, 8u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SizeAndScale,
                         ::testing::Values(std::make_tuple(256u, 256u, 16u), std::make_tuple(33u, 17u, 16u),
                                           std::make_tuple(1u, 1u, 16u), std::make_tuple(100u, 75u, 32u),
                                           std::make_tuple(64u, 640u, 32u), std::make_tuple(7u, 9u, 2u),
                                           std::make_tuple(130u, 130u, 64u)));

TEST(Api, ProfilesNameTheirFamilysDefaultModel) {
  EXPECT_STREQ(tadm_default_model_for(0, TADM_PROFILE_FIDELITY), "pix16");
  EXPECT_STREQ(tadm_default_model_for(32, TADM_PROFILE_FIDELITY), tadm_default_model(32));
  EXPECT_STREQ(tadm_default_model_for(0, TADM_PROFILE_PERCEPTUAL), "tadm16");
  EXPECT_STREQ(tadm_default_model_for(16, TADM_PROFILE_PERCEPTUAL), "tadm16");
  EXPECT_STREQ(tadm_default_model_for(32, TADM_PROFILE_PERCEPTUAL), "tadm32");
  // Other scales up to 32: the any-scale model, for both profiles; above 32 only classic serves.
  EXPECT_STREQ(tadm_default_model_for(8, TADM_PROFILE_PERCEPTUAL), "any32");
  EXPECT_STREQ(tadm_default_model(12), "any32");
  EXPECT_STREQ(tadm_default_model(2), "any32");
  EXPECT_STREQ(tadm_default_model(33), "classic");
  EXPECT_STREQ(tadm_default_model_for(64, TADM_PROFILE_PERCEPTUAL), "classic");
  // An out-of-range value, as a C caller may pass it (an int through the C ABI; loading it
  // through the enum type in C++ would itself be undefined behaviour).
  const int bad = 7;
  const auto as_c = reinterpret_cast<const char* (*)(uint32_t, int)>(&tadm_default_model_for);
  EXPECT_EQ(as_c(16, bad), nullptr);
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  EXPECT_EQ(s.profile, TADM_PROFILE_FIDELITY);
  std::memcpy(&s.profile, &bad, sizeof bad);
  s.common.model = "classic";
  tadm_encoder* enc = nullptr;
  char err[512] = {};
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("profile 7"), std::string::npos) << err;
  EXPECT_EQ(enc, nullptr);
}

TEST(Api, ClassicIsBetterThanNothingAndSmooth) {
  // A smooth image survives 4x classic rescaling well; this catches a broken resampler.
  ImagePtr im = make_image(128, 96);
  ImagePtr out = decode(encode_bytes(*im, classic_encoder(4)));
  EXPECT_GT(psnr(*im, *out), 24.0);
}

TEST(Api, LayoutsAndBitDepthsComeBackAsTheyWent) {
  for (uint32_t channels : {1u, 2u, 3u, 4u}) {
    for (uint32_t depth : {8u, 16u}) {
      SCOPED_TRACE(testing::Message() << channels << " channels, " << depth << "-bit");
      ImagePtr im = make_image(70, 50, channels, depth);
      const auto bytes = encode_bytes(*im, classic_encoder(16));
      tadm_file_info* info = nullptr;
      ASSERT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, nullptr, 0), TADM_OK);
      EXPECT_EQ(info->has_alpha, channels % 2 == 0);
      EXPECT_EQ(info->is_grayscale, channels <= 2);
      EXPECT_EQ(info->original_bit_depth, depth);
      tadm_file_info_free(info);
      ImagePtr out = decode(bytes);
      EXPECT_EQ(out->channels, channels);
      EXPECT_EQ(out->bit_depth, depth);
      EXPECT_EQ(out->width, 70u);
      auto s = default_decoder();
      s.output_bit_depth = 8;
      EXPECT_EQ(decode(bytes, s)->bit_depth, 8u);
    }
  }
}

TEST(Api, OpaqueAlphaIsRestoredOpaque) {
  ImagePtr im = make_image(40, 40, 4);
  for (uint32_t i = 0; i < 40 * 40; ++i) im->pixels[i * 4 + 3] = 255;
  ImagePtr out = decode(encode_bytes(*im, classic_encoder(8)));
  ASSERT_EQ(out->channels, 4u);
  for (uint32_t i = 0; i < 40 * 40; ++i) ASSERT_EQ(out->pixels[i * 4 + 3], 255);
}

// Spec section 6.1: the HEAD alpha flag says the original had alpha; an opaque alpha may be left
// out of the thumbnail (colour type 2), a real one is stored (colour type 6).
TEST(Api, AlphaFlagAndThumbnailColourTypeFollowTheSpec) {
  for (const bool opaque : {true, false}) {
    SCOPED_TRACE(opaque ? "opaque" : "translucent");
    ImagePtr im = make_image(40, 40, 4);
    if (opaque) {
      for (uint32_t i = 0; i < 40 * 40; ++i) im->pixels[i * 4 + 3] = 255;
    }
    const auto bytes = encode_bytes(*im, classic_encoder(8));
    tadm_file_info* info = nullptr;
    ASSERT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, nullptr, 0), TADM_OK);
    EXPECT_EQ(info->has_alpha, 1);
    tadm_file_info_free(info);
    uint8_t* png = nullptr;
    size_t png_size = 0;
    ASSERT_EQ(tadm_extract_thumbnail(bytes.data(), bytes.size(), nullptr, &png, &png_size, nullptr, 0), TADM_OK);
    ASSERT_GT(png_size, 25u);
    EXPECT_EQ(png[25], opaque ? 2 : 6);  // IHDR colour type
    tadm_buffer_free(png);
    ImagePtr out = decode(bytes);
    ASSERT_EQ(out->channels, 4u);
    if (opaque) {
      for (uint32_t i = 0; i < 40 * 40; ++i) ASSERT_EQ(out->pixels[i * 4 + 3], 255);
    }
  }
}

TEST(Api, MetadataSurvivesEncodeAndDecodeAndPng) {
  ImagePtr im = make_image(64, 48);
  const auto icc = tiny_icc();
  const auto exif = tiny_exif();
  const std::string xmp = tiny_xmp();
  ASSERT_NO_FATAL_FAILURE(attach_tiny_metadata(im.get()));
  im->has_cicp = 1;
  const uint8_t cicp[4] = {1, 13, 0, 1};
  std::memcpy(im->cicp, cicp, 4);
  ImagePtr out = decode(encode_bytes(*im, classic_encoder(16)));
  auto check = [&](const tadm_image& o) {
    ASSERT_EQ(std::vector<uint8_t>(o.icc, o.icc + o.icc_size), icc);
    ASSERT_EQ(std::vector<uint8_t>(o.exif, o.exif + o.exif_size), exif);
    ASSERT_EQ(std::string(o.xmp, o.xmp + o.xmp_size), xmp);
    ASSERT_EQ(o.has_cicp, 1);
    ASSERT_EQ(std::memcmp(o.cicp, cicp, 4), 0);
  };
  check(*out);
  // Through a PNG file and back.
  const auto png = tadm_cpp::write_png(*out);
  tadm_image* back = nullptr;
  ASSERT_EQ(tadm_image_read_memory(png.data(), png.size(), nullptr, &back, nullptr, 0), TADM_OK);
  ImagePtr back_owner(back);
  check(*back);
}

TEST(Api, ThumbnailIsTheStoredPngByteForByte) {
  ImagePtr im = make_image(200, 120);
  const auto bytes = encode_bytes(*im, classic_encoder(16));
  uint8_t* png = nullptr;
  size_t size = 0;
  ASSERT_EQ(tadm_extract_thumbnail(bytes.data(), bytes.size(), nullptr, &png, &size, nullptr, 0), TADM_OK);
  const auto thumb = tadm_cpp::take_buffer(png, size);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f));
  EXPECT_EQ(thumb, f.lr_image);
  tadm_image* lr = nullptr;
  ASSERT_EQ(tadm_image_read_memory(thumb.data(), thumb.size(), nullptr, &lr, nullptr, 0), TADM_OK);
  EXPECT_EQ(lr->width, 13u);
  EXPECT_EQ(lr->height, 8u);
  tadm_image_free(lr);
}

TEST(Api, SameInputGivesTheSameFile) {
  ImagePtr im = make_image(300, 200);
  auto s = classic_encoder(16);
  const auto a = encode_bytes(*im, s);
  s.common.threads = 1;
  const auto b = encode_bytes(*im, s);
  EXPECT_EQ(a, b);
}

TEST(Api, ModelMismatchIsRefusedUnlessForced) {
  ImagePtr im = make_image(64, 64);
  const auto bytes = encode_bytes(*im, classic_encoder(16));
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f));
  f.model_sha256[0] ^= 0xFF;
  std::vector<uint8_t> tampered;
  ASSERT_FALSE(tadm::container::write(f, tampered));
  std::string message;
  EXPECT_EQ(decode_status(tampered, default_decoder(), &message), TADM_ERROR_MODEL_MISMATCH);
  EXPECT_NE(message.find("SHA-256"), std::string::npos) << message;
  auto forced = default_decoder();
  forced.force_model = 1;
  EXPECT_EQ(decode_status(tampered, forced), TADM_OK);
}

// spec/container.md section 5: scale_x and scale_y may differ (classic serves any; any32, their
// default up to 32 per side, in learned_test.cpp).
TEST(Api, UnequalScalesEncodeAndDecode) {
  ImagePtr im = make_image(100, 30);
  tadm_encoder_settings s = classic_encoder(32);
  s.scale_y = 2;
  tadm_cpp::Encoder enc(s);
  EXPECT_EQ(enc.scale(), 32u);
  EXPECT_EQ(enc.scale_y(), 2u);
  const auto bytes = enc.encode(*im);
  tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, nullptr, 0), TADM_OK);
  EXPECT_EQ(info->scale_x, 32u);
  EXPECT_EQ(info->scale_y, 2u);
  EXPECT_EQ(info->lr_width, 4u);
  EXPECT_EQ(info->lr_height, 15u);
  EXPECT_STREQ(info->model_name, "classic");
  tadm_file_info_free(info);
  ImagePtr out = decode(bytes);
  EXPECT_EQ(out->width, 100u);
  EXPECT_EQ(out->height, 30u);
  // Two rows per LR row restore more than the square 32 does.
  EXPECT_GT(psnr(*im, *out), psnr(*im, *decode(encode_bytes(*im, classic_encoder(32)))));
  // The spec's vector (made with a stand-in bundle hash, hence forced).
  std::ifstream in(std::string(TADM_SPEC_VECTORS_DIR) + "/valid/asymmetric_palette.tadm", std::ios::binary);
  const std::vector<uint8_t> vector((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(vector.empty());
  auto forced = default_decoder();
  forced.force_model = 1;
  ImagePtr v = decode(vector, forced);
  EXPECT_EQ(v->width, 100u);
  EXPECT_EQ(v->height, 30u);
  // Bad settings.
  s.scale_y = 65;
  EXPECT_EQ(encode_status(*im, s), TADM_ERROR_INVALID_ARGUMENT);
  s.scale = 0;
  s.scale_y = 8;
  EXPECT_EQ(encode_status(*im, s), TADM_ERROR_INVALID_ARGUMENT);
}

// The settings' layout on LP64: the common settings (with room of their own) right after
// struct_size.
static_assert(offsetof(tadm_encoder_settings, common) == offsetof(tadm_decoder_settings, common));
static_assert(sizeof(void*) != 8 || offsetof(tadm_encoder_settings, common) == 8);
static_assert(sizeof(void*) != 8 || sizeof(tadm_common_settings) == 136);
static_assert(sizeof(void*) != 8 || sizeof(tadm_encoder_settings) == 224);
static_assert(sizeof(void*) != 8 || sizeof(tadm_decoder_settings) == 224);

TEST(Api, SettingsStringsNeedNotOutliveCreate) {
  ImagePtr im = make_image(48, 32);
  auto model = std::make_unique<std::string>("classic");
  auto dir = std::make_unique<std::string>("/nonexistent/models");
  tadm_encoder_settings es = classic_encoder(8);
  es.common.model = model->c_str();
  es.common.model_dir = dir->c_str();
  tadm_decoder_settings ds = default_decoder();
  ds.common.model = model->c_str();
  ds.common.model_dir = dir->c_str();
  tadm_cpp::Encoder enc(es);
  tadm_cpp::Decoder dec(ds);
  model.reset();  // ASan reports any later read of the freed strings
  dir.reset();
  ImagePtr out = dec.decode(enc.encode(*im));
  EXPECT_EQ(out->width, 48u);
}

// tadm.h: calls with an `error` buffer always say what went wrong there (parse_test.cpp covers
// image creation, metadata and the model list).
TEST(Api, EveryFailureIsReportedThroughTheDocumentedChannel) {
  char err[128] = {};
  tadm_file_info* info = nullptr;
  EXPECT_EQ(tadm_file_info_read(nullptr, 0, nullptr, nullptr, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_STRNE(err, "");
  err[0] = 0;
  EXPECT_EQ(tadm_extract_thumbnail(nullptr, 0, nullptr, nullptr, nullptr, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_STRNE(err, "");
  EXPECT_EQ(info, nullptr);
  tadm_image* im = nullptr;
  EXPECT_EQ(tadm_image_create(0, 1, 3, 8, &im, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_image_create(TADM_DEFAULT_MAX_DIMENSION + 1, 1, 3, 8, &im, nullptr, 0), TADM_ERROR_LIMIT);
  EXPECT_EQ(im, nullptr);
  EXPECT_EQ(tadm_image_create(1, 1, 3, 8, nullptr, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
}

TEST(Api, UnknownModelNameIsAModelError) {
  ImagePtr im = make_image(64, 64);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(encode_bytes(*im, classic_encoder(16)), tadm::container::Limits{}, f));
  f.model_name = "no-such-model";
  std::vector<uint8_t> bytes;
  ASSERT_FALSE(tadm::container::write(f, bytes));
  std::string message;
  EXPECT_EQ(decode_status(bytes, default_decoder(), &message), TADM_ERROR_MODEL);
  EXPECT_NE(message.find("no-such-model"), std::string::npos) << message;
}

TEST(Api, LimitsAreCheckedOnEncodeAndDecode) {
  ImagePtr im = make_image(300, 200);
  auto s = classic_encoder(16);
  s.common.limits.max_pixels = 1000;
  std::string message;
  EXPECT_EQ(encode_status(*im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("limit"), std::string::npos) << message;
  const auto bytes = encode_bytes(*im, classic_encoder(16));
  auto d = default_decoder();
  d.common.limits.max_dimension = 250;
  EXPECT_EQ(decode_status(bytes, d), TADM_ERROR_LIMIT);
  d = default_decoder();
  d.common.limits.max_pixels = 300 * 200 - 1;
  EXPECT_EQ(decode_status(bytes, d), TADM_ERROR_LIMIT);
}

TEST(Api, ProgressIsReportedAndCanCancel) {
  ImagePtr im = make_image(128, 128);
  struct State {
    int calls = 0;
    float last = -1;
    bool monotonic = true;
    bool cancel = false;
  } st;
  auto s = classic_encoder(16);
  s.common.user = &st;
  s.common.progress = [](void* user, float f, const char*) {
    auto* p = static_cast<State*>(user);
    p->calls++;
    if (f < p->last) p->monotonic = false;
    p->last = f;
    return p->cancel ? 1 : 0;
  };
  encode_bytes(*im, s);
  EXPECT_GT(st.calls, 1);
  EXPECT_TRUE(st.monotonic);
  EXPECT_FLOAT_EQ(st.last, 1.0f);
  st.cancel = true;
  tadm_encoder* enc = nullptr;
  ASSERT_EQ(tadm_encoder_create(&s, &enc, nullptr, 0), TADM_OK);
  uint8_t* data = nullptr;
  size_t size = 0;
  EXPECT_EQ(tadm_encoder_encode(enc, im.get(), &data, &size), TADM_ERROR_CANCELLED);
  EXPECT_EQ(data, nullptr);
  tadm_encoder_destroy(enc);
}

TEST(Api, DamagedFilesFailCleanly) {
  ImagePtr im = make_image(96, 64);
  const auto bytes = encode_bytes(*im, classic_encoder(16));
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    std::string message;
    const tadm_status st = decode_status(part, default_decoder(), &message);
    ASSERT_NE(st, TADM_OK) << "cut at " << cut;
    ASSERT_FALSE(message.empty());
  }
}

TEST(Api, InvalidArgumentsAreRejected) {
  tadm_encoder_settings s = classic_encoder(16);
  s.scale = 65;
  tadm_encoder* enc = nullptr;
  char err[256] = {};
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(enc, nullptr);
  EXPECT_NE(std::string(err).find("65"), std::string::npos);
  s = classic_encoder(16);
  s.struct_size = 3;
  EXPECT_EQ(tadm_encoder_create(&s, &enc, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
  s = classic_encoder(16);
  s.common.model = "/nonexistent/bundle";
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_MODEL);
  EXPECT_EQ(tadm_decoder_decode(nullptr, nullptr, 0, nullptr), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(tadm_status_string(TADM_ERROR_LIMIT), "limit exceeded");
}

// A caller built against an older tadm.h passes a smaller struct: the fields past its struct_size
// keep their defaults (here: values a newer caller would have set that are refused), the common
// settings before it are read (here: limits that refuse the image); sizes below the end of
// `common` or above sizeof are refused, as are enum values outside their enums.
TEST(Api, OlderSmallerSettingsGetDefaultsForTheTail) {
  constexpr uint32_t kEncoderMin = offsetof(tadm_encoder_settings, common) + sizeof(tadm_common_settings);
  constexpr uint32_t kDecoderMin = offsetof(tadm_decoder_settings, common) + sizeof(tadm_common_settings);
  ImagePtr im = make_image(64, 48);
  tadm_encoder_settings s = classic_encoder(16);
  s.scale = 65;  // past the older struct: must not be read
  s.png_effort = 9;
  s.struct_size = kEncoderMin;
  std::vector<uint8_t> bytes;
  {
    tadm_cpp::Encoder enc(s);
    EXPECT_EQ(enc.scale(), 16u);  // the default: the classic model's 16
    ASSERT_NO_THROW(bytes = enc.encode(*im));
  }
  s.common.limits.max_dimension = 8;  // inside the older struct: read
  EXPECT_EQ(encode_status(*im, s), TADM_ERROR_LIMIT);
  tadm_decoder_settings d = default_decoder();
  d.output_bit_depth = 7;  // past the older struct: must not be read
  d.struct_size = kDecoderMin;
  EXPECT_EQ(tadm_cpp::Decoder(d).decode(bytes)->width, 64u);
  d.common.limits.max_dimension = 8;
  EXPECT_EQ(decode_status(bytes, d), TADM_ERROR_LIMIT);
  tadm_encoder* enc = nullptr;
  char err[256] = {};
  for (uint32_t size : {kEncoderMin - 4, uint32_t(offsetof(tadm_encoder_settings, common)),
                        uint32_t(sizeof(tadm_encoder_settings) + 4)}) {
    s.struct_size = size;
    EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT) << size;
    EXPECT_NE(std::string(err).find("struct_size " + std::to_string(size)), std::string::npos) << err;
    EXPECT_NE(std::string(err).find("between " + std::to_string(kEncoderMin) + " and "), std::string::npos) << err;
  }
  tadm_decoder* dec = nullptr;
  for (uint32_t size : {kDecoderMin - 8, uint32_t(sizeof(tadm_decoder_settings) + 8)}) {
    d.struct_size = size;
    EXPECT_EQ(tadm_decoder_create(&d, &dec, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT) << size;
    EXPECT_EQ(dec, nullptr);
  }
}

// tadm_common_default_settings gives the common settings both default functions put in `common`.
TEST(Api, CommonDefaultsAreTheDefaultsOfBothHandles) {
  tadm_common_settings c;
  std::memset(&c, 0xff, sizeof c);
  tadm_common_default_settings(&c);
  EXPECT_EQ(c.model, nullptr);
  EXPECT_EQ(c.model_dir, nullptr);
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.device, TADM_DEVICE_AUTO);
  EXPECT_EQ(c.limits.max_pixels, 0u);
  EXPECT_EQ(c.progress, nullptr);
  EXPECT_EQ(c.log, nullptr);
  EXPECT_EQ(c.user, nullptr);
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  EXPECT_EQ(std::memcmp(&s.common, &c, sizeof c), 0);
  tadm_decoder_settings d;
  tadm_decoder_default_settings(&d);
  EXPECT_EQ(std::memcmp(&d.common, &c, sizeof c), 0);
  tadm_common_default_settings(nullptr);  // does nothing
}

TEST(Api, EnumsOutsideTheirRangeAreRefused) {
  const int nine = 9;
  char err[256] = {};
  tadm_encoder_settings s = classic_encoder(16);
  std::memcpy(&s.common.device, &nine, sizeof nine);
  tadm_encoder* enc = nullptr;
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("device 9"), std::string::npos) << err;
  tadm_decoder* dec = nullptr;
  tadm_decoder_settings d = default_decoder();
  std::memcpy(&d.classic_upscaler, &nine, sizeof nine);
  EXPECT_EQ(tadm_decoder_create(&d, &dec, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("classic upscaler 9"), std::string::npos) << err;
  d = default_decoder();
  std::memcpy(&d.common.device, &nine, sizeof nine);
  EXPECT_EQ(tadm_decoder_create(&d, &dec, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("device 9"), std::string::npos) << err;
  EXPECT_EQ(dec, nullptr);
}

TEST(Api, PngReaderRejectsDamageAndBombs) {
  ImagePtr im = make_image(50, 40);
  const auto png = tadm_cpp::write_png(*im);
  for (size_t cut = 0; cut < png.size(); cut += 5) {
    tadm_image* out = nullptr;
    ASSERT_NE(tadm_image_read_memory(png.data(), cut, nullptr, &out, nullptr, 0), TADM_OK);
    ASSERT_EQ(out, nullptr);
  }
  tadm_limits l{};
  l.max_pixels = 50 * 40 - 1;
  tadm_image* out = nullptr;
  char err[256];
  EXPECT_EQ(tadm_image_read_memory(png.data(), png.size(), &l, &out, err, sizeof err), TADM_ERROR_LIMIT);
  l = {};
  l.max_dimension = 45;
  EXPECT_NE(tadm_image_read_memory(png.data(), png.size(), &l, &out, err, sizeof err), TADM_OK);
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(tadm_image_read_memory(junk, sizeof junk, nullptr, &out, err, sizeof err), TADM_ERROR_UNSUPPORTED);
}

TEST(Api, UpscaleOfAThumbnailMatchesDecode) {
  ImagePtr im = make_image(160, 96);
  const auto bytes = encode_bytes(*im, classic_encoder(16));
  ImagePtr full = decode(bytes);
  uint8_t* png = nullptr;
  size_t size = 0;
  ASSERT_EQ(tadm_extract_thumbnail(bytes.data(), bytes.size(), nullptr, &png, &size, nullptr, 0), TADM_OK);
  const auto thumb = tadm_cpp::take_buffer(png, size);
  tadm_image* lr = nullptr;
  ASSERT_EQ(tadm_image_read_memory(thumb.data(), thumb.size(), nullptr, &lr, nullptr, 0), TADM_OK);
  ImagePtr lr_owner(lr);
  auto s = default_decoder();
  s.common.model = "classic";
  tadm_cpp::Decoder dec(s);
  ImagePtr up = dec.upscale(*lr, 16);
  ASSERT_EQ(up->width, 160u);
  ASSERT_EQ(up->height, 96u);
  EXPECT_EQ(std::memcmp(up->pixels, full->pixels, full->row_bytes * full->height), 0);
}

}  // namespace
