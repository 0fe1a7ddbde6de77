// Generates the .tadm version 1 test vectors of spec/vectors/.
//
//   make_spec_vectors OUT_DIR
//
// writes OUT_DIR/valid/NAME.tadm + NAME.json (the expected decoded fields) and
// OUT_DIR/invalid/NAME.tadm + NAME.json ({"error": <error_code_name>, "why": ...}).
// Output is deterministic: running it twice gives identical bytes. Valid files come from the
// container writer (plus byte surgery where the writer cannot produce them); invalid files are
// valid ones with one defect added by hand. Each vector is checked against the reader before
// it is written, so the generator refuses to produce a vector the reader disagrees with.
#include <tadm/container.hpp>

#include "../container/lr_streams.hpp"
#include "../container/png_streams.hpp"
#include "../container/vector_tools.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace tc = tadm::container;
namespace fs = std::filesystem;
using tadm::testing::Bytes;
using tadm::testing::RawChunk;
using tadm::testing::RawFile;
using nlohmann::json;

namespace {

int g_failures = 0;

std::array<std::uint8_t, 32> model_hash(const std::string& text) {
  const std::string hex = tadm::testing::sha256_hex(tadm::testing::bytes_of(text));
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

json blob_json(const std::optional<Bytes>& b) {
  if (!b) return nullptr;
  return json{{"size", b->size()}, {"sha256", tadm::testing::sha256_hex(*b)}};
}

// The expected decoded fields of a valid vector: from the File the generator meant to write and an
// independent walk over the bytes (tadm::testing::split) for the chunk list.
json expected_json(const tc::File& f, const Bytes& file, const std::string& description) {
  json j;
  j["description"] = description;
  j["file_size"] = file.size();
  j["file_sha256"] = tadm::testing::sha256_hex(file);
  j["version_major"] = f.version_major;
  j["version_minor"] = f.version_minor;
  j["width"] = f.width;
  j["height"] = f.height;
  j["scale_x"] = f.scale_x;
  j["scale_y"] = f.scale_y;
  j["lr_width"] = f.lr_width;
  j["lr_height"] = f.lr_height;
  j["flags"] = f.flags;
  j["original_bit_depth"] = f.original_bit_depth;
  j["lr_codec"] = f.lr_codec;
  j["model"] = {{"name", f.model_name}, {"version", f.model_version}, {"sha256", tadm::testing::hex_of(f.model_sha256)}};
  j["lr_image"] = blob_json(f.lr_image);
  j["icc"] = blob_json(f.icc);
  j["exif"] = blob_json(f.exif);
  j["xmp"] = blob_json(f.xmp);
  if (f.cicp) {
    j["cicp"] = {{"colour_primaries", f.cicp->colour_primaries},
                 {"transfer_characteristics", f.cicp->transfer_characteristics},
                 {"matrix_coefficients", f.cicp->matrix_coefficients},
                 {"full_range", f.cicp->full_range}};
  } else {
    j["cicp"] = nullptr;
  }
  if (f.hint) {
    j["hint"] = {{"grid_width", f.hint->grid_width},   {"grid_height", f.hint->grid_height},
                 {"tile_width", f.hint->tile_width},   {"tile_height", f.hint->tile_height},
                 {"values", f.hint->values}};
  } else {
    j["hint"] = nullptr;
  }
  j["unknown_optional"] = json::array();
  for (const tc::UnknownChunk& u : f.unknown_optional) {
    j["unknown_optional"].push_back({{"type", std::string(u.type.begin(), u.type.end())},
                                     {"size", u.data.size()},
                                     {"sha256", tadm::testing::sha256_hex(u.data)}});
  }
  static const char* kKnown[] = {"HEAD", "MODL", "LRIM", "TEND", "iccp", "cicp", "exif", "xmpp", "hint"};
  const RawFile r = tadm::testing::split(file);
  j["chunks"] = json::array();
  for (std::size_t i = 0; i < r.chunks.size(); ++i) {
    const std::string& t = r.chunks[i].type;
    bool known = false;
    for (const char* k : kKnown) known = known || t == k;
    j["chunks"].push_back({{"type", t},
                           {"offset", tadm::testing::chunk_offset(r, i)},
                           {"length", r.chunks[i].data.size()},
                           {"critical", t[0] >= 'A' && t[0] <= 'Z'},
                           {"known", known}});
  }
  return j;
}

void write_bytes(const fs::path& p, const Bytes& b) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!o) throw std::runtime_error("cannot write " + p.string());
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o << s;
  if (!o) throw std::runtime_error("cannot write " + p.string());
}

Bytes must_write(const tc::File& f) {
  Bytes out;
  if (tc::Error e = tc::write(f, out)) throw std::runtime_error("writer refused a vector: " + e.message);
  return out;
}

struct Out {
  fs::path valid;
  fs::path invalid;
};

