// write() refuses File values the reader would refuse, with the reader's error code.
#include "test_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

namespace {

namespace tc = tadm::container;
using namespace tadm::testing;

struct BadCase {
  const char* what;
  std::function<void(tc::File&)> mutate;
  tc::ErrorCode expect;
};

TEST(ContainerWriter, RejectsInvalidFiles) {
  using E = tc::ErrorCode;
  const std::vector<BadCase> cases = {
      {"version_major 2", [](tc::File& f) { f.version_major = 2; }, E::kBadField},
      {"version_major 0", [](tc::File& f) { f.version_major = 0; }, E::kBadField},
      {"width 0", [](tc::File& f) { f.width = 0; }, E::kBadField},
      {"height 0", [](tc::File& f) { f.height = 0; }, E::kBadField},
      {"scale_x 1", [](tc::File& f) { f.scale_x = 1; f.lr_width = f.width; }, E::kBadField},
      {"scale_x 0", [](tc::File& f) { f.scale_x = 0; }, E::kBadField},
      {"scale_y 65", [](tc::File& f) { f.scale_y = 65; }, E::kBadField},
      {"lr_width wrong", [](tc::File& f) { f.lr_width += 1; }, E::kBadField},
      {"lr_height wrong", [](tc::File& f) { f.lr_height -= 1; }, E::kBadField},
      {"flags bit 7", [](tc::File& f) { f.flags = 0x80; }, E::kBadField},
      {"bit depth 12", [](tc::File& f) { f.original_bit_depth = 12; }, E::kBadField},
      {"bit depth 0", [](tc::File& f) { f.original_bit_depth = 0; }, E::kBadField},
      {"lr_codec 5", [](tc::File& f) { f.lr_codec = 5; }, E::kBadField},
      {"lr_codec 1 (JPEG) with a PNG", [](tc::File& f) { f.lr_codec = tc::kLrCodecJpeg; }, E::kBadField},
      {"lr_codec 4 (AVIF) with a PNG", [](tc::File& f) { f.lr_codec = tc::kLrCodecAvif; }, E::kBadField},
      {"empty model name", [](tc::File& f) { f.model_name.clear(); }, E::kBadField},
      {"65-char model name", [](tc::File& f) { f.model_name = std::string(65, 'a'); }, E::kBadField},
      {"space in model name", [](tc::File& f) { f.model_name = "a b"; }, E::kBadField},
      {"DEL in model name", [](tc::File& f) { f.model_name = "ab\x7F"; }, E::kBadField},
      {"non-ASCII model name", [](tc::File& f) { f.model_name = "mod\xC3\xA8le"; }, E::kBadField},
      {"path as model name", [](tc::File& f) { f.model_name = "../evil"; }, E::kBadField},
      {"slash in model name", [](tc::File& f) { f.model_name = "evil/bundle"; }, E::kBadField},
      {"model name starting with a dot", [](tc::File& f) { f.model_name = ".hidden"; }, E::kBadField},
      {"65-char model version", [](tc::File& f) { f.model_version = std::string(65, '1'); }, E::kBadField},
      {"newline in model version", [](tc::File& f) { f.model_version = "1\n"; }, E::kBadField},
      {"empty LR image", [](tc::File& f) { f.lr_image.clear(); }, E::kBadChunk},
      {"32-byte LR image", [](tc::File& f) { f.lr_image.resize(32); }, E::kBadChunk},
      {"LR image not a PNG", [](tc::File& f) { f.lr_image.assign(64, 0xFF); }, E::kBadField},
      {"LR PNG size differs", [](tc::File& f) { f.lr_image = make_png(f.lr_width + 1, f.lr_height, 2); },
       E::kBadField},
      {"LR PNG 16-bit", [](tc::File& f) { f.lr_image = make_png(f.lr_width, f.lr_height, 2, 16); }, E::kBadField},
      {"LR PNG colour type 5", [](tc::File& f) { f.lr_image[25] = 5; }, E::kBadField},
      {"LR PNG first chunk not IHDR", [](tc::File& f) { f.lr_image[12] = 'X'; }, E::kBadField},
      {"empty icc", [](tc::File& f) { f.icc = Bytes{}; }, E::kBadChunk},
      {"empty exif", [](tc::File& f) { f.exif = Bytes{}; }, E::kBadChunk},
      {"empty xmp", [](tc::File& f) { f.xmp = Bytes{}; }, E::kBadChunk},
      {"cicp full_range 2", [](tc::File& f) { f.cicp->full_range = 2; }, E::kBadField},
      {"hint values too few", [](tc::File& f) { f.hint->values.pop_back(); }, E::kBadChunk},
      {"hint values too many", [](tc::File& f) { f.hint->values.push_back(1); }, E::kBadChunk},
      {"hint grid_width 0", [](tc::File& f) { f.hint->grid_width = 0; f.hint->values.clear(); }, E::kBadField},
      {"hint tile_height 0", [](tc::File& f) { f.hint->tile_height = 0; }, E::kBadField},
      {"hint grid too small", [](tc::File& f) { f.hint->tile_width = 1; }, E::kBadField},
      {"hint grid too large", [](tc::File& f) { f.hint->tile_height = 3; }, E::kBadField},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    tc::File f = full_file();
    c.mutate(f);
    Bytes out = {42};
    const tc::Error e = tc::write(f, out);
    EXPECT_EQ(code_name(e), tc::error_code_name(c.expect)) << e.message;
    EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(out, Bytes{42}) << "output must be untouched on error";
  }
}

// append_chunk is the framing write() uses, public for the chunks a File does not hold (the
// HEIF/AVIF mapping's lsha and moved LRIM).
TEST(ContainerWriter, AppendChunkFramesAsTheWriterDoes) {
  std::vector<uint8_t> tend;
  ASSERT_FALSE(tc::append_chunk(tend, {'T', 'E', 'N', 'D'}, {}));
  EXPECT_EQ(tend, (std::vector<uint8_t>{0, 0, 0, 0, 'T', 'E', 'N', 'D', 0x0C, 0x31, 0xEF, 0xC0}));
  std::vector<uint8_t> bytes;
  ASSERT_FALSE(tc::write(small_file(), bytes));
  ASSERT_TRUE(std::equal(tend.begin(), tend.end(), bytes.end() - 12));
  // An optional chunk inserted before TEND reads back as an unknown optional chunk.
  bytes.resize(bytes.size() - 12);
  const std::vector<uint8_t> data = {1, 2, 3};
  ASSERT_FALSE(tc::append_chunk(bytes, {'l', 's', 'h', 'a'}, data));
  bytes.insert(bytes.end(), tend.begin(), tend.end());
  tc::File f;
  ASSERT_FALSE(tc::read(bytes, tc::Limits{}, f));
  ASSERT_EQ(f.unknown_optional.size(), 1u);
  EXPECT_EQ(f.unknown_optional[0].data, data);
}

TEST(ContainerWriter, WritesItsVersionMinorAndIgnoresChunkList) {
  tc::File f = small_file();
  f.version_minor = 3;
  f.chunks.resize(5);  // filled by readers; the writer ignores it
  const Bytes b = write_or_fail(f);
  EXPECT_EQ(b[8], 1);
  EXPECT_EQ(b[9], 3);
  EXPECT_EQ(b[10], 0);
  EXPECT_EQ(b[11], 0);
}

TEST(ContainerWriter, AcceptsFieldExtremes) {
  tc::File f = small_file();
  f.width = 1;
  f.height = 0xFFFFFFFFu;  // limits are for readers; the writer checks the spec only
  f.scale_x = 64;
  f.scale_y = 64;
  f.lr_width = 1;
  f.lr_height = tc::lr_size(f.height, 64);
  f.lr_image = make_png(1, 1, 0);
  set_u32(f.lr_image, 20, f.lr_height);  // IHDR height; the PNG need not decode for the container
  f.model_name = std::string(63, '-').insert(0, 1, 'z');
  f.model_version = std::string(64, ' ');
  Bytes b;
  const tc::Error e = tc::write(f, b);
  EXPECT_FALSE(e) << e.message;
  tc::File out;
  EXPECT_EQ(tc::read(b, tc::Limits{}, out).code, tc::ErrorCode::kLimitExceeded);
  tc::Limits wide;
  wide.max_dimension = 0xFFFFFFFFu;
  wide.max_pixels = ~0ull;
  const tc::Error r = tc::read(b, wide, out);
  ASSERT_FALSE(r) << r.message;
  expect_same_fields(f, out);
}

}  // namespace
