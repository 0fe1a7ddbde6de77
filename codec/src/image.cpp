#include "image.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "error.hpp"

namespace tadm {

namespace {
float load(const Image& im, std::size_t index) {
  if (im.bit_depth == 16) {
    std::uint16_t v;
    std::memcpy(&v, im.pixels.data() + index * 2, 2);
    return static_cast<float>(v) / 65535.0f;
  }
  return static_cast<float>(im.pixels[index]) / 255.0f;
}
}  // namespace

tadm_limits resolve_limits(const tadm_limits* limits) {
  tadm_limits out{};
  if (limits) out = *limits;
  if (out.max_pixels == 0) out.max_pixels = TADM_DEFAULT_MAX_PIXELS;
  if (out.max_dimension == 0) out.max_dimension = TADM_DEFAULT_MAX_DIMENSION;
  if (out.max_metadata_bytes == 0) out.max_metadata_bytes = TADM_DEFAULT_MAX_METADATA_BYTES;
  if (out.max_tile_pixels == 0) out.max_tile_pixels = TADM_DEFAULT_MAX_TILE_PIXELS;
  if (out.max_memory_mib == 0) out.max_memory_mib = TADM_DEFAULT_MAX_MEMORY_MIB;
  return out;
}

std::uint64_t memory_budget(const tadm_limits& limits) { return std::uint64_t{limits.max_memory_mib} << 20; }

void check_memory(std::uint64_t bytes, const tadm_limits& limits, const std::string& what) {
  if (bytes <= memory_budget(limits)) return;
  fail(TADM_ERROR_LIMIT, what + " needs about " + std::to_string((bytes + (1u << 20) - 1) >> 20) +
                             " MiB, over the memory budget of " + std::to_string(limits.max_memory_mib) +
                             " MiB (raise it with --max-memory / tadm_limits.max_memory_mib)");
}

void report_damage(const std::string& message, const tadm_limits& limits, std::string* warning) {
  if (!limits.allow_corrupt)
    fail(TADM_ERROR_CORRUPT, message + " (the input is damaged; --allow-corrupt / tadm_limits.allow_corrupt reads it anyway)");
  if (warning && warning->empty()) *warning = message;
}

bool exif_has_tiff_header(std::span<const std::uint8_t> exif) {
  static constexpr std::uint8_t kIntel[4] = {'I', 'I', 42, 0}, kMotorola[4] = {'M', 'M', 0, 42};
  return exif.size() >= 8 && (std::memcmp(exif.data(), kIntel, 4) == 0 || std::memcmp(exif.data(), kMotorola, 4) == 0);
}

void check_image_limits(std::uint64_t width, std::uint64_t height, const tadm_limits& limits,
                        const char* what) {
  if (width == 0 || height == 0)
    fail(TADM_ERROR_CORRUPT, std::string(what) + " has zero width or height");
  if (width > limits.max_dimension || height > limits.max_dimension)
    fail(TADM_ERROR_LIMIT, std::string(what) + " is " + std::to_string(width) + "x" +
                               std::to_string(height) + ", over the limit of " +
                               std::to_string(limits.max_dimension) + " pixels per side");
  if (width * height > limits.max_pixels)
    fail(TADM_ERROR_LIMIT, std::string(what) + " has " + std::to_string(width * height) +
                               " pixels, over the limit of " + std::to_string(limits.max_pixels));
}

float Image::sample(std::uint32_t x, std::uint32_t y, std::uint32_t c) const {
  return load(*this, (std::size_t{y} * width + x) * channels + c);
}

Planes rgb_planes(const Image& image) {
  Planes out(image.width, image.height, 3);
  const std::size_t n = std::size_t{image.width} * image.height;
  const std::uint32_t color = image.is_gray() ? 1 : 3;
  for (std::uint32_t c = 0; c < 3; ++c) {
    float* dst = out.plane(c);
    const std::uint32_t src_c = color == 1 ? 0 : c;
    for (std::size_t i = 0; i < n; ++i) dst[i] = load(image, i * image.channels + src_c);
  }
  return out;
}

std::optional<Planes> alpha_plane(const Image& image) {
  if (!image.has_alpha()) return std::nullopt;
  Planes out(image.width, image.height, 1);
  const std::size_t n = std::size_t{image.width} * image.height;
  float* dst = out.plane(0);
  for (std::size_t i = 0; i < n; ++i) dst[i] = load(image, i * image.channels + image.channels - 1);
  return out;
}

Image to_image(const Planes& rgb, const Planes* alpha, bool gray, std::uint32_t bit_depth) {
  Image out;
  out.width = rgb.width;
  out.height = rgb.height;
  out.bit_depth = bit_depth;
  out.channels = (gray ? 1u : 3u) + (alpha ? 1u : 0u);
  const std::size_t n = std::size_t{out.width} * out.height;
  out.pixels.resize(n * out.channels * (bit_depth / 8));
  const float maxv = bit_depth == 16 ? 65535.0f : 255.0f;
  auto store = [&](std::size_t index, float v) {
    const float q = std::nearbyint(std::clamp(v, 0.0f, 1.0f) * maxv);
    if (bit_depth == 16) {
      const auto s = static_cast<std::uint16_t>(q);
      std::memcpy(out.pixels.data() + index * 2, &s, 2);
    } else {
      out.pixels[index] = static_cast<std::uint8_t>(q);
    }
  };
  const float* r = rgb.plane(0);
  const float* g = rgb.plane(1);
  const float* b = rgb.plane(2);
  const float* a = alpha ? alpha->plane(0) : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t o = i * out.channels;
    if (gray) {
      // Equal planes (classic path) give the value back exactly; a model's colour output
      // is reduced with BT.601 luma weights.
      const float v = (r[i] == g[i] && g[i] == b[i]) ? r[i] : 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
      store(o++, v);
    } else {
      store(o++, r[i]);
      store(o++, g[i]);
      store(o++, b[i]);
    }
    if (a) store(o, a[i]);
  }
  return out;
}

}  // namespace tadm
