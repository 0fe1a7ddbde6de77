// Test-side helpers for .tadm: a tiny PNG builder, a chunk splitter/joiner for byte surgery,
// SHA-256 hex, the smallest valid File. Written independently of the container library's reader
// so tests can cross-check it.
#pragma once

#include <tadm/container.hpp>

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace tadm::testing {

using Bytes = std::vector<std::uint8_t>;

inline void append_u16(Bytes& o, std::uint32_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
inline void append_u32(Bytes& o, std::uint32_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 24));
  o.push_back(static_cast<std::uint8_t>(v >> 16));
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
inline std::uint32_t get_u32(const Bytes& b, std::size_t at) {
  return (static_cast<std::uint32_t>(b.at(at)) << 24) | (static_cast<std::uint32_t>(b.at(at + 1)) << 16) |
         (static_cast<std::uint32_t>(b.at(at + 2)) << 8) | static_cast<std::uint32_t>(b.at(at + 3));
}
inline void set_u32(Bytes& b, std::size_t at, std::uint32_t v) {
  b.at(at) = static_cast<std::uint8_t>(v >> 24);
  b.at(at + 1) = static_cast<std::uint8_t>(v >> 16);
  b.at(at + 2) = static_cast<std::uint8_t>(v >> 8);
  b.at(at + 3) = static_cast<std::uint8_t>(v);
}
inline void set_u16(Bytes& b, std::size_t at, std::uint32_t v) {
  b.at(at) = static_cast<std::uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<std::uint8_t>(v);
}

inline Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Lowercase hex of a 32-byte hash (a MODL chunk's model SHA-256).
inline std::string hex_of(const std::array<std::uint8_t, 32>& a) {
  std::string s;
  char buf[3];
  for (std::uint8_t b : a) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b));
    s += buf;
  }
  return s;
}

inline std::uint32_t crc_of(const std::string& type, const Bytes& data) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(type.data()), static_cast<uInt>(type.size()));
  if (!data.empty()) c = crc32(c, data.data(), static_cast<uInt>(data.size()));
  return static_cast<std::uint32_t>(c);
}

// length + type + data + CRC, the chunk framing shared by PNG and .tadm.
inline void append_chunk(Bytes& o, const std::string& type, const Bytes& data) {
  append_u32(o, static_cast<std::uint32_t>(data.size()));
  o.insert(o.end(), type.begin(), type.end());
  o.insert(o.end(), data.begin(), data.end());
  append_u32(o, crc_of(type, data));
}

// `b` with every chunk CRC recomputed, walking the framing from the file header on however
// damaged the bytes are (a fuzzer's mutation); stops at the first chunk that does not fit.
inline Bytes with_repaired_crcs(Bytes b) {
  constexpr std::size_t overhead = tadm::container::kChunkOverhead;
  std::size_t pos = tadm::container::kFileHeaderSize;
  while (pos <= b.size() && b.size() - pos >= overhead) {
    const std::uint32_t length = get_u32(b, pos);
    if (length > b.size() - pos - overhead) break;
    // The CRC covers type and data, which lie next to each other.
    set_u32(b, pos + 8 + length, static_cast<std::uint32_t>(crc32(0L, b.data() + pos + 4, static_cast<uInt>(4 + length))));
    pos += overhead + length;
  }
  return b;
}

inline std::string sha256_hex(const std::uint8_t* data, std::size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, size, md, &len, EVP_sha256(), nullptr) != 1) throw std::runtime_error("EVP_Digest failed");
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(md[i]));
    hex += buf;
  }
  return hex;
}
inline std::string sha256_hex(const Bytes& b) { return sha256_hex(b.data(), b.size()); }

