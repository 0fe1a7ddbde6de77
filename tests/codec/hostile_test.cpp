// Hostile input found by a red-team run (issue 14): a file must never choose which code runs,
// memory stays within the budget whatever a header claims, damage libpng/libjpeg only warn about
// is refused, and every misuse gets the status that names it.
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "../container/vector_tools.hpp"
#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;
using tadm::testing::append_chunk;
using tadm::testing::append_u32;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> encode_classic(const tadm_image& im, uint32_t scale) {
  return encode_bytes(im, classic_encoder(scale));
}

// `bytes` (a valid .tadm) with its MODL chunk replaced by name / version / sha256, CRC recomputed:
// what an attacker writes, since the container writer refuses names that are not plain.
std::vector<uint8_t> with_model(const std::vector<uint8_t>& bytes, const std::string& name,
                                const std::string& version, const std::array<uint8_t, 32>& sha) {
  tadm::testing::RawFile raw = tadm::testing::split(bytes);
  std::vector<uint8_t> d{static_cast<uint8_t>(name.size())};
  d.insert(d.end(), name.begin(), name.end());
  d.push_back(static_cast<uint8_t>(version.size()));
  d.insert(d.end(), version.begin(), version.end());
  d.insert(d.end(), sha.begin(), sha.end());
  raw.chunks[1].data = d;
  return tadm::testing::join(raw);
}

std::array<uint8_t, 32> manifest_sha(const fs::path& bundle) {
  std::ifstream in(bundle / "manifest.json", std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string hex = tadm::testing::sha256_hex(bytes);
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

// Watches a directory tree's files for any open or read (inotify): proof that nothing in a planted
// bundle was touched, whatever the decoder's error says.
class OpenWatch {
 public:
  explicit OpenWatch(const fs::path& dir) : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    std::vector<fs::path> dirs{dir};
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_directory()) dirs.push_back(e.path());
    for (const auto& d : dirs) inotify_add_watch(fd_, d.c_str(), IN_OPEN | IN_ACCESS);
  }
  ~OpenWatch() { close(fd_); }
  bool touched() const {
    alignas(inotify_event) char buf[4096];
    return read(fd_, buf, sizeof buf) > 0;
  }

 private:
  int fd_;
};

// A PNG of `w` x 1 palette pixels with a 2-entry palette whose pixels use index `index`.
std::vector<uint8_t> palette_png(uint32_t w, uint8_t index) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  std::vector<uint8_t> ihdr;
  append_u32(ihdr, w);
  append_u32(ihdr, 1);
  ihdr.insert(ihdr.end(), {8, 3, 0, 0, 0});
  append_chunk(png, "IHDR", ihdr);
  append_chunk(png, "PLTE", {0, 0, 0, 255, 255, 255});
  std::vector<uint8_t> row(w + 1, index);
  row[0] = 0;  // filter: none
  uLongf len = compressBound(static_cast<uLong>(row.size()));
  std::vector<uint8_t> z(len);
  compress2(z.data(), &len, row.data(), static_cast<uLong>(row.size()), 9);
  z.resize(len);
  append_chunk(png, "IDAT", z);
  append_chunk(png, "IEND", {});
  return png;
}

tadm_status read_memory(const std::vector<uint8_t>& bytes, const tadm_limits* limits, std::string* message) {
  tadm_image* raw = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_memory(bytes.data(), bytes.size(), limits, &raw, err, sizeof err);
  if (message) *message = err;
  if (st != TADM_OK) {
    EXPECT_EQ(raw, nullptr);
  }
  tadm_image_free(raw);
  return st;
}

}  // namespace

// ------------------------------------------------------------ a file never chooses the code

