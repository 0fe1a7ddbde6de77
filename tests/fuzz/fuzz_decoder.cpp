// libFuzzer target for the decoder front end through the public API: container parsing (.tadm,
// and TADM-HEIF / TADM-AVIF through libheif and libavif, chosen by content), the LR PNG decode
// (libpng with our limits), the classic upscale, tadm_file_info_read (what tadminfo shows),
// tadm_extract_thumbnail and tadm_decode_thumbnail. The first input byte picks the mode:
//   even: the rest is a .tadm, HEIF or AVIF file as is;
//   odd:  the rest is a PNG stream, wrapped into a valid container (HEAD sizes taken from the
//         PNG's IHDR bytes when present) so that mutations reach libpng and the rescaler
//         instead of stopping at a CRC.
// Properties: no crash or sanitizer report; every failure has a message; a success returns
// an image of exactly the size the container declares.
#include <tadm/container.hpp>
#include <tadm/tadm.h>

#include "alloc_fail.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace tc = tadm::container;

namespace {

tadm_decoder* decoder() {
  static tadm_decoder* dec = [] {
    tadm_decoder_settings s;
    tadm_decoder_default_settings(&s);
    s.common.model = "classic";
    s.force_model = 1;  // the model identity is not what is being fuzzed here
    s.common.threads = 1;
    s.common.limits.max_pixels = 1u << 18;  // keep each run fast; limits are part of what is tested
    s.common.limits.max_dimension = 4096;
    tadm_decoder* d = nullptr;
    if (tadm_decoder_create(&s, &d, nullptr, 0) != TADM_OK) std::abort();
    return d;
  }();
  return dec;
}

uint32_t be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }

std::vector<uint8_t> wrap_png(const uint8_t* data, size_t size) {
  tc::File f;
  f.scale_x = f.scale_y = 4;
  f.lr_width = f.lr_height = 1;
  if (size >= 24) {
    f.lr_width = be32(data + 16) % 512 + 1;
    f.lr_height = be32(data + 20) % 512 + 1;
  }
  f.width = f.lr_width * 4 - (size > 25 ? data[25] % 4 : 0);
  f.height = f.lr_height * 4 - (size > 26 ? data[26] % 4 : 0);
  f.model_name = "classic";
  f.model_version = "1";
  f.lr_image.assign(data, data + size);
  std::vector<uint8_t> out;
  if (tc::write(f, out)) out.clear();  // the PNG's IHDR does not fit: nothing to decode
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint32_t countdown = 0;
  if (!tadm_fuzz::take_countdown(data, size, countdown)) return 0;
  if (size < 1) return 0;
  std::vector<uint8_t> file = (data[0] & 1) ? wrap_png(data + 1, size - 1) : std::vector<uint8_t>(data + 1, data + size);
  if (file.empty()) return 0;
  tadm_decoder* const dec = decoder();  // created outside the injection
  tadm_fuzz::AllocFailScope inject(countdown);

  tadm_file_info* info = nullptr;
  char err[512] = {};
  const tadm_status info_st = tadm_file_info_read(file.data(), file.size(), nullptr, &info, err, sizeof err);
  // In the allocation-failure mode, whether tadm_file_info_read met the injected failure (libheif
  // reports one as its own error, so the status alone does not say).
  const bool info_failed_alloc = tadm_fuzz::alloc_fail_triggered();
  if (info_st != TADM_OK && !err[0]) {
    std::fprintf(stderr, "tadm_file_info_read failed without a message\n");
    std::abort();
  }

  tadm_image* out = nullptr;
  const tadm_status st = tadm_decoder_decode(dec, file.data(), file.size(), &out);
  if (st == TADM_OK) {
    // (tadm_file_info_read may have failed on an injected allocation failure alone.)
    if (info ? out->width != info->width || out->height != info->height : !info_failed_alloc) {
      std::fprintf(stderr, "decoded size differs from the container's\n");
      std::abort();
    }
  } else if (!*tadm_decoder_last_error(dec)) {
    std::fprintf(stderr, "decode failed without a message\n");
    std::abort();
  }
  tadm_image_free(out);

  uint8_t* png = nullptr;
  size_t png_size = 0;
  const tadm_status xs = tadm_extract_thumbnail(file.data(), file.size(), nullptr, &png, &png_size, err, sizeof err);
  if (xs == TADM_OK ? !png : (png || !err[0])) {
    std::fprintf(stderr, "tadm_extract_thumbnail: inconsistent result (%s)\n", tadm_status_string(xs));
    std::abort();
  }
  // The thumbnail's pixels, any codec: a success is the size the container declares, a failure
  // says why.
  tadm_image* thumb = nullptr;
  const tadm_status ts = tadm_decode_thumbnail(file.data(), file.size(), nullptr, &thumb, err, sizeof err);
  if (ts == TADM_OK ? !thumb || (info && (thumb->width != info->lr_width || thumb->height != info->lr_height))
                    : (thumb || !err[0])) {
    std::fprintf(stderr, "tadm_decode_thumbnail: inconsistent result (%s)\n", tadm_status_string(ts));
    std::abort();
  }
  // Without an injected allocation failure, the two inspection calls agree on whether the file is
  // valid, and a file they refuse has no thumbnail.
  if (!inject.end()) {
    if ((xs == TADM_OK) != (info_st == TADM_OK)) {
      std::fprintf(stderr, "tadm_extract_thumbnail (%s) and tadm_file_info_read (%s) disagree\n",
                   tadm_status_string(xs), tadm_status_string(info_st));
      std::abort();
    }
    if (ts == TADM_OK && xs != TADM_OK) {
      std::fprintf(stderr, "tadm_decode_thumbnail succeeded on a file tadm_extract_thumbnail refuses\n");
      std::abort();
    }
  }
  tadm_buffer_free(png);
  tadm_image_free(thumb);
  tadm_file_info_free(info);
  return 0;
}
