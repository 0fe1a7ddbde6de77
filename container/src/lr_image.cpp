// LRIM payload checks per HEAD lr_codec (spec/container.md, section 6.3). They read only the
// stream's signature and header, never pixels: the container stays a byte-level library
// (zlib only); decoding, and the size check of JPEG XL and AVIF, belong to the codec layer.
#include "internal.hpp"

#include <cstring>
#include <string>

namespace tadm::container {

const char* lr_codec_name(std::uint8_t lr_codec) {
  switch (lr_codec) {
    case kLrCodecPng: return "png";
    case kLrCodecJpeg: return "jpeg";
    case kLrCodecWebp: return "webp";
    case kLrCodecJxl: return "jxl";
    case kLrCodecAvif: return "avif";
    default: return nullptr;
  }
}

const char* lr_codec_extension(std::uint8_t lr_codec) {
  switch (lr_codec) {
    case kLrCodecPng: return "png";
    case kLrCodecJpeg: return "jpg";
    case kLrCodecWebp: return "webp";
    case kLrCodecJxl: return "jxl";
    case kLrCodecAvif: return "avif";
    default: return nullptr;
  }
}

namespace detail {

namespace {

using Bytes = std::span<const std::uint8_t>;

std::string str(std::uint64_t v) { return std::to_string(v); }

std::string marker_name(std::uint8_t m) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("FF ") + kHex[m >> 4] + kHex[m & 15];
}

bool starts_with(Bytes d, std::size_t at, const char* text, std::size_t n) {
  return d.size() >= at + n && std::memcmp(d.data() + at, text, n) == 0;
}

std::uint32_t load_le16(const std::uint8_t* p) { return static_cast<std::uint32_t>(p[0] | (p[1] << 8)); }
std::uint32_t load_le24(const std::uint8_t* p) { return load_le16(p) | (static_cast<std::uint32_t>(p[2]) << 16); }
std::uint32_t load_le32(const std::uint8_t* p) { return load_le24(p) | (static_cast<std::uint32_t>(p[3]) << 24); }

Error size_mismatch(const char* format, std::uint32_t w, std::uint32_t h, std::uint32_t lr_width,
                    std::uint32_t lr_height) {
  return make_error(ErrorCode::kBadField, std::string("chunk LRIM: ") + format + " size " + str(w) + " x " + str(h) +
                                              " does not match HEAD lr size " + str(lr_width) + " x " +
                                              str(lr_height));
}

Error check_png(Bytes png, std::uint32_t lr_width, std::uint32_t lr_height) {
  static constexpr std::uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (png.size() < kMinPngLength)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: length " + str(png.size()) +
                                                " is too short for a PNG stream (at least 33 bytes)");
  if (std::memcmp(png.data(), kPngSig, sizeof kPngSig) != 0)
    return make_error(ErrorCode::kBadField, "chunk LRIM: the LR image is not a PNG stream (PNG signature missing)");
  const std::uint8_t* ihdr = png.data() + 8;
  if (load_u32(ihdr) != 13 || std::memcmp(ihdr + 4, "IHDR", 4) != 0)
    return make_error(ErrorCode::kBadField, "chunk LRIM: the PNG stream does not start with a 13-byte IHDR chunk");
  const std::uint32_t w = load_u32(ihdr + 8);
  const std::uint32_t h = load_u32(ihdr + 12);
  if (w != lr_width || h != lr_height) return size_mismatch("PNG", w, h, lr_width, lr_height);
  const std::uint8_t depth = ihdr[16];
  if (depth != 8)
    return make_error(ErrorCode::kBadField,
                      "chunk LRIM: PNG bit depth " + str(depth) + " is not supported; the LR image must be 8-bit");
  const std::uint8_t colour = ihdr[17];
  if (colour != 0 && colour != 2 && colour != 3 && colour != 4 && colour != 6)
    return make_error(ErrorCode::kBadField,
                      "chunk LRIM: PNG colour type " + str(colour) + " is not one of 0, 2, 3, 4, 6");
  return {};
}

// JPEG: walk the marker segments from SOI to the first SOFn (ITU-T T.81 B.1) and read the frame
// size there. Each step advances, so the walk is linear in the payload and never reads past it.
Error check_jpeg(Bytes d, std::uint32_t lr_width, std::uint32_t lr_height) {
  const std::size_t n = d.size();
  if (n < 2)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: length " + str(n) + " is too short for a JPEG stream");
  if (d[0] != 0xFF || d[1] != 0xD8)
    return make_error(ErrorCode::kBadField, "chunk LRIM: the LR image is not a JPEG stream (SOI marker FF D8 missing)");
  std::size_t pos = 2;
  for (;;) {
    if (n - pos < 2)
      return make_error(ErrorCode::kBadChunk, "chunk LRIM: the JPEG stream ends before its frame header (SOFn)");
    if (d[pos] != 0xFF)
      return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG byte " + str(pos) +
                                                  " should start a marker (FF) before the frame header");
    if (d[pos + 1] == 0xFF) {  // a fill byte before a marker
      ++pos;
      continue;
    }
    const std::uint8_t m = d[pos + 1];
    const bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
    // No length follows 00 (not a marker), TEM, RSTn, SOI and EOI; SOS cannot precede the frame.
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xDA))
      return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG marker " + marker_name(m) + " at byte " + str(pos) +
                                                  " comes before the frame header (SOFn)");
    if (n - pos < (sof ? 10u : 4u))
      return make_error(ErrorCode::kBadChunk, "chunk LRIM: the JPEG stream ends inside a marker segment at byte " +
                                                  str(pos) + ", before its frame header");
    const std::size_t seg = load_u16(d.data() + pos + 2);
    if (!sof) {
      if (seg < 2)
        return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG marker segment at byte " + str(pos) + " has length " +
                                                    str(seg) + ", below 2");
      pos += 2 + seg;
      if (pos > n)
        return make_error(ErrorCode::kBadChunk, "chunk LRIM: the JPEG stream ends inside a marker segment, "
                                                "before its frame header (SOFn)");
      continue;
    }
    if (m != 0xC0 && m != 0xC1 && m != 0xC2)
      return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG frame type SOF" + str(m - 0xC0u) +
                                                  " is not baseline, extended sequential or progressive Huffman");
    const std::uint8_t precision = d[pos + 4];
    const std::uint32_t h = load_u16(d.data() + pos + 5);
    const std::uint32_t w = load_u16(d.data() + pos + 7);
    const std::uint8_t components = d[pos + 9];
    if (precision != 8)
      return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG sample precision " + str(precision) +
                                                  " is not supported; the LR image must be 8-bit");
    if (w != lr_width || h != lr_height) return size_mismatch("JPEG", w, h, lr_width, lr_height);
    if (components != 1 && components != 3)
      return make_error(ErrorCode::kBadField, "chunk LRIM: JPEG has " + str(components) +
                                                  " components; the LR image has 1 (gray) or 3 (colour)");
    return {};
  }
}