TEST(Hostile, FileNamingAPathNeverOpensIt) {
  TempDir tmp;
  const fs::path source = fs::path(TADM_SOURCE_BUNDLES) / "pix16";
  ASSERT_TRUE(fs::exists(source / "manifest.json"));
  // A real bundle copy planted next to the file, reachable by every path spelling.
  fs::create_directories(tmp.path / "evil");
  fs::copy(source, tmp.path / "evil" / "bundle", fs::copy_options::recursive);
  fs::copy(source, tmp.path / "pix16planted", fs::copy_options::recursive);
  const auto sha = manifest_sha(tmp.path / "evil" / "bundle");
  ImagePtr im = make_image(64, 64);
  const auto valid = encode_classic(*im, 16);

  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.path);  // relative names would resolve here
  const fs::path rel_up = fs::relative(tmp.path / "evil" / "bundle", tmp.path / "evil" / "x");
  for (const std::string& name : {std::string("evil/bundle"), (tmp.path / "evil" / "bundle").string(),
                                  std::string("./evil/bundle"), std::string("../") + tmp.path.filename().string() + "/evil/bundle",
                                  rel_up.string(), std::string("..")}) {
    SCOPED_TRACE(name);
    OpenWatch watch(tmp.path);
    std::string message;
    const auto file = with_model(valid, name, "0.3", sha);
    EXPECT_EQ(decode_status(file, default_decoder(), &message), TADM_ERROR_CORRUPT);
    EXPECT_NE(message.find("not a plain name"), std::string::npos) << message;
    EXPECT_FALSE(watch.touched()) << "the decoder opened something in the planted bundle";
    auto forced = default_decoder();
    forced.force_model = 1;
    EXPECT_NE(decode_status(file, forced), TADM_OK);
    EXPECT_FALSE(watch.touched());
  }
  {
    // A plain name that exists only in the current directory is not found there.
    OpenWatch watch(tmp.path);
    std::string message;
    EXPECT_EQ(decode_status(with_model(valid, "pix16planted", "0.3", sha), default_decoder(), &message),
              TADM_ERROR_MODEL);
    EXPECT_NE(message.find("was not found"), std::string::npos) << message;
    EXPECT_FALSE(watch.touched());
  }
  {
    // Relative entries of TADM_MODEL_PATH would depend on the current directory: ignored.
    setenv("TADM_MODEL_PATH", ".", 1);
    OpenWatch watch(tmp.path);
    EXPECT_EQ(decode_status(with_model(valid, "pix16planted", "0.3", sha), default_decoder()), TADM_ERROR_MODEL);
    EXPECT_FALSE(watch.touched());
    unsetenv("TADM_MODEL_PATH");
  }
  fs::current_path(cwd);
}

TEST(Hostile, ContainerWriterAndReaderAgreeOnPlainNames) {
  for (const char* ok : {"pix16", "a", "A.b_c-9", "0x"}) EXPECT_TRUE(tadm::container::is_valid_model_name(ok)) << ok;
  for (const char* bad : {"", ".", "..", ".hidden", "-x", "a/b", "/abs", "a\\b", "pix 16", "a:b", "ü"})
    EXPECT_FALSE(tadm::container::is_valid_model_name(bad)) << bad;
  EXPECT_FALSE(tadm::container::is_valid_model_name(std::string(65, 'a')));
  // A user may still name a model with a space or a path-like name: a clear argument error.
  tadm_encoder_settings s = classic_encoder(16);
  s.common.model = "pix 16";
  tadm_encoder* enc = nullptr;
  char err[512] = {};
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("plain model name"), std::string::npos) << err;
}

