// The parse step (tadm_decoder_parse / _parse_io), decoding a parsed file into the library's
// or the caller's buffer, the info's metadata and hint bytes, its one JSON serialisation, and
// the diagnostics channels (tadm.h conventions).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tadm/container.hpp"
#include "test_util.hpp"

using namespace tadm_test;

namespace {

struct DecoderPtr {
  tadm_decoder* d = nullptr;
  DecoderPtr() {
    const tadm_decoder_settings s = default_decoder();
    EXPECT_EQ(tadm_decoder_create(&s, &d, nullptr, 0), TADM_OK);
  }
  ~DecoderPtr() { tadm_decoder_destroy(d); }
};

// A classic file with ICC, EXIF and XMP, and a hint chunk added through the container library.
std::vector<uint8_t> file_with_metadata_and_hint(const tadm_image& im) {
  std::vector<uint8_t> bytes = encode_bytes(im, classic_encoder(8));
  tadm::container::File f;
  EXPECT_FALSE(tadm::container::read(bytes, tadm::container::Limits{}, f));
  tadm::container::Hint h;
  h.tile_width = h.tile_height = 4;
  h.grid_width = static_cast<uint16_t>((f.lr_width + 3) / 4);
  h.grid_height = static_cast<uint16_t>((f.lr_height + 3) / 4);
  for (int k = 0; k < h.grid_width * h.grid_height; ++k) h.values.push_back(static_cast<uint8_t>(9 * k + 1));
  f.hint = h;
  bytes.clear();
  EXPECT_FALSE(tadm::container::write(f, bytes));
  return bytes;
}

struct Io {
  const std::vector<uint8_t>* bytes;
  uint64_t fail_at = UINT64_MAX;  // a read touching this offset fails
  int reads = 0;
  static int read(void* user, uint64_t offset, uint8_t* buffer, size_t size) {
    auto* io = static_cast<Io*>(user);
    ++io->reads;
    if (offset + size > io->bytes->size()) return 1;
    if (io->fail_at >= offset && io->fail_at < offset + size) return 1;
    std::memcpy(buffer, io->bytes->data() + offset, size);
    return 0;
  }
};

}  // namespace

TEST(Parse, GivesHeaderMetadataAndHintWithoutDecoding) {
  ImagePtr im = make_image(200, 120);
  attach_tiny_metadata(im.get());
  std::vector<uint8_t> bytes = file_with_metadata_and_hint(*im);
  DecoderPtr dec;
  const tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_decoder_parse(dec.d, bytes.data(), bytes.size(), &info), TADM_OK) << tadm_decoder_last_error(dec.d);
  std::fill(bytes.begin(), bytes.end(), 0);  // the decoder holds its own copy
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->width, 200u);
  EXPECT_EQ(info->lr_width, 25u);
  EXPECT_EQ(blob(info->icc, info->icc_size), blob(im->icc, im->icc_size));
  EXPECT_EQ(blob(info->exif, info->exif_size), blob(im->exif, im->exif_size));
  EXPECT_EQ(blob(info->xmp, info->xmp_size), blob(im->xmp, im->xmp_size));
  ASSERT_TRUE(info->has_hint);
  EXPECT_EQ(info->hint_grid_width, 7u);
  EXPECT_EQ(info->hint_grid_height, 4u);
  ASSERT_NE(info->hint_values, nullptr);
  EXPECT_EQ(info->hint_values[0], 1);
  EXPECT_EQ(info->hint_values[27], 9 * 27 + 1);
  EXPECT_STREQ(tadm_decoder_last_error(dec.d), "");

  // The thumbnail, then the decode, from the parsed file: the same as the one-call forms.
  tadm_image* thumb = nullptr;
  ASSERT_EQ(tadm_decoder_thumbnail(dec.d, &thumb), TADM_OK);
  ImagePtr thumb_owner(thumb);
  EXPECT_EQ(thumb->width, 25u);
  tadm_image* out = nullptr;
  ASSERT_EQ(tadm_decoder_decode_parsed(dec.d, &out), TADM_OK) << tadm_decoder_last_error(dec.d);
  ImagePtr out_owner(out);
  const std::vector<uint8_t> again = file_with_metadata_and_hint(*im);
  tadm_image* direct = nullptr;
  ASSERT_EQ(tadm_decoder_decode(dec.d, again.data(), again.size(), &direct), TADM_OK);
  ImagePtr direct_owner(direct);
  EXPECT_EQ(blob(out->pixels, out->row_bytes * out->height), blob(direct->pixels, direct->row_bytes * direct->height));
  EXPECT_EQ(blob(out->exif, out->exif_size), blob(im->exif, im->exif_size));
}

