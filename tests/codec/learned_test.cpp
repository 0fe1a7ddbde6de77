// The learned runtime with the committed bundles: loading and verification failures, tiled
// against untiled output, and a Kodak round trip well above the classic baseline.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;
namespace fs = std::filesystem;

namespace {

const fs::path kBundles = TADM_SOURCE_BUNDLES;
const fs::path kKodak = TADM_KODAK_DIR;

bool have_bundle(const char* name) { return fs::exists(kBundles / name / "manifest.json"); }

#define REQUIRE_BUNDLE(name)                                                      \
  if (!have_bundle(name)) GTEST_SKIP() << "bundle " << name << " is not in model/bundles"; \
  if (!TADM_WITH_TORCH) GTEST_SKIP() << "built without LibTorch"

tadm_status create_encoder_status(const std::string& model, std::string* message) {
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = model.c_str();
  tadm_encoder* enc = nullptr;
  char err[1024] = {};
  const tadm_status st = tadm_encoder_create(&s, &enc, err, sizeof err);
  *message = err;
  tadm_encoder_destroy(enc);
  return st;
}

void copy_bundle(const fs::path& to) { fs::copy(kBundles / "pix16", to, fs::copy_options::recursive); }

TEST(Learned, BundleDamageIsAClearModelError) {
  REQUIRE_BUNDLE("pix16");
  TempDir tmp;
  std::string msg;
  // Missing manifest.
  fs::create_directories(tmp.path / "empty");
  EXPECT_EQ(create_encoder_status((tmp.path / "empty").string(), &msg), TADM_ERROR_MODEL);
  EXPECT_NE(msg.find("manifest.json"), std::string::npos) << msg;
  // A replaced weights file no longer matches its hash.
  copy_bundle(tmp.path / "swapped");
  { std::ofstream(tmp.path / "swapped" / "decoder.pt", std::ios::app) << "x"; }
  EXPECT_EQ(create_encoder_status((tmp.path / "swapped").string(), &msg), TADM_ERROR_MODEL);
  EXPECT_NE(msg.find("SHA-256"), std::string::npos) << msg;
  // A missing weights file.
  copy_bundle(tmp.path / "missing");
  fs::remove(tmp.path / "missing" / "encoder.pt");
  EXPECT_EQ(create_encoder_status((tmp.path / "missing").string(), &msg), TADM_ERROR_MODEL);
  EXPECT_NE(msg.find("encoder.pt"), std::string::npos) << msg;
  // A manifest that is not JSON.
  copy_bundle(tmp.path / "badjson");
  { std::ofstream(tmp.path / "badjson" / "manifest.json") << "{not json"; }
  EXPECT_EQ(create_encoder_status((tmp.path / "badjson").string(), &msg), TADM_ERROR_MODEL);
  // Hashes that match, but the file is not TorchScript.
  copy_bundle(tmp.path / "notscript");
  { std::ofstream(tmp.path / "notscript" / "decoder.pt") << "not a zip"; }
  {
    std::ifstream in(tmp.path / "notscript" / "manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string key = "\"decoder\"";
    const size_t at = text.find("\"sha256\"", text.find(key));
    const size_t q1 = text.find('"', text.find(':', at) + 1);
    const std::string body = "not a zip";
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(body.data(), body.size(), md, &len, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned char b : md) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
    text.replace(q1 + 1, 64, hex);
    std::ofstream(tmp.path / "notscript" / "manifest.json") << text;
  }
  EXPECT_EQ(create_encoder_status((tmp.path / "notscript").string(), &msg), TADM_ERROR_MODEL);
}

// The decoder's model cache is keyed by the bundle's SHA-256, not its name: after the bundle is
// replaced by one of the same name, files made with the new one decode with the same decoder.
TEST(Learned, DecoderCacheIsKeyedByTheBundleHash) {
  REQUIRE_BUNDLE("pix16");
  TempDir tmp;
  copy_bundle(tmp.path / "pix16");
  const std::string dir = tmp.path.string();
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "pix16";
  es.common.model_dir = dir.c_str();
  es.common.threads = 2;
  ImagePtr im = make_image(64, 48);
  const auto first = tadm_cpp::Encoder(es).encode(*im);
  tadm_decoder_settings ds = default_decoder();
  ds.common.model_dir = dir.c_str();
  tadm_decoder* dec = nullptr;
  ASSERT_EQ(tadm_decoder_create(&ds, &dec, nullptr, 0), TADM_OK);
  tadm_image* out = nullptr;
  ASSERT_EQ(tadm_decoder_decode(dec, first.data(), first.size(), &out), TADM_OK) << tadm_decoder_last_error(dec);
  tadm_image_free(out);
  { std::ofstream(tmp.path / "pix16" / "manifest.json", std::ios::app) << "\n"; }  // same name, new SHA-256
  const auto second = tadm_cpp::Encoder(es).encode(*im);
  EXPECT_EQ(tadm_decoder_decode(dec, second.data(), second.size(), &out), TADM_OK) << tadm_decoder_last_error(dec);
  tadm_image_free(out);
  EXPECT_EQ(tadm_decoder_decode(dec, first.data(), first.size(), &out), TADM_ERROR_MODEL_MISMATCH);
  tadm_decoder_destroy(dec);
}

TEST(Learned, TiledMatchesUntiled) {
  REQUIRE_BUNDLE("pix16");
  ImagePtr im = make_image(808, 565, 3, 8, 7);  // LR 51 x 36: 2 x 2 tiles of 28; not multiples of 16
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "pix16";
  es.common.threads = 2;
  tadm_decoder_settings big = default_decoder();
  tadm_decoder_settings small = default_decoder();
  small.common.limits.max_tile_pixels = 48 * 48 * 16 * 16;  // 48 LR pixels with margins: many tiles and seams
  const auto bytes = tadm_cpp::Encoder(es).encode(*im);
  ImagePtr a = tadm_cpp::Decoder(big).decode(bytes);
  ImagePtr b = tadm_cpp::Decoder(small).decode(bytes);
  ASSERT_EQ(a->width, 808u);
  ASSERT_EQ(a->height, 565u);
  // Tiles with margins >= the receptive field give identical values up to float rounding;
  // with smaller margins the feathered blend keeps differences small.
  std::printf("tiled vs untiled decode: %.2f dB\n", psnr(*a, *b));
  EXPECT_GT(psnr(*a, *b), 45.0);
  es.common.limits.max_tile_pixels = small.common.limits.max_tile_pixels;
  const auto bytes_small = tadm_cpp::Encoder(es).encode(*im);
  tadm::container::File fa, fb;
  ASSERT_FALSE(tadm::container::read(bytes, {}, fa));
  ASSERT_FALSE(tadm::container::read(bytes_small, {}, fb));
  tadm_image *la = nullptr, *lb = nullptr;
  ASSERT_EQ(tadm_image_read_memory(fa.lr_image.data(), fa.lr_image.size(), nullptr, &la, nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_read_memory(fb.lr_image.data(), fb.lr_image.size(), nullptr, &lb, nullptr, 0), TADM_OK);
  ImagePtr oa(la), ob(lb);
  std::printf("tiled vs untiled thumbnail: %.2f dB\n", psnr(*la, *lb));
  EXPECT_GT(psnr(*la, *lb), 40.0);
}

// bf16 convolutions (the default where the CPU has them natively) stay within a fraction of an
// 8-bit level of float32; an unknown precision is an argument error.
TEST(Learned, PrecisionsAgree) {
  REQUIRE_BUNDLE("pix16");
  ImagePtr im = make_image(300, 200, 3, 8, 11);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "pix16";
  const auto bytes = tadm_cpp::Encoder(es).encode(*im);
  tadm_decoder_settings fp32 = default_decoder(), bf16 = default_decoder(), autop = default_decoder();
  fp32.precision = TADM_PRECISION_FP32;
  bf16.precision = TADM_PRECISION_BF16;
  ImagePtr a = tadm_cpp::Decoder(fp32).decode(bytes);
  ImagePtr b = tadm_cpp::Decoder(bf16).decode(bytes);
  ImagePtr c = tadm_cpp::Decoder(autop).decode(bytes);
  std::printf("fp32 vs bf16 decode: %.2f dB\n", psnr(*a, *b));
  EXPECT_GT(psnr(*a, *b), 45.0);
  EXPECT_TRUE(psnr(*c, *a) >= 99.0 || psnr(*c, *b) >= 99.0) << "auto is one of the two";
  tadm_decoder_settings bad = default_decoder();
  bad.precision = static_cast<tadm_precision>(3);  // one past the last
  tadm_decoder* dec = nullptr;
  char err[256] = {};
  EXPECT_EQ(tadm_decoder_create(&bad, &dec, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(dec, nullptr);
  EXPECT_NE(std::string(err).find("precision"), std::string::npos) << err;
}

// A file that names a learned bundle at a scale the bundle does not serve (valid as a container:
// the scale and sizes agree) cannot be decoded by it: UNSUPPORTED (spec/decoding.md section 4),
// not an argument error, since the caller did nothing wrong.
TEST(Learned, FileAtAScaleItsBundleDoesNotServeIsUnsupported) {
  REQUIRE_BUNDLE("pix16");
  ImagePtr im = make_image(64, 48);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "pix16";
  es.common.threads = 1;
  const auto bytes = tadm_cpp::Encoder(es).encode(*im);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(bytes, {}, f));
  f.scale_x = f.scale_y = 32;
  f.width *= 2;
  f.height *= 2;
  std::vector<uint8_t> file;
  ASSERT_FALSE(tadm::container::write(f, file));
  tadm_decoder* dec = nullptr;
  tadm_decoder_settings ds = default_decoder();
  ASSERT_EQ(tadm_decoder_create(&ds, &dec, nullptr, 0), TADM_OK);
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_decoder_decode(dec, file.data(), file.size(), &out), TADM_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(tadm_decoder_last_error(dec)).find("works at scale 16, not 32"), std::string::npos)
      << tadm_decoder_last_error(dec);
  EXPECT_EQ(out, nullptr);
  tadm_decoder_destroy(dec);
}

// ---------------------------------------------------------------- the latent family (tadm16)

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// Unsets an environment variable on scope exit.
struct EnvVar {
  std::string name;
  EnvVar(std::string n, const std::string& value) : name(std::move(n)) { setenv(name.c_str(), value.c_str(), 1); }
  ~EnvVar() { unsetenv(name.c_str()); }
};

// A kodim23 crop through tadm16: TAEF2's weights come from the base-weights folder (the bundle
// holds placeholders), the thumbnail stays close to the classic one and the restoration is the
// photo (an untrained bundle gives 13 dB). tadm16 is tuned for texture (its card: LPIPS-squeeze
// far below classic; PSNR above classic on Kodak's mean, below it on some photos), so PSNR is only
// bounded from below here.
TEST(Latent, RoundTripThroughTheBaseWeights) {
  REQUIRE_BUNDLE("tadm16");
  tadm_image* raw = nullptr;
  ASSERT_EQ(tadm_image_read_file((kKodak / "kodim23.png").c_str(), nullptr, &raw, nullptr, 0), TADM_OK);
  ImagePtr photo(raw);
  tadm_image* crop_raw = nullptr;
  ASSERT_EQ(tadm_image_create(256, 256, 3, 8, &crop_raw, nullptr, 0), TADM_OK);
  ImagePtr crop(crop_raw);
  for (uint32_t y = 0; y < 256; ++y)
    std::memcpy(crop->pixels + y * crop->row_bytes, photo->pixels + (y + 128) * photo->row_bytes + 3 * 256, 3 * 256);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.profile = TADM_PROFILE_PERCEPTUAL;
  es.common.threads = 2;
  tadm_cpp::Encoder enc(es);
  EXPECT_EQ(enc.model().rfind("tadm16", 0), 0u) << enc.model();
  const auto bytes = enc.encode(*crop);
  ImagePtr back = tadm_cpp::Decoder(default_decoder()).decode(bytes);
  ImagePtr classic = tadm_cpp::Decoder(default_decoder()).decode(tadm_cpp::Encoder(classic_encoder(16)).encode(*crop));
  std::printf("kodim23 crop 16x: tadm16 %.2f dB, classic %.2f dB\n", psnr(*crop, *back), psnr(*crop, *classic));
  EXPECT_GT(psnr(*crop, *back), psnr(*crop, *classic) - 2.0);
  EXPECT_GT(psnr(*crop, *back), 20.0);
  // The thumbnail is still a thumbnail: close to the classic (bicubic) one.
  const auto classic_bytes = tadm_cpp::Encoder(classic_encoder(16)).encode(*crop);
  tadm::container::File fl, fc;
  ASSERT_FALSE(tadm::container::read(bytes, {}, fl));
  ASSERT_FALSE(tadm::container::read(classic_bytes, {}, fc));
  tadm_image *ll = nullptr, *lc = nullptr;
  ASSERT_EQ(tadm_image_read_memory(fl.lr_image.data(), fl.lr_image.size(), nullptr, &ll, nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_read_memory(fc.lr_image.data(), fc.lr_image.size(), nullptr, &lc, nullptr, 0), TADM_OK);
  ImagePtr pl(ll), pc(lc);
  std::printf("thumbnail vs classic thumbnail: %.2f dB\n", psnr(*ll, *lc));
  EXPECT_GT(psnr(*ll, *lc), 28.0);
}

// The enhancer's timesteps: the encoder stores one per tile in `hint` (within the model's range),
// a decoder without the hint chooses the same ones itself, --no-enhance skips the enhancer, and a
// hint the model was not trained for is refused by name.
TEST(Latent, EnhancerTimestepsTravelInTheHint) {
  REQUIRE_BUNDLE("tadm16");
  const auto manifest = nlohmann::json::parse(read_text(kBundles / "tadm16" / "manifest.json"));
  ASSERT_TRUE(manifest.contains("enhancer")) << "tadm16 is a bundle with an enhancer (format_version 2)";
  const auto& enhancer = manifest["enhancer"];
  const double step = enhancer["hint"]["t_per_unit"], t_min = enhancer["t_min"], t_max = enhancer["t_max"];
  tadm_image* raw = nullptr;
  ASSERT_EQ(tadm_image_read_file((kKodak / "kodim23.png").c_str(), nullptr, &raw, nullptr, 0), TADM_OK);
  ImagePtr photo(raw);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.profile = TADM_PROFILE_PERCEPTUAL;
  es.common.threads = 2;
  const auto bytes = tadm_cpp::Encoder(es).encode(*photo);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(bytes, {}, f));
  ASSERT_TRUE(f.hint.has_value());
  EXPECT_EQ(f.hint->tile_width, 32);
  EXPECT_EQ(f.hint->grid_width, 2);  // 48 x 32 LR pixels
  EXPECT_EQ(f.hint->grid_height, 1);
  for (const uint8_t v : f.hint->values) {  // t = v * step, within the trained range
    EXPECT_GE(v * step, t_min - step);
    EXPECT_LE(v * step, t_max + step);
  }
  tadm_cpp::Decoder dec(default_decoder());
  ImagePtr with_hint = dec.decode(bytes);
  // Without the hint the model picks the timesteps itself: the same ones up to the hint's rounding.
  tadm::container::File bare = f;
  bare.hint.reset();
  std::vector<uint8_t> bare_bytes;
  ASSERT_FALSE(tadm::container::write(bare, bare_bytes));
  tadm_decoder_settings ds = default_decoder();
  ds.force_model = 1;  // same bundle; the file is not the one the encoder wrote
  ImagePtr without = tadm_cpp::Decoder(ds).decode(bare_bytes);
  std::printf("decode with / without the hint: %.2f dB apart\n", psnr(*with_hint, *without));
  EXPECT_GT(psnr(*with_hint, *without), 40.0);
  // --no-enhance: another (blurrier) picture of the same photo.
  ds.skip_enhancer = 1;
  ImagePtr plain = tadm_cpp::Decoder(ds).decode(bytes);
  std::printf("kodim23 16x: enhanced %.2f dB, without the enhancer %.2f dB\n", psnr(*photo, *with_hint),
              psnr(*photo, *plain));
  EXPECT_LT(psnr(*with_hint, *plain), 60.0);
  EXPECT_GT(psnr(*photo, *plain), 18.0);
  // The largest value a hint can hold, beyond the timesteps the model was trained for.
  tadm::container::File bad = f;
  bad.hint->values[0] = 255;
  ASSERT_GT(255 * step, t_max + step);
  std::vector<uint8_t> bad_bytes;
  ASSERT_FALSE(tadm::container::write(bad, bad_bytes));
  std::string msg;
  EXPECT_EQ(decode_status(bad_bytes, default_decoder(), &msg), TADM_ERROR_CORRUPT);
  EXPECT_NE(msg.find("timestep " + std::to_string(static_cast<int>(255 * step))), std::string::npos) << msg;
}

// Missing or wrong base weights: a MODEL error naming the folder(s) and the expected SHA-256;
// a manifest whose placeholders do not match the weights is refused, not run half-filled.
TEST(Latent, BaseWeightsMissingWrongOrMisplacedAreClearErrors) {
  REQUIRE_BUNDLE("tadm16");
  TempDir tmp;
  const std::string enc_hash = "10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6";
  std::string msg;
  // No folder has weights named "taef2-absent".
  fs::copy(kBundles / "tadm16", tmp.path / "absent", fs::copy_options::recursive);
  std::string text = read_text(tmp.path / "absent" / "manifest.json");
  replace_all(text, "\"name\": \"taef2\"", "\"name\": \"taef2-absent\"");
  std::ofstream(tmp.path / "absent" / "manifest.json") << text;
  EXPECT_EQ(create_encoder_status((tmp.path / "absent").string(), &msg), TADM_ERROR_MODEL);
  EXPECT_NE(msg.find("taef2-absent base weights taef2_encoder.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find(enc_hash), std::string::npos) << msg;
  EXPECT_NE(msg.find("TADM_TAEF2_ABSENT_DIR"), std::string::npos) << msg;
  // The user's folder comes first and holds another file under the expected name.
  fs::create_directories(tmp.path / "wrong");
  fs::copy_file(kBundles / "tadm16" / "encoder.pt", tmp.path / "wrong" / "taef2_encoder.pth");
  {
    EnvVar env("TADM_TAEF2_DIR", (tmp.path / "wrong").string());
    EXPECT_EQ(create_encoder_status((kBundles / "tadm16").string(), &msg), TADM_ERROR_MODEL);
    EXPECT_NE(msg.find((tmp.path / "wrong").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(enc_hash), std::string::npos) << msg;
  }
  // Right weights, wrong placeholders.
  fs::copy(kBundles / "tadm16", tmp.path / "misplaced", fs::copy_options::recursive);
  text = read_text(tmp.path / "misplaced" / "manifest.json");
  replace_all(text, "\"prefix\": \"m.enc.\"", "\"prefix\": \"m.elsewhere.\"");
  std::ofstream(tmp.path / "misplaced" / "manifest.json") << text;
  EXPECT_EQ(create_encoder_status((tmp.path / "misplaced").string(), &msg), TADM_ERROR_MODEL);
  EXPECT_NE(msg.find("no empty place"), std::string::npos) << msg;
}

// kodim23 through the default model of `scale` (0 = the default scale) and through classic.
struct KodakRoundTrip {
  std::string model;
  std::vector<uint8_t> bytes;
  double learned_psnr = 0, classic_psnr = 0;
};

KodakRoundTrip kodak_round_trip(uint32_t scale) {
  KodakRoundTrip r;
  tadm_image* raw = nullptr;
  EXPECT_EQ(tadm_image_read_file((kKodak / "kodim23.png").c_str(), nullptr, &raw, nullptr, 0), TADM_OK);
  if (!raw) return r;
  ImagePtr photo(raw);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.scale = scale;
  es.common.threads = 2;
  tadm_cpp::Encoder enc(es);
  r.model = enc.model();
  r.bytes = enc.encode(*photo);
  ImagePtr learned = tadm_cpp::Decoder(default_decoder()).decode(r.bytes);
  ImagePtr classic = tadm_cpp::Decoder(default_decoder())
                         .decode(tadm_cpp::Encoder(classic_encoder(scale ? scale : 16)).encode(*photo));
  r.learned_psnr = psnr(*photo, *learned);
  r.classic_psnr = psnr(*photo, *classic);
  std::printf("kodim23 %ux: %s %.2f dB (%zu bytes), classic %.2f dB\n", scale ? scale : 16, r.model.c_str(),
              r.learned_psnr, r.bytes.size(), r.classic_psnr);
  return r;
}

TEST(Learned, KodakRoundTripBeatsClassic) {
  REQUIRE_BUNDLE("pix16");
  const KodakRoundTrip r = kodak_round_trip(0);  // the default model at scale 16 is pix16
  EXPECT_EQ(r.model.rfind("pix16", 0), 0u) << r.model;
  RecordProperty("psnr_learned", std::to_string(r.learned_psnr));
  RecordProperty("psnr_classic", std::to_string(r.classic_psnr));
  EXPECT_GT(r.learned_psnr, r.classic_psnr + 0.5);
  // Decoding with another bundle's identity is refused.
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(r.bytes, {}, f));
  EXPECT_EQ(f.model_name, "pix16");
  auto d = default_decoder();
  d.common.model = "classic";
  tadm_decoder* dec = nullptr;
  ASSERT_EQ(tadm_decoder_create(&d, &dec, nullptr, 0), TADM_OK);
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_decoder_decode(dec, r.bytes.data(), r.bytes.size(), &out), TADM_ERROR_MODEL_MISMATCH);
  tadm_decoder_destroy(dec);
}

// --scale 32 picks the 32x bundle by default, and it beats classic 32x clearly on a real photo.
TEST(Learned, Kodak32RoundTripBeatsClassic) {
  REQUIRE_BUNDLE("pix32");
  const KodakRoundTrip r = kodak_round_trip(32);
  EXPECT_EQ(r.model.rfind("pix32", 0), 0u) << r.model;
  EXPECT_GT(r.learned_psnr, r.classic_psnr + 0.3);
}

// Encoder-side refinement through the decoder restores the photo closer to the original, in one
// tile or in several, at about the same size, deterministically; out-of-range counts are argument errors, and
// classic ignores it.
TEST(Learned, RefinementImprovesTheRestoredPhoto) {
  REQUIRE_BUNDLE("pix16");
  tadm_image* raw = nullptr;
  ASSERT_EQ(tadm_image_read_file((kKodak / "kodim23.png").c_str(), nullptr, &raw, nullptr, 0), TADM_OK);
  ImagePtr photo(raw);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "pix16";
  es.common.threads = 2;
  const auto plain = tadm_cpp::Encoder(es).encode(*photo);
  es.refine_iterations = 8;
  const auto refined = tadm_cpp::Encoder(es).encode(*photo);
  EXPECT_EQ(tadm_cpp::Encoder(es).encode(*photo), refined) << "same input, same file";
  es.common.limits.max_tile_pixels = 4 * 640 * 640;  // refinement windows of 40 LR px: 3 x 2 tiles
  const auto refined_tiles = tadm_cpp::Encoder(es).encode(*photo);
  const double p0 = psnr(*photo, *tadm_cpp::Decoder(default_decoder()).decode(plain));
  const double p1 = psnr(*photo, *tadm_cpp::Decoder(default_decoder()).decode(refined));
  const double p2 = psnr(*photo, *tadm_cpp::Decoder(default_decoder()).decode(refined_tiles));
  std::printf("kodim23 pix16: %.2f dB (%zu B); refined 8 steps %.2f dB (%zu B); in tiles %.2f dB (%zu B)\n", p0,
              plain.size(), p1, refined.size(), p2, refined_tiles.size());
  EXPECT_GT(p1, p0 + 0.2);
  EXPECT_GT(p2, p0 + 0.2);
  EXPECT_LT(static_cast<double>(refined.size()), 1.1 * static_cast<double>(plain.size()));
  for (int bad : {-1, 1001}) {
    es.refine_iterations = bad;
    tadm_encoder* enc = nullptr;
    char err[256] = {};
    EXPECT_EQ(tadm_encoder_create(&es, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT) << bad;
    EXPECT_EQ(enc, nullptr);
    EXPECT_NE(std::string(err).find("refine"), std::string::npos) << err;
  }
  tadm_encoder_settings cs = classic_encoder(16);
  const auto classic = tadm_cpp::Encoder(cs).encode(*photo);
  cs.refine_iterations = 8;
  EXPECT_EQ(tadm_cpp::Encoder(cs).encode(*photo), classic);
}

}  // namespace

// The lossy-thumbnail bundles: at the classic file's bytes at `rate_scale`, a 1/`scale` JPEG (WebP,
// AVIF) thumbnail restored by the bundle beats bicubic upscaling of the very same thumbnail, which beats
// the classic PNG at `rate_scale`.
static void expect_lossy_bundle_beats_bicubic(const char* bundle, tadm_lr_codec codec, double margin_db,
                                              uint32_t scale = 4, uint32_t rate_scale = 16) {
  const ImagePtr photo = tadm_cpp::read_image((kKodak / "kodim23.png").string());
  tadm_cpp::Encoder budget_enc(classic_encoder(rate_scale));
  const std::vector<uint8_t> budget = budget_enc.encode(*photo);
  auto restore = [&](const std::vector<uint8_t>& bytes) {
    tadm_cpp::Decoder dec(default_decoder());
    return psnr(*photo, *dec.decode(bytes));
  };
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = bundle;
  s.common.threads = 2;
  s.target_bytes = static_cast<uint32_t>(budget.size());
  tadm_cpp::Encoder learned(s);
  const std::vector<uint8_t> lbytes = learned.encode(*photo);
  EXPECT_EQ(learned.lr_codec(), codec);
  EXPECT_EQ(learned.scale(), scale);
  EXPECT_LE(lbytes.size(), budget.size());
  tadm_encoder_settings c = classic_encoder(scale);
  c.lr_codec = codec;
  c.lr_quality = learned.lr_quality();
  const std::vector<uint8_t> cbytes = encode_bytes(*photo, c);
  const double learned_psnr = restore(lbytes), bicubic_psnr = restore(cbytes), png16_psnr = restore(budget);
  ::testing::Test::RecordProperty(std::string("psnr_") + bundle, std::to_string(learned_psnr));
  ::testing::Test::RecordProperty("psnr_bicubic_same_thumbnail", std::to_string(bicubic_psnr));
  EXPECT_GT(learned_psnr, bicubic_psnr + margin_db);
  EXPECT_GT(bicubic_psnr, png16_psnr + 1.0);
}

TEST(Learned, Jpeg4BeatsBicubicOfTheSameJpegAtEqualBytes) {
  REQUIRE_BUNDLE("jpeg4");
  expect_lossy_bundle_beats_bicubic("jpeg4", TADM_LR_JPEG, 0.3);  // measured +0.56 dB
}

TEST(Learned, Webp4BeatsBicubicOfTheSameWebpAtEqualBytes) {
  REQUIRE_BUNDLE("webp4");
  expect_lossy_bundle_beats_bicubic("webp4", TADM_LR_WEBP, 0.3);
}

TEST(Learned, Webp8BeatsBicubicOfTheSameWebpAtEqualBytes) {
  REQUIRE_BUNDLE("webp8");
  expect_lossy_bundle_beats_bicubic("webp8", TADM_LR_WEBP, 0.2, 8, 32);
}

TEST(Learned, Avif2BeatsBicubicOfTheSameAvifAtEqualBytes) {
  REQUIRE_BUNDLE("avif2");
  expect_lossy_bundle_beats_bicubic("avif2", TADM_LR_AVIF, 0.3, 2, 16);  // kodim23: +0.75 dB in training's evaluation
}

TEST(Learned, Avif4BeatsBicubicOfTheSameAvifAtEqualBytes) {
  REQUIRE_BUNDLE("avif4");
  expect_lossy_bundle_beats_bicubic("avif4", TADM_LR_AVIF, 0.15, 4, 32);  // kodim23: +0.38 dB
}

namespace {

// The top-left w x h of an 8-bit photo.
ImagePtr crop_photo(const tadm_image& src, uint32_t w, uint32_t h) {
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_image_create(w, h, src.channels, 8, &out, nullptr, 0), TADM_OK);
  for (uint32_t y = 0; y < h; ++y)
    std::memcpy(out->pixels + y * out->row_bytes, src.pixels + y * src.row_bytes, size_t{w} * src.channels);
  return ImagePtr(out);
}

ImagePtr kodak_photo(const char* name) {
  tadm_image* raw = nullptr;
  EXPECT_EQ(tadm_image_read_file((kKodak / name).c_str(), nullptr, &raw, nullptr, 0), TADM_OK);
  return ImagePtr(raw);
}

}  // namespace

// An any-scale bundle serves every scale of its range on each axis, unequal and odd ones
// included: exact sizes from an odd-sized photo, the scale recorded, and a restoration above
// classic at the same scale.
TEST(AnyScale, UnequalAndOddScalesRoundTripAboveClassic) {
  REQUIRE_BUNDLE("any32");
  const ImagePtr photo = kodak_photo("kodim23.png");
  ASSERT_TRUE(photo);
  const ImagePtr part = crop_photo(*photo, 333, 211);
  struct Case {
    uint32_t x, y;
  };
  for (const Case c : {Case{12, 12}, Case{24, 16}, Case{5, 3}, Case{2, 32}}) {
    SCOPED_TRACE(std::to_string(c.x) + "x" + std::to_string(c.y));
    tadm_encoder_settings es;
    tadm_encoder_default_settings(&es);
    es.common.model = "any32";
    es.common.threads = 2;
    es.scale = c.x;
    es.scale_y = c.y;
    const auto bytes = encode_bytes(*part, es);
    tadm::container::File f;
    ASSERT_FALSE(tadm::container::read(bytes, {}, f));
    EXPECT_EQ(f.model_name, "any32");
    EXPECT_EQ(f.scale_x, c.x);
    EXPECT_EQ(f.scale_y, c.y);
    EXPECT_EQ(f.lr_width, (333 + c.x - 1) / c.x);
    EXPECT_EQ(f.lr_height, (211 + c.y - 1) / c.y);
    const ImagePtr learned = tadm_cpp::Decoder(default_decoder()).decode(bytes);
    ASSERT_EQ(learned->width, 333u);
    ASSERT_EQ(learned->height, 211u);
    tadm_encoder_settings cs = classic_encoder(c.x);
    cs.scale_y = c.y;
    const ImagePtr classic = tadm_cpp::Decoder(default_decoder()).decode(encode_bytes(*part, cs));
    EXPECT_GT(psnr(*part, *learned), psnr(*part, *classic) + 0.1);
  }
}

// Outside its range an any-scale bundle refuses to encode (an argument error) and to decode (the
// file is not one it can restore), naming the scales it serves.
TEST(AnyScale, ScalesOutsideItsRangeAreRefusedNamingTheRange) {
  REQUIRE_BUNDLE("any32");
  const ImagePtr im = make_image(96, 64);
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  es.common.model = "any32";
  es.common.threads = 1;
  es.scale = 40;
  std::string msg;
  EXPECT_EQ(encode_status(*im, es, &msg), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("works at scale 2..32 on each axis, not 40"), std::string::npos) << msg;
  es.scale = 16;
  es.scale_y = 48;
  EXPECT_EQ(encode_status(*im, es, &msg), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("not 16x48"), std::string::npos) << msg;
  // A valid file at 16 re-labelled as 48 x 48 (sizes to match) names any32 at a scale it lacks.
  es.scale_y = 0;
  const auto bytes = encode_bytes(*im, es);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(bytes, {}, f));
  f.scale_x = f.scale_y = 48;
  f.width = f.lr_width * 48;
  f.height = f.lr_height * 48;
  std::vector<uint8_t> file;
  ASSERT_FALSE(tadm::container::write(f, file));
  EXPECT_EQ(decode_status(file, default_decoder(), &msg), TADM_ERROR_UNSUPPORTED);
  EXPECT_NE(msg.find("works at scale 2..32 on each axis, not 48"), std::string::npos) << msg;
}

// Tiles at an unequal scale blend to what one window computes (the margin covers the receptive
// field), for the encoder and the decoder.
TEST(AnyScale, TiledMatchesUntiledAtAnUnequalScale) {
  REQUIRE_BUNDLE("any32");
  const ImagePtr photo = kodak_photo("kodim05.png");
  ASSERT_TRUE(photo);
  auto run = [&](uint32_t max_tile_pixels) {
    tadm_encoder_settings es;
    tadm_encoder_default_settings(&es);
    es.common.model = "any32";
    es.common.threads = 2;
    es.scale = 12;
    es.scale_y = 8;
    es.common.limits.max_tile_pixels = max_tile_pixels;
    const auto bytes = encode_bytes(*photo, es);
    auto ds = default_decoder();
    ds.common.limits.max_tile_pixels = max_tile_pixels;
    return std::make_pair(bytes, tadm_cpp::Decoder(ds).decode(bytes));
  };
  const auto whole = run(1u << 24);
  const auto tiled = run(1u << 19);  // windows of 73 LR pixels (cores of 29): 3 x 3 tiles
  tadm::container::File a, b;
  ASSERT_FALSE(tadm::container::read(whole.first, {}, a));
  ASSERT_FALSE(tadm::container::read(tiled.first, {}, b));
  EXPECT_EQ(a.lr_width, b.lr_width);
  EXPECT_GT(psnr(*whole.second, *tiled.second), 45.0);
}
