// libFuzzer target for the encoder's input path through the public API:
// tadm_image_read_memory (PNG with libpng, JPEG with libjpeg-turbo, chosen by content, with their
// ICC / EXIF / XMP / cICP), then, when the image is small, a classic encode through tadm_encoder
// and a decode of the result.
// The first input byte picks the options, the rest is the image file:
//   bits 0-1: container of the encode (0, 1: .tadm; 2: HEIF; 3: AVIF)
//   bits 2-3: scale 2, 3, 4 or 8
//   bit 4:    encode even when the image is above the "small" bound (still within the limits)
// Properties: no crash or sanitizer report; every failure has a message; a read image is
// consistent (sizes, row_bytes, channels, bit depth) and within the limits; an encoded file reads
// back with tadm_file_info_read and decodes to the image's size, channels and bit depth.
#include <tadm/tadm.h>

#include "alloc_fail.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::uint64_t kMaxPixels = 1u << 20;
constexpr std::uint32_t kMaxDimension = 4096;
constexpr std::uint64_t kSmall = 1u << 16;  // pixels of an image that is encoded by default

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_image_reader: %s\n", what);
  std::abort();
}

tadm_limits limits() {
  tadm_limits l{};
  l.max_pixels = kMaxPixels;
  l.max_dimension = kMaxDimension;
  l.max_metadata_bytes = 1u << 16;
  return l;
}

tadm_encoder* encoder(int container, std::uint32_t scale) {
  static tadm_encoder* encoders[3][4] = {};
  static const std::uint32_t kScales[4] = {2, 3, 4, 8};
  std::uint32_t si = 0;
  while (kScales[si] != scale) ++si;
  tadm_encoder*& e = encoders[container][si];
  if (!e) {
    tadm_encoder_settings s;
    tadm_encoder_default_settings(&s);
    s.common.model = "classic";
    s.scale = scale;
    s.common.threads = 1;
    s.png_effort = 0;
    s.container = static_cast<tadm_container_format>(container);
    s.common.limits = limits();
    char err[256] = {};
    if (tadm_encoder_create(&s, &e, err, sizeof err) != TADM_OK) {
      std::fprintf(stderr, "fuzz_image_reader: encoder: %s\n", err);
      std::abort();
    }
  }
  return e;
}

tadm_decoder* decoder() {
  static tadm_decoder* dec = [] {
    tadm_decoder_settings s;
    tadm_decoder_default_settings(&s);
    s.common.model = "classic";
    s.force_model = 1;
    s.common.threads = 1;
    s.common.limits = limits();
    tadm_decoder* d = nullptr;
    if (tadm_decoder_create(&s, &d, nullptr, 0) != TADM_OK) std::abort();
    return d;
  }();
  return dec;
}

void check_image(const tadm_image* im) {
  if (!im || !im->pixels) fail("TADM_OK without an image");
  if (im->width == 0 || im->height == 0) fail("empty image");
  if (std::uint64_t{im->width} * im->height > kMaxPixels || im->width > kMaxDimension || im->height > kMaxDimension)
    fail("image over the limits");
  if (im->channels < 1 || im->channels > 4) fail("bad channel count");
  if (im->bit_depth != 8 && im->bit_depth != 16) fail("bad bit depth");
  if (im->row_bytes < std::size_t{im->width} * im->channels * (im->bit_depth / 8)) fail("row_bytes too small");
  // Touch the last byte (ASan catches a short buffer).
  volatile std::uint8_t last = im->pixels[im->row_bytes * im->height - 1];
  (void)last;
  if ((im->icc == nullptr) != (im->icc_size == 0) || (im->exif == nullptr) != (im->exif_size == 0) ||
      (im->xmp == nullptr) != (im->xmp_size == 0))
    fail("metadata pointer and size disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint32_t countdown = 0;
  if (!tadm_fuzz::take_countdown(data, size, countdown)) return 0;
  if (size < 1) return 0;
  const std::uint8_t opts = data[0];
  const int container = (opts & 3) < 2 ? 0 : (opts & 3) - 1;
  static const std::uint32_t kScales[4] = {2, 3, 4, 8};
  const std::uint32_t scale = kScales[(opts >> 2) & 3];
  const bool encode_large = (opts & 16) != 0;
  ++data;
  --size;
  tadm_encoder* enc = encoder(container, scale);  // setup outside the injection
  tadm_decoder* dec = decoder();
  const tadm_limits lim = limits();

  tadm_fuzz::AllocFailScope inject(countdown);
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_memory(data, size, &lim, &im, err, sizeof err);
  if (st != TADM_OK) {
    if (im) fail("failure left an image");
    if (!err[0]) fail("read failed without a message");
    return 0;
  }
  check_image(im);

  if (encode_large || std::uint64_t{im->width} * im->height <= kSmall) {
    std::uint8_t* file = nullptr;
    std::size_t file_size = 0;
    const tadm_status es = tadm_encoder_encode(enc, im, &file, &file_size);
    if (es == TADM_OK) {
      if (!file || !file_size) fail("encode returned no bytes");
      tadm_file_info* info = nullptr;
      const tadm_status is = tadm_file_info_read(file, file_size, &lim, &info, err, sizeof err);
      tadm_image* out = nullptr;
      const tadm_status ds = tadm_decoder_decode(dec, file, file_size, &out);
      const bool injected = inject.end();
      if (!injected) {
        // Without an injected failure, what the encoder wrote must read back.
        if (is != TADM_OK) {
          std::fprintf(stderr, "fuzz_image_reader: %s\n", err);
          fail("tadm_file_info_read refused the encoder's output");
        }
        if (info->width != im->width || info->height != im->height) fail("file info size differs from the image");
        if (ds != TADM_OK) {
          std::fprintf(stderr, "fuzz_image_reader: %s\n", tadm_decoder_last_error(dec));
          fail("the decoder refused the encoder's output");
        }
        if (out->width != im->width || out->height != im->height || out->channels != im->channels ||
            out->bit_depth != im->bit_depth)
          fail("decoded layout differs from the encoded image");
      }
      if (ds == TADM_OK) check_image(out);
      else if (!*tadm_decoder_last_error(dec)) fail("decode failed without a message");
      tadm_image_free(out);
      tadm_file_info_free(info);
      tadm_buffer_free(file);
    } else {
      if (file) fail("failed encode returned bytes");
      if (!*tadm_encoder_last_error(enc)) fail("encode failed without a message");
      // Within the limits, a well-formed image only fails to encode when an allocation failed
      // (or for a limit on the thumbnail/metadata).
      if (!inject.end() && es != TADM_ERROR_LIMIT) {
        std::fprintf(stderr, "fuzz_image_reader: %s: %s\n", tadm_status_string(es), tadm_encoder_last_error(enc));
        fail("encoding an image the reader accepted failed");
      }
    }
  }
  tadm_image_free(im);
  return 0;
}
