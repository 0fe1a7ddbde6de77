// Netpbm images (netpbm.sourceforge.net/doc/pam.html, ppm.html, pgm.html): binary PGM (P5), PPM
// (P6) and PAM (P7) in, PAM and PPM out. Samples wider than 8 bits are big-endian 16-bit, as the
// spec says; any maxval is read and rescaled to 8 or 16 bits. Netpbm carries no metadata.
#include <cstring>
#include <string>

#include "error.hpp"
#include "image_io.hpp"

namespace tadm {

namespace {

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A cursor over the header; every read is bounded by the input.
struct HeaderReader {
  std::span<const std::uint8_t> bytes;
  std::size_t pos = 0;

  // PGM/PPM: whitespace and '#' comments to the end of the line may separate tokens.
  void skip_space_and_comments() {
    while (pos < bytes.size()) {
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else if (is_space(bytes[pos])) {
        ++pos;
      } else {
        return;
      }
    }
  }
  std::uint32_t number(const char* what) {
    skip_space_and_comments();
    std::uint64_t v = 0;
    const std::size_t start = pos;
    while (pos < bytes.size() && bytes[pos] >= '0' && bytes[pos] <= '9' && pos - start < 10)
      v = v * 10 + (bytes[pos++] - '0');
    if (pos == start || v > 0xFFFFFFFFu) fail(TADM_ERROR_CORRUPT, std::string("netpbm header: bad ") + what);
    return static_cast<std::uint32_t>(v);
  }
  // A PAM header line, without its newline (comments and blank lines skipped); empty at the end.
  std::string line() {
    for (;;) {
      if (pos >= bytes.size()) fail(TADM_ERROR_CORRUPT, "PAM header: no ENDHDR line");
      const std::size_t start = pos;
      while (pos < bytes.size() && bytes[pos] != '\n' && pos - start < 256) ++pos;
      if (pos >= bytes.size() || bytes[pos] != '\n') fail(TADM_ERROR_CORRUPT, "PAM header: a line is too long or unterminated");
      std::string text(bytes.begin() + static_cast<std::ptrdiff_t>(start), bytes.begin() + static_cast<std::ptrdiff_t>(pos));
      ++pos;
      while (!text.empty() && is_space(static_cast<std::uint8_t>(text.back()))) text.pop_back();
      const std::size_t first = text.find_first_not_of(" \t");
      if (first == std::string::npos || text[first] == '#') continue;
      return text.substr(first);
    }
  }
};

std::uint32_t pam_number(const std::string& value, const char* key) {
  HeaderReader r{{reinterpret_cast<const std::uint8_t*>(value.data()), value.size()}};
  const std::uint32_t v = r.number(key);
  r.skip_space_and_comments();
  if (r.pos != value.size()) fail(TADM_ERROR_CORRUPT, std::string("PAM header: bad ") + key);
  return v;
}

}  // namespace

bool is_pnm(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '5' && bytes[1] <= '7' && is_space(bytes[2]);
}

Image read_pnm(std::span<const std::uint8_t> bytes, const tadm_limits& limits) {
  if (!is_pnm(bytes)) fail(TADM_ERROR_UNSUPPORTED, "not a binary PGM, PPM or PAM image");
  const char kind = static_cast<char>(bytes[1]);
  HeaderReader r{bytes, 2};
  std::uint32_t width = 0, height = 0, channels = 0, maxval = 0;
  if (kind == '7') {
    ++r.pos;  // the newline after P7
    bool have_w = false, have_h = false, have_d = false, have_m = false;
    for (std::string l = r.line(); l != "ENDHDR"; l = r.line()) {
      const std::size_t space = l.find_first_of(" \t");
      const std::string key = l.substr(0, space);
      const std::string value = space == std::string::npos ? "" : l.substr(space + 1);
      if (key == "WIDTH") { width = pam_number(value, "WIDTH"); have_w = true; }
      else if (key == "HEIGHT") { height = pam_number(value, "HEIGHT"); have_h = true; }
      else if (key == "DEPTH") { channels = pam_number(value, "DEPTH"); have_d = true; }
      else if (key == "MAXVAL") { maxval = pam_number(value, "MAXVAL"); have_m = true; }
      else if (key != "TUPLTYPE") fail(TADM_ERROR_CORRUPT, "PAM header: unknown line '" + key + "'");
    }
    if (!have_w || !have_h || !have_d || !have_m) fail(TADM_ERROR_CORRUPT, "PAM header: WIDTH, HEIGHT, DEPTH or MAXVAL is missing");
    // The channel count says what the tuples are (TUPLTYPE only names them).
    if (channels < 1 || channels > 4) fail(TADM_ERROR_UNSUPPORTED, "PAM depth " + std::to_string(channels) + " (only 1 to 4 channels)");
  } else {
    width = r.number("width");
    height = r.number("height");
    maxval = r.number("maxval");
    if (r.pos >= bytes.size() || !is_space(bytes[r.pos])) fail(TADM_ERROR_CORRUPT, "netpbm header: no whitespace before the samples");
    ++r.pos;
    channels = kind == '5' ? 1 : 3;
  }
  if (maxval < 1 || maxval > 65535) fail(TADM_ERROR_CORRUPT, "netpbm maxval " + std::to_string(maxval) + " is outside 1..65535");
  check_image_limits(width, height, limits, "the netpbm image");
  const std::uint32_t in_bytes = maxval > 255 ? 2 : 1;
  const std::uint64_t samples = std::uint64_t{width} * height * channels;
  if (bytes.size() - r.pos < samples * in_bytes)
    fail(TADM_ERROR_CORRUPT, "the netpbm image is truncated: " + std::to_string(samples * in_bytes) +
                                 " bytes of samples expected, " + std::to_string(bytes.size() - r.pos) + " present");
  const std::uint32_t depth = maxval > 255 ? 16 : 8;
  check_memory(image_bytes(width, height, channels, depth), limits, "reading the netpbm image");
  Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.bit_depth = depth;
  image.pixels.resize(image.row_bytes() * height);
  const std::uint8_t* in = bytes.data() + r.pos;
  const std::uint32_t top = depth == 16 ? 65535 : 255;
  for (std::uint64_t i = 0; i < samples; ++i) {
    const std::uint32_t v = in_bytes == 2 ? (std::uint32_t{in[2 * i]} << 8) | in[2 * i + 1] : in[i];
    if (v > maxval) fail(TADM_ERROR_CORRUPT, "a netpbm sample is above maxval " + std::to_string(maxval));
    const std::uint32_t scaled = maxval == top ? v : (v * top + maxval / 2) / maxval;
    if (depth == 16) {
      const auto s = static_cast<std::uint16_t>(scaled);
      std::memcpy(image.pixels.data() + 2 * i, &s, 2);
    } else {
      image.pixels[i] = static_cast<std::uint8_t>(scaled);
    }
  }
  return image;
}

std::vector<std::uint8_t> write_pnm(const Image& image, bool pam) {
  static const char* const kTupleTypes[] = {"GRAYSCALE", "GRAYSCALE_ALPHA", "RGB", "RGB_ALPHA"};
  const std::uint32_t maxval = image.bit_depth == 16 ? 65535 : 255;
  // PPM is RGB only: gray is repeated, alpha left out.
  const std::uint32_t out_channels = pam ? image.channels : 3;
  std::string header =
      pam ? "P7\nWIDTH " + std::to_string(image.width) + "\nHEIGHT " + std::to_string(image.height) + "\nDEPTH " +
                std::to_string(image.channels) + "\nMAXVAL " + std::to_string(maxval) + "\nTUPLTYPE " +
                kTupleTypes[image.channels - 1] + "\nENDHDR\n"
          : "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n" + std::to_string(maxval) + "\n";
  const std::uint32_t sample_bytes = image.bit_depth / 8;
  const std::size_t pixels = std::size_t{image.width} * image.height;
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.resize(header.size() + pixels * out_channels * sample_bytes);
  std::uint8_t* dst = out.data() + header.size();
  const std::uint32_t colour = image.is_gray() ? 1 : 3;
  for (std::size_t p = 0; p < pixels; ++p) {
    for (std::uint32_t c = 0; c < out_channels; ++c) {
      const std::uint32_t src_c = pam ? c : (colour == 1 ? 0 : c);
      const std::uint8_t* s = image.pixels.data() + (p * image.channels + src_c) * sample_bytes;
      if (sample_bytes == 2) {
        std::uint16_t v;
        std::memcpy(&v, s, 2);
        *dst++ = static_cast<std::uint8_t>(v >> 8);
        *dst++ = static_cast<std::uint8_t>(v & 0xFF);
      } else {
        *dst++ = *s;
      }
    }
  }
  return out;
}

}  // namespace tadm
