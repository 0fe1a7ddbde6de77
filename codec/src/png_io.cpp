// PNG reading and writing with libpng. libpng reports errors by longjmp: every libpng call
// sits in a function whose only C++ objects live in the caller, so no destructor is skipped.
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>

#include "error.hpp"
#include "image_io.hpp"

namespace tadm {

namespace {

constexpr char kXmpKey[] = "XML:com.adobe.xmp";

struct PngErrorState {
  char message[256] = "unknown libpng error";
  char damage[256] = "";  // the first warning that means damaged data
};

void png_error_fn(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngErrorState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof st->message, "%s", msg);
  png_longjmp(png, 1);
}

// libpng reads on past damage it calls benign (a bad ancillary CRC, a palette index beyond the
// palette, trailing data) with only a warning. Those are damage; complaints about a colour
// chunk's consistency ("iCCP: known incorrect sRGB profile", common in real photos) are not.
bool is_damage_warning(const char* m) {
  if (std::strstr(m, "CRC")) return true;
  for (const char* benign : {"iCCP:", "sRGB:", "cHRM:", "gAMA:", "Interlace handling"})
    if (std::strncmp(m, benign, std::strlen(benign)) == 0) return false;
  return true;
}
void png_warning_fn(png_structp png, png_const_charp m) {
  auto* st = static_cast<PngErrorState*>(png_get_error_ptr(png));
  if (st && !st->damage[0] && is_damage_warning(m)) std::snprintf(st->damage, sizeof st->damage, "%s", m);
}

struct MemoryReader {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
};

void read_fn(png_structp png, png_bytep out, png_size_t length) {
  auto* r = static_cast<MemoryReader*>(png_get_io_ptr(png));
  if (length > r->size - r->pos) png_error(png, "PNG data is truncated");
  std::memcpy(out, r->data + r->pos, length);
  r->pos += length;
}

struct ReadResult {
  bool ok = false;
  bool limit = false;  // the failure is a limit, not corruption
  char message[300] = {};
  char damage[300] = {};  // set when libpng warned about damaged data
};

// Owns libpng's read structs: destroyed on every way out, a longjmp, a return or a bad_alloc
// from a buffer this file sizes (it is constructed before setjmp, so no jump skips it).
struct PngReadHandles {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReadHandles() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  }
};