// A real, valid PNG with a deterministic pattern. The zlib stream uses stored (uncompressed)
// deflate blocks so the bytes do not depend on the zlib version.
// colour_type: 0 gray, 2 RGB, 3 palette (4-entry PLTE), 4 gray+alpha, 6 RGBA; bit_depth 8 or 16.
inline Bytes make_png(std::uint32_t width, std::uint32_t height, std::uint8_t colour_type,
                      std::uint8_t bit_depth = 8) {
  std::uint32_t channels = 1;
  switch (colour_type) {
    case 0: channels = 1; break;
    case 2: channels = 3; break;
    case 3: channels = 1; break;
    case 4: channels = 2; break;
    case 6: channels = 4; break;
    default: throw std::invalid_argument("make_png: bad colour type");
  }
  const std::uint32_t sample_bytes = bit_depth / 8u;
  Bytes raw;
  for (std::uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    for (std::uint32_t x = 0; x < width; ++x) {
      for (std::uint32_t c = 0; c < channels; ++c) {
        std::uint32_t v = colour_type == 3 ? (x + y) % 4u : (x * 37u + y * 91u + c * 53u + 17u) & 0xFFu;
        for (std::uint32_t s = 0; s < sample_bytes; ++s) raw.push_back(static_cast<std::uint8_t>(v ^ (s * 0x5Au)));
      }
    }
  }
  Bytes z = {0x78, 0x01};
  std::size_t pos = 0;
  do {
    const std::size_t n = raw.size() - pos < 65535 ? raw.size() - pos : 65535;
    const bool last = pos + n == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<std::uint8_t>(n & 0xFF));
    z.push_back(static_cast<std::uint8_t>(n >> 8));
    z.push_back(static_cast<std::uint8_t>(~n & 0xFF));
    z.push_back(static_cast<std::uint8_t>((~n >> 8) & 0xFF));
    z.insert(z.end(), raw.begin() + static_cast<std::ptrdiff_t>(pos),
             raw.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < raw.size());
  append_u32(z, static_cast<std::uint32_t>(adler32(adler32(0L, Z_NULL, 0), raw.data(), static_cast<uInt>(raw.size()))));

  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  append_u32(ihdr, width);
  append_u32(ihdr, height);
  ihdr.push_back(bit_depth);
  ihdr.push_back(colour_type);
  ihdr.push_back(0);  // compression
  ihdr.push_back(0);  // filter
  ihdr.push_back(0);  // interlace
  append_chunk(png, "IHDR", ihdr);
  if (colour_type == 3) {
    const Bytes plte = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
    append_chunk(png, "PLTE", plte);
  }
  append_chunk(png, "IDAT", z);
  append_chunk(png, "IEND", {});
  return png;
}

// A .tadm file taken apart for byte surgery. split() trusts its input (a writer's output);
// join() recomputes every CRC.
struct RawChunk {
  std::string type;
  Bytes data;
};
struct RawFile {
  Bytes header;  // the 12-byte file header
  std::vector<RawChunk> chunks;
};

inline RawFile split(const Bytes& file) {
  RawFile r;
  r.header.assign(file.begin(), file.begin() + 12);
  std::size_t pos = 12;
  while (pos + 12 <= file.size()) {
    const std::uint32_t len = get_u32(file, pos);
    if (pos + 12 + len > file.size()) throw std::runtime_error("split: chunk runs past the end");
    RawChunk c;
    c.type.assign(file.begin() + static_cast<std::ptrdiff_t>(pos + 4), file.begin() + static_cast<std::ptrdiff_t>(pos + 8));
    c.data.assign(file.begin() + static_cast<std::ptrdiff_t>(pos + 8),
                  file.begin() + static_cast<std::ptrdiff_t>(pos + 8 + len));
    r.chunks.push_back(std::move(c));
    pos += 12 + len;
  }
  if (pos != file.size()) throw std::runtime_error("split: trailing bytes");
  return r;
}

inline Bytes join(const RawFile& r) {
  Bytes o = r.header;
  for (const RawChunk& c : r.chunks) append_chunk(o, c.type, c.data);
  return o;
}

// Offset of chunk `index`'s length field in join(r).
inline std::size_t chunk_offset(const RawFile& r, std::size_t index) {
  std::size_t pos = r.header.size();
  for (std::size_t i = 0; i < index; ++i) pos += 12 + r.chunks.at(i).data.size();
  return pos;
}

inline std::size_t find_chunk(const RawFile& r, const std::string& type) {
  for (std::size_t i = 0; i < r.chunks.size(); ++i)
    if (r.chunks[i].type == type) return i;
  throw std::runtime_error("find_chunk: no " + type);
}

// Only what is required: 16x16 at scale 16, a 1x1 RGB PNG, model classic 1 (hash all zero).
inline tadm::container::File small_file() {
  tadm::container::File f;
  f.width = 16;
  f.height = 16;
  f.scale_x = 16;
  f.scale_y = 16;
  f.lr_width = 1;
  f.lr_height = 1;
  f.model_name = "classic";
  f.model_version = "1";
  f.lr_image = make_png(1, 1, 2);
  return f;
}

}  // namespace tadm::testing