void emit_valid(const Out& out, const std::string& name, const tc::File& expect, const Bytes& file,
                const std::string& description) {
  tc::File got;
  if (tc::Error e = tc::read(file, tc::Limits{}, got)) {
    std::cerr << "valid/" << name << ": reader says " << tc::error_code_name(e.code) << ": " << e.message << "\n";
    ++g_failures;
  }
  write_bytes(out.valid / (name + ".tadm"), file);
  write_text(out.valid / (name + ".json"), expected_json(expect, file, description).dump(2) + "\n");
}

void emit_invalid(const Out& out, const std::string& name, const Bytes& file, tc::ErrorCode code,
                  const std::string& why) {
  tc::File got;
  const tc::Error e = tc::read(file, tc::Limits{}, got);
  if (e.code != code) {
    std::cerr << "invalid/" << name << ": expected " << tc::error_code_name(code) << ", reader says "
              << tc::error_code_name(e.code) << ": " << e.message << "\n";
    ++g_failures;
  }
  write_bytes(out.invalid / (name + ".tadm"), file);
  const json j = {{"error", tc::error_code_name(code)}, {"why", why}};
  write_text(out.invalid / (name + ".json"), j.dump(2) + "\n");
}

tc::File minimal_file() {
  tc::File f = tadm::testing::small_file();
  f.model_sha256 = model_hash("tadm spec vector bundle: classic 1");
  return f;
}

// The built-in classic rescaler's real identity (spec/model-bundle.md), so that decoders decode
// these vectors without forcing: 64x48 at scale 16 with a 4x3 LR image.
tc::File classic_file(const Bytes& lr_image, std::uint8_t flags = 0) {
  tc::File f = minimal_file();
  f.model_sha256 = model_hash("tadm classic rescaler 1: antialiased bicubic (a=-0.5) downscale");
  f.width = 64;
  f.height = 48;
  f.lr_width = 4;
  f.lr_height = 3;
  f.flags = flags;
  f.lr_image = lr_image;
  return f;
}

// A hint grid of 2x2 tiles of 2x2 LR pixels: it covers a 4x3 LR image.
tc::Hint hint_2x2(const std::vector<std::uint8_t>& values) {
  tc::Hint h;
  h.grid_width = 2;
  h.grid_height = 2;
  h.tile_width = 2;
  h.tile_height = 2;
  h.values = values;
  return h;
}

tc::File all_metadata_file() {
  tc::File f;
  f.width = 64;
  f.height = 48;
  f.scale_x = 16;
  f.scale_y = 16;
  f.lr_width = 4;
  f.lr_height = 3;
  f.flags = tc::kFlagAlpha;
  f.original_bit_depth = 16;
  f.model_name = "tadm-perceptual";
  f.model_version = "2.1 beta";
  f.model_sha256 = model_hash("tadm spec vector bundle: tadm-perceptual 2.1 beta");
  f.lr_image = tadm::testing::make_png(4, 3, 6);
  // Not a usable ICC profile: the container carries the bytes without looking inside.
  Bytes icc = tadm::testing::bytes_of("ICC profile bytes, opaque to the container");
  icc.push_back(0x00);
  icc.push_back(0xFF);
  f.icc = icc;
  f.cicp = tc::Cicp{1, 13, 0, 1};
  // A big-endian TIFF header with an empty IFD, as a PNG eXIf chunk would hold it.
  f.exif = Bytes{'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  f.xmp = tadm::testing::bytes_of(
      "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/><?xpacket end=\"w\"?>");
  f.hint = hint_2x2({10, 200, 55, 0});
  return f;
}

// 64x48 at scale 16 (a 4x3 LR image) coded with `lr_codec`: the streams of lr_streams.hpp.
tc::File lr_codec_file(std::uint8_t lr_codec, const Bytes& stream) {
  tc::File f = minimal_file();
  f.width = 64;
  f.height = 48;
  f.lr_width = tadm::testing::lr_streams::kWidth;
  f.lr_height = tadm::testing::lr_streams::kHeight;
  f.lr_codec = lr_codec;
  f.lr_image = stream;
  return f;
}

