// Hostile inputs through the public API with its default settings (tests/fuzz/seeds/regress/,
// written by make_fuzz_seeds): each must be handled without a crash or a sanitizer report, and end
// in a clean error status with a message -- or, until the engine refuses them all, in a success
// with a well-formed image.
//
//   tadm_header_16384x16384.tadm        ~400 bytes whose HEAD declares a 268-megapixel image
//   jpeg_sof_16000x16000.jpg            a 16x16 JPEG whose SOF claims 16000x16000
//   jpeg_truncated.jpg                  a JPEG cut in the middle of its scan
//   png_palette_index_out_of_range.png  a 2-colour palette PNG with index 200 in its pixels
//   png_itxt_declares_2gib.png          a 78-byte PNG whose iTXt chunk declares 2 GiB (libpng
//                                       allocates and zero-fills that before reading the chunk)
//
// The bombs would make today's engine allocate gigabytes before failing, so a release build runs
// this test under an address-space limit (an allocation failure then ends as
// TADM_ERROR_OUT_OF_MEMORY), and sanitizer builds, where such a limit cannot be set, skip the two
// bombs until kHostileMustFail is true.
#include <tadm/tadm.h>

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Every hostile input is refused (memory budget for the bombs, libjpeg/libpng damage as errors,
// chunk lengths checked before libpng allocates): every file in seeds/regress/ must fail cleanly.
constexpr bool kHostileMustFail = true;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Caps the address space of an uninstrumented test process at 2 GiB, so that a bomb that is not
// refused fails its allocation (TADM_ERROR_OUT_OF_MEMORY) instead of taking the machine's memory.
const bool g_address_space_capped = [] {
  if (kSanitized) return false;
  rlimit r{};
  if (getrlimit(RLIMIT_AS, &r) != 0) return false;
  const rlim_t cap = rlim_t{2} << 30;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < cap) return true;
  r.rlim_cur = cap;
  return setrlimit(RLIMIT_AS, &r) == 0;
}();

std::vector<std::uint8_t> load(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << p;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path regress_dir() { return fs::path(TADM_REGRESS_DIR); }

// The one expectation of every call below.
void expect_clean(const std::string& what, tadm_status st, const char* message, bool has_output) {
  SCOPED_TRACE(what);
  if (st == TADM_OK) {
    EXPECT_TRUE(has_output) << "TADM_OK without an output";
    EXPECT_FALSE(kHostileMustFail) << "accepted a hostile input";
    return;
  }
  EXPECT_FALSE(has_output) << "an error status with an output";
  EXPECT_NE(st, TADM_ERROR_INTERNAL) << message;
  ASSERT_NE(message, nullptr);
  EXPECT_STRNE(message, "") << "error " << tadm_status_string(st) << " without a message";
  std::printf("  %s: %s: %s\n", what.c_str(), tadm_status_string(st), message);
}

bool well_formed(const tadm_image* im) {
  return im && im->pixels && im->width && im->height && im->channels >= 1 && im->channels <= 4 &&
         (im->bit_depth == 8 || im->bit_depth == 16) &&
         im->row_bytes >= std::size_t{im->width} * im->channels * im->bit_depth / 8;
}

// A .tadm (or HEIF / AVIF) through the decoder and both inspection calls.
void run_container(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  tadm_file_info* info = nullptr;
  char err[512] = {};
  tadm_status st = tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, err, sizeof err);
  if (st == TADM_OK) {
    // Inspection does not decode pixels: a well-formed header is fine here, whatever it declares.
    EXPECT_NE(info, nullptr);
  } else {
    EXPECT_STRNE(err, "");
  }
  tadm_file_info_free(info);

  std::uint8_t* png = nullptr;
  std::size_t png_size = 0;
  err[0] = 0;
  st = tadm_extract_thumbnail(bytes.data(), bytes.size(), nullptr, &png, &png_size, err, sizeof err);
  if (st != TADM_OK) {
    EXPECT_STRNE(err, "");
  }
  tadm_buffer_free(png);

  tadm_decoder_settings s;
  tadm_decoder_default_settings(&s);
  s.common.threads = 2;
  tadm_decoder* dec = nullptr;
  ASSERT_EQ(tadm_decoder_create(&s, &dec, err, sizeof err), TADM_OK) << err;
  tadm_image* out = nullptr;
  st = tadm_decoder_decode(dec, bytes.data(), bytes.size(), &out);
  expect_clean(name + ": tadm_decoder_decode", st, tadm_decoder_last_error(dec), out != nullptr);
  if (st == TADM_OK) {
    EXPECT_TRUE(well_formed(out));
  }
  tadm_image_free(out);
  tadm_decoder_destroy(dec);
}