// Everything libpng does for a read happens here. `out` is filled in place.
void read_png_raw(const std::uint8_t* data, std::size_t size, const tadm_limits* limits,
                  Image* out, std::vector<png_bytep>* rows, ReadResult* result) {
  PngErrorState err;
  PngReadHandles h;
  h.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, png_error_fn, png_warning_fn);
  if (!h.png) {
    std::snprintf(result->message, sizeof result->message, "out of memory creating PNG reader");
    return;
  }
  h.info = png_create_info_struct(h.png);
  png_structp png = h.png;
  png_infop info = h.info;
  MemoryReader reader{data, size, 0};
  if (!info || setjmp(png_jmpbuf(png))) {
    std::snprintf(result->message, sizeof result->message, "PNG: %s", err.message);
    return;
  }
  png_set_read_fn(png, &reader, read_fn);
  // Decompression-bomb protection: bound dimensions, ancillary chunk sizes and their count.
  png_set_user_limits(png, limits->max_dimension, limits->max_dimension);
  png_set_chunk_malloc_max(png, static_cast<png_alloc_size_t>(limits->max_metadata_bytes) + 1024);
  png_set_chunk_cache_max(png, 1000);
  static const png_byte kCicp[] = {'c', 'I', 'C', 'P', 0};
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, kCicp, 1);
  png_read_info(png, info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  // Decoded, every colour type is at most 4 channels of its bit depth (8 or 16).
  const std::uint64_t need = image_bytes(width, height, 4, bit_depth == 16 ? 16 : 8);
  if (std::uint64_t{width} * height > limits->max_pixels || need > memory_budget(*limits)) {
    result->limit = true;
    std::snprintf(result->message, sizeof result->message,
                  "PNG is %ux%u = %llu pixels, over the limit of %llu pixels or the memory budget of %u MiB",
                  width, height, static_cast<unsigned long long>(std::uint64_t{width} * height),
                  static_cast<unsigned long long>(limits->max_pixels), limits->max_memory_mib);
    return;
  }
  // Palette images are read as indices and expanded here: libpng's own expansion maps an index
  // beyond the palette to black without a word (its index check does not run in that path).
  const bool palette = color_type == PNG_COLOR_TYPE_PALETTE;
  const bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (palette && bit_depth < 8) png_set_packing(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (trns && !palette) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16) png_set_swap(png);  // to native (little-endian) order
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  out->width = width;
  out->height = height;
  out->channels = palette ? (trns ? 4u : 3u) : png_get_channels(png, info);
  out->bit_depth = png_get_bit_depth(png, info) == 16 ? 16 : 8;
  const std::size_t row_bytes = out->row_bytes();
  if (png_get_rowbytes(png, info) != (palette ? width : row_bytes)) png_error(png, "unexpected row size after transforms");
  out->pixels.resize(row_bytes * height);
  rows->resize(height);
  for (png_uint_32 y = 0; y < height; ++y) (*rows)[y] = out->pixels.data() + y * row_bytes;
  png_read_image(png, rows->data());
  png_read_end(png, info);
  if (palette) {
    png_colorp plte = nullptr;
    int num_palette = 0;
    png_bytep trans = nullptr;
    int num_trans = 0;
    png_get_PLTE(png, info, &plte, &num_palette);
    if (trns) png_get_tRNS(png, info, &trans, &num_trans, nullptr);
    int worst = -1;
    for (png_uint_32 y = 0; y < height; ++y) {
      std::uint8_t* row = (*rows)[y];
      // Backwards, so each index is read before its expanded pixel overwrites it.
      for (png_uint_32 x = width; x-- > 0;) {
        const int index = row[x];
        if (index >= num_palette) worst = std::max(worst, index);
        const png_color c = index < num_palette ? plte[index] : png_color{0, 0, 0};
        std::uint8_t* px = row + std::size_t{x} * out->channels;
        if (out->channels == 4) px[3] = index < num_trans ? trans[index] : 255;
        px[0] = c.red;
        px[1] = c.green;
        px[2] = c.blue;
      }
    }
    if (worst >= 0 && !err.damage[0])
      std::snprintf(err.damage, sizeof err.damage, "palette index %d is outside the palette of %d colours", worst,
                    num_palette);
  }

  png_charp icc_name = nullptr;
  int icc_compression = 0;
  png_bytep icc = nullptr;
  png_uint_32 icc_len = 0;
  if (png_get_iCCP(png, info, &icc_name, &icc_compression, &icc, &icc_len) && icc && icc_len)
    out->metadata.icc.assign(icc, icc + icc_len);
  png_bytep exif = nullptr;
  png_uint_32 exif_len = 0;
  if (png_get_eXIf_1(png, info, &exif_len, &exif) && exif && exif_len)
    out->metadata.exif.assign(exif, exif + exif_len);
  png_textp text = nullptr;
  int num_text = 0;
  png_get_text(png, info, &text, &num_text);
  for (int i = 0; i < num_text; ++i) {
    if (std::strcmp(text[i].key, kXmpKey) == 0) {
      const std::size_t len = text[i].compression >= PNG_ITXT_COMPRESSION_NONE ? text[i].itxt_length : text[i].text_length;
      out->metadata.xmp.assign(text[i].text, text[i].text + len);
    }
  }
  png_unknown_chunkp unknown = nullptr;
  const int num_unknown = png_get_unknown_chunks(png, info, &unknown);
  for (int i = 0; i < num_unknown; ++i) {
    if (std::memcmp(unknown[i].name, "cICP", 4) == 0 && unknown[i].size == 4) {
      std::array<std::uint8_t, 4> c{};
      std::memcpy(c.data(), unknown[i].data, 4);
      out->metadata.cicp = c;
    }
  }
  if (err.damage[0]) std::snprintf(result->damage, sizeof result->damage, "PNG: %s", err.damage);
  result->ok = true;
}

