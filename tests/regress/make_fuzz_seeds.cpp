// Writes the fuzz seeds and the hostile regression inputs of tests/fuzz/seeds/:
//
//   make_fuzz_seeds SEEDS_DIR        (cmake --build BUILD --target update_fuzz_seeds)
//
//   regress/        hostile files as they are (the regression test hostile_test.cpp and the seed
//                   replay read them): a .tadm declaring 16384x16384, a JPEG whose SOF claims
//                   16000x16000, a truncated JPEG, a PNG with an out-of-range palette index
//   decoder/        fuzz_decoder inputs (mode byte 0x00 + file): .tadm, TADM-HEIF and TADM-AVIF
//                   files from the encoder, and the hostile .tadm
//   image_reader/   fuzz_image_reader inputs (option byte + file): PNGs of every colour type and
//                   bit depth (palette, tRNS, gray + alpha, 16-bit, Adam7 interlaced, metadata),
//                   JPEGs (gray, RGB 4:2:0 and 4:4:4, CMYK, YCCK, progressive, arithmetic,
//                   restart markers, EXIF / XMP / ICC), and the hostile JPEGs and PNG
//
// Deterministic for given libpng / libjpeg-turbo / libheif / libavif versions; every seed stays
// under 4 KiB. The fuzz targets' input formats are described at the top of tests/fuzz/*.cpp.
#include <tadm/container.hpp>
#include <tadm/tadm.h>

#include <openssl/evp.h>
#include <png.h>
#include <zlib.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace tc = tadm::container;
using Bytes = std::vector<std::uint8_t>;