void make_valid_lr_codecs(const Out& out) {
  namespace s = tadm::testing::lr_streams;
  const struct {
    const char* name;
    std::uint8_t codec;
    const Bytes& stream;
    const char* description;
  } kVectors[] = {
      {"lr_jpeg", tc::kLrCodecJpeg, s::kJpeg4x3, "64x48 at scale 16 with a 4x3 baseline JPEG LR image (lr_codec 1)"},
      {"lr_webp_lossy", tc::kLrCodecWebp, s::kWebpLossy4x3, "64x48 at scale 16 with a 4x3 lossy WebP (VP8) LR image (lr_codec 2)"},
      {"lr_webp_lossless", tc::kLrCodecWebp, s::kWebpLossless4x3,
       "64x48 at scale 16 with a 4x3 lossless WebP (VP8L) LR image (lr_codec 2)"},
      {"lr_jxl", tc::kLrCodecJxl, s::kJxlLossless4x3,
       "64x48 at scale 16 with a 4x3 lossless JPEG XL naked codestream LR image (lr_codec 3)"},
      {"lr_jxl_container", tc::kLrCodecJxl, s::kJxlContainer4x3,
       "64x48 at scale 16 with a 4x3 lossless JPEG XL LR image in the ISO BMFF container (lr_codec 3)"},
      {"lr_avif", tc::kLrCodecAvif, s::kAvif4x3, "64x48 at scale 16 with a 4x3 AVIF LR image (lr_codec 4)"},
  };
  for (const auto& v : kVectors) {
    const tc::File f = lr_codec_file(v.codec, v.stream);
    emit_valid(out, v.name, f, must_write(f), v.description);
  }
}

// Files every reader accepts whose decoding the spec rules on (spec/container.md 4.3, 6.1, 6.3,
// 6.9 and 8.1; spec/decoding.md): the flags against the LR image's channels, what an LR PNG may
// hold, hints, unknown chunks, unequal scales and the minimum reader limits.
void make_valid_decoding(const Out& out) {
  namespace p = tadm::testing::png_streams;
  const struct {
    const char* name;
    Bytes lr_image;
    std::uint8_t flags;
    const char* description;
  } kVectors[] = {
      {"flags_gray_rgb_png", tadm::testing::make_png(4, 3, 2), tc::kFlagGrayscale,
       "grayscale flag with a 4x3 RGB PNG: decoders output one gray channel, 0.299 R + 0.587 G + 0.114 B of the "
       "RGB they restore"},
      {"flags_alpha_omitted", tadm::testing::make_png(4, 3, 2), tc::kFlagAlpha,
       "alpha flag with a 4x3 RGB PNG (an opaque alpha left out): decoders output RGBA with alpha 255 everywhere"},
      {"flags_png_alpha_ignored", tadm::testing::make_png(4, 3, 6), 0,
       "no alpha flag with a 4x3 RGBA PNG: decoders ignore the PNG's alpha and output RGB"},
      {"png_palette_trns", p::kPngPaletteTrns4x3, tc::kFlagAlpha,
       "alpha flag with a 4x3 palette PNG whose tRNS gives indices 0, 1, 2 alpha 0, 85, 170: decoders output RGBA"},
      {"png_interlaced", p::kPngInterlaced4x3, 0,
       "4x3 RGB PNG with Adam7 interlace: readers decode it like a non-interlaced one"},
      {"png_ancillary_chunks", p::kPngAncillary4x3, 0,
       "4x3 RGB PNG with sRGB, gAMA, cHRM, pHYs and tEXt chunks, which writers must not write and decoders ignore"},
      {"png_animated", p::kPngAnimated4x3, 0,
       "4x3 RGB APNG of two frames: decoders use the IDAT image (the first frame) and ignore acTL, fcTL and fdAT"},
  };
  for (const auto& v : kVectors) {
    const tc::File f = classic_file(v.lr_image, v.flags);
    emit_valid(out, v.name, f, must_write(f), v.description);
  }
  {
    tc::File f = classic_file(tadm::testing::make_png(4, 3, 2));
    f.hint = hint_2x2({0, 64, 128, 255});
    emit_valid(out, "hint_ignored", f, must_write(f),
               "classic model with a 2x2 hint grid: no version 1 model reads hints, decoders output what they would "
               "without it");
  }
  {
    tc::File f = classic_file(tadm::testing::make_png(4, 3, 2));
    RawFile r = tadm::testing::split(must_write(f));
    const RawChunk keep{"keep", tadm::testing::bytes_of("safe to copy: lowercase fourth letter")};
    const RawChunk drop{"droP", tadm::testing::bytes_of("unsafe to copy: uppercase fourth letter")};
    r.chunks.insert(r.chunks.end() - 1, keep);
    r.chunks.insert(r.chunks.end() - 1, drop);
    f.unknown_optional = {{{'k', 'e', 'e', 'p'}, keep.data}, {{'d', 'r', 'o', 'P'}, drop.data}};
    emit_valid(out, "unknown_copy_rules", f, tadm::testing::join(r),
               "unknown optional chunks keep (lowercase fourth letter: safe to copy) and droP (uppercase: unsafe to "
               "copy); readers skip both");
  }
  // Unequal scales, and sizes at the reader minimums (spec/container.md 8.1).
  const struct {
    const char* name;
    Bytes lr_image;
    std::uint32_t width, height;
    std::uint16_t scale_x, scale_y;
    const char* description;
  } kSizes[] = {
      {"asymmetric_classic", tadm::testing::make_png(4, 3, 2), 8, 192, 2, 64,
       "8x192 at scale 2 x 64 (4x3 LR) with the classic model, which every decoder decodes at unequal scales"},
      {"reader_minimum_dimension", p::kPngBlack1024x1, 65535, 1, 64, 2,
       "65535x1 at scale 64 x 2 (1024x1 LR): a side at the minimum max_dimension every reader accepts"},
      {"reader_minimum_pixels", p::kPngBlack128x64, 8192, 4096, 64, 64,
       "8192x4096 = 2^25 pixels at scale 64 (128x64 LR): the minimum max_pixels every reader accepts"},
  };
  for (const auto& v : kSizes) {
    tc::File f = classic_file(v.lr_image);
    f.width = v.width;
    f.height = v.height;
    f.scale_x = v.scale_x;
    f.scale_y = v.scale_y;
    f.lr_width = (v.width + v.scale_x - 1) / v.scale_x;
    f.lr_height = (v.height + v.scale_y - 1) / v.scale_y;
    emit_valid(out, v.name, f, must_write(f), v.description);
  }
}