// An exception must not unwind through libpng (its structs would leak): a failed allocation
// becomes a libpng error, after the catch block.
void write_fn(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  bool ok = true;
  try {
    out->insert(out->end(), data, data + length);
  } catch (...) {
    ok = false;
  }
  if (!ok) png_error(png, "out of memory");
}
void flush_fn(png_structp) {}

struct WriteAttempt {
  int filters;
  int level;
  int strategy;
};

// `xmp` is the XMP packet NUL-terminated (libpng takes text that way), built by the caller: no
// C++ object may be created between setjmp and a libpng call that can longjmp.
bool write_png_raw(const Image* image, const std::vector<png_const_bytep>* rows,
                   const PngWriteOptions* options, const WriteAttempt* attempt, const std::string* xmp,
                   std::vector<std::uint8_t>* out, char* message, std::size_t message_size) {
  PngErrorState err;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, png_error_fn, png_warning_fn);
  if (!png) {
    std::snprintf(message, message_size, "out of memory creating PNG writer");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    std::snprintf(message, message_size, "PNG: %s", err.message);
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, out, write_fn, flush_fn);
  png_set_compression_level(png, attempt->level);
  png_set_compression_strategy(png, attempt->strategy);
  png_set_compression_mem_level(png, 9);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, attempt->filters);
  static const int kColorTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, image->width, image->height, static_cast<int>(image->bit_depth),
               kColorTypes[image->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  const Metadata& md = image->metadata;
  png_text xmp_text{};
  png_unknown_chunk cicp_chunk{};
  if (options->metadata) {
    // Metadata is carried untouched: libpng's ICC checks would silently drop an unusual profile.
    png_set_benign_errors(png, 1);
    png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    if (!md.icc.empty())
      png_set_iCCP(png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, md.icc.data(),
                   static_cast<png_uint_32>(md.icc.size()));
    if (!md.exif.empty())
      png_set_eXIf_1(png, info, static_cast<png_uint_32>(md.exif.size()),
                     const_cast<png_bytep>(md.exif.data()));
    if (!md.xmp.empty()) {
      xmp_text.compression = PNG_ITXT_COMPRESSION_NONE;
      xmp_text.key = const_cast<png_charp>(kXmpKey);
      xmp_text.text = const_cast<png_charp>(xmp->c_str());
      xmp_text.itxt_length = xmp->size();
      png_set_text(png, info, &xmp_text, 1);
    }
    if (md.cicp) {
      std::memcpy(cicp_chunk.name, "cICP", 5);
      cicp_chunk.data = const_cast<png_bytep>(md.cicp->data());
      cicp_chunk.size = 4;
      cicp_chunk.location = PNG_HAVE_IHDR;
      static const png_byte kCicp[] = {'c', 'I', 'C', 'P', 0};
      png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, kCicp, 1);
      png_set_unknown_chunks(png, info, &cicp_chunk, 1);
    }
  }
  png_write_info(png, info);
  if (image->bit_depth == 16) png_set_swap(png);
  png_write_rows(png, const_cast<png_bytepp>(rows->data()), image->height);
  png_write_end(png, nullptr);  // with `info`, libpng would write eXIf a second time
  png_destroy_write_struct(&png, &info);
  return true;
}

