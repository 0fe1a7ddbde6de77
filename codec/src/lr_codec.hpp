// The LR image (thumbnail) codecs of HEAD lr_codec (spec/container.md §6.1, §6.3): PNG through
// libpng (png_io.cpp), JPEG through libjpeg-turbo, WebP through libwebp, JPEG XL through libjxl
// and AVIF through libavif. Encoding and decoding a thumbnail, with the limits applied before any
// pixel is allocated. The container checks the stream's signature (and size where cheap); this
// layer decodes and checks the size of every format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image.hpp"
#include "image_io.hpp"

namespace tadm {

// Values are HEAD lr_codec (container::kLrCodecPng ...).
enum class LrCodec : std::uint8_t { kPng = 0, kJpeg = 1, kWebp = 2, kJxl = 3, kAvif = 4 };

// quality: 0..100 for lossy codecs (libjpeg quality; WebP quality; JPEG XL distance as libjxl's
// JxlEncoderDistanceFromQuality; AVIF quantizer 63..0 as avifenc -q). lossless (WebP VP8L, JPEG
// XL lossless, AVIF lossless 4:4:4 identity matrix) ignores quality; JPEG cannot be lossless.
// PNG is always lossless and ignores quality, lossless and threads. effort: 0..9 scaled to each
// codec's speed/effort knob (JPEG has none).
struct LrEncodeOptions {
  LrCodec codec = LrCodec::kPng;
  int quality = 90;
  bool lossless = false;
  int effort = 7;
  int threads = 1;
};

// Encode an 8-bit thumbnail (1 gray, 2 gray+alpha, 3 RGB or 4 RGBA channels), no metadata. JPEG:
// no alpha (TADM_ERROR_UNSUPPORTED), 4:2:0 for RGB below quality 90 else 4:4:4, optimised
// Huffman; lossless JPEG is TADM_ERROR_INVALID_ARGUMENT. PNG delegates to write_png with `png`.
// Throws tadm::Error.
std::vector<std::uint8_t> encode_lr(const Image& lr, const LrEncodeOptions& options, const PngWriteOptions& png);

// What an AVIF thumbnail carries when it is itself the file (the TADM-AVIF flavour,
// spec/heif-avif.md): XMP, EXIF and ICC items and the colour description's primaries and
// transfer. The defaults make the bare payload encode_lr writes (CICP 1/13, no items).
struct AvifItems {
  std::span<const std::uint8_t> xmp, exif, icc;
  int colour_primaries = 1, transfer_characteristics = 13;
};

// An AVIF thumbnail as encode_lr codes it (options.codec is ignored), with `items` attached. The
// coded pixels do not depend on the items: for the same image and options, the same AV1 data.
std::vector<std::uint8_t> encode_avif_file(const Image& lr, const LrEncodeOptions& options, const AvifItems& items);

// Decode an LR payload of `codec` to an 8-bit Image (gray, gray+alpha, RGB or RGBA as stored).
// The size is checked against width x height (TADM_ERROR_CORRUPT naming both) and against the
// limits (max_pixels, max_dimension, memory budget) before pixels are allocated; damage the
// codec reports is TADM_ERROR_CORRUPT (PNG/JPEG warnings too, unless limits.allow_corrupt). A
// codec this build lacks is TADM_ERROR_UNSUPPORTED naming it. Throws tadm::Error.
Image decode_lr(std::span<const std::uint8_t> payload, LrCodec codec, std::uint32_t width, std::uint32_t height,
                const tadm_limits& limits);

// "png", "jpeg", "webp", "jxl", "avif" (container::lr_codec_name); "unknown" for other values.
const char* lr_codec_name(LrCodec codec);
// The inverse: false when `name` is none of them.
bool lr_codec_from_name(const std::string& name, LrCodec& out);

}  // namespace tadm
