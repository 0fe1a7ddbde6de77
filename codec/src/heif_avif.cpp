// HEIF (libheif) and AVIF (libavif) wrapping of a .tadm file. See heif_avif.hpp and
// spec/heif-avif.md.
#include "heif_avif.hpp"

#include "avif_handles.hpp"

#include <avif/avif.h>
#include <libheif/heif.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "engine.hpp"
#include "error.hpp"
#include "image_io.hpp"
#include "lr_codec.hpp"
#include "sha256.hpp"
#include "tadm/container.hpp"

namespace tadm::interop {

namespace {

constexpr std::array<char, 4> kLrimType = {'L', 'R', 'I', 'M'};
// The thumbnail checksum chunk of the TADM header (spec/heif-avif.md section 6): SHA-256 of the
// decoded thumbnail samples. Optional (lowercase), so it is unknown to the .tadm reader.
constexpr std::array<char, 4> kChecksumType = {'l', 's', 'h', 'a'};

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

bool has_brand(std::span<const std::uint8_t> bytes, const char* brand) {
  // ftyp: size(4) 'ftyp' major(4) minor(4) compatible(4 * n)
  const std::size_t size = std::min<std::size_t>(bytes.size(), be32(bytes.data()));
  for (std::size_t off = 8; off + 4 <= size; off += 4) {
    if (off == 12) continue;  // minor version
    if (std::memcmp(bytes.data() + off, brand, 4) == 0) return true;
  }
  return false;
}

// ------------------------------------------------------------------ base64 (OpenSSL)

std::string base64_encode(std::span<const std::uint8_t> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::uint8_t> base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) fail(TADM_ERROR_CORRUPT, "the tadm:header attribute is not valid base64");
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) fail(TADM_ERROR_CORRUPT, "the tadm:header attribute is not valid base64");
  std::size_t pad = 0;
  if (text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// ------------------------------------------------------------------ the LR pixels

struct Rgba {
  std::uint32_t width = 0, height = 0;
  bool alpha = false;
  std::vector<std::uint8_t> pixels;  // 3 or 4 channels, tightly packed
  // The TADM header's HEAD lr_codec: 0 (PNG: a lossless primary image of its own) or 4 (AVIF: the
  // primary image is the thumbnail of the .tadm, coded as its AVIF payload is; AVIF flavour only).
  std::uint8_t lr_codec = 0;
  Sha256 coded_checksum{};  // lr_codec 4: SHA-256 of the decoded planes (spec/heif-avif.md section 6)
};

Rgba to_rgba(const Image& lr) {
  if (lr.bit_depth != 8) fail(TADM_ERROR_INTERNAL, "the LR image is not 8-bit");
  Rgba out;
  out.width = lr.width;
  out.height = lr.height;
  const std::size_t n = std::size_t{lr.width} * lr.height;
  // An alpha that is 255 everywhere is omitted (spec/heif-avif.md section 2 allows it, and the
  // checksum is then over RGB): libavif drops such a plane itself, so keeping it would make the
  // written thumbnail decode without the alpha it was hashed with (found by fuzz_image_reader).
  bool opaque = true;
  for (std::size_t i = 0; lr.has_alpha() && opaque && i < n; ++i)
    opaque = lr.pixels[i * lr.channels + lr.channels - 1] == 255;
  out.alpha = lr.has_alpha() && !opaque;
  const std::uint32_t oc = out.alpha ? 4 : 3;
  out.pixels.resize(n * oc);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* p = lr.pixels.data() + i * lr.channels;
    std::uint8_t* q = out.pixels.data() + i * oc;
    if (lr.is_gray()) q[0] = q[1] = q[2] = p[0];
    else std::memcpy(q, p, 3);
    if (out.alpha) q[3] = p[lr.channels - 1];
  }
  return out;
}

Image from_rgba(const Rgba& rgba) {
  Image im;
  im.width = rgba.width;
  im.height = rgba.height;
  im.channels = rgba.alpha ? 4 : 3;
  im.bit_depth = 8;
  im.pixels = rgba.pixels;
  return im;
}

// Largest TADM header worth reading: its optional chunks (ICC, EXIF, XMP, hint, unknown ones) are
// each limited by max_metadata_bytes when the rebuilt .tadm is read, and a reader accepts at least
// 64 chunks (spec/container.md 8.1); this bounds the allocation before that (the item's bytes are
// in the file, which is already in memory).
std::uint64_t header_budget(const tadm_limits& limits) { return 64 * std::uint64_t{limits.max_metadata_bytes} + 65536; }

void check_lr_limits(std::uint64_t w, std::uint64_t h, const tadm_limits& limits) {
  if (w == 0 || h == 0) fail(TADM_ERROR_CORRUPT, "the primary image has zero width or height");
  check_image_limits(w, h, limits, "the stored thumbnail");
}

// The header from the AVIF XMP packet: the value of the tadm:header attribute.
std::vector<std::uint8_t> header_from_xmp(std::span<const std::uint8_t> xmp) {
  const std::string text(xmp.begin(), xmp.end());
  if (text.find(kXmpNamespace) == std::string::npos)
    fail(TADM_ERROR_CORRUPT, "the AVIF file has no TADM metadata (no XMP with the tadm namespace); "
                             "it is a plain AVIF image, not a TADM file");
  const std::string key = "tadm:header=\"";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) fail(TADM_ERROR_CORRUPT, "the TADM XMP has no tadm:header attribute");
  const std::size_t start = at + key.size();
  const std::size_t end = text.find('"', start);
  if (end == std::string::npos) fail(TADM_ERROR_CORRUPT, "the TADM XMP's tadm:header attribute is not terminated");
  return base64_decode(text.substr(start, end - start));
}

std::string xml_escape(const std::string& in) {
  std::string s;
  for (char c : in) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      default: s += c;
    }
  }
  return s;
}