// WebP: the RIFF header and the first chunk's header (VP8, VP8L or VP8X), as the WebP container
// specification (RFC 9649) lays them out; all little-endian.
Error check_webp(Bytes d, std::uint32_t lr_width, std::uint32_t lr_height) {
  const std::size_t n = d.size();
  if (n < 20)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: length " + str(n) +
                                                " is too short for a WebP stream (at least 20 bytes before its header)");
  if (!starts_with(d, 0, "RIFF", 4) || !starts_with(d, 8, "WEBP", 4))
    return make_error(ErrorCode::kBadField, "chunk LRIM: the LR image is not a WebP stream (RIFF ... WEBP missing)");
  std::size_t header = 0;
  if (starts_with(d, 12, "VP8 ", 4)) header = 10;
  else if (starts_with(d, 12, "VP8L", 4)) header = 5;
  else if (starts_with(d, 12, "VP8X", 4)) header = 10;
  else
    return make_error(ErrorCode::kBadField, "chunk LRIM: the first WebP chunk is not VP8, VP8L or VP8X");
  if (n < 20 + header)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: the WebP stream of " + str(n) +
                                                " bytes ends inside its " + std::string(d[15] == ' ' ? "VP8" : d[15] == 'L' ? "VP8L" : "VP8X") +
                                                " image header");
  const std::uint32_t riff = load_le32(d.data() + 4);
  if (riff != n - 8)
    return make_error(ErrorCode::kBadField, "chunk LRIM: WebP RIFF size " + str(riff) + " does not equal length " +
                                                str(n) + " - 8: the stream is truncated or has trailing bytes");
  const std::uint8_t* h = d.data() + 20;
  std::uint32_t w = 0, ht = 0;
  if (d[15] == ' ') {  // VP8: frame tag (3 bytes), start code, 14-bit sizes
    if ((h[0] & 0x01) != 0)
      return make_error(ErrorCode::kBadField, "chunk LRIM: the WebP VP8 frame is not a key frame");
    if (h[3] != 0x9D || h[4] != 0x01 || h[5] != 0x2A)
      return make_error(ErrorCode::kBadField, "chunk LRIM: the WebP VP8 start code 9D 01 2A is missing");
    w = load_le16(h + 6) & 0x3FFF;
    ht = load_le16(h + 8) & 0x3FFF;
  } else if (d[15] == 'L') {  // VP8L: signature 2F, then 14-bit width-1, 14-bit height-1, ..., 3-bit version
    if (h[0] != 0x2F) return make_error(ErrorCode::kBadField, "chunk LRIM: the WebP VP8L signature 2F is missing");
    const std::uint32_t bits = load_le32(h + 1);
    if ((bits >> 29) != 0)
      return make_error(ErrorCode::kBadField, "chunk LRIM: WebP VP8L version " + str(bits >> 29) + " is not 0");
    w = (bits & 0x3FFF) + 1;
    ht = ((bits >> 14) & 0x3FFF) + 1;
  } else {  // VP8X: flags, 3 reserved bytes, 24-bit canvas width-1 and height-1
    if ((h[0] & 0x02) != 0)
      return make_error(ErrorCode::kBadField, "chunk LRIM: the WebP stream is animated; the LR image is a still image");
    w = load_le24(h + 4) + 1;
    ht = load_le24(h + 7) + 1;
  }
  if (w != lr_width || ht != lr_height) return size_mismatch("WebP", w, ht, lr_width, lr_height);
  return {};
}