TEST(Parse, DecodesIntoTheCallersBufferAtEitherDepth) {
  ImagePtr im = make_image(97, 61, 4);
  const std::vector<uint8_t> bytes = encode_bytes(*im, classic_encoder(8));
  DecoderPtr dec;
  const tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_decoder_parse(dec.d, bytes.data(), bytes.size(), &info), TADM_OK);
  tadm_image* ref = nullptr;
  ASSERT_EQ(tadm_decoder_decode_parsed(dec.d, &ref), TADM_OK);
  ImagePtr ref_owner(ref);

  // A padded 8-bit buffer: the rows land at row_bytes, the padding is untouched.
  const size_t row = 97 * 4, stride = row + 13;
  std::vector<uint8_t> pixels(stride * 61, 0xAB);
  tadm_image dst{};
  dst.width = 97;
  dst.height = 61;
  dst.channels = 4;
  dst.bit_depth = 8;
  dst.row_bytes = stride;
  dst.pixels = pixels.data();
  ASSERT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_OK) << tadm_decoder_last_error(dec.d);
  for (uint32_t y = 0; y < 61; ++y) {
    ASSERT_EQ(0, std::memcmp(pixels.data() + y * stride, ref->pixels + y * ref->row_bytes, row)) << "row " << y;
    ASSERT_EQ(pixels[y * stride + row], 0xAB);
  }
  EXPECT_EQ(dst.icc, nullptr);  // metadata fields are the caller's

  // 16 bits on request, whatever the original's depth.
  std::vector<uint16_t> wide(97 * 4 * 61);
  dst.bit_depth = 16;
  dst.row_bytes = 97 * 4 * 2;
  dst.pixels = reinterpret_cast<uint8_t*>(wide.data());
  ASSERT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_OK) << tadm_decoder_last_error(dec.d);
  EXPECT_NEAR(wide[0] / 257.0, ref->pixels[0], 1.0);  // more precision, not another picture

  // A buffer of the wrong shape is refused, and says what the file decodes to.
  dst.channels = 3;
  EXPECT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tadm_decoder_last_error(dec.d)).find("97x61 with 4"), std::string::npos)
      << tadm_decoder_last_error(dec.d);
  dst.channels = 4;
  dst.row_bytes = 10;
  EXPECT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_ERROR_INVALID_ARGUMENT);
  dst.row_bytes = 97 * 4 * 2;
  dst.width = 96;
  EXPECT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_ERROR_INVALID_ARGUMENT);
  dst.pixels = nullptr;
  EXPECT_EQ(tadm_decoder_decode_into(dec.d, &dst), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_decoder_decode_into(dec.d, nullptr), TADM_ERROR_INVALID_ARGUMENT);
}

TEST(Parse, CallsNeedAParsedFileAndAFailedParseLeavesNone) {
  ImagePtr im = make_image(64, 48);
  const std::vector<uint8_t> bytes = encode_bytes(*im, classic_encoder(16));
  DecoderPtr dec;
  tadm_image* out = nullptr;
  EXPECT_EQ(tadm_decoder_decode_parsed(dec.d, &out), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(tadm_decoder_last_error(dec.d)).find("tadm_decoder_parse"), std::string::npos);
  EXPECT_EQ(tadm_decoder_thumbnail(dec.d, &out), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);

  const tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_decoder_parse(dec.d, bytes.data(), bytes.size(), &info), TADM_OK);
  std::vector<uint8_t> damaged(bytes.begin(), bytes.end() - 5);
  EXPECT_EQ(tadm_decoder_parse(dec.d, damaged.data(), damaged.size(), &info), TADM_ERROR_CORRUPT);
  EXPECT_EQ(info, nullptr);
  EXPECT_STRNE(tadm_decoder_last_error(dec.d), "");
  EXPECT_EQ(tadm_decoder_decode_parsed(dec.d, &out), TADM_ERROR_INVALID_ARGUMENT);  // the old file is gone
  EXPECT_EQ(tadm_decoder_parse(dec.d, bytes.data(), bytes.size(), nullptr), TADM_ERROR_INVALID_ARGUMENT);
  // A success clears the diagnostics.
  ASSERT_EQ(tadm_decoder_parse(dec.d, bytes.data(), bytes.size(), &info), TADM_OK);
  EXPECT_STREQ(tadm_decoder_last_error(dec.d), "");
}