// A PNG or JPEG through the encoder's reader (default limits), then a classic encode if it was read.
void run_image(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_memory(bytes.data(), bytes.size(), nullptr, &im, err, sizeof err);
  expect_clean(name + ": tadm_image_read_memory", st, err, im != nullptr);
  if (st != TADM_OK) return;
  EXPECT_TRUE(well_formed(im));
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = "classic";
  s.scale = 8;
  s.common.threads = 2;
  tadm_encoder* enc = nullptr;
  ASSERT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_OK) << err;
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  const tadm_status es = tadm_encoder_encode(enc, im, &data, &size);
  if (es != TADM_OK) {
    EXPECT_STRNE(tadm_encoder_last_error(enc), "");
  }
  tadm_buffer_free(data);
  tadm_encoder_destroy(enc);
  tadm_image_free(im);
}

void run_file(const std::string& file) {
  const fs::path p = regress_dir() / file;
  ASSERT_TRUE(fs::exists(p)) << p << " is missing (cmake --build BUILD --target update_fuzz_seeds)";
  const std::vector<std::uint8_t> bytes = load(p);
  const std::string ext = p.extension().string();
  if (ext == ".png" || ext == ".jpg") run_image(file, bytes);
  else run_container(file, bytes);
}

bool skip_bomb() { return kSanitized && !kHostileMustFail; }

}  // namespace

TEST(HostileInput, TadmHeader16384x16384) {
  if (skip_bomb()) GTEST_SKIP() << "would allocate gigabytes under the sanitizer until the memory budget lands";
  EXPECT_TRUE(g_address_space_capped || kSanitized);
  run_file("tadm_header_16384x16384.tadm");
}

TEST(HostileInput, JpegSof16000x16000) {
  if (skip_bomb()) GTEST_SKIP() << "would allocate gigabytes under the sanitizer until the memory budget lands";
  EXPECT_TRUE(g_address_space_capped || kSanitized);
  run_file("jpeg_sof_16000x16000.jpg");
}

TEST(HostileInput, PngItxtDeclares2GiB) {
  if (skip_bomb()) GTEST_SKIP() << "would allocate gigabytes under the sanitizer until the engine bounds PNG chunks";
  EXPECT_TRUE(g_address_space_capped || kSanitized);
  run_file("png_itxt_declares_2gib.png");
}

TEST(HostileInput, JpegTruncated) { run_file("jpeg_truncated.jpg"); }

TEST(HostileInput, PngPaletteIndexOutOfRange) { run_file("png_palette_index_out_of_range.png"); }

// Anything added to seeds/regress/ later is covered too (the named files above are not repeated).
TEST(HostileInput, EveryOtherRegressFile) {
  const std::vector<std::string> named = {"tadm_header_16384x16384.tadm", "jpeg_sof_16000x16000.jpg",
                                          "jpeg_truncated.jpg", "png_palette_index_out_of_range.png",
                                          "png_itxt_declares_2gib.png"};
  for (const auto& e : fs::directory_iterator(regress_dir())) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || std::find(named.begin(), named.end(), name) != named.end()) continue;
    run_file(name);
  }
}