// JPEG XL: a naked codestream (FF 0A) or the ISO BMFF container (its 12-byte signature box).
// Its size header is bit-packed: the codec layer checks the size when it decodes.
Error check_jxl(Bytes d) {
  static constexpr std::uint8_t kBox[12] = {0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  if (d.size() < 2)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: length " + str(d.size()) + " is too short for a JPEG XL stream");
  const bool naked = d[0] == 0xFF && d[1] == 0x0A;
  const bool boxed = d.size() >= sizeof kBox && std::memcmp(d.data(), kBox, sizeof kBox) == 0;
  if (!naked && !boxed)
    return make_error(ErrorCode::kBadField, "chunk LRIM: the LR image is not a JPEG XL stream (neither FF 0A nor the "
                                            "JPEG XL container signature)");
  return {};
}

// AVIF: an ISO BMFF file whose first box is ftyp naming the brand "avif". The image size lives
// deep in the meta box (ispe): the codec layer checks it when it decodes.
Error check_avif(Bytes d) {
  const std::size_t n = d.size();
  if (n < 16)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: length " + str(n) + " is too short for an AVIF file");
  if (!starts_with(d, 4, "ftyp", 4))
    return make_error(ErrorCode::kBadField, "chunk LRIM: the LR image is not an AVIF file (no ftyp box first)");
  const std::uint32_t box = load_u32(d.data());
  if (box < 16 || box > n || (box - 16) % 4 != 0)
    return make_error(ErrorCode::kBadField, "chunk LRIM: AVIF ftyp box size " + str(box) + " is not valid");
  bool avif = starts_with(d, 8, "avif", 4);
  for (std::size_t at = 16; at < box && !avif; at += 4) avif = starts_with(d, at, "avif", 4);
  if (!avif)
    return make_error(ErrorCode::kBadField, "chunk LRIM: the ftyp box does not name the brand avif");
  return {};
}

}  // namespace

Error check_lr_image(std::uint8_t lr_codec, std::span<const std::uint8_t> data, std::uint32_t lr_width,
                     std::uint32_t lr_height) {
  switch (lr_codec) {
    case kLrCodecPng: return check_png(data, lr_width, lr_height);
    case kLrCodecJpeg: return check_jpeg(data, lr_width, lr_height);
    case kLrCodecWebp: return check_webp(data, lr_width, lr_height);
    case kLrCodecJxl: return check_jxl(data);
    case kLrCodecAvif: return check_avif(data);
    default: break;
  }
  // check_head refuses these first; kept so a caller that skips it still gets an error.
  return make_error(ErrorCode::kBadField, "chunk HEAD: unknown LR codec " + str(lr_codec));
}

}  // namespace detail
}  // namespace tadm::container