void make_valid(const Out& out) {
  make_valid_lr_codecs(out);
  make_valid_decoding(out);
  {
    const tc::File f = minimal_file();
    emit_valid(out, "minimal", f, must_write(f),
               "16x16 at scale 16: a 1x1 RGB PNG, model classic 1, no optional chunks");
  }
  {
    const tc::File f = all_metadata_file();
    emit_valid(out, "all_metadata", f, must_write(f),
               "64x48 RGBA 16-bit original at scale 16 (4x3 LR), with iccp, cicp, exif, xmpp and hint");
  }
  {
    tc::File f = minimal_file();
    Bytes b = must_write(f);
    RawFile r = tadm::testing::split(b);
    const RawChunk a{"tiMe", tadm::testing::bytes_of("2024-01-01T00:00:00Z")};
    const RawChunk z{"zzzz", {0x00, 0x01, 0x02}};
    r.chunks.insert(r.chunks.begin() + 2, a);               // between MODL and LRIM
    r.chunks.insert(r.chunks.end() - 1, z);                 // just before TEND
    f.unknown_optional = {{{'t', 'i', 'M', 'e'}, a.data}, {{'z', 'z', 'z', 'z'}, z.data}};
    emit_valid(out, "unknown_optional", f, tadm::testing::join(r),
               "minimal plus two unknown optional chunks (tiMe, zzzz), which readers skip");
  }
  {
    tc::File f = minimal_file();
    f.version_minor = 7;
    RawFile r = tadm::testing::split(must_write(f));
    const RawChunk c{"nEwc", tadm::testing::bytes_of("a chunk from version 1.7")};
    r.chunks.insert(r.chunks.end() - 1, c);
    f.unknown_optional = {{{'n', 'E', 'w', 'c'}, c.data}};
    emit_valid(out, "minor_1_7", f, tadm::testing::join(r),
               "version 1.7 with an optional chunk this reader does not know: read as 1.x");
  }
  {
    tc::File f = minimal_file();
    f.width = 33;
    f.height = 17;
    f.lr_width = 3;
    f.lr_height = 2;
    f.flags = tc::kFlagGrayscale;
    f.lr_image = tadm::testing::make_png(3, 2, 0);
    emit_valid(out, "size_33x17_scale16", f, must_write(f),
               "33x17 at scale 16: LR size rounds up to 3x2; grayscale flag with a gray PNG");
  }
  {
    tc::File f = minimal_file();
    f.width = 100;
    f.height = 30;
    f.scale_x = 32;
    f.scale_y = 2;
    f.lr_width = 4;
    f.lr_height = 15;
    f.lr_image = tadm::testing::make_png(4, 15, 3);
    emit_valid(out, "asymmetric_palette", f, must_write(f),
               "100x30 at scale 32 x 2 (4x15 LR) with a palette PNG");
  }
  {
    tc::File f = minimal_file();
    f.cicp = tc::Cicp{9, 16, 9, 0};
    f.xmp = tadm::testing::bytes_of("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>");
    RawFile r = tadm::testing::split(must_write(f));  // HEAD MODL LRIM cicp xmpp TEND
    RawFile o;
    o.header = r.header;
    for (std::size_t i : {0u, 4u, 2u, 3u, 1u, 5u}) o.chunks.push_back(r.chunks[i]);
    emit_valid(out, "reordered", f, tadm::testing::join(o),
               "chunks in the order HEAD xmpp LRIM cicp MODL TEND: any order between HEAD and TEND is valid");
  }
  {
    const tc::File f = minimal_file();
    RawFile r = tadm::testing::split(must_write(f));
    r.header[10] = 0xFF;
    r.header[11] = 0xFF;
    r.chunks[0].data[23] = 0xAB;
    emit_valid(out, "reserved_bytes_set", f, tadm::testing::join(r),
               "file header reserved bytes FF FF and HEAD reserved byte AB: readers ignore them");
  }
  {
    tc::File f;
    f.width = 1;
    f.height = 1;
    f.scale_x = 64;
    f.scale_y = 2;
    f.lr_width = 1;
    f.lr_height = 1;
    f.model_name = std::string(32, 'A') + std::string(31, '.') + 'z';  // 64 characters, every kind allowed
    f.model_version = "";
    f.model_sha256 = model_hash("tadm spec vector bundle: long name");
    f.lr_image = tadm::testing::make_png(1, 1, 4);
    emit_valid(out, "field_extremes", f, must_write(f),
               "1x1 image at scale 64 x 2, a 64-character model name (letters and dots) and an empty model version");
  }
}

