// .tadm version 1 writer: validates a File with the reader's rules (not Limits) and serialises it
// in the canonical chunk order HEAD, MODL, LRIM, iccp, cicp, exif, xmpp, hint, TEND.
#include "internal.hpp"

#include <new>
#include <stdexcept>
#include <string>
#include <utility>

namespace tadm::container {

using detail::ChunkType;
using detail::make_error;

namespace {

using Bytes = std::span<const std::uint8_t>;

std::string str(std::uint64_t v) { return std::to_string(v); }

void put_u8(std::vector<std::uint8_t>& o, std::uint8_t v) { o.push_back(v); }
void put_u16(std::vector<std::uint8_t>& o, std::uint16_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(std::vector<std::uint8_t>& o, std::uint32_t v) {
  o.push_back(static_cast<std::uint8_t>(v >> 24));
  o.push_back(static_cast<std::uint8_t>(v >> 16));
  o.push_back(static_cast<std::uint8_t>(v >> 8));
  o.push_back(static_cast<std::uint8_t>(v));
}

Error check_blob(const std::optional<std::vector<std::uint8_t>>& blob, const char* name) {
  if (!blob) return {};
  if (blob->empty())
    return make_error(ErrorCode::kBadChunk, std::string("chunk ") + name + ": payload is empty; omit the chunk instead");
  if (blob->size() > detail::kMaxChunkLength)
    return make_error(ErrorCode::kBadChunk, std::string("chunk ") + name + ": payload of " + str(blob->size()) +
                                                " bytes exceeds the maximum chunk length 2147483647");
  return {};
}

Error validate(const File& f) {
  if (f.version_major != kVersionMajor)
    return make_error(ErrorCode::kBadField, "file header: version_major " + str(f.version_major) +
                                                " cannot be written; this writer produces version 1 only");
  if (Error e = detail::check_head(f)) return e;
  if (Error e = detail::check_model_strings(f.model_name, f.model_version)) return e;
  if (f.lr_image.size() > detail::kMaxChunkLength)
    return make_error(ErrorCode::kBadChunk, "chunk LRIM: LR image of " + str(f.lr_image.size()) +
                                                " bytes exceeds the maximum chunk length 2147483647");
  if (Error e = detail::check_lr_image(f.lr_codec, f.lr_image, f.lr_width, f.lr_height)) return e;
  if (Error e = check_blob(f.icc, "iccp")) return e;
  if (f.cicp) {
    if (Error e = detail::check_cicp(*f.cicp)) return e;
  }
  if (Error e = check_blob(f.exif, "exif")) return e;
  if (Error e = check_blob(f.xmp, "xmpp")) return e;
  if (f.hint) {
    const Hint& h = *f.hint;
    const std::uint64_t cells = static_cast<std::uint64_t>(h.grid_width) * h.grid_height;
    if (h.values.size() != cells)
      return make_error(ErrorCode::kBadChunk, "chunk hint: " + str(h.values.size()) +
                                                  " values given, grid_width " + str(h.grid_width) +
                                                  " x grid_height " + str(h.grid_height) + " needs " + str(cells));
    if (cells + detail::kHintFixedLength > detail::kMaxChunkLength)
      return make_error(ErrorCode::kBadChunk, "chunk hint: " + str(cells) +
                                                  " values exceed the maximum chunk length 2147483647");
    if (Error e = detail::check_hint_geometry(h.grid_width, h.grid_height, h.tile_width, h.tile_height, f.lr_width,
                                              f.lr_height))
      return e;
  }
  return {};
}

void serialise(const File& f, std::vector<std::uint8_t>& o) {
  std::size_t total = kFileHeaderSize + 4 * kChunkOverhead + detail::kHeadLength + 2 + f.model_name.size() +
                      f.model_version.size() + detail::kModlHashLength + f.lr_image.size();
  if (f.icc) total += kChunkOverhead + f.icc->size();
  if (f.cicp) total += kChunkOverhead + detail::kCicpLength;
  if (f.exif) total += kChunkOverhead + f.exif->size();
  if (f.xmp) total += kChunkOverhead + f.xmp->size();
  if (f.hint) total += kChunkOverhead + detail::kHintFixedLength + f.hint->values.size();
  o.reserve(total);

  o.insert(o.end(), kSignature.begin(), kSignature.end());
  put_u8(o, f.version_major);
  put_u8(o, f.version_minor);
  put_u16(o, 0);  // reserved

  std::vector<std::uint8_t> d;
  d.reserve(detail::kHeadLength);
  put_u32(d, f.width);
  put_u32(d, f.height);
  put_u16(d, f.scale_x);
  put_u16(d, f.scale_y);
  put_u32(d, f.lr_width);
  put_u32(d, f.lr_height);
  put_u8(d, f.flags);
  put_u8(d, f.original_bit_depth);
  put_u8(d, f.lr_codec);
  put_u8(d, 0);  // reserved
  append_chunk(o, detail::kHead, d);

  d.clear();
  put_u8(d, static_cast<std::uint8_t>(f.model_name.size()));
  d.insert(d.end(), f.model_name.begin(), f.model_name.end());
  put_u8(d, static_cast<std::uint8_t>(f.model_version.size()));
  d.insert(d.end(), f.model_version.begin(), f.model_version.end());
  d.insert(d.end(), f.model_sha256.begin(), f.model_sha256.end());
  append_chunk(o, detail::kModl, d);

  append_chunk(o, detail::kLrim, f.lr_image);
  if (f.icc) append_chunk(o, detail::kIccp, *f.icc);
  if (f.cicp) {
    const std::uint8_t c[4] = {f.cicp->colour_primaries, f.cicp->transfer_characteristics,
                               f.cicp->matrix_coefficients, f.cicp->full_range};
    append_chunk(o, detail::kCicp, c);
  }
  if (f.exif) append_chunk(o, detail::kExif, *f.exif);
  if (f.xmp) append_chunk(o, detail::kXmpp, *f.xmp);
  if (f.hint) {
    d.clear();
    put_u16(d, f.hint->grid_width);
    put_u16(d, f.hint->grid_height);
    put_u16(d, f.hint->tile_width);
    put_u16(d, f.hint->tile_height);
    d.insert(d.end(), f.hint->values.begin(), f.hint->values.end());
    append_chunk(o, detail::kHint, d);
  }
  append_chunk(o, detail::kTend, {});
}

}  // namespace

Error write(const File& file, std::vector<std::uint8_t>& out) {
  try {
    if (Error e = validate(file)) return e;
    std::vector<std::uint8_t> bytes;
    serialise(file, bytes);
    out = std::move(bytes);
    return {};
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kLimitExceeded, "out of memory while writing the file");
  } catch (const std::length_error&) {
    return make_error(ErrorCode::kLimitExceeded, "file too large to hold in memory");
  }
}

Error append_chunk(std::vector<std::uint8_t>& out, const ChunkType& type, Bytes data) {
  if (data.size() > detail::kMaxChunkLength)
    return make_error(ErrorCode::kBadChunk, "a chunk of " + str(data.size()) + " bytes is over 2^31 - 1");
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  for (char c : type) out.push_back(static_cast<std::uint8_t>(c));
  out.insert(out.end(), data.begin(), data.end());
  put_u32(out, detail::chunk_crc(type, data));
  return {};
}

}  // namespace tadm::container