std::string make_xmp(const container::File& f, std::span<const std::uint8_t> header) {
  std::string s =
      "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
      " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
      "  <rdf:Description rdf:about=\"\" xmlns:tadm=\"";
  s += kXmpNamespace;
  s += "\"\n   tadm:width=\"" + std::to_string(f.width) + "\"\n   tadm:height=\"" + std::to_string(f.height) +
       "\"\n   tadm:scaleX=\"" + std::to_string(f.scale_x) + "\"\n   tadm:scaleY=\"" + std::to_string(f.scale_y) +
       "\"\n   tadm:flags=\"" + std::to_string(f.flags) + "\"\n   tadm:originalBitDepth=\"" +
       std::to_string(f.original_bit_depth) + "\"\n   tadm:modelName=\"" + xml_escape(f.model_name) +
       "\"\n   tadm:modelVersion=\"" + xml_escape(f.model_version) + "\"\n   tadm:modelSha256=\"" +
       to_hex(f.model_sha256) + "\"\n   tadm:header=\"" + base64_encode(header) + "\"/>\n </rdf:RDF>\n</x:xmpmeta>\n"
       "<?xpacket end=\"r\"?>";
  return s;
}

// A TADM header (or .tadm file) with the chunk `type`/`data` inserted before its final TEND: the
// container library writes only the chunks of its File, and the HEIF/AVIF mapping moves two
// (LRIM, lsha).
std::vector<std::uint8_t> insert_before_tend(std::span<const std::uint8_t> header, const std::array<char, 4>& type,
                                             std::span<const std::uint8_t> data) {
  static const std::vector<std::uint8_t> kTendChunk = [] {
    std::vector<std::uint8_t> tend;
    (void)container::append_chunk(tend, {'T', 'E', 'N', 'D'}, {});  // empty: cannot fail
    return tend;
  }();
  if (header.size() < container::kFileHeaderSize + kTendChunk.size() ||
      std::memcmp(header.data(), container::kSignature.data(), container::kSignature.size()) != 0)
    fail(TADM_ERROR_CORRUPT, "the TADM header is not a .tadm header (bad signature or too short)");
  if (!std::equal(kTendChunk.begin(), kTendChunk.end(), header.end() - kTendChunk.size()))
    fail(TADM_ERROR_CORRUPT, "the TADM header does not end with a TEND chunk");
  std::vector<std::uint8_t> out(header.begin(), header.end() - kTendChunk.size());
  out.reserve(header.size() + data.size() + container::kChunkOverhead);
  if (container::Error e = container::append_chunk(out, type, data))
    fail(TADM_ERROR_LIMIT, "the TADM header: " + e.message);
  out.insert(out.end(), kTendChunk.begin(), kTendChunk.end());
  return out;
}

// The smallest PNG stream the .tadm reader's LRIM check accepts for an LR image of w x h: the
// signature and IHDR only (spec/container.md 6.3 reads no further). Stands in for the thumbnail
// when the TADM header is checked before the thumbnail is decoded. PNG chunks are framed as
// .tadm chunks are (spec/container.md 4.1 follows PNG), so the container library frames IHDR.
std::vector<std::uint8_t> stub_png(std::uint32_t w, std::uint32_t h) {
  std::vector<std::uint8_t> ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (container::Error e = container::append_chunk(out, {'I', 'H', 'D', 'R'}, ihdr))
    fail(TADM_ERROR_INTERNAL, e.message);
  return out;
}

// The LR size of a TADM header (HEAD lr_width x lr_height), once the header has passed every check
// of the .tadm reader (the same errors and messages as when the rebuilt file is read in unwrap()),
// the LR limits and the memory budget. Called before any thumbnail pixel is decoded, so that the
// HEIF/AVIF decoders can be bounded by the size the header declares instead of the coded size.
struct LrSize {
  std::uint32_t width = 0, height = 0;
  std::uint8_t lr_codec = 0;
};