namespace {

fs::path g_root;
int g_count = 0;

void save(const std::string& rel, const Bytes& bytes, std::uint8_t prefix_byte, bool prefixed) {
  const fs::path p = g_root / rel;
  fs::create_directories(p.parent_path());
  Bytes out;
  if (prefixed) out.push_back(prefix_byte);
  out.insert(out.end(), bytes.begin(), bytes.end());
  if (out.size() >= 4096) {
    std::cerr << "make_fuzz_seeds: " << rel << " is " << out.size() << " bytes, over 4 KiB\n";
    std::exit(1);
  }
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
  if (!f) {
    std::cerr << "make_fuzz_seeds: cannot write " << p << "\n";
    std::exit(1);
  }
  ++g_count;
}
void save_raw(const std::string& rel, const Bytes& b) { save(rel, b, 0, false); }
void save_prefixed(const std::string& rel, std::uint8_t prefix, const Bytes& b) { save(rel, b, prefix, true); }

// A deterministic test pattern: gradients with some structure, `channels` samples per pixel.
std::uint16_t sample(std::uint32_t x, std::uint32_t y, std::uint32_t c, std::uint32_t max) {
  const std::uint32_t v = (x * 37 + y * 91 + c * 53 + ((x ^ y) & 7) * 11) % (max + 1);
  return static_cast<std::uint16_t>(v);
}

// ---------------------------------------------------------------- PNG (libpng)

struct PngSpec {
  std::uint32_t width = 8, height = 8;
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlace = false;
  int palette_size = 0;         // palette: entries in PLTE
  int max_index = -1;           // palette: largest index written (may exceed palette_size - 1)
  bool trns = false;
  bool metadata = false;        // iCCP, eXIf, iTXt XMP, cICP
};

void png_write_cb(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void png_flush_cb(png_structp) {}
void png_error_cb(png_structp, png_const_charp msg) {
  std::cerr << "make_fuzz_seeds: libpng: " << msg << "\n";
  std::exit(1);
}
void png_warning_cb(png_structp, png_const_charp) {}

Bytes make_png(const PngSpec& s) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_cb, png_warning_cb);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, png_write_cb, png_flush_cb);
  png_set_compression_level(png, 9);
  png_set_IHDR(png, info, s.width, s.height, s.bit_depth, s.color_type,
               s.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
               PNG_FILTER_TYPE_BASE);
  std::vector<png_color> palette;
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) {
    for (int i = 0; i < s.palette_size; ++i)
      palette.push_back({static_cast<png_byte>(i * 40), static_cast<png_byte>(255 - i * 30), static_cast<png_byte>(i * 90)});
    png_set_PLTE(png, info, palette.data(), s.palette_size);
    // The out-of-range seed: libpng would refuse to write the index otherwise.
    png_set_check_for_invalid_index(png, 0);
    png_set_benign_errors(png, 1);
  }
  png_byte trans[4] = {0, 128, 255, 7};
  png_color_16 trans_color{};
  trans_color.gray = 3;
  trans_color.red = 5;
  trans_color.green = 6;
  trans_color.blue = 7;
  if (s.trns) {
    if (s.color_type == PNG_COLOR_TYPE_PALETTE) png_set_tRNS(png, info, trans, std::min(4, s.palette_size), nullptr);
    else png_set_tRNS(png, info, nullptr, 0, &trans_color);
  }
  const std::string xmp = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
  png_text text{};
  png_byte icc[132] = {};
  png_byte exif[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 0};
  png_unknown_chunk cicp{};
  if (s.metadata) {
    png_set_benign_errors(png, 1);
    png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
    icc[3] = 132;  // profile size; the rest is not a valid profile, which is allowed to pass through
    std::memcpy(icc + 36, "acsp", 4);
    png_set_iCCP(png, info, "p", PNG_COMPRESSION_TYPE_BASE, icc, sizeof icc);
    png_set_eXIf_1(png, info, sizeof exif, exif);
    text.compression = PNG_ITXT_COMPRESSION_NONE;
    text.key = const_cast<png_charp>("XML:com.adobe.xmp");
    text.text = const_cast<png_charp>(xmp.c_str());
    text.itxt_length = xmp.size();
    png_set_text(png, info, &text, 1);
    std::memcpy(cicp.name, "cICP", 5);
    static png_byte cicp_data[4] = {1, 13, 0, 1};
    cicp.data = cicp_data;
    cicp.size = 4;
    cicp.location = PNG_HAVE_IHDR;
    static const png_byte kCicp[] = {'c', 'I', 'C', 'P', 0};
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, kCicp, 1);
    png_set_unknown_chunks(png, info, &cicp, 1);
  }
  png_write_info(png, info);
  if (s.bit_depth < 8) png_set_packing(png);
  if (s.bit_depth == 16) png_set_swap(png);  // rows below are native little-endian
  const int channels = s.color_type == PNG_COLOR_TYPE_GRAY || s.color_type == PNG_COLOR_TYPE_PALETTE ? 1
                       : s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA                                  ? 2
                       : s.color_type == PNG_COLOR_TYPE_RGB                                         ? 3
                                                                                                    : 4;
  const std::uint32_t max = s.color_type == PNG_COLOR_TYPE_PALETTE
                                ? static_cast<std::uint32_t>(s.max_index >= 0 ? s.max_index : s.palette_size - 1)
                                : (1u << s.bit_depth) - 1;
  const std::size_t bytes_per_sample = s.bit_depth == 16 ? 2 : 1;
  std::vector<Bytes> rows(s.height, Bytes(s.width * channels * bytes_per_sample));
  std::vector<png_bytep> row_ptrs;
  for (std::uint32_t y = 0; y < s.height; ++y) {
    for (std::uint32_t x = 0; x < s.width; ++x)
      for (int c = 0; c < channels; ++c) {
        std::uint16_t v = sample(x, y, static_cast<std::uint32_t>(c), max);
        if (s.color_type == PNG_COLOR_TYPE_PALETTE && s.max_index >= 0 && x == s.width - 1 && y == s.height - 1)
          v = static_cast<std::uint16_t>(s.max_index);  // at least one pixel uses the bad index
        const std::size_t at = (x * channels + static_cast<std::size_t>(c)) * bytes_per_sample;
        rows[y][at] = static_cast<std::uint8_t>(v);
        if (bytes_per_sample == 2) rows[y][at + 1] = static_cast<std::uint8_t>(v >> 8);
      }
    row_ptrs.push_back(rows[y].data());
  }
  png_write_image(png, row_ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// ---------------------------------------------------------------- JPEG (libjpeg-turbo)

struct JpegSpec {
  std::uint32_t width = 16, height = 16;
  J_COLOR_SPACE in = JCS_RGB;
  J_COLOR_SPACE stored = JCS_YCbCr;  // jpeg_set_colorspace
  bool progressive = false;
  bool arithmetic = false;
  bool h444 = false;
  int restart_rows = 0;
  bool metadata = false;  // APP1 EXIF, APP1 XMP, APP2 ICC
  int quality = 50;
};

Bytes make_jpeg(const JpegSpec& s) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  const int comps = s.in == JCS_GRAYSCALE ? 1 : s.in == JCS_CMYK ? 4 : 3;
  cinfo.image_width = s.width;
  cinfo.image_height = s.height;
  cinfo.input_components = comps;
  cinfo.in_color_space = s.in;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, s.stored);
  jpeg_set_quality(&cinfo, s.quality, TRUE);
  if (s.h444)
    for (int c = 0; c < cinfo.num_components; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  if (s.progressive) jpeg_simple_progression(&cinfo);
  cinfo.arith_code = s.arithmetic ? TRUE : FALSE;
  cinfo.restart_in_rows = s.restart_rows;
  cinfo.optimize_coding = s.arithmetic ? FALSE : TRUE;
  jpeg_start_compress(&cinfo, TRUE);
  if (s.metadata) {
    static const unsigned char exif[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0};
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif, sizeof exif);
    std::string xmp("http://ns.adobe.com/xap/1.0/");
    xmp.push_back('\0');
    xmp += "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(xmp.data()),
                      static_cast<unsigned>(xmp.size()));
    unsigned char icc[132] = {};
    icc[3] = 132;
    std::memcpy(icc + 36, "acsp", 4);
    jpeg_write_icc_profile(&cinfo, icc, sizeof icc);
  }
  Bytes row(std::size_t{s.width} * comps);
  while (cinfo.next_scanline < cinfo.image_height) {
    for (std::uint32_t x = 0; x < s.width; ++x)
      for (int c = 0; c < comps; ++c)
        row[x * comps + c] = static_cast<std::uint8_t>(sample(x * 4, cinfo.next_scanline * 4, static_cast<std::uint32_t>(c), 255));
    JSAMPROW rp = row.data();
    jpeg_write_scanlines(&cinfo, &rp, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes out(buf, buf + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buf);
  return out;
}

// Rewrites the first SOFn's height and width.
Bytes with_sof_size(Bytes b, std::uint16_t width, std::uint16_t height) {
  for (std::size_t i = 2; i + 9 < b.size();) {
    if (b[i] != 0xFF) break;
    const std::uint8_t m = b[i + 1];
    const std::size_t len = (std::size_t{b[i + 2]} << 8) | b[i + 3];
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      b[i + 5] = static_cast<std::uint8_t>(height >> 8);
      b[i + 6] = static_cast<std::uint8_t>(height);
      b[i + 7] = static_cast<std::uint8_t>(width >> 8);
      b[i + 8] = static_cast<std::uint8_t>(width);
      return b;
    }
    i += 2 + len;
  }
  std::cerr << "make_fuzz_seeds: no SOF marker\n";
  std::exit(1);
}

