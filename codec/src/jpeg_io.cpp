// JPEG reading with libjpeg-turbo, keeping ICC (APP2), EXIF and XMP (APP1) untouched.
// libjpeg reports errors by longjmp: as for PNG, all its calls live in one C-style function.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "image_io.hpp"

namespace tadm {

namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  char warning[JMSG_LENGTH_MAX];  // the first "corrupt data" warning, if any
  bool stop_on_damage;            // damage is an error: stop at once (a lying SOF costs nothing)
  bool stopped;
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
// libjpeg goes on past damage (a truncated scan, a wrong marker) and only warns, with
// msg_level -1; keep the first such warning so the caller can refuse the input.
void jpeg_keep_warning(j_common_ptr cinfo, int msg_level) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  if (msg_level >= 0 || err->warning[0]) return;
  (*cinfo->err->format_message)(cinfo, err->warning);
  if (err->stop_on_damage) {
    err->stopped = true;
    std::longjmp(err->jump, 1);
  }
}

// Owns the decompressor (constructed before setjmp, so no jump skips it; destroying a struct
// that was never created is a no-op in libjpeg).
struct JpegReadHandle {
  jpeg_decompress_struct cinfo{};
  ~JpegReadHandle() { jpeg_destroy_decompress(&cinfo); }
};

constexpr char kExifId[] = "Exif\0";  // followed by one more NUL
constexpr char kXmpId[] = "http://ns.adobe.com/xap/1.0/";

struct JpegResult {
  bool ok = false;
  bool limit = false;
  bool damaged = false;  // stopped at the first damage warning (in `warning`)
  char message[300] = {};
  char warning[JMSG_LENGTH_MAX + 8] = {};
};

void read_jpeg_raw(const std::uint8_t* data, std::size_t size, const tadm_limits* limits,
                   Image* out, std::vector<std::uint8_t>* row, JpegResult* result) {
  JpegReadHandle handle;
  jpeg_decompress_struct& cinfo = handle.cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_keep_warning;
  err.warning[0] = 0;
  err.stop_on_damage = !limits->allow_corrupt;
  err.stopped = false;
  if (setjmp(err.jump)) {
    if (err.stopped) {
      result->damaged = true;
      std::snprintf(result->warning, sizeof result->warning, "JPEG: %s", err.warning);
    } else {
      std::snprintf(result->message, sizeof result->message, "JPEG: %s", err.message);
    }
    return;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);
  const std::uint64_t w = cinfo.image_width, h = cinfo.image_height;
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  // The decoded image and libjpeg's own buffers (whole-image coefficients for progressive
  // JPEGs: 2 bytes per sample); checked before the first pixel is allocated.
  const std::uint64_t samples = w * h * (gray ? 1 : 3);
  const std::uint64_t need = samples + (cinfo.progressive_mode ? 2 * w * h * std::uint64_t(cinfo.num_components) : 0);
  if (w > limits->max_dimension || h > limits->max_dimension || w * h > limits->max_pixels ||
      need > memory_budget(*limits)) {
    result->limit = true;
    std::snprintf(result->message, sizeof result->message,
                  "JPEG is %llux%llu, over the limits (%u per side, %llu pixels, memory budget %u MiB)",
                  static_cast<unsigned long long>(w), static_cast<unsigned long long>(h),
                  limits->max_dimension, static_cast<unsigned long long>(limits->max_pixels),
                  limits->max_memory_mib);
    return;
  }
  std::uint64_t marker_bytes = 0;
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) marker_bytes += m->data_length;
  if (marker_bytes > limits->max_metadata_bytes) {
    result->limit = true;
    std::snprintf(result->message, sizeof result->message,
                  "JPEG metadata (APP1/APP2 markers) is %llu bytes, over the metadata limit of %u",
                  static_cast<unsigned long long>(marker_bytes), limits->max_metadata_bytes);
    return;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cmyk) cinfo.out_color_space = JCS_CMYK;
  else if (cinfo.jpeg_color_space != JCS_GRAYSCALE) cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const std::uint32_t comps = static_cast<std::uint32_t>(cinfo.output_components);
  out->width = cinfo.output_width;
  out->height = cinfo.output_height;
  out->bit_depth = 8;
  out->channels = cmyk ? 3 : comps;
  // Grown as rows arrive: a header that lies about the size fails at the first missing data
  // having cost only the rows that were there.
  const std::size_t total = out->row_bytes() * out->height;
  row->resize(std::size_t{out->width} * comps);
  // Adobe writes CMYK inverted; other writers rarely use CMYK JPEG at all.
  const bool inverted = cinfo.saw_Adobe_marker;
  while (cinfo.output_scanline < cinfo.output_height) {
    const std::uint32_t y = cinfo.output_scanline;
    JSAMPROW rp = row->data();
    jpeg_read_scanlines(&cinfo, &rp, 1);
    const std::size_t rows_bytes = std::size_t{y + 1} * out->row_bytes();
    if (out->pixels.size() < rows_bytes) out->pixels.resize(std::min(total, std::max(rows_bytes, 2 * out->pixels.size())));
    std::uint8_t* dst = out->pixels.data() + std::size_t{y} * out->row_bytes();
    if (!cmyk) {
      std::memcpy(dst, row->data(), row->size());
      continue;
    }
    for (std::uint32_t x = 0; x < out->width; ++x) {
      const std::uint8_t* s = row->data() + std::size_t{x} * 4;
      const int k = inverted ? s[3] : 255 - s[3];
      for (int c = 0; c < 3; ++c) {
        const int v = inverted ? s[c] : 255 - s[c];
        dst[std::size_t{x} * 3 + c] = static_cast<std::uint8_t>((v * k + 127) / 255);
      }
    }
  }
  JOCTET* icc = nullptr;
  unsigned int icc_len = 0;
  if (jpeg_read_icc_profile(&cinfo, &icc, &icc_len) && icc) {
    out->metadata.icc.assign(icc, icc + icc_len);
    std::free(icc);
  }
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1) continue;
    if (m->data_length > 6 && std::memcmp(m->data, kExifId, 6) == 0 && out->metadata.exif.empty())
      out->metadata.exif.assign(m->data + 6, m->data + m->data_length);
    else if (m->data_length > sizeof kXmpId && std::memcmp(m->data, kXmpId, sizeof kXmpId) == 0 &&
             out->metadata.xmp.empty())
      out->metadata.xmp.assign(m->data + sizeof kXmpId, m->data + m->data_length);
  }
  jpeg_finish_decompress(&cinfo);
  if (err.warning[0]) std::snprintf(result->warning, sizeof result->warning, "JPEG: %s", err.warning);
  result->ok = true;
}

}  // namespace

Image read_jpeg(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning) {
  Image image;
  std::vector<std::uint8_t> row;
  JpegResult result;
  try {
    read_jpeg_raw(bytes.data(), bytes.size(), &limits, &image, &row, &result);
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory while reading a JPEG");
  }
  if (result.damaged) report_damage(result.warning, limits, warning);  // throws: allow_corrupt was off
  if (!result.ok) fail(result.limit ? TADM_ERROR_LIMIT : TADM_ERROR_CORRUPT, result.message);
  if (result.warning[0]) report_damage(result.warning, limits, warning);
  return image;
}

}  // namespace tadm