TEST(Parse, ReadsThroughACallback) {
  ImagePtr im = make_image(300, 200);
  const std::vector<uint8_t> bytes = encode_bytes(*im, classic_encoder(8));
  DecoderPtr dec;
  Io io{&bytes};
  tadm_io stream{bytes.size(), &Io::read, &io};
  const tadm_file_info* info = nullptr;
  ASSERT_EQ(tadm_decoder_parse_io(dec.d, &stream, &info), TADM_OK) << tadm_decoder_last_error(dec.d);
  EXPECT_EQ(info->file_size, bytes.size());
  EXPECT_EQ(io.reads, 1);  // a small file in one piece
  tadm_image* out = nullptr;
  ASSERT_EQ(tadm_decoder_decode_parsed(dec.d, &out), TADM_OK);
  tadm_image_free(out);

  io.fail_at = bytes.size() / 2;
  EXPECT_EQ(tadm_decoder_parse_io(dec.d, &stream, &info), TADM_ERROR_IO);
  EXPECT_NE(std::string(tadm_decoder_last_error(dec.d)).find("read callback"), std::string::npos);
  // A stream larger than the memory budget is refused before anything is read.
  io.reads = 0;
  tadm_io huge{uint64_t{1} << 40, &Io::read, &io};
  EXPECT_EQ(tadm_decoder_parse_io(dec.d, &huge, &info), TADM_ERROR_LIMIT);
  EXPECT_EQ(io.reads, 0);
  tadm_io no_callback{bytes.size(), nullptr, &io};
  EXPECT_EQ(tadm_decoder_parse_io(dec.d, &no_callback, &info), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_decoder_parse_io(dec.d, nullptr, &info), TADM_ERROR_INVALID_ARGUMENT);
}

TEST(Parse, InfoJsonIsTheOneSerialisation) {
  ImagePtr im = make_image(200, 120);
  const std::vector<uint8_t> bytes = file_with_metadata_and_hint(*im);
  tadm_file_info* info = nullptr;
  char err[256] = {};
  ASSERT_EQ(tadm_file_info_read(bytes.data(), bytes.size(), nullptr, &info, err, sizeof err), TADM_OK) << err;
  char* text = nullptr;
  ASSERT_EQ(tadm_file_info_json(info, &text, err, sizeof err), TADM_OK) << err;
  const auto j = nlohmann::json::parse(text);
  tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
  EXPECT_EQ(j.at("container"), "tadm");
  EXPECT_EQ(j.at("version"), "1.0");
  EXPECT_EQ(j.at("width"), 200);
  EXPECT_EQ(j.at("scale_x"), 8);
  EXPECT_EQ(j.at("channels"), 3);
  EXPECT_EQ(j.at("lr_codec"), "png");
  EXPECT_EQ(j.at("model").at("name"), "classic");
  EXPECT_EQ(j.at("file_size"), bytes.size());
  EXPECT_TRUE(j.at("cicp").is_null());
  EXPECT_EQ(j.at("hint").at("values").size(), info->hint_grid_width * info->hint_grid_height);
  EXPECT_EQ(j.at("chunks").front().at("type"), "HEAD");
  tadm_file_info_free(info);
  EXPECT_EQ(tadm_file_info_json(nullptr, &text, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_STRNE(err, "");
}

// Every call without a handle says what went wrong in its `error` buffer (tadm.h conventions).
TEST(Parse, HandlelessCallsExplainInTheirBuffer) {
  char err[256] = {};
  tadm_image* im = nullptr;
  EXPECT_EQ(tadm_image_create(0, 1, 3, 8, &im, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("width and height"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_create(TADM_DEFAULT_MAX_DIMENSION + 1, 1, 3, 8, &im, err, sizeof err), TADM_ERROR_LIMIT);
  EXPECT_STRNE(err, "");
  ASSERT_EQ(tadm_image_create(4, 4, 3, 8, &im, err, sizeof err), TADM_OK);
  EXPECT_STREQ(err, "");
  ImagePtr owner(im);
  const uint8_t junk[4] = {1, 2, 3, 4};
  EXPECT_EQ(tadm_image_set_metadata(im, "exif", junk, 4, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("TIFF header"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_set_metadata(im, "gps", junk, 4, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("icc"), std::string::npos) << err;
  EXPECT_EQ(tadm_image_set_metadata(im, "xmp", nullptr, 4, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(tadm_image_set_metadata(im, "xmp", junk, 4, err, sizeof err), TADM_OK);
  EXPECT_STREQ(err, "");
  EXPECT_EQ(tadm_list_models(nullptr, nullptr, err, sizeof err), TADM_ERROR_INVALID_ARGUMENT);
  EXPECT_STRNE(err, "");
  char* text = nullptr;
  ASSERT_EQ(tadm_list_models(nullptr, &text, err, sizeof err), TADM_OK);
  EXPECT_EQ(std::string(text).rfind("classic\t", 0), 0u);
  tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
}