// spec/model-bundle.md: a manifest name that is not plain is refused when the bundle loads,
// not later when the container writer meets it.
TEST(Hostile, BundleWithANameThatIsNotPlainIsRefusedAtLoad) {
  TempDir tmp;
  fs::copy(fs::path(TADM_SOURCE_BUNDLES) / "pix16", tmp.path / "spaced", fs::copy_options::recursive);
  const fs::path manifest = tmp.path / "spaced" / "manifest.json";
  std::string text;
  {
    std::ifstream in(manifest, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const size_t at = text.find("\"pix16\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 7, "\"pix 16\"");
  std::ofstream(manifest, std::ios::binary) << text;
  tadm_encoder_settings s = classic_encoder(16);
  const std::string dir = (tmp.path / "spaced").string();
  s.common.model = dir.c_str();
  tadm_encoder* enc = nullptr;
  char err[1024] = {};
  EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_MODEL);
  EXPECT_EQ(enc, nullptr);
  EXPECT_NE(std::string(err).find("\"pix 16\" is not a plain name"), std::string::npos) << err;
}

// Manifest integers must be JSON integers (nlohmann would read 16.7 as 16 and true as 1), and
// the version printable ASCII (it goes into every file's MODL chunk).
TEST(Hostile, ManifestFieldsOfTheWrongKindAreRefusedAtLoad) {
  struct Case {
    std::string from, to, expect;
  };
  const std::vector<Case> cases = {{"\"scale\": 16", "\"scale\": 16.7", "\"scale\" is not an integer"},
                                   {"\"format_version\": 1", "\"format_version\": true", "\"format_version\" is not an integer"},
                                   {"\"lr_tile\": ", "\"lr_tile\": 1.5, \"x\": ", "\"tile.lr_tile\" is not an integer"},
                                   {"\"version\": \"", "\"version\": \"\\u0007", "printable ASCII"},
                                   // format 2 is format 1 plus "enhancer", format 3 format 1 plus "scales"
                                   {"\"format_version\": 1", "\"format_version\": 4", "is not supported"},
                                   {"\"format_version\": 1", "\"format_version\": 3", "and only they, have \"scales\""},
                                   {"\"format_version\": 1,", "\"format_version\": 1, \"scales\": {\"min\": 2, \"max\": 32},",
                                    "and only they, have \"scales\""},
                                   {"\"format_version\": 1,", "\"format_version\": 3, \"scales\": {\"min\": 17, \"max\": 32},",
                                    "must lie within 2..64 and hold the default scale 16"},
                                   {"\"format_version\": 1,", "\"format_version\": 3, \"scales\": {\"min\": 2, \"max\": 65},",
                                    "must lie within 2..64"},
                                   {"\"format_version\": 1,", "\"format_version\": 3, \"scales\": [2, 32],",
                                    "\"scales\" is not an object"},
                                   {"\"format_version\": 1", "\"format_version\": 2", "and only they, have \"enhancer\""},
                                   {"\"format_version\": 1,", "\"format_version\": 1, \"enhancer\": {},", "and only they"},
                                   {"\"format_version\": 1,",
                                    "\"format_version\": 2, \"enhancer\": {\"t_min\": 10, \"t_max\": 600, \"hint\": "
                                    "{\"kind\": \"timestep\", \"t_per_unit\": 2, \"tile_lr\": 32}},",
                                    "are not usable"}};
  for (const Case& c : cases) {
    TempDir tmp;
    fs::copy(fs::path(TADM_SOURCE_BUNDLES) / "pix16", tmp.path / "pix16", fs::copy_options::recursive);
    const fs::path manifest = tmp.path / "pix16" / "manifest.json";
    std::string text;
    {
      std::ifstream in(manifest, std::ios::binary);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    text.replace(at, c.from.size(), c.to);
    std::ofstream(manifest, std::ios::binary) << text;
    tadm_encoder_settings s = classic_encoder(16);
    const std::string dir = (tmp.path / "pix16").string();
    s.common.model = dir.c_str();
    tadm_encoder* enc = nullptr;
    char err[1024] = {};
    EXPECT_EQ(tadm_encoder_create(&s, &enc, err, sizeof err), TADM_ERROR_MODEL) << c.to;
    EXPECT_NE(std::string(err).find(c.expect), std::string::npos) << err;
  }
}

// A thumbnail PNG ends at IEND (spec/container.md 6.3): bytes after it are damage, while a photo
// given to the encoder may carry them (other readers ignore them there).
TEST(Hostile, BytesAfterTheThumbnailsIendAreCorrupt) {
  ImagePtr im = make_image(64, 48);
  const auto valid = encode_classic(*im, 16);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(valid, tadm::container::Limits{}, f));
  f.lr_image.insert(f.lr_image.end(), {'j', 'u', 'n', 'k'});
  std::vector<uint8_t> file;
  ASSERT_FALSE(tadm::container::write(f, file));
  std::string message;
  EXPECT_EQ(decode_status(file, default_decoder(), &message), TADM_ERROR_CORRUPT);
  EXPECT_NE(message.find("4 bytes after IEND"), std::string::npos) << message;
  auto photo = tadm_cpp::write_png(*im);
  photo.insert(photo.end(), {'j', 'u', 'n', 'k'});
  tadm_image* back = nullptr;
  EXPECT_EQ(tadm_image_read_memory(photo.data(), photo.size(), nullptr, &back, nullptr, 0), TADM_OK);
  tadm_image_free(back);
}

TEST(Hostile, ClassicWithAnotherVersionIsAMismatch) {
  ImagePtr im = make_image(64, 64);
  const auto valid = encode_classic(*im, 16);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(valid, tadm::container::Limits{}, f));
  const auto file = with_model(valid, "classic", "2", f.model_sha256);
  std::string message;
  EXPECT_EQ(decode_status(file, default_decoder(), &message), TADM_ERROR_MODEL_MISMATCH);
  EXPECT_NE(message.find("classic 2"), std::string::npos) << message;
}