// Losslessly smaller layout: drop an alpha that is opaque everywhere, use gray when R=G=B.
Image reduced(const Image& image) {
  if (image.bit_depth != 8) return image;
  const std::size_t n = std::size_t{image.width} * image.height;
  const std::uint32_t ch = image.channels;
  const std::uint8_t* p = image.pixels.data();
  bool opaque = image.has_alpha();
  bool gray = !image.is_gray();
  for (std::size_t i = 0; i < n && (opaque || gray); ++i) {
    const std::uint8_t* px = p + i * ch;
    if (opaque && px[ch - 1] != 255) opaque = false;
    if (gray && (px[0] != px[1] || px[1] != px[2])) gray = false;
  }
  if (!opaque && !gray) return image;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.bit_depth = 8;
  out.metadata = image.metadata;
  const std::uint32_t color_in = image.is_gray() ? 1 : 3;
  const std::uint32_t color_out = gray ? 1 : color_in;
  const bool alpha_out = image.has_alpha() && !opaque;
  out.channels = color_out + (alpha_out ? 1 : 0);
  out.pixels.resize(n * out.channels);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* px = p + i * ch;
    std::uint8_t* q = out.pixels.data() + i * out.channels;
    for (std::uint32_t c = 0; c < color_out; ++c) q[c] = px[c];
    if (alpha_out) q[color_out] = px[ch - 1];
  }
  return out;
}

// libpng allocates (and zero-fills) a chunk's declared length before reading it, so a few
// hundred bytes declaring a 2 GB iTXt cost 2 GB: refuse a chunk longer than the bytes left
// before libpng sees the stream (it is all in memory). Returns the offset just past IEND.
std::size_t check_chunk_lengths(std::span<const std::uint8_t> bytes) {
  std::size_t pos = 8;
  while (pos + 8 <= bytes.size()) {
    const std::uint64_t length = (std::uint64_t{bytes[pos]} << 24) | (std::uint64_t{bytes[pos + 1]} << 16) |
                                 (std::uint64_t{bytes[pos + 2]} << 8) | bytes[pos + 3];
    const std::uint64_t left = bytes.size() - pos - 8;
    if (length + 4 > left)
      fail(TADM_ERROR_CORRUPT, "PNG: chunk " + std::string(reinterpret_cast<const char*>(&bytes[pos + 4]), 4) +
                                   " declares " + std::to_string(length) + " bytes, but only " + std::to_string(left) +
                                   " remain (truncated or damaged)");
    if (std::memcmp(&bytes[pos + 4], "IEND", 4) == 0) return pos + 12 + static_cast<std::size_t>(length);
    pos += 12 + static_cast<std::size_t>(length);
  }
  return bytes.size();  // no IEND: libpng reports the truncation
}

}  // namespace

Image read_png(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning,
               bool exact_end) {
  // A thumbnail stream ends at IEND (spec/container.md 6.3); photos from elsewhere may carry
  // trailing bytes, which PNG readers ignore.
  if (const std::size_t end = check_chunk_lengths(bytes); exact_end && end < bytes.size())
    fail(TADM_ERROR_CORRUPT, "PNG: " + std::to_string(bytes.size() - end) + " bytes after IEND");
  Image image;
  std::vector<png_bytep> rows;
  ReadResult result;
  try {
    read_png_raw(bytes.data(), bytes.size(), &limits, &image, &rows, &result);
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory while reading a PNG");
  }
  if (!result.ok) fail(result.limit ? TADM_ERROR_LIMIT : TADM_ERROR_CORRUPT, result.message);
  if (result.damage[0]) report_damage(result.damage, limits, warning);
  const Metadata& md = image.metadata;
  for (auto [blob, name] : {std::pair{&md.icc, "ICC profile"}, {&md.exif, "EXIF"}, {&md.xmp, "XMP"}})
    if (blob->size() > limits.max_metadata_bytes)
      fail(TADM_ERROR_LIMIT, std::string("PNG ") + name + " of " + std::to_string(blob->size()) +
                                 " bytes is over the metadata limit of " +
                                 std::to_string(limits.max_metadata_bytes));
  return image;
}