// The smallest AVIF stream the .tadm reader's LRIM check accepts: an `ftyp` box with brand avif.
// Stands in for the file itself (the LRIM of a TADM-AVIF file with an AVIF thumbnail) while the
// header is checked.
const std::vector<std::uint8_t>& stub_avif() {
  static const std::vector<std::uint8_t> ftyp = {0, 0, 0, 16, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f', 0, 0, 0, 0};
  return ftyp;
}

LrSize checked_lr_size(tadm_container_format format, std::span<const std::uint8_t> file,
                       std::span<const std::uint8_t> header, const tadm_limits& limits) {
  const auto carries = [&](std::uint8_t lr_codec) {
    return lr_codec == container::kLrCodecPng || (lr_codec == container::kLrCodecAvif && format == TADM_CONTAINER_AVIF);
  };
  const auto refuse_codec = [&](std::uint8_t lr_codec) {
    const char* name = container::lr_codec_name(lr_codec);
    fail(TADM_ERROR_CORRUPT, invalid_file_message(file) + ": its HEAD declares a thumbnail coded as " +
                                 (name ? name : "an undefined codec") + "; a TADM-" +
                                 (format == TADM_CONTAINER_AVIF ? "AVIF file holds only PNG or AVIF ones"
                                                                : "HEIF file holds only PNG ones"));
  };
  // HEAD is the first chunk (4.5); its lr size and codec only shape the stub, the reader checks them.
  // A codec the flavour cannot carry is refused here, once HEAD's CRC holds, since the stub could
  // not pass the reader's check of that codec's stream and the error would name the stub instead.
  std::uint32_t w = 1, h = 1;
  std::uint8_t codec = 0;
  constexpr std::size_t head = container::kFileHeaderSize;
  if (header.size() >= head + 8 + 24 + 4 && be32(header.data() + head) == 24 &&
      std::memcmp(header.data() + head + 4, "HEAD", 4) == 0) {
    w = be32(header.data() + head + 8 + 12);
    h = be32(header.data() + head + 8 + 16);
    codec = header[head + 8 + 22];
    const auto crc = crc32(0, header.data() + head + 4, 4 + 24);
    if (!carries(codec) && crc == be32(header.data() + head + 8 + 24)) refuse_codec(codec);
  }
  container::File f;
  const std::vector<std::uint8_t> stub = codec == container::kLrCodecAvif ? stub_avif() : stub_png(w, h);
  if (container::Error e = container::read(insert_before_tend(header, kLrimType, stub), container_limits(limits), f))
    fail(container_status(e.code), invalid_file_message(file) + ": " + e.message);
  if (!carries(f.lr_codec)) refuse_codec(f.lr_codec);
  check_lr_limits(f.lr_width, f.lr_height, limits);
  // Decoded planes, the RGB(A) copy and the rebuilt PNG: a few RGBA images of the LR size.
  check_memory(3 * image_bytes(f.lr_width, f.lr_height, 4, 8), limits, "decoding the thumbnail");
  return {f.lr_width, f.lr_height, f.lr_codec};
}

// ------------------------------------------------------------------ libheif

struct HeifDeleter {
  void operator()(heif_context* p) const { heif_context_free(p); }
  void operator()(heif_image* p) const { heif_image_release(p); }
  void operator()(heif_image_handle* p) const { heif_image_handle_release(p); }
  void operator()(heif_encoder* p) const { heif_encoder_release(p); }
  void operator()(heif_encoding_options* p) const { heif_encoding_options_free(p); }
  void operator()(heif_color_profile_nclx* p) const { heif_nclx_color_profile_free(p); }
  void operator()(heif_decoding_options* p) const { heif_decoding_options_free(p); }
};
template <typename T>
using HeifPtr = std::unique_ptr<T, HeifDeleter>;

// `what` is a plain string so that nothing is allocated between a libheif call and the unique_ptr
// that takes its result: every handle is owned before heif_check (or anything else) can throw.
// libheif's size limit (heif_context_set_maximum_image_size_limit) hit is reported as
// `limit_status`: TADM_ERROR_LIMIT while the limit comes from tadm_limits, TADM_ERROR_CORRUPT once it
// comes from the LR size the TADM header declares (the file then codes a larger image than that).
void heif_check(heif_error e, const char* what, tadm_status status, tadm_status limit_status = TADM_ERROR_LIMIT) {
  if (e.code == heif_error_Ok) return;
  std::string message = std::string(what) + ": " + (e.message && *e.message ? e.message : "libheif error");
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (e.code == heif_error_Memory_allocation_error && e.subcode == heif_suberror_Security_limit_exceeded)
    fail(limit_status, message + (limit_status == TADM_ERROR_CORRUPT
                                      ? " (the image is larger than the thumbnail its TADM header declares)"
                                      : " (the image is over the limits)"));
  fail(status, message);
}

// libheif's size limit (heif_context_set_maximum_image_size_limit: any image, tile or coded picture
// whose width or height is >= it is refused before its pixels are allocated) for an LR image whose
// larger side is `side`. HEVC codes a padded picture (libheif's x265 plugin codes at least 64 x 64,
// then whole coding units), so the bound leaves one 64-pixel block of room beyond the rounded size.
int heif_size_limit(std::uint64_t side) {
  const std::uint64_t bound = (std::min<std::uint64_t>(side, 1u << 30) + 63) / 64 * 64 + 64 + 1;
  return static_cast<int>(std::min<std::uint64_t>(bound, 0x7FFFFFFF));
}

heif_error heif_write_vector(heif_context*, const void* data, size_t size, void* user) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(user);
  const auto* p = static_cast<const std::uint8_t*>(data);
  out->assign(p, p + size);
  return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

std::vector<std::uint8_t> wrap_heif(const container::File& f, std::span<const std::uint8_t> header, const Rgba& lr,
                                    const Metadata& md) {
  HeifPtr<heif_context> ctx(heif_context_alloc());
  if (!ctx) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  heif_encoder* enc_raw = nullptr;
  const heif_error ee = heif_context_get_encoder_for_format(ctx.get(), heif_compression_HEVC, &enc_raw);
  HeifPtr<heif_encoder> enc(enc_raw);
  heif_check(ee, "this libheif has no HEVC encoder (install libheif with x265)", TADM_ERROR_UNSUPPORTED);
  heif_check(heif_encoder_set_lossless(enc.get(), 1), "libheif: setting lossless", TADM_ERROR_UNSUPPORTED);
  heif_check(heif_encoder_set_parameter_string(enc.get(), "chroma", "444"), "libheif: setting 4:4:4",
             TADM_ERROR_UNSUPPORTED);
  heif_image* img_raw = nullptr;
  const int w = static_cast<int>(lr.width), h = static_cast<int>(lr.height);
  const heif_error ie = heif_image_create(w, h, heif_colorspace_YCbCr, heif_chroma_444, &img_raw);
  HeifPtr<heif_image> img(img_raw);
  heif_check(ie, "libheif: creating the image", TADM_ERROR_INTERNAL);
  // Identity matrix (MC = 0, "GBR"): Y = G, Cb = B, Cr = R.
  const heif_channel planes[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
  const int source_channel[3] = {1, 2, 0};
  const std::uint32_t nc = lr.alpha ? 4 : 3;
  for (int k = 0; k < (lr.alpha ? 4 : 3); ++k) {
    const heif_channel ch = k < 3 ? planes[k] : heif_channel_Alpha;
    const int src = k < 3 ? source_channel[k] : 3;
    heif_check(heif_image_add_plane(img.get(), ch, w, h, 8), "libheif: adding a plane", TADM_ERROR_INTERNAL);
    int stride = 0;
    std::uint8_t* p = heif_image_get_plane(img.get(), ch, &stride);
    if (!p) fail(TADM_ERROR_INTERNAL, "libheif: no plane");
    for (std::uint32_t y = 0; y < lr.height; ++y)
      for (std::uint32_t x = 0; x < lr.width; ++x)
        p[std::size_t(y) * static_cast<std::size_t>(stride) + x] =
            lr.pixels[(std::size_t(y) * lr.width + x) * nc + static_cast<std::size_t>(src)];
  }
  HeifPtr<heif_color_profile_nclx> nclx(heif_nclx_color_profile_alloc());
  if (!nclx) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  nclx->matrix_coefficients = heif_matrix_coefficients_RGB_GBR;
  nclx->full_range_flag = 1;
  if (f.cicp) {
    nclx->color_primaries = static_cast<heif_color_primaries>(f.cicp->colour_primaries);
    nclx->transfer_characteristics = static_cast<heif_transfer_characteristics>(f.cicp->transfer_characteristics);
  } else {
    nclx->color_primaries = heif_color_primaries_ITU_R_BT_709_5;
    nclx->transfer_characteristics = heif_transfer_characteristic_IEC_61966_2_1;
  }
  heif_check(heif_image_set_nclx_color_profile(img.get(), nclx.get()), "libheif: setting the colour profile",
             TADM_ERROR_INTERNAL);
  if (!md.icc.empty())
    heif_check(heif_image_set_raw_color_profile(img.get(), "prof", md.icc.data(), md.icc.size()),
               "libheif: attaching the ICC profile", TADM_ERROR_INTERNAL);
  HeifPtr<heif_encoding_options> opts(heif_encoding_options_alloc());
  if (!opts) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  opts->save_alpha_channel = 1;
  opts->output_nclx_profile = nclx.get();
  heif_image_handle* handle_raw = nullptr;
  const heif_error he = heif_context_encode_image(ctx.get(), img.get(), enc.get(), opts.get(), &handle_raw);
  HeifPtr<heif_image_handle> handle(handle_raw);
  heif_check(he, "libheif: encoding the thumbnail", TADM_ERROR_INTERNAL);
  heif_check(heif_context_add_generic_metadata(ctx.get(), handle.get(), header.data(), static_cast<int>(header.size()),
                                               "mime", kHeaderContentType),
             "libheif: adding the TADM header item", TADM_ERROR_INTERNAL);
  // Copies for viewers; the authoritative ones are in the TADM header.
  if (!md.exif.empty())
    heif_check(heif_context_add_exif_metadata(ctx.get(), handle.get(), md.exif.data(), static_cast<int>(md.exif.size())),
               "libheif: adding EXIF", TADM_ERROR_INTERNAL);
  if (!md.xmp.empty())
    heif_check(heif_context_add_XMP_metadata(ctx.get(), handle.get(), md.xmp.data(), static_cast<int>(md.xmp.size())),
               "libheif: adding XMP", TADM_ERROR_INTERNAL);
  std::vector<std::uint8_t> out;
  heif_writer writer{};
  writer.writer_api_version = 1;
  writer.write = heif_write_vector;
  heif_check(heif_context_write(ctx.get(), &writer, &out), "libheif: writing the file", TADM_ERROR_INTERNAL);
  return out;
}

std::vector<std::uint8_t> unwrap_heif(std::span<const std::uint8_t> bytes, const tadm_limits& limits, Rgba& lr) {
  HeifPtr<heif_context> ctx(heif_context_alloc());
  if (!ctx) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  // Until the TADM header says the LR size: the largest LR image the limits allow.
  heif_context_set_maximum_image_size_limit(
      ctx.get(), heif_size_limit(std::min<std::uint64_t>(limits.max_dimension, limits.max_pixels)));
  heif_check(heif_context_read_from_memory_without_copy(ctx.get(), bytes.data(), bytes.size(), nullptr),
             "not a valid HEIF file", TADM_ERROR_CORRUPT);
  heif_image_handle* handle_raw = nullptr;
  const heif_error pe = heif_context_get_primary_image_handle(ctx.get(), &handle_raw);
  HeifPtr<heif_image_handle> handle(handle_raw);
  heif_check(pe, "HEIF file without a primary image", TADM_ERROR_CORRUPT);
  // The TADM header item.
  std::vector<std::uint8_t> header;
  const int n = heif_image_handle_get_number_of_metadata_blocks(handle.get(), "mime");
  std::vector<heif_item_id> ids(static_cast<std::size_t>(std::max(n, 0)));
  if (n > 0) heif_image_handle_get_list_of_metadata_block_IDs(handle.get(), "mime", ids.data(), n);
  bool found = false;
  for (heif_item_id id : ids) {
    const char* type = heif_image_handle_get_metadata_content_type(handle.get(), id);
    if (!type || std::strcmp(type, kHeaderContentType) != 0) continue;
    if (found) fail(TADM_ERROR_CORRUPT, "the HEIF file has two TADM header items");
    found = true;
    const std::size_t size = heif_image_handle_get_metadata_size(handle.get(), id);
    if (size > header_budget(limits))
      fail(TADM_ERROR_LIMIT, "the TADM header item (" + std::to_string(size) + " bytes) is over the metadata limit");
    header.resize(size);
    heif_check(heif_image_handle_get_metadata(handle.get(), id, header.data()), "reading the TADM header item",
               TADM_ERROR_CORRUPT);
  }
  if (!found)
    fail(TADM_ERROR_CORRUPT, std::string("the HEIF file has no TADM header item (mime item of type ") +
                                 kHeaderContentType + "); it is a plain HEIF image, not a TADM file");
  // The header first: its LR size bounds everything libheif may decode (a grid's output size or a
  // coded picture can be far larger than the primary image's ispe).
  const LrSize size = checked_lr_size(TADM_CONTAINER_HEIF, bytes, header, limits);
  const int w = heif_image_handle_get_width(handle.get()), h = heif_image_handle_get_height(handle.get());
  const int iw = heif_image_handle_get_ispe_width(handle.get()), ih = heif_image_handle_get_ispe_height(handle.get());
  const auto is_lr = [&](int x, int y) {
    return x > 0 && y > 0 && static_cast<std::uint32_t>(x) == size.width && static_cast<std::uint32_t>(y) == size.height;
  };
  if (!is_lr(w, h) || !is_lr(iw, ih))
    fail(TADM_ERROR_CORRUPT, "the HEIF primary image is " + std::to_string(w) + "x" + std::to_string(h) + " (ispe " +
                                 std::to_string(iw) + "x" + std::to_string(ih) + "), not the " +
                                 std::to_string(size.width) + "x" + std::to_string(size.height) +
                                 " thumbnail its TADM header declares");
  heif_context_set_maximum_image_size_limit(ctx.get(), heif_size_limit(std::max(size.width, size.height)));
  lr.width = size.width;
  lr.height = size.height;
  lr.alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
  heif_color_profile_nclx* nclx_raw = nullptr;
  const heif_error ne = heif_image_handle_get_nclx_color_profile(handle.get(), &nclx_raw);
  HeifPtr<heif_color_profile_nclx> nclx(nclx_raw);
  if (ne.code != heif_error_Ok) nclx.reset();
  const bool identity = nclx && nclx->matrix_coefficients == heif_matrix_coefficients_RGB_GBR && nclx->full_range_flag;
  const std::uint32_t nc = lr.alpha ? 4 : 3;
  lr.pixels.assign(std::size_t{lr.width} * lr.height * nc, 0);
  // A plane of the decoded image, checked to hold lr.width x lr.height samples of `bytes_per_pixel`
  // bytes at 8 bits each before any of it is read.
  const auto plane = [&](const heif_image* img, heif_channel ch, int bytes_per_pixel, int& stride,
                         const char* what) -> const std::uint8_t* {
    const int pw = heif_image_get_width(img, ch), ph = heif_image_get_height(img, ch);
    if (!is_lr(pw, ph))
      fail(TADM_ERROR_CORRUPT, std::string("the decoded HEIF thumbnail's ") + what + " is " + std::to_string(pw) + "x" +
                                   std::to_string(ph) + ", not the " + std::to_string(size.width) + "x" +
                                   std::to_string(size.height) + " its TADM header declares");
    if (heif_image_get_bits_per_pixel_range(img, ch) != 8 || heif_image_get_bits_per_pixel(img, ch) != 8 * bytes_per_pixel)
      fail(TADM_ERROR_CORRUPT, std::string("the decoded HEIF thumbnail's ") + what + " is not 8-bit" +
                                   (bytes_per_pixel > 1 ? " interleaved" : ""));
    stride = 0;
    const std::uint8_t* p = heif_image_get_plane_readonly(img, ch, &stride);
    if (!p || stride < 0 || static_cast<std::uint64_t>(stride) < std::uint64_t{size.width} * bytes_per_pixel)
      fail(TADM_ERROR_CORRUPT, std::string("the decoded HEIF thumbnail lacks its ") + what);
    return p;
  };
  heif_image* img_raw = nullptr;
  if (identity) {
    // The planes as coded: Y = G, Cb = B, Cr = R (no colour conversion at all).
    const heif_error de = heif_decode_image(handle.get(), &img_raw, heif_colorspace_YCbCr, heif_chroma_444, nullptr);
    HeifPtr<heif_image> img(img_raw);
    heif_check(de, "decoding the HEIF thumbnail", TADM_ERROR_CORRUPT, TADM_ERROR_CORRUPT);
    if (heif_image_get_chroma_format(img.get()) != heif_chroma_444)
      fail(TADM_ERROR_CORRUPT, "the HEIF thumbnail is not 4:4:4");
    const heif_channel planes[4] = {heif_channel_Cr, heif_channel_Y, heif_channel_Cb, heif_channel_Alpha};
    const char* names[4] = {"Cr plane", "Y plane", "Cb plane", "alpha plane"};
    for (std::uint32_t c = 0; c < nc; ++c) {
      int stride = 0;
      const std::uint8_t* p = plane(img.get(), planes[c], 1, stride, names[c]);
      for (std::uint32_t y = 0; y < lr.height; ++y)
        for (std::uint32_t x = 0; x < lr.width; ++x)
          lr.pixels[(std::size_t(y) * lr.width + x) * nc + c] = p[std::size_t(y) * static_cast<std::size_t>(stride) + x];
    }
  } else {
    // Not the lossless layout this writer makes: let libheif convert to RGB.
    const heif_chroma chroma = lr.alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB;
    const heif_error de = heif_decode_image(handle.get(), &img_raw, heif_colorspace_RGB, chroma, nullptr);
    HeifPtr<heif_image> img(img_raw);
    heif_check(de, "decoding the HEIF thumbnail", TADM_ERROR_CORRUPT, TADM_ERROR_CORRUPT);
    if (heif_image_get_chroma_format(img.get()) != chroma)
      fail(TADM_ERROR_CORRUPT, "the decoded HEIF thumbnail is not interleaved RGB(A)");
    int stride = 0;
    const std::uint8_t* p = plane(img.get(), heif_channel_interleaved, static_cast<int>(nc), stride, "RGB plane");
    for (std::uint32_t y = 0; y < lr.height; ++y)
      std::memcpy(lr.pixels.data() + std::size_t(y) * lr.width * nc, p + std::size_t(y) * static_cast<std::size_t>(stride),
                  std::size_t{lr.width} * nc);
  }
  return header;
}

// ------------------------------------------------------------------ libavif



void avif_check(avifResult r, const char* what, tadm_status status) {
  if (r == AVIF_RESULT_OK) return;
  fail(status, std::string(what) + ": " + avifResultToString(r));
}

std::vector<std::uint8_t> wrap_avif(const container::File& f, std::span<const std::uint8_t> header, const Rgba& lr,
                                    const Metadata& md, int threads) {
  AvifPtr<avifImage> image(avifImageCreate(lr.width, lr.height, 8, AVIF_PIXEL_FORMAT_YUV444));
  if (!image) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  image->matrixCoefficients = AVIF_MATRIX_COEFFICIENTS_IDENTITY;
  image->yuvRange = AVIF_RANGE_FULL;
  if (f.cicp) {
    image->colorPrimaries = f.cicp->colour_primaries;
    image->transferCharacteristics = f.cicp->transfer_characteristics;
  } else {
    image->colorPrimaries = AVIF_COLOR_PRIMARIES_BT709;
    image->transferCharacteristics = AVIF_TRANSFER_CHARACTERISTICS_SRGB;
  }
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, image.get());
  rgb.format = lr.alpha ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
  rgb.depth = 8;
  rgb.pixels = const_cast<std::uint8_t*>(lr.pixels.data());
  rgb.rowBytes = lr.width * (lr.alpha ? 4u : 3u);
  avif_check(avifImageRGBToYUV(image.get(), &rgb), "libavif: converting the thumbnail", TADM_ERROR_INTERNAL);
  const std::string xmp = make_xmp(f, header);
  avifImageSetMetadataXMP(image.get(), reinterpret_cast<const std::uint8_t*>(xmp.data()), xmp.size());
  if (!md.exif.empty()) avifImageSetMetadataExif(image.get(), md.exif.data(), md.exif.size());
  if (!md.icc.empty()) avifImageSetProfileICC(image.get(), md.icc.data(), md.icc.size());
  AvifPtr<avifEncoder> enc(avifEncoderCreate());
  if (!enc) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  enc->maxThreads = std::max(threads, 1);
  enc->minQuantizer = enc->maxQuantizer = AVIF_QUANTIZER_LOSSLESS;
  enc->minQuantizerAlpha = enc->maxQuantizerAlpha = AVIF_QUANTIZER_LOSSLESS;
  enc->speed = 6;
  AvifRWDataOwner out;
  const avifResult r = avifEncoderWrite(enc.get(), image.get(), &out.data);
  if (r != AVIF_RESULT_OK)
    fail(r == AVIF_RESULT_NO_CODEC_AVAILABLE ? TADM_ERROR_UNSUPPORTED : TADM_ERROR_INTERNAL,
         std::string("libavif: encoding the thumbnail: ") + avifResultToString(r));
  return std::vector<std::uint8_t>(out.data.data, out.data.data + out.data.size);
}

// The checksum of a thumbnail coded as AVIF lr_codec 4 (spec/heif-avif.md section 6): SHA-256 of
// the decoded 8-bit planes as the AV1 decoder outputs them (exact in every conforming decoder),
// Y, then Cb and Cr at their subsampled sizes (none for 4:0:0), then alpha; each row by row. Not
// over RGB: the YUV to RGB conversion of a lossy thumbnail may round differently between libavif
// builds, the coded planes may not.
Sha256 planes_checksum(const avifImage* im) {
  avifPixelFormatInfo info;
  avifGetPixelFormatInfo(im->yuvFormat, &info);
  std::vector<std::uint8_t> samples;
  const auto add = [&](const std::uint8_t* plane, std::uint32_t row_bytes, std::uint32_t w, std::uint32_t h) {
    if (!plane || row_bytes < w) fail(TADM_ERROR_CORRUPT, "the decoded AVIF thumbnail lacks a plane");
    for (std::uint32_t y = 0; y < h; ++y) samples.insert(samples.end(), plane + std::size_t{y} * row_bytes,
                                                         plane + std::size_t{y} * row_bytes + w);
  };
  add(im->yuvPlanes[AVIF_CHAN_Y], im->yuvRowBytes[AVIF_CHAN_Y], im->width, im->height);
  if (!info.monochrome) {
    const std::uint32_t cw = (im->width + info.chromaShiftX) >> info.chromaShiftX;
    const std::uint32_t ch = (im->height + info.chromaShiftY) >> info.chromaShiftY;
    add(im->yuvPlanes[AVIF_CHAN_U], im->yuvRowBytes[AVIF_CHAN_U], cw, ch);
    add(im->yuvPlanes[AVIF_CHAN_V], im->yuvRowBytes[AVIF_CHAN_V], cw, ch);
  }
  if (im->alphaPlane) add(im->alphaPlane, im->alphaRowBytes, im->width, im->height);
  return sha256(samples);
}

// planes_checksum of an AVIF stream this writer made (the .tadm's own payload), decoded without limits.
Sha256 payload_planes_checksum(std::span<const std::uint8_t> payload, int threads) {
  AvifPtr<avifDecoder> dec(avifDecoderCreate());
  if (!dec) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  dec->maxThreads = std::max(threads, 1);
  avif_check(avifDecoderSetIOMemory(dec.get(), payload.data(), payload.size()), "libavif", TADM_ERROR_INTERNAL);
  avif_check(avifDecoderParse(dec.get()), "re-reading the AVIF thumbnail", TADM_ERROR_INTERNAL);
  avif_check(avifDecoderNextImage(dec.get()), "re-decoding the AVIF thumbnail", TADM_ERROR_INTERNAL);
  return planes_checksum(dec->image);
}

std::vector<std::uint8_t> unwrap_avif(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads,
                                      Rgba& lr) {
  AvifPtr<avifDecoder> dec(avifDecoderCreate());
  if (!dec) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  dec->maxThreads = std::max(threads, 1);
  // Until the TADM header says the LR size: the largest LR image the limits allow (libavif checks
  // ispe and grid sizes against these while parsing; dav1d refuses larger frames).
  dec->imageSizeLimit = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(limits.max_pixels, 1, AVIF_DEFAULT_IMAGE_SIZE_LIMIT));
  dec->imageDimensionLimit = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(limits.max_dimension, 1, AVIF_DEFAULT_IMAGE_DIMENSION_LIMIT));
  avif_check(avifDecoderSetIOMemory(dec.get(), bytes.data(), bytes.size()), "libavif", TADM_ERROR_INTERNAL);
  avif_check(avifDecoderParse(dec.get()), "not a valid AVIF file", TADM_ERROR_CORRUPT);
  const avifImage* im = dec->image;
  if (im->xmp.size > header_budget(limits) / 3 * 4 + 4096)
    fail(TADM_ERROR_LIMIT, "the AVIF XMP packet is over the metadata limit");
  std::vector<std::uint8_t> header = header_from_xmp({im->xmp.data, im->xmp.size});
  // The header first: its LR size bounds what the AV1 decoder may decode.
  const LrSize size = checked_lr_size(TADM_CONTAINER_AVIF, bytes, header, limits);
  lr.lr_codec = size.lr_codec;
  const auto check_size = [&](const avifImage* image, const char* what) {
    if (image->width != size.width || image->height != size.height)
      fail(TADM_ERROR_CORRUPT, std::string("the AVIF ") + what + " is " + std::to_string(image->width) + "x" +
                                   std::to_string(image->height) + ", not the " + std::to_string(size.width) + "x" +
                                   std::to_string(size.height) + " thumbnail its TADM header declares");
  };
  check_size(im, "primary image");
  dec->imageSizeLimit = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(std::uint64_t{size.width} * size.height, AVIF_DEFAULT_IMAGE_SIZE_LIMIT));
  dec->imageDimensionLimit = std::max(size.width, size.height);
  avif_check(avifDecoderNextImage(dec.get()), "decoding the AVIF thumbnail", TADM_ERROR_CORRUPT);
  im = dec->image;
  check_size(im, "decoded thumbnail");
  if (im->depth != 8) fail(TADM_ERROR_CORRUPT, "the AVIF thumbnail is not 8-bit");
  if (!im->yuvPlanes[AVIF_CHAN_Y] || (im->alphaPlane && im->alphaRowBytes < im->width))
    fail(TADM_ERROR_CORRUPT, "the decoded AVIF thumbnail lacks a plane");
  lr.width = im->width;
  lr.height = im->height;
  lr.alpha = im->alphaPlane != nullptr;
  const std::uint32_t nc = lr.alpha ? 4 : 3;
  lr.pixels.assign(std::size_t{lr.width} * lr.height * nc, 0);
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, im);
  rgb.format = lr.alpha ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
  rgb.depth = 8;
  rgb.pixels = lr.pixels.data();
  rgb.rowBytes = lr.width * nc;
  avif_check(avifImageYUVToRGB(im, &rgb), "converting the AVIF thumbnail", TADM_ERROR_CORRUPT);
  lr.coded_checksum = planes_checksum(im);
  return header;
}

}  // namespace

