// Field rules of .tadm version 1 (spec/container.md, section 6), shared by reader and writer.
#include "internal.hpp"

#include <zlib.h>

#include <cstdio>
#include <limits>
#include <utility>

namespace tadm::container {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNone: return "none";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kBadSignature: return "bad_signature";
    case ErrorCode::kUnsupportedVersion: return "unsupported_version";
    case ErrorCode::kBadCrc: return "bad_crc";
    case ErrorCode::kBadChunk: return "bad_chunk";
    case ErrorCode::kMissingChunk: return "missing_chunk";
    case ErrorCode::kUnknownCritical: return "unknown_critical";
    case ErrorCode::kBadField: return "bad_field";
    case ErrorCode::kLimitExceeded: return "limit_exceeded";
  }
  return "unknown";
}

namespace detail {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
  return buf;
}

bool printable(char c, char lowest) {
  const auto u = static_cast<unsigned char>(c);
  return u >= static_cast<unsigned char>(lowest) && u <= 0x7E;
}

// For messages: the name with anything unprintable shown as '?'.
std::string printable_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!printable(c, 0x20)) c = '?';
  return out;
}

}  // namespace

Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool is_critical(const ChunkType& type) { return type[0] >= 'A' && type[0] <= 'Z'; }

std::string type_name(const ChunkType& type) {
  bool letters = true;
  for (char c : type) letters = letters && is_letter(c);
  if (letters) return std::string(type.begin(), type.end());
  std::string s;
  for (std::size_t i = 0; i < type.size(); ++i) {
    if (i) s += ' ';
    s += hex_byte(static_cast<std::uint8_t>(type[i]));
  }
  return s;
}

