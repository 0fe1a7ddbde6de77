// Image file I/O: PNG through libpng, JPEG through libjpeg-turbo, with ICC/EXIF/XMP/CICP; binary
// netpbm (PGM, PPM, PAM: no metadata) by hand in pnm_io.cpp; WebP (pixels only) through libwebp.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image.hpp"

namespace tadm {

enum class ImageFormat { kUnknown, kPng, kJpeg, kPnm, kWebp };
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);

// Read a PNG, JPEG, binary PGM/PPM/PAM or still WebP (chosen by content). Dimensions, metadata sizes and the memory budget are
// checked against `limits` before pixels are allocated. Damage that libpng/libjpeg only warn
// about is an error unless limits.allow_corrupt (then its message goes to `warning`, if given).
// Throws tadm::Error.
Image read_image(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr);
// exact_end: bytes after IEND are damage (LR thumbnails), not ignored (photos).
Image read_png(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr,
               bool exact_end = false);
Image read_jpeg(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr);
// P5 (PGM), P6 (PPM) or P7 (PAM) with 1..4 channels; maxval above 255 gives 16 bits, other
// maxvals than 255 / 65535 are rescaled to the full range.
Image read_pnm(std::span<const std::uint8_t> bytes, const tadm_limits& limits);
bool is_pnm(std::span<const std::uint8_t> bytes);
// A still WebP, 8-bit RGB or RGBA, through libwebp (lr_codec.cpp); its metadata is not read.
Image read_webp(std::span<const std::uint8_t> bytes, const tadm_limits& limits);
// PAM keeps the channels; PPM is RGB (gray repeated, alpha left out). maxval 255, or 65535 for
// 16-bit images (big-endian samples).
std::vector<std::uint8_t> write_pnm(const Image& image, bool pam);

// A whole regular file no larger than the memory budget; TADM_ERROR_IO for a directory, a
// device, a FIFO or a missing file, TADM_ERROR_LIMIT for a file over the budget.
std::vector<std::uint8_t> read_regular_file(const std::string& path, const tadm_limits& limits);

// Effort 0..3: higher tries more filter/strategy combinations and keeps the smallest. Full-size
// outputs use 0 (one pass at zlib level 6): level 9 took 85 % of a classic decode for ~1 % smaller
// files; thumbnails are small enough to afford more.
struct PngWriteOptions {
  int effort = 0;
  bool metadata = true;     // write iCCP / eXIf / iTXt XMP / cICP from image.metadata
  bool reduce = false;      // losslessly drop a constant-opaque alpha and use gray when R=G=B
};
std::vector<std::uint8_t> write_png(const Image& image, const PngWriteOptions& options);

}  // namespace tadm