// ------------------------------------------------------------------ public

tadm_container_format sniff(std::span<const std::uint8_t> bytes) {
  if (bytes.size() >= 16 && std::memcmp(bytes.data() + 4, "ftyp", 4) == 0) {
    if (has_brand(bytes, "avif") || has_brand(bytes, "avis")) return TADM_CONTAINER_AVIF;
    return TADM_CONTAINER_HEIF;
  }
  return TADM_CONTAINER_TADM;
}

const char* container_name(tadm_container_format format) {
  switch (format) {
    case TADM_CONTAINER_TADM: return "tadm";
    case TADM_CONTAINER_HEIF: return "heif";
    case TADM_CONTAINER_AVIF: return "avif";
  }
  return "unknown";
}

namespace {

const char* flavour_name(tadm_container_format format) { return format == TADM_CONTAINER_AVIF ? "AVIF" : "HEIF"; }

// `bytes` without the chunk `chunk` (located by container::read, so no framing is parsed here).
std::vector<std::uint8_t> remove_chunk(std::span<const std::uint8_t> bytes, const container::ChunkInfo& chunk) {
  const auto begin = bytes.begin() + static_cast<std::ptrdiff_t>(chunk.offset);
  std::vector<std::uint8_t> out(bytes.begin(), begin);
  out.insert(out.end(), begin + static_cast<std::ptrdiff_t>(container::kChunkOverhead + chunk.length), bytes.end());
  return out;
}

// The checksum of spec/heif-avif.md section 6: SHA-256 of the thumbnail samples, row by row, each
// pixel R, G, B (and A when the primary image has alpha), 8 bits each. Rgba holds exactly that.
Sha256 thumbnail_checksum(const Rgba& lr) { return sha256(lr.pixels); }

// Decodes the primary image of `bytes` (the thumbnail) and returns the TADM header stored beside it.
std::vector<std::uint8_t> read_flavour(tadm_container_format format, std::span<const std::uint8_t> bytes,
                                       const tadm_limits& limits, int threads, Rgba& lr) {
  try {
    if (format == TADM_CONTAINER_HEIF) return unwrap_heif(bytes, limits, lr);
    if (format == TADM_CONTAINER_AVIF) return unwrap_avif(bytes, limits, threads, lr);
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory while reading the thumbnail");
  }
  fail(TADM_ERROR_INTERNAL, "unwrap called on a .tadm file");
}

// Limits for reading back a file this writer just made (it is checked for exactness, not trusted less).
tadm_limits own_file_limits() {
  tadm_limits own{};
  own.max_pixels = ~std::uint64_t{0};
  own.max_dimension = ~std::uint32_t{0};
  own.max_metadata_bytes = 0x7FFFFFFFu;
  own.max_memory_mib = ~std::uint32_t{0};
  return own;
}

// TADM-AVIF whose thumbnail is AVIF (lr_codec 4): the primary image is coded as the .tadm's
// payload was (same image, same options: the same AV1 data), with the TADM XMP and the viewer
// copies attached; the checksum is over the payload's decoded planes, and the file written must
// decode to exactly those planes.
std::vector<std::uint8_t> wrap_avif_thumbnail(const container::File& f, std::span<const std::uint8_t> tadm_file,
                                              const container::ChunkInfo& lrim, const Image& lr, const Metadata& md,
                                              int threads, const LrEncodeOptions& options) {
  if (options.codec != LrCodec::kAvif) fail(TADM_ERROR_INTERNAL, "wrapping an AVIF thumbnail without its options");
  const Sha256 checksum = payload_planes_checksum(f.lr_image, threads);
  const std::vector<std::uint8_t> header = insert_before_tend(remove_chunk(tadm_file, lrim), kChecksumType, checksum);
  const std::string xmp = make_xmp(f, header);
  AvifItems items;
  items.xmp = {reinterpret_cast<const std::uint8_t*>(xmp.data()), xmp.size()};
  items.exif = md.exif;
  items.icc = md.icc;
  if (f.cicp) {
    items.colour_primaries = f.cicp->colour_primaries;
    items.transfer_characteristics = f.cicp->transfer_characteristics;
  }
  std::vector<std::uint8_t> out = encode_avif_file(lr, options, items);
  const tadm_limits own = own_file_limits();
  Rgba back;
  read_flavour(TADM_CONTAINER_AVIF, out, own, threads, back);
  if (back.coded_checksum != checksum)
    fail(TADM_ERROR_INTERNAL, "the AVIF encoder coded the thumbnail of the AVIF file differently from the .tadm's");
  return out;
}

}  // namespace