std::uint32_t chunk_crc(const ChunkType& type, std::span<const std::uint8_t> data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint8_t t[4];
  for (std::size_t i = 0; i < 4; ++i) t[i] = static_cast<std::uint8_t>(type[i]);
  crc = crc32(crc, t, 4);
  // zlib takes a uInt length: feed large payloads in pieces.
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const std::size_t piece = left < (1u << 30) ? left : (1u << 30);
    crc = crc32(crc, p, static_cast<uInt>(piece));
    p += piece;
    left -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

Error check_head(const File& f) {
  if (f.width == 0) return make_error(ErrorCode::kBadField, "chunk HEAD: width is 0; it must be at least 1");
  if (f.height == 0) return make_error(ErrorCode::kBadField, "chunk HEAD: height is 0; it must be at least 1");
  if (f.scale_x < kMinScale || f.scale_x > kMaxScale)
    return make_error(ErrorCode::kBadField, "chunk HEAD: scale_x " + str(f.scale_x) + " is outside 2..64");
  if (f.scale_y < kMinScale || f.scale_y > kMaxScale)
    return make_error(ErrorCode::kBadField, "chunk HEAD: scale_y " + str(f.scale_y) + " is outside 2..64");
  if ((f.flags & ~(kFlagAlpha | kFlagGrayscale)) != 0)
    return make_error(ErrorCode::kBadField, "chunk HEAD: flags " + hex_byte(f.flags) +
                                                " set reserved bits; only bit 0 (alpha) and bit 1 (grayscale) are defined");
  if (f.original_bit_depth != 8 && f.original_bit_depth != 16)
    return make_error(ErrorCode::kBadField, "chunk HEAD: original_bit_depth " + str(f.original_bit_depth) +
                                                " is not 8 or 16");
  if (f.lr_codec >= kLrCodecCount)
    return make_error(ErrorCode::kBadField, "chunk HEAD: unknown LR codec " + str(f.lr_codec) +
                                                "; version 1 defines 0 (PNG), 1 (JPEG), 2 (WebP), 3 (JPEG XL) "
                                                "and 4 (AVIF)");
  const std::uint32_t want_w = lr_size(f.width, f.scale_x);
  if (f.lr_width != want_w)
    return make_error(ErrorCode::kBadField, "chunk HEAD: lr_width " + str(f.lr_width) + " does not match width " +
                                                str(f.width) + " / scale_x " + str(f.scale_x) +
                                                " rounded up, which is " + str(want_w));
  const std::uint32_t want_h = lr_size(f.height, f.scale_y);
  if (f.lr_height != want_h)
    return make_error(ErrorCode::kBadField, "chunk HEAD: lr_height " + str(f.lr_height) +
                                                " does not match height " + str(f.height) + " / scale_y " +
                                                str(f.scale_y) + " rounded up, which is " + str(want_h));
  return {};
}

Error check_head_limits(const File& f, const Limits& limits) {
  if (f.width > limits.max_dimension)
    return make_error(ErrorCode::kLimitExceeded, "chunk HEAD: width " + str(f.width) +
                                                     " exceeds this reader's limit of " + str(limits.max_dimension));
  if (f.height > limits.max_dimension)
    return make_error(ErrorCode::kLimitExceeded, "chunk HEAD: height " + str(f.height) +
                                                     " exceeds this reader's limit of " + str(limits.max_dimension));
  const std::uint64_t pixels = static_cast<std::uint64_t>(f.width) * f.height;
  if (pixels > limits.max_pixels)
    return make_error(ErrorCode::kLimitExceeded, "chunk HEAD: " + str(f.width) + " x " + str(f.height) + " = " +
                                                     str(pixels) + " pixels exceeds this reader's limit of " +
                                                     str(limits.max_pixels));
  return {};
}

Error check_model_strings(std::string_view name, std::string_view version) {
  if (name.empty() || name.size() > kMaxModelString)
    return make_error(ErrorCode::kBadField, "chunk MODL: model name length " + str(name.size()) + " is outside 1..64");
  if (!is_valid_model_name(name))
    return make_error(ErrorCode::kBadField, "chunk MODL: model name \"" + printable_copy(name) +
                                                "\" is not a plain name (A-Z a-z 0-9 . _ -, starting with a "
                                                "letter or digit); a file names a model bundle, never a path");
  if (version.size() > kMaxModelString)
    return make_error(ErrorCode::kBadField,
                      "chunk MODL: model version length " + str(version.size()) + " is outside 0..64");
  for (std::size_t i = 0; i < version.size(); ++i) {
    if (!printable(version[i], 0x20))
      return make_error(ErrorCode::kBadField, "chunk MODL: model version byte " + str(i) + " is " +
                                                  hex_byte(static_cast<std::uint8_t>(version[i])) +
                                                  "; versions use printable ASCII 0x20..0x7E");
  }
  return {};
}

Error check_cicp(const Cicp& c) {
  if (c.full_range > 1)
    return make_error(ErrorCode::kBadField, "chunk cicp: full_range " + str(c.full_range) + " is not 0 or 1");
  return {};
}

Error check_hint_geometry(std::uint16_t grid_width, std::uint16_t grid_height, std::uint16_t tile_width,
                          std::uint16_t tile_height, std::uint32_t lr_width, std::uint32_t lr_height) {
  if (grid_width == 0) return make_error(ErrorCode::kBadField, "chunk hint: grid_width is 0; it must be at least 1");
  if (grid_height == 0)
    return make_error(ErrorCode::kBadField, "chunk hint: grid_height is 0; it must be at least 1");
  if (tile_width == 0) return make_error(ErrorCode::kBadField, "chunk hint: tile_width is 0; it must be at least 1");
  if (tile_height == 0)
    return make_error(ErrorCode::kBadField, "chunk hint: tile_height is 0; it must be at least 1");
  const std::uint64_t gw = grid_width, gh = grid_height, tw = tile_width, th = tile_height;
  if (gw * tw < lr_width || (gw - 1) * tw >= lr_width)
    return make_error(ErrorCode::kBadField, "chunk hint: grid_width " + str(gw) + " x tile_width " + str(tw) +
                                                " does not tile lr_width " + str(lr_width) +
                                                " (need grid_width = ceil(lr_width / tile_width))");
  if (gh * th < lr_height || (gh - 1) * th >= lr_height)
    return make_error(ErrorCode::kBadField, "chunk hint: grid_height " + str(gh) + " x tile_height " + str(th) +
                                                " does not tile lr_height " + str(lr_height) +
                                                " (need grid_height = ceil(lr_height / tile_height))");
  return {};
}

}  // namespace detail

bool is_valid_model_name(std::string_view name) {
  auto alnum = [](char c) { return detail::is_letter(c) || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > detail::kMaxModelString || !alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}
}  // namespace tadm::container
