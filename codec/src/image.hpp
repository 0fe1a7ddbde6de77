// Internal image types. `Image` is interleaved 8/16-bit with its metadata (what files hold);
// `Planes` is planar float in [0, 1] (what resamplers and models work on).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <span>
#include <vector>

#include "tadm/tadm.h"

namespace tadm {

struct Metadata {
  std::vector<std::uint8_t> icc;
  std::vector<std::uint8_t> exif;
  std::vector<std::uint8_t> xmp;
  std::optional<std::array<std::uint8_t, 4>> cicp;
};

struct Image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 0;   // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  std::uint32_t bit_depth = 8;  // 8 or 16 (16-bit samples native-endian)
  std::vector<std::uint8_t> pixels;  // tightly packed rows
  Metadata metadata;

  std::size_t row_bytes() const { return std::size_t{width} * channels * (bit_depth / 8); }
  bool has_alpha() const { return channels == 2 || channels == 4; }
  bool is_gray() const { return channels <= 2; }
  // Sample (x, y, c) as a value in [0, 1].
  float sample(std::uint32_t x, std::uint32_t y, std::uint32_t c) const;
};

struct Planes {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t channels = 0;
  std::vector<float> data;  // channel-major: data[(c * height + y) * width + x]

  Planes() = default;
  Planes(std::uint32_t w, std::uint32_t h, std::uint32_t c)
      : width(w), height(h), channels(c), data(std::size_t{w} * h * c) {}
  float* plane(std::uint32_t c) { return data.data() + std::size_t{c} * width * height; }
  const float* plane(std::uint32_t c) const { return data.data() + std::size_t{c} * width * height; }
};

// Colour planes of an image as RGB (gray is replicated), and its alpha plane if any.
Planes rgb_planes(const Image& image);
std::optional<Planes> alpha_plane(const Image& image);

// Quantise planes to an interleaved image: `bit_depth` 8 or 16, round to nearest, clamp.
// `rgb` has 3 planes; when `gray` is set the output is gray (mean of RGB, by BT.601 luma weights
// only if the planes differ; equal planes give the same value back).
Image to_image(const Planes& rgb, const Planes* alpha, bool gray, std::uint32_t bit_depth);

// Checks a size against the limits (before allocation), throwing TADM_ERROR_LIMIT.
void check_image_limits(std::uint64_t width, std::uint64_t height, const tadm_limits& limits,
                        const char* what);
tadm_limits resolve_limits(const tadm_limits* limits);

// The memory budget in bytes (tadm_limits.max_memory_mib).
std::uint64_t memory_budget(const tadm_limits& limits);
// Fails with TADM_ERROR_LIMIT when an estimate of `bytes` for `what` is over the budget.
void check_memory(std::uint64_t bytes, const tadm_limits& limits, const std::string& what);
// Bytes of an interleaved image of this size (for estimates; no overflow below 2^64).
constexpr std::uint64_t image_bytes(std::uint64_t width, std::uint64_t height, std::uint32_t channels,
                                    std::uint32_t bit_depth) {
  return width * height * channels * (bit_depth / 8);
}
// Bytes of float planes of this size.
constexpr std::uint64_t planes_bytes(std::uint64_t width, std::uint64_t height, std::uint32_t channels) {
  return width * height * channels * sizeof(float);
}

// A damaged-but-decodable input (libpng/libjpeg warnings): an error unless limits.allow_corrupt,
// in which case the message goes to `warning` (when given) for the caller to show.
void report_damage(const std::string& message, const tadm_limits& limits, std::string* warning);

// An EXIF payload as tadm_image carries it starts with a TIFF header ("II*\0" or "MM\0*"), as
// the Exif APP1 segment, PNG eXIf and HEIF/AVIF writers require (libavif refuses others).
bool exif_has_tiff_header(std::span<const std::uint8_t> exif);

}  // namespace tadm