std::vector<std::uint8_t> wrap(tadm_container_format format, std::span<const std::uint8_t> tadm_file, const Image& lr,
                               const Metadata& md, int threads, const LrEncodeOptions& lr_options) {
  if (format != TADM_CONTAINER_HEIF && format != TADM_CONTAINER_AVIF)
    fail(TADM_ERROR_INVALID_ARGUMENT, "unknown container format " + std::to_string(static_cast<int>(format)));
  container::File f;
  container::Limits unlimited;
  unlimited.max_pixels = ~std::uint64_t{0};
  unlimited.max_dimension = ~std::uint32_t{0};
  unlimited.max_lr_bytes = 0x7FFFFFFFu;
  unlimited.max_metadata_bytes = 0x7FFFFFFFu;
  if (container::Error e = container::read(tadm_file, unlimited, f))
    fail(TADM_ERROR_INTERNAL, "re-reading the container: " + e.message);
  const auto lrim = std::find_if(f.chunks.begin(), f.chunks.end(), [](const auto& c) { return c.type == kLrimType; });
  if (lrim == f.chunks.end()) fail(TADM_ERROR_INTERNAL, "the encoded .tadm has no LRIM chunk");
  if (f.lr_codec == 4 && format == TADM_CONTAINER_AVIF) return wrap_avif_thumbnail(f, tadm_file, *lrim, lr, md, threads, lr_options);
  if (f.lr_codec != 0)
    fail(TADM_ERROR_UNSUPPORTED, std::string("a TADM-") + flavour_name(format) + " file holds a PNG" +
                                     (format == TADM_CONTAINER_AVIF ? " or AVIF" : "") + " thumbnail, not a " +
                                     container::lr_codec_name(f.lr_codec) + " one; use the .tadm container");
  const Rgba rgba = to_rgba(lr);
  const Sha256 checksum = thumbnail_checksum(rgba);
  const std::vector<std::uint8_t> header = insert_before_tend(remove_chunk(tadm_file, *lrim), kChecksumType, checksum);
  std::vector<std::uint8_t> out =
      format == TADM_CONTAINER_HEIF ? wrap_heif(f, header, rgba, md) : wrap_avif(f, header, rgba, md, threads);
  // Decode what was written: a codec that is not exactly lossless here would make a file that every
  // reader refuses (its checksum cannot match), so refuse to write it instead.
  const tadm_limits own = own_file_limits();
  Rgba back;
  read_flavour(format, out, own, threads, back);
  if (back.alpha != rgba.alpha || thumbnail_checksum(back) != checksum)
    fail(TADM_ERROR_INTERNAL, std::string("the ") + flavour_name(format) +
                                  " thumbnail codec did not code the thumbnail losslessly (it decodes to other pixels)");
  return out;
}