// ------------------------------------------------------------ memory budget

TEST(Hostile, TinyFileClaimingAHugeImageIsRefusedBeforeAllocation) {
  ImagePtr im = make_image(16, 16);
  const auto valid = encode_classic(*im, 64);
  tadm::container::File f;
  ASSERT_FALSE(tadm::container::read(valid, tadm::container::Limits{}, f));
  // 16384 x 16384 from a 256 x 256 thumbnail at scale 64: a few hundred bytes.
  f.width = f.height = 16384;
  f.lr_width = f.lr_height = 256;
  tadm_image* lr = nullptr;
  ASSERT_EQ(tadm_image_create(256, 256, 3, 8, &lr, nullptr, 0), TADM_OK);
  f.lr_image = tadm_cpp::write_png(*lr);
  tadm_image_free(lr);
  std::vector<uint8_t> bomb;
  ASSERT_FALSE(tadm::container::write(f, bomb));
  EXPECT_LT(bomb.size(), 1500u);
  std::string message;
  EXPECT_EQ(decode_status(bomb, default_decoder(), &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("memory budget of 2048 MiB"), std::string::npos) << message;
  // The budget is a setting: a smaller one refuses smaller images too.
  const auto small = encode_classic(*make_image(600, 400), 16);
  auto tight = default_decoder();
  tight.common.limits.max_memory_mib = 4;
  EXPECT_EQ(decode_status(small, tight, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("decoding this file to 600x400 needs about"), std::string::npos) << message;
  tight.common.limits.max_memory_mib = 64;
  EXPECT_EQ(decode_status(small, tight), TADM_OK);
}

TEST(Hostile, EncoderChecksTheBudgetBeforeCopyingTheImage) {
  // A 20000 x 20000 RGBA image whose buffer holds one row: reading past it (copying before the
  // budget check) would crash or trip ASan.
  std::vector<uint8_t> row(20000 * 4);
  tadm_image im{};
  im.width = im.height = 20000;
  im.channels = 4;
  im.bit_depth = 8;
  im.pixels = row.data();
  im.row_bytes = row.size();
  std::string message;
  tadm_encoder_settings s = classic_encoder(16);
  s.common.limits.max_pixels = 1ull << 32;
  EXPECT_EQ(encode_status(im, s, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("encoding a 20000x20000 image needs about"), std::string::npos) << message;
}

TEST(Hostile, CallerImagesAreCheckedBeforeTheyAreCopied) {
  // Buffers shorter than the fields claim: copying before the checks would read past them.
  std::vector<uint8_t> row(5000 * 3);
  tadm_image lr{};
  lr.width = lr.height = 5000;
  lr.channels = 3;
  lr.bit_depth = 8;
  lr.pixels = row.data();
  lr.row_bytes = row.size();
  tadm_decoder_settings d = default_decoder();
  d.common.limits.max_pixels = 1 << 20;
  tadm_decoder* dec = nullptr;
  ASSERT_EQ(tadm_decoder_create(&d, &dec, nullptr, 0), TADM_OK);
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_decoder_upscale(dec, &lr, 2, &out), TADM_ERROR_LIMIT);
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(std::string(tadm_decoder_last_error(dec)).find("25000000 pixels"), std::string::npos)
      << tadm_decoder_last_error(dec);
  tadm_decoder_destroy(dec);
  // Metadata claiming more than the limit, on every call that copies an image.
  ImagePtr im = make_image(16, 16);
  std::vector<uint8_t> icc(64);
  im->icc = icc.data();
  im->icc_size = size_t{64} << 20;
  std::string message;
  EXPECT_EQ(encode_status(*im, classic_encoder(16), &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("ICC profile"), std::string::npos) << message;
  uint8_t* data = nullptr;
  size_t size = 0;
  char err[256] = {};
  EXPECT_EQ(tadm_image_write_png(im.get(), &data, &size, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_NE(std::string(err).find("metadata limit"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_write(im.get(), TADM_IMAGE_PAM, 0, &data, &size, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_EQ(data, nullptr);
  im->icc = nullptr;  // not the library's to free
  im->icc_size = 0;
  // row_bytes x height wraps around.
  lr.width = 1;
  lr.height = 3;
  lr.row_bytes = SIZE_MAX / 2;
  EXPECT_EQ(tadm_image_write_png(&lr, &data, &size, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("overflows"), std::string::npos) << err;
}

TEST(Hostile, PngAndJpegHeadersOverTheBudgetAreRefused) {
  // 30000 x 30000 gray+alpha 16-bit: 3.6 GB decoded; the IDAT is a few kilobytes.
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  std::vector<uint8_t> ihdr;
  append_u32(ihdr, 30000);
  append_u32(ihdr, 30000);
  ihdr.insert(ihdr.end(), {16, 4, 0, 0, 0});
  append_chunk(png, "IHDR", ihdr);
  append_chunk(png, "IDAT", {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
  append_chunk(png, "IEND", {});
  std::string message;
  EXPECT_EQ(read_memory(png, nullptr, &message), TADM_ERROR_LIMIT);
  EXPECT_NE(message.find("memory budget"), std::string::npos) << message;
}

// ------------------------------------------------------------ damage is not accepted in silence

TEST(Hostile, PaletteIndexOutsideThePaletteIsDamage) {
  std::string message;
  EXPECT_EQ(read_memory(palette_png(8, 1), nullptr, &message), TADM_OK) << message;
  EXPECT_EQ(message, "");
  EXPECT_EQ(read_memory(palette_png(8, 7), nullptr, &message), TADM_ERROR_CORRUPT);
  EXPECT_NE(message.find("palette"), std::string::npos) << message;
  tadm_limits allow{};
  allow.allow_corrupt = 1;
  EXPECT_EQ(read_memory(palette_png(8, 7), &allow, &message), TADM_OK);
  EXPECT_NE(message.find("palette"), std::string::npos) << "the damage is reported as a warning: " << message;
}

TEST(Hostile, AncillaryChunkWithBadCrcIsDamage) {
  std::vector<uint8_t> png = palette_png(8, 1);
  // A tEXt chunk before IEND with its CRC broken: libpng skips it with a warning.
  std::vector<uint8_t> text;
  append_chunk(text, "tEXt", {'a', 0, 'b'});
  text.back() ^= 0xFF;
  png.insert(png.end() - 12, text.begin(), text.end());
  std::string message;
  EXPECT_EQ(read_memory(png, nullptr, &message), TADM_ERROR_CORRUPT);
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;
}

// ------------------------------------------------------------ statuses say what happened

TEST(Hostile, StatusesNameTheProblem) {
  tadm_image* im = nullptr;
  EXPECT_EQ(tadm_image_create(0, 0, 3, 8, &im, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_image_create(10, 10, 5, 8, &im, nullptr, 0), TADM_ERROR_INVALID_ARGUMENT);

  ImagePtr good = make_image(32, 32);
  good->has_cicp = 1;
  good->cicp[3] = 7;
  std::string message;
  EXPECT_EQ(encode_status(*good, classic_encoder(16), &message), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(message.find("full-range"), std::string::npos) << message;

  TempDir tmp;
  char err[512] = "stale message";
  EXPECT_EQ(tadm_image_read_file(tmp.path.c_str(), nullptr, &im, err, sizeof err), TADM_ERROR_IO);
  EXPECT_NE(std::string(err).find("directory"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_read_file("/dev/zero", nullptr, &im, err, sizeof err), TADM_ERROR_IO);
  EXPECT_NE(std::string(err).find("not a regular file"), std::string::npos) << err;
  std::snprintf(err, sizeof err, "stale message");
  EXPECT_EQ(tadm_image_read_memory(nullptr, 5, nullptr, &im, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(err).find("stale"), std::string::npos) << "an argument error must replace the old message";
}
