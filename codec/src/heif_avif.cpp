// HEIF (libheif) and AVIF (libavif) wrapping of a .tadm file. See heif_avif.hpp and
// spec/heif-avif.md.
#include "heif_avif.hpp"

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
#include "sha256.hpp"
#include "tadm/container.hpp"

namespace tadm::interop {

namespace {

constexpr std::array<std::uint8_t, 12> kTendChunk = {0, 0, 0, 0, 'T', 'E', 'N', 'D', 0x0C, 0x31, 0xEF, 0xC0};
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
};

Rgba to_rgba(const Image& lr) {
  if (lr.bit_depth != 8) fail(TADM_ERROR_INTERNAL, "the LR image is not 8-bit");
  Rgba out;
  out.width = lr.width;
  out.height = lr.height;
  out.alpha = lr.has_alpha();
  const std::uint32_t oc = out.alpha ? 4 : 3;
  const std::size_t n = std::size_t{lr.width} * lr.height;
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

// Largest TADM header worth reading: its metadata chunks (ICC, EXIF, XMP, hint) are each limited
// by max_metadata_bytes when the rebuilt .tadm is read; this bounds the allocation before that.
std::uint64_t header_budget(const tadm_limits& limits) { return 4 * std::uint64_t{limits.max_metadata_bytes} + 65536; }

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

void heif_check(heif_error e, const std::string& what, tadm_status status) {
  if (e.code != heif_error_Ok) fail(status, what + ": " + (e.message ? e.message : "libheif error"));
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
  heif_check(heif_context_get_encoder_for_format(ctx.get(), heif_compression_HEVC, &enc_raw),
             "this libheif has no HEVC encoder (install libheif with x265)", TADM_ERROR_UNSUPPORTED);
  HeifPtr<heif_encoder> enc(enc_raw);
  heif_check(heif_encoder_set_lossless(enc.get(), 1), "libheif: setting lossless", TADM_ERROR_UNSUPPORTED);
  heif_check(heif_encoder_set_parameter_string(enc.get(), "chroma", "444"), "libheif: setting 4:4:4",
             TADM_ERROR_UNSUPPORTED);
  heif_image* img_raw = nullptr;
  const int w = static_cast<int>(lr.width), h = static_cast<int>(lr.height);
  heif_check(heif_image_create(w, h, heif_colorspace_YCbCr, heif_chroma_444, &img_raw), "libheif: creating the image",
             TADM_ERROR_INTERNAL);
  HeifPtr<heif_image> img(img_raw);
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
  opts->save_alpha_channel = 1;
  opts->output_nclx_profile = nclx.get();
  heif_image_handle* handle_raw = nullptr;
  heif_check(heif_context_encode_image(ctx.get(), img.get(), enc.get(), opts.get(), &handle_raw),
             "libheif: encoding the thumbnail", TADM_ERROR_INTERNAL);
  HeifPtr<heif_image_handle> handle(handle_raw);
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
  heif_check(heif_context_read_from_memory_without_copy(ctx.get(), bytes.data(), bytes.size(), nullptr),
             "not a valid HEIF file", TADM_ERROR_CORRUPT);
  heif_image_handle* handle_raw = nullptr;
  heif_check(heif_context_get_primary_image_handle(ctx.get(), &handle_raw), "HEIF file without a primary image",
             TADM_ERROR_CORRUPT);
  HeifPtr<heif_image_handle> handle(handle_raw);
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
  const int w = heif_image_handle_get_width(handle.get()), h = heif_image_handle_get_height(handle.get());
  check_lr_limits(static_cast<std::uint64_t>(std::max(w, 0)), static_cast<std::uint64_t>(std::max(h, 0)), limits);
  lr.width = static_cast<std::uint32_t>(w);
  lr.height = static_cast<std::uint32_t>(h);
  lr.alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
  heif_color_profile_nclx* nclx_raw = nullptr;
  const heif_error ne = heif_image_handle_get_nclx_color_profile(handle.get(), &nclx_raw);
  HeifPtr<heif_color_profile_nclx> nclx(ne.code == heif_error_Ok ? nclx_raw : nullptr);
  const bool identity = nclx && nclx->matrix_coefficients == heif_matrix_coefficients_RGB_GBR && nclx->full_range_flag;
  const std::uint32_t nc = lr.alpha ? 4 : 3;
  lr.pixels.assign(std::size_t{lr.width} * lr.height * nc, 0);
  heif_image* img_raw = nullptr;
  if (identity) {
    // The planes as coded: Y = G, Cb = B, Cr = R (no colour conversion at all).
    heif_check(heif_decode_image(handle.get(), &img_raw, heif_colorspace_YCbCr, heif_chroma_444, nullptr),
               "decoding the HEIF thumbnail", TADM_ERROR_CORRUPT);
    HeifPtr<heif_image> img(img_raw);
    const heif_channel planes[4] = {heif_channel_Cr, heif_channel_Y, heif_channel_Cb, heif_channel_Alpha};
    for (std::uint32_t c = 0; c < nc; ++c) {
      if (heif_image_get_width(img.get(), planes[c]) != w || heif_image_get_height(img.get(), planes[c]) != h ||
          heif_image_get_bits_per_pixel_range(img.get(), planes[c]) != 8)
        fail(TADM_ERROR_CORRUPT, "the HEIF thumbnail is not 8-bit 4:4:4");
      int stride = 0;
      const std::uint8_t* p = heif_image_get_plane_readonly(img.get(), planes[c], &stride);
      if (!p) fail(TADM_ERROR_CORRUPT, "the HEIF thumbnail lacks a colour plane");
      for (std::uint32_t y = 0; y < lr.height; ++y)
        for (std::uint32_t x = 0; x < lr.width; ++x)
          lr.pixels[(std::size_t(y) * lr.width + x) * nc + c] = p[std::size_t(y) * static_cast<std::size_t>(stride) + x];
    }
  } else {
    // Not the lossless layout this writer makes: let libheif convert to RGB.
    heif_check(heif_decode_image(handle.get(), &img_raw, heif_colorspace_RGB,
                                 lr.alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, nullptr),
               "decoding the HEIF thumbnail", TADM_ERROR_CORRUPT);
    HeifPtr<heif_image> img(img_raw);
    int stride = 0;
    const std::uint8_t* p = heif_image_get_plane_readonly(img.get(), heif_channel_interleaved, &stride);
    if (!p || heif_image_get_bits_per_pixel_range(img.get(), heif_channel_interleaved) != 8)
      fail(TADM_ERROR_CORRUPT, "the HEIF thumbnail is not 8-bit");
    for (std::uint32_t y = 0; y < lr.height; ++y)
      std::memcpy(lr.pixels.data() + std::size_t(y) * lr.width * nc, p + std::size_t(y) * static_cast<std::size_t>(stride),
                  std::size_t{lr.width} * nc);
  }
  return header;
}

// ------------------------------------------------------------------ libavif

struct AvifDeleter {
  void operator()(avifImage* p) const { avifImageDestroy(p); }
  void operator()(avifEncoder* p) const { avifEncoderDestroy(p); }
  void operator()(avifDecoder* p) const { avifDecoderDestroy(p); }
};
template <typename T>
using AvifPtr = std::unique_ptr<T, AvifDeleter>;

void avif_check(avifResult r, const std::string& what, tadm_status status) {
  if (r != AVIF_RESULT_OK) fail(status, what + ": " + avifResultToString(r));
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
  avifRWData out = AVIF_DATA_EMPTY;
  const avifResult r = avifEncoderWrite(enc.get(), image.get(), &out);
  if (r != AVIF_RESULT_OK) {
    avifRWDataFree(&out);
    fail(r == AVIF_RESULT_NO_CODEC_AVAILABLE ? TADM_ERROR_UNSUPPORTED : TADM_ERROR_INTERNAL,
         std::string("libavif: encoding the thumbnail: ") + avifResultToString(r));
  }
  std::vector<std::uint8_t> bytes(out.data, out.data + out.size);
  avifRWDataFree(&out);
  return bytes;
}

std::vector<std::uint8_t> unwrap_avif(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads,
                                      Rgba& lr) {
  AvifPtr<avifDecoder> dec(avifDecoderCreate());
  if (!dec) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  dec->maxThreads = std::max(threads, 1);
  dec->imageSizeLimit = static_cast<std::uint32_t>(std::min<std::uint64_t>(limits.max_pixels, AVIF_DEFAULT_IMAGE_SIZE_LIMIT));
  avif_check(avifDecoderSetIOMemory(dec.get(), bytes.data(), bytes.size()), "libavif", TADM_ERROR_INTERNAL);
  avif_check(avifDecoderParse(dec.get()), "not a valid AVIF file", TADM_ERROR_CORRUPT);
  const avifImage* im = dec->image;
  if (im->xmp.size > header_budget(limits) / 3 * 4 + 4096)
    fail(TADM_ERROR_LIMIT, "the AVIF XMP packet is over the metadata limit");
  std::vector<std::uint8_t> header = header_from_xmp({im->xmp.data, im->xmp.size});
  check_lr_limits(im->width, im->height, limits);
  avif_check(avifDecoderNextImage(dec.get()), "decoding the AVIF thumbnail", TADM_ERROR_CORRUPT);
  im = dec->image;
  if (im->depth != 8) fail(TADM_ERROR_CORRUPT, "the AVIF thumbnail is not 8-bit");
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

// A TADM header (or .tadm file) with the chunk `type`/`data` inserted before its final TEND, framed
// as spec/container.md 4.1. The container library writes only the chunks of its File, so the two
// chunks the HEIF/AVIF mapping moves (LRIM, lsha) are framed here, in this one place.
std::vector<std::uint8_t> insert_before_tend(std::span<const std::uint8_t> header, const std::array<char, 4>& type,
                                             std::span<const std::uint8_t> data) {
  if (header.size() < container::kFileHeaderSize + kTendChunk.size() ||
      std::memcmp(header.data(), container::kSignature.data(), container::kSignature.size()) != 0)
    fail(TADM_ERROR_CORRUPT, "the TADM header is not a .tadm header (bad signature or too short)");
  if (!std::equal(kTendChunk.begin(), kTendChunk.end(), header.end() - kTendChunk.size()))
    fail(TADM_ERROR_CORRUPT, "the TADM header does not end with a TEND chunk");
  if (data.size() > 0x7FFFFFFFu) fail(TADM_ERROR_LIMIT, "a chunk of the TADM header is too large");
  std::vector<std::uint8_t> out(header.begin(), header.end() - kTendChunk.size());
  out.reserve(header.size() + data.size() + container::kChunkOverhead);
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.insert(out.end(), type.begin(), type.end());
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32_z(crc32(0L, Z_NULL, 0), out.data() + type_at, type.size() + data.size());
  put_be32(out, static_cast<std::uint32_t>(crc));
  out.insert(out.end(), kTendChunk.begin(), kTendChunk.end());
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

}  // namespace

std::vector<std::uint8_t> wrap(tadm_container_format format, std::span<const std::uint8_t> tadm_file, const Image& lr,
                               const Metadata& md, int threads) {
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
  const Rgba rgba = to_rgba(lr);
  const Sha256 checksum = thumbnail_checksum(rgba);
  const std::vector<std::uint8_t> header = insert_before_tend(remove_chunk(tadm_file, *lrim), kChecksumType, checksum);
  std::vector<std::uint8_t> out =
      format == TADM_CONTAINER_HEIF ? wrap_heif(f, header, rgba, md) : wrap_avif(f, header, rgba, md, threads);
  // Decode what was written: a codec that is not exactly lossless here would make a file that every
  // reader refuses (its checksum cannot match), so refuse to write it instead.
  tadm_limits own{};
  own.max_pixels = ~std::uint64_t{0};
  own.max_dimension = ~std::uint32_t{0};
  own.max_metadata_bytes = 0x7FFFFFFFu;
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
  PngWriteOptions png;
  png.effort = 1;
  png.metadata = false;
  png.reduce = true;
  const std::vector<std::uint8_t> rebuilt =
      insert_before_tend(header, kLrimType, write_png(from_rgba(lr), png));
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
  const Sha256 actual = thumbnail_checksum(lr);
  if (!std::equal(actual.begin(), actual.end(), stored->data.begin()))
    fail(TADM_ERROR_CORRUPT, "the thumbnail in this " + flavour + " file does not match its checksum (damaged)");
  // The equivalent .tadm carries no lsha (spec/container.md: .tadm files do not).
  return remove_chunk(rebuilt, *std::find_if(f.chunks.begin(), f.chunks.end(), is_checksum));
}

}  // namespace tadm::interop
