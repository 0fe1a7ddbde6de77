// .tadm version 1 reader (spec/container.md, section 7 gives the order of the checks).
#include "internal.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace tadm::container {

using detail::ChunkType;
using detail::load_u16;
using detail::load_u32;
using detail::make_error;
using detail::type_name;

namespace {

using Bytes = std::span<const std::uint8_t>;

std::string str(std::uint64_t v) { return std::to_string(v); }

// Variable-size payloads found by the parser, as views into the input.
struct Payloads {
  Bytes lr;
  std::optional<Bytes> icc;
  std::optional<Bytes> exif;
  std::optional<Bytes> xmp;
  Bytes hint_values;
  std::vector<std::pair<ChunkType, Bytes>> unknown;
};

enum Known : unsigned { kNoKnown = 0, kHead, kModl, kLrim, kTend, kIccp, kCicp, kExif, kXmpp, kHint, kKnownCount };

Known classify(const ChunkType& t) {
  if (t == detail::kHead) return kHead;
  if (t == detail::kModl) return kModl;
  if (t == detail::kLrim) return kLrim;
  if (t == detail::kTend) return kTend;
  if (t == detail::kIccp) return kIccp;
  if (t == detail::kCicp) return kCicp;
  if (t == detail::kExif) return kExif;
  if (t == detail::kXmpp) return kXmpp;
  if (t == detail::kHint) return kHint;
  return kNoKnown;
}

std::string at(std::uint64_t offset) { return "chunk at offset " + str(offset); }

Error parse_head(Bytes d, const Limits& limits, File& f) {
  if (d.size() != detail::kHeadLength)
    return make_error(ErrorCode::kBadChunk, "chunk HEAD: length " + str(d.size()) + " is not 24");
  const std::uint8_t* p = d.data();
  f.width = load_u32(p);
  f.height = load_u32(p + 4);
  f.scale_x = load_u16(p + 8);
  f.scale_y = load_u16(p + 10);
  f.lr_width = load_u32(p + 12);
  f.lr_height = load_u32(p + 16);
  f.flags = p[20];
  f.original_bit_depth = p[21];
  f.lr_codec = p[22];
  // p[23] is reserved: ignored.
  if (Error e = detail::check_head(f)) return e;
  return detail::check_head_limits(f, limits);
}

Error parse_modl(Bytes d, File& f) {
  const std::size_t n = d.size();
  if (n < 1) return make_error(ErrorCode::kBadChunk, "chunk MODL: length 0 is too short");
  const std::size_t name_len = d[0];
  if (n < name_len + 2)
    return make_error(ErrorCode::kBadChunk, "chunk MODL: length " + str(n) + " ends inside the model name (name_len " +
                                                str(name_len) + ")");
  const std::size_t version_len = d[1 + name_len];
  const std::size_t want = 1 + name_len + 1 + version_len + detail::kModlHashLength;
  if (n != want)
    return make_error(ErrorCode::kBadChunk, "chunk MODL: length " + str(n) + " does not equal 1 + name_len " +
                                                str(name_len) + " + 1 + version_len " + str(version_len) +
                                                " + 32 = " + str(want));
  const auto* name = reinterpret_cast<const char*>(d.data() + 1);
  const auto* version = reinterpret_cast<const char*>(d.data() + 2 + name_len);
  if (Error e = detail::check_model_strings({name, name_len}, {version, version_len})) return e;
  f.model_name.assign(name, name_len);
  f.model_version.assign(version, version_len);
  std::copy_n(d.data() + 2 + name_len + version_len, detail::kModlHashLength, f.model_sha256.begin());
  return {};
}

Error parse_cicp(Bytes d, File& f) {
  if (d.size() != detail::kCicpLength)
    return make_error(ErrorCode::kBadChunk, "chunk cicp: length " + str(d.size()) + " is not 4");
  Cicp c;
  c.colour_primaries = d[0];
  c.transfer_characteristics = d[1];
  c.matrix_coefficients = d[2];
  c.full_range = d[3];
  if (Error e = detail::check_cicp(c)) return e;
  f.cicp = c;
  return {};
}

Error parse_hint(Bytes d, File& f, Payloads& p) {
  if (d.size() < detail::kHintFixedLength)
    return make_error(ErrorCode::kBadChunk, "chunk hint: length " + str(d.size()) + " is shorter than 8");
  Hint h;
  h.grid_width = load_u16(d.data());
  h.grid_height = load_u16(d.data() + 2);
  h.tile_width = load_u16(d.data() + 4);
  h.tile_height = load_u16(d.data() + 6);
  const std::uint64_t want = detail::kHintFixedLength + static_cast<std::uint64_t>(h.grid_width) * h.grid_height;
  if (d.size() != want)
    return make_error(ErrorCode::kBadChunk, "chunk hint: length " + str(d.size()) + " does not equal 8 + grid_width " +
                                                str(h.grid_width) + " x grid_height " + str(h.grid_height) + " = " +
                                                str(want));
  if (Error e = detail::check_hint_geometry(h.grid_width, h.grid_height, h.tile_width, h.tile_height, f.lr_width,
                                            f.lr_height))
    return e;
  f.hint = std::move(h);
  p.hint_values = d.subspan(detail::kHintFixedLength);
  return {};
}

Error parse_blob(Bytes d, const char* name, std::optional<Bytes>& slot) {
  if (d.empty()) return make_error(ErrorCode::kBadChunk, std::string("chunk ") + name + ": length is 0; it must be at least 1");
  slot = d;
  return {};
}

// Walks the whole file; fills the scalar fields and chunk list of `f` and views of the payloads.
Error parse(Bytes b, const Limits& limits, File& f, Payloads& p) {
  const std::size_t n = b.size();
  const std::size_t sig_avail = std::min<std::size_t>(n, kSignature.size());
  if (!std::equal(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(sig_avail), kSignature.begin()))
    return make_error(ErrorCode::kBadSignature,
                      "not a .tadm file: it does not start with the signature 89 54 41 44 4D 0D 0A 1A");
  if (n < kFileHeaderSize)
    return make_error(ErrorCode::kTruncated,
                      "file is " + str(n) + " bytes long, shorter than the 12-byte .tadm file header");
  f.version_major = b[8];
  f.version_minor = b[9];
  // b[10..11] reserved: ignored.
  if (f.version_major != kVersionMajor)
    return make_error(ErrorCode::kUnsupportedVersion,
                      "file format version " + str(f.version_major) + "." + str(f.version_minor) +
                          " is not supported; this reader reads version 1.x");

  bool seen[kKnownCount] = {};
  std::uint64_t count = 0;
  std::size_t pos = kFileHeaderSize;
  for (;;) {
    if (pos == n) {
      if (count == 0) return make_error(ErrorCode::kTruncated, "file ends after the file header: it has no chunks");
      return make_error(ErrorCode::kTruncated,
                        "file ends at offset " + str(pos) + " without a TEND chunk (truncated or incomplete file)");
    }
    if (n - pos < 8)
      return make_error(ErrorCode::kTruncated, at(pos) + ": only " + str(n - pos) +
                                                   " bytes remain, the chunk length and type need 8");
    const std::uint32_t length = load_u32(b.data() + pos);
    ChunkType type;
    for (std::size_t i = 0; i < 4; ++i) type[i] = static_cast<char>(b[pos + 4 + i]);

    if (length > detail::kMaxChunkLength)
      return make_error(ErrorCode::kBadChunk, at(pos) + " (" + type_name(type) + "): length " + str(length) +
                                                  " exceeds the maximum chunk length 2147483647");
    for (char c : type) {
      if (!detail::is_letter(c))
        return make_error(ErrorCode::kBadChunk, at(pos) + ": chunk type bytes " + type_name(type) +
                                                    " are not all ASCII letters (corrupt file?)");
    }
    ++count;
    if (count > limits.max_chunks)
      return make_error(ErrorCode::kLimitExceeded, at(pos) + " (" + type_name(type) + "): the file has more than " +
                                                       str(limits.max_chunks) + " chunks, this reader's limit");
    const Known kind = classify(type);
    if (kind == kLrim) {
      if (length > limits.max_lr_bytes)
        return make_error(ErrorCode::kLimitExceeded, "chunk LRIM: length " + str(length) +
                                                         " exceeds this reader's LR image limit of " +
                                                         str(limits.max_lr_bytes) + " bytes");
    } else if (kind != kHead && kind != kModl && kind != kTend && kind != kCicp) {
      if (length > limits.max_metadata_bytes)
        return make_error(ErrorCode::kLimitExceeded, "chunk " + type_name(type) + ": length " + str(length) +
                                                         " exceeds this reader's metadata limit of " +
                                                         str(limits.max_metadata_bytes) + " bytes");
    }
    const std::size_t data_pos = pos + 8;
    if (n - data_pos < static_cast<std::uint64_t>(length) + 4)
      return make_error(ErrorCode::kTruncated, "chunk " + type_name(type) + " at offset " + str(pos) + ": length " +
                                                   str(length) + " plus its CRC runs past the end of the file (" +
                                                   str(n - data_pos) + " bytes remain)");
    const Bytes data = b.subspan(data_pos, length);
    const std::uint32_t stored_crc = load_u32(b.data() + data_pos + length);
    const std::uint32_t actual_crc = detail::chunk_crc(type, data);
    if (stored_crc != actual_crc)
      return make_error(ErrorCode::kBadCrc, "chunk " + type_name(type) + " at offset " + str(pos) +
                                                ": CRC mismatch, the file is corrupt");
    const std::size_t next = data_pos + length + 4;

    ChunkInfo info;
    info.type = type;
    info.offset = pos;
    info.length = length;
    info.critical = detail::is_critical(type);
    info.known = kind != kNoKnown;
    f.chunks.push_back(info);

    if (count == 1 && kind != kHead)
      return make_error(ErrorCode::kMissingChunk,
                        "the first chunk is " + type_name(type) + "; a .tadm file must start with a HEAD chunk");
    if (kind == kNoKnown) {
      if (info.critical)
        return make_error(ErrorCode::kUnknownCritical,
                          "chunk " + type_name(type) + " at offset " + str(pos) +
                              " is critical but unknown to this reader; a newer decoder is needed");
      p.unknown.emplace_back(type, data);
      pos = next;
      continue;
    }
    if (seen[kind])
      return make_error(ErrorCode::kBadChunk, "chunk " + type_name(type) + " at offset " + str(pos) +
                                                  " appears a second time; it is allowed only once");
    seen[kind] = true;

    Error e;
    switch (kind) {
      case kHead: e = parse_head(data, limits, f); break;
      case kModl: e = parse_modl(data, f); break;
      case kLrim:
        e = detail::check_lr_image(f.lr_codec, data, f.lr_width, f.lr_height);
        p.lr = data;
        break;
      case kIccp: e = parse_blob(data, "iccp", p.icc); break;
      case kCicp: e = parse_cicp(data, f); break;
      case kExif: e = parse_blob(data, "exif", p.exif); break;
      case kXmpp: e = parse_blob(data, "xmpp", p.xmp); break;
      case kHint: e = parse_hint(data, f, p); break;
      case kTend:
        if (length != 0)
          return make_error(ErrorCode::kBadChunk, "chunk TEND: length " + str(length) + " is not 0");
        if (!seen[kModl]) return make_error(ErrorCode::kMissingChunk, "the file has no MODL (model identity) chunk");
        if (!seen[kLrim]) return make_error(ErrorCode::kMissingChunk, "the file has no LRIM (LR image) chunk");
        if (next != n)
          return make_error(ErrorCode::kBadChunk, "trailing data: " + str(n - next) +
                                                      " bytes follow the TEND chunk at offset " + str(pos));
        return {};
      case kNoKnown:
      case kKnownCount: break;
    }
    if (e) return e;
    pos = next;
  }
}

std::vector<std::uint8_t> to_vector(Bytes b) { return {b.begin(), b.end()}; }

}  // namespace

Error read(std::span<const std::uint8_t> bytes, const Limits& limits, File& out) {
  try {
    File f;
    Payloads p;
    if (Error e = parse(bytes, limits, f, p)) return e;
    f.lr_image = to_vector(p.lr);
    if (p.icc) f.icc = to_vector(*p.icc);
    if (p.exif) f.exif = to_vector(*p.exif);
    if (p.xmp) f.xmp = to_vector(*p.xmp);
    if (f.hint) f.hint->values = to_vector(p.hint_values);
    f.unknown_optional.reserve(p.unknown.size());
    for (const auto& [type, data] : p.unknown) f.unknown_optional.push_back(UnknownChunk{type, to_vector(data)});
    out = std::move(f);
    return {};
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory while reading the file");
  }
}

Error extract_lr_image(std::span<const std::uint8_t> bytes, const Limits& limits,
                       std::vector<std::uint8_t>& lr_out, std::uint8_t* lr_codec) {
  try {
    File f;
    Payloads p;
    if (Error e = parse(bytes, limits, f, p)) return e;
    lr_out.assign(p.lr.begin(), p.lr.end());
    if (lr_codec) *lr_codec = f.lr_codec;
    return {};
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory while reading the file");
  }
}

}  // namespace tadm::container
