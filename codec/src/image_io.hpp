// Image file I/O: PNG through libpng, JPEG through libjpeg-turbo, with ICC/EXIF/XMP/CICP.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image.hpp"

namespace tadm {

enum class ImageFormat { kUnknown, kPng, kJpeg };
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);

// Read a PNG or JPEG (chosen by content). Dimensions, metadata sizes and the memory budget are
// checked against `limits` before pixels are allocated. Damage that libpng/libjpeg only warn
// about is an error unless limits.allow_corrupt (then its message goes to `warning`, if given).
// Throws tadm::Error.
Image read_image(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr);
Image read_png(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr);
Image read_jpeg(std::span<const std::uint8_t> bytes, const tadm_limits& limits, std::string* warning = nullptr);

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