// Offset of the first byte after the SOS header (the entropy-coded data).
std::size_t scan_data_offset(const Bytes& b) {
  for (std::size_t i = 2; i + 3 < b.size();) {
    const std::uint8_t m = b[i + 1];
    const std::size_t len = (std::size_t{b[i + 2]} << 8) | b[i + 3];
    if (m == 0xDA) return i + 2 + len;
    i += 2 + len;
  }
  std::cerr << "make_fuzz_seeds: no SOS marker\n";
  std::exit(1);
}

// ---------------------------------------------------------------- .tadm / HEIF / AVIF

std::array<std::uint8_t, 32> sha256(std::string_view text) {
  std::array<std::uint8_t, 32> md{};
  unsigned len = 0;
  if (EVP_Digest(text.data(), text.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) std::exit(1);
  return md;
}

// A valid .tadm for the classic model whose HEAD declares width x height; the LR PNG is a flat
// gray image of the declared LR size, so the file stays a few hundred bytes.
Bytes make_tadm_bomb(std::uint32_t width, std::uint32_t height, std::uint16_t scale) {
  tc::File f;
  f.width = width;
  f.height = height;
  f.scale_x = f.scale_y = scale;
  f.lr_width = tc::lr_size(width, scale);
  f.lr_height = tc::lr_size(height, scale);
  f.flags = tc::kFlagGrayscale;
  f.model_name = "classic";
  f.model_version = "1";
  f.model_sha256 = sha256("tadm classic rescaler 1: antialiased bicubic (a=-0.5) downscale");
  PngSpec p;
  p.width = f.lr_width;
  p.height = f.lr_height;
  // All black, 8-bit gray (the LR image must be 8-bit).
  Bytes out;
  {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_cb, png_warning_cb);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &out, png_write_cb, png_flush_cb);
    png_set_compression_level(png, 9);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_IHDR(png, info, p.width, p.height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    Bytes row(p.width, 0);
    for (std::uint32_t y = 0; y < p.height; ++y) png_write_row(png, row.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
  }
  f.lr_image = out;
  Bytes file;
  if (tc::Error e = tc::write(f, file)) {
    std::cerr << "make_fuzz_seeds: container: " << e.message << "\n";
    std::exit(1);
  }
  return file;
}

Bytes encode(const Bytes& image_file, tadm_container_format container, std::uint32_t scale) {
  tadm_image* im = nullptr;
  char err[256] = {};
  if (tadm_image_read_memory(image_file.data(), image_file.size(), nullptr, &im, err, sizeof err) != TADM_OK) {
    std::cerr << "make_fuzz_seeds: read: " << err << "\n";
    std::exit(1);
  }
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = "classic";
  s.scale = scale;
  s.common.threads = 1;
  s.container = container;
  s.png_effort = 3;
  tadm_encoder* enc = nullptr;
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (tadm_encoder_create(&s, &enc, err, sizeof err) != TADM_OK || tadm_encoder_encode(enc, im, &data, &size) != TADM_OK) {
    std::cerr << "make_fuzz_seeds: encode: " << (enc ? tadm_encoder_last_error(enc) : err) << "\n";
    std::exit(1);
  }
  Bytes out(data, data + size);
  tadm_buffer_free(data);
  tadm_encoder_destroy(enc);
  tadm_image_free(im);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds SEEDS_DIR\n";
    return 2;
  }
  g_root = argv[1];

  // ---- hostile regression inputs (hostile_test.cpp names them)
  const Bytes bomb = make_tadm_bomb(16384, 16384, 64);
  save_raw("regress/tadm_header_16384x16384.tadm", bomb);
  JpegSpec small;
  small.width = small.height = 16;
  const Bytes jpeg16 = make_jpeg(small);
  const Bytes jpeg_bomb = with_sof_size(jpeg16, 16000, 16000);
  save_raw("regress/jpeg_sof_16000x16000.jpg", jpeg_bomb);
  JpegSpec mid;
  mid.width = mid.height = 32;
  mid.quality = 90;
  const Bytes jpeg32 = make_jpeg(mid);
  const std::size_t sos = scan_data_offset(jpeg32);
  const Bytes truncated(jpeg32.begin(), jpeg32.begin() + static_cast<std::ptrdiff_t>(sos + (jpeg32.size() - sos) / 2));
  save_raw("regress/jpeg_truncated.jpg", truncated);
  PngSpec bad_palette;
  bad_palette.color_type = PNG_COLOR_TYPE_PALETTE;
  bad_palette.bit_depth = 8;
  bad_palette.palette_size = 2;
  bad_palette.max_index = 200;
  const Bytes png_bad_palette = make_png(bad_palette);
  save_raw("regress/png_palette_index_out_of_range.png", png_bad_palette);
  // A 8x8 PNG whose iTXt chunk after IHDR declares 2 GiB - 1 MiB and is cut after 30 bytes:
  // libpng 1.6.39 allocates and zero-fills the declared length before reading it.
  PngSpec plain;
  const Bytes plain_png = make_png(plain);
  Bytes itxt_bomb(plain_png.begin(), plain_png.begin() + 33);  // signature + IHDR
  for (int b : {0x7F, 0xF0, 0x00, 0x00}) itxt_bomb.push_back(static_cast<std::uint8_t>(b));
  for (char c : std::string("iTXtXML:com.adobe.xmp")) itxt_bomb.push_back(static_cast<std::uint8_t>(c));
  for (int i = 0; i < 5; ++i) itxt_bomb.push_back(0);
  for (char c : std::string("<x:xmpmeta")) itxt_bomb.push_back(static_cast<std::uint8_t>(c));
  save_raw("regress/png_itxt_declares_2gib.png", itxt_bomb);

  // ---- fuzz_image_reader: option byte (bits 0-1 container, 2-3 scale 2/3/4/8, bit 4 encode large)
  save_prefixed("image_reader/regress_jpeg_sof_16000x16000.bin", 0x00, jpeg_bomb);
  save_prefixed("image_reader/regress_jpeg_truncated.bin", 0x00, truncated);
  save_prefixed("image_reader/regress_png_palette_index_out_of_range.bin", 0x00, png_bad_palette);
  struct NamedPng {
    const char* name;
    PngSpec spec;
    std::uint8_t opts;
  };
  std::vector<NamedPng> pngs;
  for (int depth : {1, 2, 4, 8, 16}) {
    PngSpec s;
    s.color_type = PNG_COLOR_TYPE_GRAY;
    s.bit_depth = depth;
    pngs.push_back({nullptr, s, static_cast<std::uint8_t>(depth == 16 ? 0x04 : 0x00)});
  }
  for (int depth : {1, 2, 4, 8}) {
    PngSpec s;
    s.color_type = PNG_COLOR_TYPE_PALETTE;
    s.bit_depth = depth;
    s.palette_size = 1 << std::min(depth, 4);
    s.trns = depth == 8;
    pngs.push_back({nullptr, s, 0x00});
  }
  for (int depth : {8, 16}) {
    for (int ct : {PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA}) {
      PngSpec s;
      s.color_type = ct;
      s.bit_depth = depth;
      pngs.push_back({nullptr, s, static_cast<std::uint8_t>(ct == PNG_COLOR_TYPE_RGB_ALPHA ? 0x08 : 0x00)});
    }
  }
  {
    PngSpec s;  // tRNS on gray and RGB
    s.color_type = PNG_COLOR_TYPE_GRAY;
    s.trns = true;
    pngs.push_back({nullptr, s, 0x00});
    s.color_type = PNG_COLOR_TYPE_RGB;
    pngs.push_back({nullptr, s, 0x00});
  }
  for (int ct : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_PALETTE, PNG_COLOR_TYPE_RGB_ALPHA}) {
    PngSpec s;  // Adam7, odd sizes
    s.width = 13;
    s.height = 11;
    s.color_type = ct;
    s.bit_depth = ct == PNG_COLOR_TYPE_PALETTE ? 4 : ct == PNG_COLOR_TYPE_GRAY ? 16 : 8;
    s.palette_size = 16;
    s.interlace = true;
    pngs.push_back({nullptr, s, 0x01});
  }
  {
    PngSpec s;  // metadata; encoded into HEIF and AVIF too
    s.metadata = true;
    pngs.push_back({"png_rgb8_metadata_heif", s, 0x02});
    pngs.push_back({"png_rgb8_metadata_avif", s, 0x03});
    s.width = 1;
    s.height = 1;
    pngs.push_back({"png_rgb8_1x1", s, 0x0c});
  }
  for (const NamedPng& p : pngs) {
    std::string name = p.name ? p.name : "";
    if (name.empty()) {
      const char* ct = p.spec.color_type == PNG_COLOR_TYPE_GRAY         ? "gray"
                       : p.spec.color_type == PNG_COLOR_TYPE_PALETTE    ? "palette"
                       : p.spec.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? "gray_alpha"
                       : p.spec.color_type == PNG_COLOR_TYPE_RGB        ? "rgb"
                                                                        : "rgba";
      name = std::string("png_") + ct + std::to_string(p.spec.bit_depth) + (p.spec.trns ? "_trns" : "") +
             (p.spec.interlace ? "_adam7" : "");
    }
    save_prefixed("image_reader/" + name + ".bin", p.opts, make_png(p.spec));
  }

  struct NamedJpeg {
    const char* name;
    JpegSpec spec;
    std::uint8_t opts;
  };
  std::vector<NamedJpeg> jpegs;
  JpegSpec j;
  jpegs.push_back({"jpeg_rgb_420", j, 0x00});
  j.h444 = true;
  jpegs.push_back({"jpeg_rgb_444_heif", j, 0x02});
  j = {};
  j.in = JCS_GRAYSCALE;
  j.stored = JCS_GRAYSCALE;
  jpegs.push_back({"jpeg_gray", j, 0x04});
  j = {};
  j.in = JCS_CMYK;
  j.stored = JCS_CMYK;
  jpegs.push_back({"jpeg_cmyk", j, 0x00});
  j.stored = JCS_YCCK;
  jpegs.push_back({"jpeg_ycck", j, 0x00});
  j = {};
  j.progressive = true;
  jpegs.push_back({"jpeg_rgb_progressive", j, 0x00});
  j.in = JCS_GRAYSCALE;
  j.stored = JCS_GRAYSCALE;
  jpegs.push_back({"jpeg_gray_progressive", j, 0x00});
  j = {};
  j.arithmetic = true;
  jpegs.push_back({"jpeg_rgb_arithmetic", j, 0x00});
  j = {};
  j.width = 21;
  j.height = 19;
  j.restart_rows = 1;
  jpegs.push_back({"jpeg_rgb_restart_odd_size_avif", j, 0x03});
  j = {};
  j.metadata = true;
  jpegs.push_back({"jpeg_rgb_metadata", j, 0x00});
  for (const NamedJpeg& n : jpegs) save_prefixed(std::string("image_reader/") + n.name + ".bin", n.opts, make_jpeg(n.spec));

  // ---- fuzz_decoder: mode byte 0x00 + a file as is
  save_prefixed("decoder/regress_tadm_header_16384x16384.bin", 0x00, bomb);
  PngSpec rgb;
  rgb.width = 24;
  rgb.height = 20;
  const Bytes rgb_png = make_png(rgb);
  PngSpec rgba;
  rgba.width = 17;
  rgba.height = 9;
  rgba.color_type = PNG_COLOR_TYPE_RGB_ALPHA;
  rgba.metadata = true;
  const Bytes rgba_png = make_png(rgba);
  PngSpec gray16;
  gray16.width = 12;
  gray16.height = 12;
  gray16.color_type = PNG_COLOR_TYPE_GRAY;
  gray16.bit_depth = 16;
  const Bytes gray16_png = make_png(gray16);
  save_prefixed("decoder/heif_rgb_24x20_s4.bin", 0x00, encode(rgb_png, TADM_CONTAINER_HEIF, 4));
  save_prefixed("decoder/heif_rgba_metadata_17x9_s3.bin", 0x00, encode(rgba_png, TADM_CONTAINER_HEIF, 3));
  save_prefixed("decoder/avif_rgb_24x20_s4.bin", 0x00, encode(rgb_png, TADM_CONTAINER_AVIF, 4));
  save_prefixed("decoder/avif_rgba_metadata_17x9_s3.bin", 0x00, encode(rgba_png, TADM_CONTAINER_AVIF, 3));
  save_prefixed("decoder/avif_gray16_12x12_s2.bin", 0x00, encode(gray16_png, TADM_CONTAINER_AVIF, 2));
  save_prefixed("decoder/tadm_gray16_12x12_s2.bin", 0x00, encode(gray16_png, TADM_CONTAINER_TADM, 2));
  save_prefixed("decoder/tadm_rgba_metadata_17x9_s3.bin", 0x00, encode(rgba_png, TADM_CONTAINER_TADM, 3));

  std::cout << "make_fuzz_seeds: wrote " << g_count << " files under " << g_root << "\n";
  return 0;
}
