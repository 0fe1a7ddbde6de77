// The classic codecs the benchmark compares with, through their Debian libraries, and the
// rescaling through tadm's public API (the classic antialiased bicubic).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "tadm/tadm.hpp"

namespace tadm_bench {

using Bytes = std::vector<std::uint8_t>;

// One codec with an integer quality index: higher index = higher quality (and, for the
// codecs here, nearly always more bytes). Instances are not shared between threads.
class Codec {
 public:
  virtual ~Codec() = default;
  virtual std::string name() const = 0;           // "jpeg", "avif", "jxl", "webp"
  virtual int min_quality() const = 0;
  virtual int max_quality() const = 0;
  virtual std::vector<int> sweep() const = 0;     // qualities of the R-D curve
  virtual std::string describe(int quality) const = 0;  // the codec's own setting, e.g. "q=40"
  virtual Bytes encode(const Rgb& image, int quality) = 0;
  virtual Rgb decode(const Bytes& bytes) = 0;
};

// jpeg: libjpeg-turbo, 4:2:0, optimised Huffman. avif: libavif + libaom, 4:2:0, `speed`.
// jxl: libjxl, VarDCT at distance from a geometric ladder, `effort`. webp: libwebp, method 4.
std::unique_ptr<Codec> make_codec(const std::string& name, int avif_speed = 6, int jxl_effort = 7);
std::vector<std::string> codec_names();
std::string codec_versions();  // library versions, one line

// Largest quality in [lo, hi] whose encoding fits `budget` bytes, by binary search that assumes
// size grows with quality, then verified: the returned bytes are never larger than `budget`
// (a non-monotone codec can only make the answer smaller, never over budget). nullopt when even
// `lo` does not fit. `encodes` (optional) counts the calls.
struct Fit {
  int quality = 0;
  Bytes bytes;
};
std::optional<Fit> largest_fitting(const std::function<Bytes(int)>& encode, int lo, int hi, std::size_t budget,
                                   int* encodes = nullptr);

// Rescaling with tadm's classic model through the public API. Not thread-safe per instance.
class Rescaler {
 public:
  Rescaler();
  ~Rescaler();
  Rescaler(const Rescaler&) = delete;
  Rescaler& operator=(const Rescaler&) = delete;
  // ceil(W/s) x ceil(H/s), tadm's antialiased Keys-bicubic downscale (the thumbnail tadm stores).
  Rgb downscale(const Rgb& image, std::uint32_t scale);
  // Bicubic upscale by `scale`, cropped to width x height.
  Rgb upscale(const Rgb& lr, std::uint32_t scale, std::uint32_t width, std::uint32_t height);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Conversions between tadm images and Rgb (gray, alpha and 16-bit are reduced to 8-bit RGB).
Rgb to_rgb(const tadm_image& image);
tadm_cpp::ImagePtr to_tadm(const Rgb& image);
Rgb read_rgb(const std::string& path);
Rgb read_rgb_memory(const Bytes& data);
Bytes write_png(const Rgb& image);
Rgb crop(const Rgb& image, std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h);

}  // namespace tadm_bench