// LRIM payloads that do not match HEAD lr_codec (spec section 6.3).
void make_invalid_lr_codecs(const Out& out) {
  using tc::ErrorCode;
  namespace s = tadm::testing::lr_streams;
  const Bytes png = tadm::testing::make_png(s::kWidth, s::kHeight, 2);
  // A valid 4x3 PNG file turned, by byte surgery, into one with this HEAD and LRIM payload.
  const auto file = [](std::uint8_t codec, const Bytes& stream, std::uint32_t width = 64) {
    RawFile r = tadm::testing::split(must_write(lr_codec_file(tc::kLrCodecPng, tadm::testing::make_png(4, 3, 2))));
    // HEAD offsets: width 0, lr_width 12, lr_codec 22.
    Bytes& head = r.chunks[0].data;
    tadm::testing::set_u32(head, 0, width);
    tadm::testing::set_u32(head, 12, (width + 15) / 16);
    head[22] = codec;
    r.chunks[2].data = stream;
    return tadm::testing::join(r);
  };
  emit_invalid(out, "lr_jpeg_not_jpeg", file(tc::kLrCodecJpeg, png), ErrorCode::kBadField,
               "HEAD lr_codec is 1 (JPEG) but LRIM holds a PNG");
  emit_invalid(out, "lr_webp_not_webp", file(tc::kLrCodecWebp, s::kJpeg4x3), ErrorCode::kBadField,
               "HEAD lr_codec is 2 (WebP) but LRIM holds a JPEG");
  emit_invalid(out, "lr_jxl_not_jxl", file(tc::kLrCodecJxl, s::kWebpLossless4x3), ErrorCode::kBadField,
               "HEAD lr_codec is 3 (JPEG XL) but LRIM holds a WebP");
  emit_invalid(out, "lr_avif_not_avif", file(tc::kLrCodecAvif, png), ErrorCode::kBadField,
               "HEAD lr_codec is 4 (AVIF) but LRIM holds a PNG");
  emit_invalid(out, "lr_jpeg_size_mismatch", file(tc::kLrCodecJpeg, s::kJpeg4x3, 80), ErrorCode::kBadField,
               "HEAD says 80x48 at scale 16 (LR 5x3) but the JPEG frame header (SOF0) says 4x3");
  emit_invalid(out, "lr_jpeg_no_frame_header",
               file(tc::kLrCodecJpeg, Bytes(s::kJpeg4x3.begin(), s::kJpeg4x3.begin() + 40)), ErrorCode::kBadChunk,
               "the JPEG stream is cut after 40 bytes, inside its tables, before its frame header (SOFn)");
  emit_invalid(out, "lr_webp_truncated_header",
               file(tc::kLrCodecWebp, Bytes(s::kWebpLossy4x3.begin(), s::kWebpLossy4x3.begin() + 26)),
               ErrorCode::kBadChunk, "the lossy WebP stream is cut after 26 bytes, inside its 10-byte VP8 frame header");
  emit_invalid(out, "lr_webp_truncated",
               file(tc::kLrCodecWebp, Bytes(s::kWebpLossy4x3.begin(), s::kWebpLossy4x3.end() - 10)),
               ErrorCode::kBadField, "the lossy WebP stream lacks its last 10 bytes: its RIFF size is not length - 8");
  emit_invalid(out, "lr_webp_size_mismatch", file(tc::kLrCodecWebp, s::kWebpLossless4x3, 80), ErrorCode::kBadField,
               "HEAD says 80x48 at scale 16 (LR 5x3) but the WebP VP8L header says 4x3");
}

