// Helpers shared by the codec tests: synthetic images and small RAII wrappers.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tadm/tadm.hpp"

namespace tadm_test {

using tadm_cpp::ImagePtr;

// A smooth colour pattern with some texture, deterministic.
inline ImagePtr make_image(uint32_t w, uint32_t h, uint32_t channels = 3, uint32_t depth = 8, uint32_t seed = 1) {
  tadm_image* raw = nullptr;
  if (tadm_image_create(w, h, channels, depth, &raw, nullptr, 0) != TADM_OK) return nullptr;
  ImagePtr im(raw);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(-0.03, 0.03);
  const double maxv = depth == 16 ? 65535.0 : 255.0;
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      for (uint32_t c = 0; c < channels; ++c) {
        double v = 0.5 + 0.35 * std::sin(0.05 * x * (c + 1) + 0.03 * y) * std::cos(0.02 * y * (c + 2)) + noise(rng);
        if (channels % 2 == 0 && c == channels - 1) v = 0.3 + 0.6 * x / std::max(1u, w - 1);  // alpha ramp
        v = std::clamp(v, 0.0, 1.0) * maxv;
        const size_t i = y * raw->row_bytes + (size_t(x) * channels + c) * (depth / 8);
        if (depth == 16) {
          const uint16_t s = static_cast<uint16_t>(std::lround(v));
          std::memcpy(raw->pixels + i, &s, 2);
        } else {
          raw->pixels[i] = static_cast<uint8_t>(std::lround(v));
        }
      }
  return im;
}

// The bytes at p (none for NULL), for comparing pixel buffers and metadata blobs.
inline std::vector<uint8_t> blob(const uint8_t* p, size_t n) {
  return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>{};
}

inline double sample(const tadm_image& im, uint32_t x, uint32_t y, uint32_t c) {
  const size_t i = y * im.row_bytes + (size_t(x) * im.channels + c) * (im.bit_depth / 8);
  if (im.bit_depth == 16) {
    uint16_t s;
    std::memcpy(&s, im.pixels + i, 2);
    return s / 65535.0;
  }
  return im.pixels[i] / 255.0;
}

// PSNR over all channels, values in [0, 1].
inline double psnr(const tadm_image& a, const tadm_image& b) {
  double se = 0;
  size_t n = 0;
  for (uint32_t y = 0; y < a.height; ++y)
    for (uint32_t x = 0; x < a.width; ++x)
      for (uint32_t c = 0; c < a.channels; ++c) {
        const double d = sample(a, x, y, c) - sample(b, x, y, c);
        se += d * d;
        ++n;
      }
  return se == 0 ? 99.0 : 10.0 * std::log10(static_cast<double>(n) / se);
}

inline tadm_encoder_settings classic_encoder(uint32_t scale) {
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = "classic";
  s.scale = scale;
  s.common.threads = 2;
  return s;
}

// The encoded bytes of `im` (the test fails through an exception when encoding does).
inline std::vector<uint8_t> encode_bytes(const tadm_image& im, const tadm_encoder_settings& s) {
  tadm_cpp::Encoder enc(s);
  return enc.encode(im);
}

// tadm_encoder_encode's status for `im`, with the encoder's last error in *message: for the tests
// of encodes that must fail. An encoder that cannot be created gives tadm_encoder_create's status
// and message.
inline tadm_status encode_status(const tadm_image& im, const tadm_encoder_settings& settings,
                                 std::string* message = nullptr) {
  tadm_encoder* enc = nullptr;
  char error[1024] = {};
  const tadm_status created = tadm_encoder_create(&settings, &enc, error, sizeof error);
  if (created != TADM_OK) {
    if (message) *message = error;
    return created;
  }
  uint8_t* data = nullptr;
  size_t size = 0;
  const tadm_status st = tadm_encoder_encode(enc, &im, &data, &size);
  if (message) *message = tadm_encoder_last_error(enc);
  tadm_buffer_free(data);
  tadm_encoder_destroy(enc);
  return st;
}

inline tadm_decoder_settings default_decoder() {
  tadm_decoder_settings s;
  tadm_decoder_default_settings(&s);
  s.common.threads = 2;
  return s;
}

// Decodes `bytes` with `settings`; returns the status and, if asked, the decoder's last error.
// A failed decode must not return an image.
inline tadm_status decode_status(const std::vector<uint8_t>& bytes, tadm_decoder_settings settings,
                                 std::string* message = nullptr) {
  tadm_decoder* dec = nullptr;
  EXPECT_EQ(tadm_decoder_create(&settings, &dec, nullptr, 0), TADM_OK);
  tadm_image* out = nullptr;
  const tadm_status st = tadm_decoder_decode(dec, bytes.data(), bytes.size(), &out);
  if (message) *message = tadm_decoder_last_error(dec);
  if (st != TADM_OK) {
    EXPECT_EQ(out, nullptr);
  }
  tadm_image_free(out);
  tadm_decoder_destroy(dec);
  return st;
}

// A real ICC profile (sRGB, from Debian's icc-profiles-free, installed by tools/setup-debian.sh):
// libpng refuses profiles it cannot parse.
inline std::vector<uint8_t> tiny_icc() {
  std::ifstream in("/usr/share/color/icc/sRGB.icc", std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<uint8_t> tiny_exif() {
  // Little-endian TIFF header with an empty IFD.
  return {'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
}

inline std::string tiny_xmp() {
  return "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'>"
         "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></x:xmpmeta><?xpacket end='w'?>";
}

// Attaches tiny_icc(), tiny_exif() and tiny_xmp() to an image.
inline void attach_tiny_metadata(tadm_image* im) {
  const auto icc = tiny_icc();
  const auto exif = tiny_exif();
  const std::string xmp = tiny_xmp();
  ASSERT_EQ(tadm_image_set_metadata(im, "icc", icc.data(), icc.size(), nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_set_metadata(im, "exif", exif.data(), exif.size(), nullptr, 0), TADM_OK);
  ASSERT_EQ(tadm_image_set_metadata(im, "xmp", reinterpret_cast<const uint8_t*>(xmp.data()), xmp.size(), nullptr, 0), TADM_OK);
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/tadm-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace tadm_test