std::vector<std::uint8_t> write_png(const Image& source, const PngWriteOptions& options) {
  const Image image = options.reduce ? reduced(source) : source;
  if (image.channels < 1 || image.channels > 4 || (image.bit_depth != 8 && image.bit_depth != 16))
    fail(TADM_ERROR_INVALID_ARGUMENT, "PNG writer: unsupported channel count or bit depth");
  std::vector<png_const_bytep> rows(image.height);
  const std::size_t row_bytes = image.row_bytes();
  for (std::uint32_t y = 0; y < image.height; ++y) rows[y] = image.pixels.data() + y * row_bytes;

  // Small images (LR thumbnails) are cheap to compress several ways; keep the smallest.
  std::vector<WriteAttempt> attempts;
  switch (options.effort) {
    case 0: attempts = {{PNG_ALL_FILTERS, 6, Z_DEFAULT_STRATEGY}}; break;
    case 1: attempts = {{PNG_ALL_FILTERS, 9, Z_DEFAULT_STRATEGY}}; break;
    case 2:
      attempts = {{PNG_ALL_FILTERS, 9, Z_DEFAULT_STRATEGY}, {PNG_FILTER_NONE, 9, Z_DEFAULT_STRATEGY},
                  {PNG_FILTER_PAETH, 9, Z_DEFAULT_STRATEGY}, {PNG_ALL_FILTERS, 9, Z_FILTERED}};
      break;
    default:
      for (int f : {PNG_ALL_FILTERS, PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG,
                    PNG_FILTER_PAETH})
        for (int s : {Z_DEFAULT_STRATEGY, Z_FILTERED}) attempts.push_back({f, 9, s});
  }
  const std::string xmp(image.metadata.xmp.begin(), image.metadata.xmp.end());
  std::vector<std::uint8_t> best;
  for (const WriteAttempt& attempt : attempts) {
    std::vector<std::uint8_t> out;
    char message[300];
    if (!write_png_raw(&image, &rows, &options, &attempt, &xmp, &out, message, sizeof message))
      fail(std::strstr(message, "out of memory") ? TADM_ERROR_OUT_OF_MEMORY : TADM_ERROR_INTERNAL, message);
    if (best.empty() || out.size() < best.size()) best = std::move(out);
  }
  return best;
}

ImageFormat sniff_format(std::span<const std::uint8_t> bytes) {
  static const std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) return ImageFormat::kPng;
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat::kJpeg;
  if (is_pnm(bytes)) return ImageFormat::kPnm;
  if (bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 && std::memcmp(bytes.data() + 8, "WEBP", 4) == 0)
    return ImageFormat::kWebp;
  return ImageFormat::kUnknown;
}

Image read_image(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning) {
  Image im;
  switch (sniff_format(bytes)) {
    case ImageFormat::kPng: im = read_png(bytes, limits, warning); break;
    case ImageFormat::kJpeg: im = read_jpeg(bytes, limits, warning); break;
    case ImageFormat::kPnm: return read_pnm(bytes, limits);
    case ImageFormat::kWebp: return read_webp(bytes, limits);
    default: break;
  }
  if (im.width) {
    // Damaged EXIF (found by fuzz_image_reader: libavif then refuses to store it) is damaged
    // input like any other; with allow_corrupt it is dropped.
    if (!im.metadata.exif.empty() && !exif_has_tiff_header(im.metadata.exif)) {
      report_damage("the EXIF payload does not start with a TIFF header", limits, warning);
      im.metadata.exif.clear();
    }
    return im;
  }
  if (bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'T' && bytes[2] == 'A')
    fail(TADM_ERROR_UNSUPPORTED, "the input is a .tadm file, not a photo (use tadmdec to decode it)");
  fail(TADM_ERROR_UNSUPPORTED, "the input is not a PNG, JPEG, WebP, PGM, PPM or PAM image (unrecognised signature)");
}

}  // namespace tadm