void make_invalid(const Out& out) {
  using tc::ErrorCode;
  make_invalid_lr_codecs(out);
  const Bytes minimal = must_write(minimal_file());
  const RawFile base = tadm::testing::split(minimal);  // HEAD MODL LRIM TEND
  const std::size_t kHeadData = tadm::testing::chunk_offset(base, 0) + 8;
  const std::size_t kModlData = tadm::testing::chunk_offset(base, 1) + 8;
  const std::size_t kLrimAt = tadm::testing::chunk_offset(base, 2);
  const std::size_t kTendAt = tadm::testing::chunk_offset(base, 3);

  auto edit = [&](auto&& fn) {
    RawFile r = base;
    fn(r);
    return tadm::testing::join(r);
  };
  auto head_edit = [&](std::size_t at, std::uint32_t value, int width_bytes) {
    return edit([&](RawFile& r) {
      if (width_bytes == 4) tadm::testing::set_u32(r.chunks[0].data, at, value);
      else if (width_bytes == 2) tadm::testing::set_u16(r.chunks[0].data, at, value);
      else r.chunks[0].data.at(at) = static_cast<std::uint8_t>(value);
    });
  };

  {
    Bytes b = minimal;
    b[1] = 'X';
    emit_invalid(out, "bad_signature", b, ErrorCode::kBadSignature, "second signature byte is 'X' instead of 'T'");
  }
  emit_invalid(out, "png_file", tadm::testing::make_png(1, 1, 2), ErrorCode::kBadSignature,
               "a plain PNG file, not a .tadm file");
  {
    Bytes b = minimal;
    b[8] = 2;
    emit_invalid(out, "major_version_2", b, ErrorCode::kUnsupportedVersion,
                 "version_major is 2; version 1 readers refuse any other major version");
  }
  {
    Bytes b = minimal;
    b[kHeadData + 3] ^= 0x01;
    emit_invalid(out, "bad_crc_head", b, ErrorCode::kBadCrc, "HEAD width changed from 16 to 17, CRC not updated");
  }
  {
    Bytes b = minimal;
    b[kModlData + 1] ^= 0x20;
    emit_invalid(out, "bad_crc_modl", b, ErrorCode::kBadCrc, "MODL name byte changed ('c' to 'C'), CRC not updated");
  }
  {
    Bytes b = minimal;
    b[kLrimAt + 8 + 40] ^= 0x80;
    emit_invalid(out, "bad_crc_lrim", b, ErrorCode::kBadCrc, "one bit flipped inside the LRIM PNG stream");
  }
  {
    Bytes b = minimal;
    b[kTendAt + 8] ^= 0x01;
    emit_invalid(out, "bad_crc_tend", b, ErrorCode::kBadCrc, "one bit flipped in the TEND CRC");
  }
  emit_invalid(out, "empty", Bytes{}, ErrorCode::kTruncated, "a zero-byte file");
  emit_invalid(out, "header_only", Bytes(minimal.begin(), minimal.begin() + 12), ErrorCode::kTruncated,
               "the 12-byte file header and nothing else");
  emit_invalid(out, "truncated_in_lrim", Bytes(minimal.begin(), minimal.begin() + static_cast<std::ptrdiff_t>(kLrimAt + 30)),
               ErrorCode::kTruncated, "the file ends in the middle of the LRIM chunk");
  emit_invalid(out, "missing_head", edit([](RawFile& r) { r.chunks.erase(r.chunks.begin()); }),
               ErrorCode::kMissingChunk, "no HEAD chunk: the first chunk is MODL");
  emit_invalid(out, "optional_before_head",
               edit([](RawFile& r) { r.chunks.insert(r.chunks.begin(), RawChunk{"zzzz", {1, 2, 3}}); }),
               ErrorCode::kMissingChunk, "an unknown optional chunk comes before HEAD; HEAD must be the first chunk");
  emit_invalid(out, "missing_modl", edit([](RawFile& r) { r.chunks.erase(r.chunks.begin() + 1); }),
               ErrorCode::kMissingChunk, "no MODL chunk before TEND");
  emit_invalid(out, "missing_lrim", edit([](RawFile& r) { r.chunks.erase(r.chunks.begin() + 2); }),
               ErrorCode::kMissingChunk, "no LRIM chunk before TEND");
  emit_invalid(out, "missing_tend", edit([](RawFile& r) { r.chunks.pop_back(); }), ErrorCode::kTruncated,
               "no TEND chunk: the file ends at a chunk boundary after LRIM, which readers report as truncated");
  emit_invalid(out, "duplicate_head", edit([](RawFile& r) { r.chunks.insert(r.chunks.begin() + 1, r.chunks[0]); }),
               ErrorCode::kBadChunk, "HEAD appears twice");
  emit_invalid(out, "duplicate_cicp", edit([](RawFile& r) {
                 const RawChunk c{"cicp", {1, 13, 0, 1}};
                 r.chunks.insert(r.chunks.end() - 1, c);
                 r.chunks.insert(r.chunks.end() - 1, c);
               }),
               ErrorCode::kBadChunk, "the optional chunk cicp appears twice");
  emit_invalid(out, "unknown_critical",
               edit([](RawFile& r) { r.chunks.insert(r.chunks.begin() + 2, RawChunk{"FUTR", {0, 0, 0, 0}}); }),
               ErrorCode::kUnknownCritical, "a critical chunk FUTR (uppercase first letter) the reader does not know");
  emit_invalid(out, "type_not_letters", edit([](RawFile& r) { r.chunks[2].type = "LR M"; }), ErrorCode::kBadChunk,
               "the LRIM chunk type is 'LR M' (a space is not a letter); CRC recomputed");
  {
    Bytes b = minimal;
    tadm::testing::set_u32(b, kLrimAt, tadm::testing::get_u32(b, kLrimAt) + 1000);
    emit_invalid(out, "lying_length", b, ErrorCode::kTruncated,
                 "LRIM length is 1000 more than the real one and runs past the end of the file");
  }
  {
    Bytes b = minimal;
    tadm::testing::set_u32(b, kLrimAt, 0x80000000u);
    emit_invalid(out, "length_over_2_31", b, ErrorCode::kBadChunk,
                 "LRIM length is 2^31, above the maximum chunk length 2^31-1");
  }
  emit_invalid(out, "scale_1", edit([](RawFile& r) {
                 tadm::testing::set_u16(r.chunks[0].data, 8, 1);
                 tadm::testing::set_u32(r.chunks[0].data, 12, 16);
               }),
               ErrorCode::kBadField, "HEAD scale_x is 1 (lr_width 16 made consistent); scales must be 2..64");
  emit_invalid(out, "scale_65", head_edit(10, 65, 2), ErrorCode::kBadField,
               "HEAD scale_y is 65; scales must be 2..64");
  emit_invalid(out, "lr_size_mismatch", head_edit(12, 2, 4), ErrorCode::kBadField,
               "HEAD lr_width is 2 but ceil(16 / 16) = 1");
  emit_invalid(out, "zero_width", head_edit(0, 0, 4), ErrorCode::kBadField, "HEAD width is 0");
  emit_invalid(out, "absurd_dimensions", edit([](RawFile& r) {
                 Bytes& d = r.chunks[0].data;
                 tadm::testing::set_u32(d, 0, 0x80000000u);
                 tadm::testing::set_u32(d, 4, 0x80000000u);
                 tadm::testing::set_u16(d, 8, 64);
                 tadm::testing::set_u16(d, 10, 64);
                 tadm::testing::set_u32(d, 12, 1u << 25);
                 tadm::testing::set_u32(d, 16, 1u << 25);
               }),
               ErrorCode::kLimitExceeded,
               "HEAD says 2^31 x 2^31 at scale 64 (consistent LR size 2^25): valid fields, beyond the default "
               "limits (max_dimension 2^20, max_pixels 2^30)");
  emit_invalid(out, "bad_flags", head_edit(20, 0x04, 1), ErrorCode::kBadField, "HEAD flags has reserved bit 2 set");
  emit_invalid(out, "bit_depth_12", head_edit(21, 12, 1), ErrorCode::kBadField,
               "HEAD original_bit_depth is 12; only 8 and 16 are allowed");
  emit_invalid(out, "unknown_lr_codec", head_edit(22, 9, 1), ErrorCode::kBadField,
               "HEAD lr_codec is 9; version 1 defines 0 to 4");
  emit_invalid(out, "head_length_25", edit([](RawFile& r) { r.chunks[0].data.push_back(0); }), ErrorCode::kBadChunk,
               "HEAD data is 25 bytes; it must be exactly 24");
  {
    Bytes b = minimal;
    b.insert(b.end(), {0, 0, 0, 0});
    emit_invalid(out, "data_after_tend", b, ErrorCode::kBadChunk, "four zero bytes follow the TEND chunk");
  }
  emit_invalid(out, "tend_not_empty", edit([](RawFile& r) { r.chunks[3].data = {0}; }), ErrorCode::kBadChunk,
               "TEND has one data byte; its length must be 0");
  emit_invalid(out, "ihdr_size_mismatch", edit([](RawFile& r) {
                 tadm::testing::set_u32(r.chunks[0].data, 0, 32);
                 tadm::testing::set_u32(r.chunks[0].data, 12, 2);
               }),
               ErrorCode::kBadField, "HEAD says 32x16 (LR 2x1) but the PNG IHDR says 1x1");
  emit_invalid(out, "lrim_not_png", edit([](RawFile& r) {
                 Bytes jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00};
                 jpeg.resize(40, 0x00);
                 r.chunks[2].data = jpeg;
               }),
               ErrorCode::kBadField, "LRIM holds 40 bytes starting like a JPEG, not a PNG stream");
  emit_invalid(out, "lrim_too_short", edit([](RawFile& r) { r.chunks[2].data.resize(8); }), ErrorCode::kBadChunk,
               "LRIM holds only the 8-byte PNG signature; a PNG stream needs at least 33 bytes");
  emit_invalid(out, "lrim_16_bit", edit([](RawFile& r) { r.chunks[2].data = tadm::testing::make_png(1, 1, 2, 16); }),
               ErrorCode::kBadField, "LRIM is a valid 16-bit PNG; the LR image must be 8-bit");
  {
    // Writers refuse this PNG (the writer applies the reader's checks): replaced after writing.
    RawFile r = tadm::testing::split(must_write(classic_file(tadm::testing::make_png(4, 3, 3))));
    r.chunks[2].data = tadm::testing::png_streams::kPngPalette4Bit4x3;
    emit_invalid(out, "lrim_palette_4_bit", tadm::testing::join(r), ErrorCode::kBadField,
                 "LRIM is a valid palette PNG of bit depth 4; an LR PNG is 8-bit, palettes and gray included");
  }
  emit_invalid(out, "modl_name_space", edit([](RawFile& r) { r.chunks[1].data[4] = ' '; }), ErrorCode::kBadField,
               "MODL name is 'cla sic': a space is not allowed in model names");
  // Names that are paths: a reader refuses them before any model lookup (issue 14).
  const auto modl_named = [&](const std::string& name) {
    return edit([name](RawFile& r) {
      Bytes d{static_cast<std::uint8_t>(name.size())};
      d.insert(d.end(), name.begin(), name.end());
      d.push_back(0);
      d.resize(d.size() + 32, 0x11);
      r.chunks[1].data = d;
    });
  };
  emit_invalid(out, "modl_name_relative_path", modl_named("evil/bundle"), ErrorCode::kBadField,
               "MODL name is 'evil/bundle': a model name is never a path");
  emit_invalid(out, "modl_name_absolute_path", modl_named("/tmp/evil"), ErrorCode::kBadField,
               "MODL name is '/tmp/evil': a model name is never a path");
  emit_invalid(out, "modl_name_dotdot", modl_named(".."), ErrorCode::kBadField,
               "MODL name is '..': a model name starts with a letter or digit");
  emit_invalid(out, "modl_length_mismatch", edit([](RawFile& r) { r.chunks[1].data.push_back(0); }),
               ErrorCode::kBadChunk, "MODL data is one byte longer than 1 + name_len + 1 + version_len + 32");
  emit_invalid(out, "modl_empty_name", edit([](RawFile& r) {
                 Bytes d = {0, 0};
                 d.resize(34, 0x11);
                 r.chunks[1].data = d;
               }),
               ErrorCode::kBadField, "MODL name_len is 0; a model name has 1..64 characters");
  emit_invalid(out, "cicp_full_range_2",
               edit([](RawFile& r) { r.chunks.insert(r.chunks.end() - 1, RawChunk{"cicp", {1, 13, 0, 2}}); }),
               ErrorCode::kBadField, "cicp full_range is 2; it must be 0 or 1");
  emit_invalid(out, "cicp_length_5",
               edit([](RawFile& r) { r.chunks.insert(r.chunks.end() - 1, RawChunk{"cicp", {1, 13, 0, 1, 0}}); }),
               ErrorCode::kBadChunk, "cicp data is 5 bytes; it must be exactly 4");
  emit_invalid(out, "empty_exif", edit([](RawFile& r) { r.chunks.insert(r.chunks.end() - 1, RawChunk{"exif", {}}); }),
               ErrorCode::kBadChunk, "exif chunk with length 0; optional payload chunks hold at least 1 byte");
  emit_invalid(out, "hint_bad_size",
               edit([](RawFile& r) {
                 r.chunks.insert(r.chunks.end() - 1, RawChunk{"hint", {0, 1, 0, 1, 0, 1, 0, 1, 5, 6}});
               }),
               ErrorCode::kBadChunk, "hint is a 1x1 grid (1 value) but carries 2 values");
  emit_invalid(out, "hint_bad_grid",
               edit([](RawFile& r) {
                 r.chunks.insert(r.chunks.end() - 1, RawChunk{"hint", {0, 2, 0, 1, 0, 1, 0, 1, 5, 6}});
               }),
               ErrorCode::kBadField, "hint grid is 2x1 tiles of 1x1 for a 1x1 LR image: a whole column lies outside");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_spec_vectors OUT_DIR\n"
                 "writes OUT_DIR/valid/*.tadm|json and OUT_DIR/invalid/*.tadm|json\n";
    return 2;
  }
  try {
    const fs::path root = argv[1];
    const Out out{root / "valid", root / "invalid"};
    fs::create_directories(out.valid);
    fs::create_directories(out.invalid);
    make_valid(out);
    make_invalid(out);
  } catch (const std::exception& e) {
    std::cerr << "make_spec_vectors: " << e.what() << "\n";
    return 1;
  }
  if (g_failures != 0) {
    std::cerr << "make_spec_vectors: " << g_failures << " vectors disagree with the reader\n";
    return 1;
  }
  return 0;
}