std::vector<std::uint8_t> unwrap(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads) {
  const tadm_container_format format = sniff(bytes);
  const std::string flavour = flavour_name(format);
  Rgba lr;
  const std::vector<std::uint8_t> header = read_flavour(format, bytes, limits, threads, lr);
  // The thumbnail of the equivalent .tadm: a lossless primary image re-encoded as PNG, or, when
  // the header says AVIF, the AVIF file itself (a complete AVIF stream of the LR size).
  const bool avif_lr = lr.lr_codec == 4;
  PngWriteOptions png;
  png.effort = 1;
  png.metadata = false;
  png.reduce = true;
  const std::vector<std::uint8_t> rebuilt =
      avif_lr ? insert_before_tend(header, kLrimType, bytes)
              : insert_before_tend(header, kLrimType, write_png(from_rgba(lr), png));
  // The header's own checks (CRCs, fields, limits) come first, with the error the .tadm reader gives.
  container::File f;
  if (container::Error e = container::read(rebuilt, container_limits(limits), f))
    fail(container_status(e.code), invalid_file_message(bytes) + ": " + e.message);
  // Then the checksum, before the caller sees a pixel.
  const auto is_checksum = [](const auto& c) { return c.type == kChecksumType; };
  const auto count = std::count_if(f.chunks.begin(), f.chunks.end(), is_checksum);
  if (count == 0)
    fail(TADM_ERROR_CORRUPT, "the TADM header in this " + flavour +
                                 " file has no thumbnail checksum (lsha chunk): damaged, or written by a pre-release "
                                 "tadm; re-encode the original");
  if (count > 1) fail(TADM_ERROR_CORRUPT, "the TADM header in this " + flavour + " file has two lsha chunks");
  const auto stored = std::find_if(f.unknown_optional.begin(), f.unknown_optional.end(), is_checksum);
  if (stored == f.unknown_optional.end() || stored->data.size() != std::tuple_size_v<Sha256>)
    fail(TADM_ERROR_CORRUPT, "the TADM header in this " + flavour + " file has an lsha chunk of " +
                                 std::to_string(stored == f.unknown_optional.end() ? 0 : stored->data.size()) +
                                 " bytes; it must hold a 32-byte SHA-256");
  const Sha256 actual = avif_lr ? lr.coded_checksum : thumbnail_checksum(lr);
  if (!std::equal(actual.begin(), actual.end(), stored->data.begin()))
    fail(TADM_ERROR_CORRUPT, "the thumbnail in this " + flavour + " file does not match its checksum (damaged)");
  // The equivalent .tadm carries no lsha (spec/container.md: .tadm files do not).
  return remove_chunk(rebuilt, *std::find_if(f.chunks.begin(), f.chunks.end(), is_checksum));
}

}  // namespace tadm::interop
