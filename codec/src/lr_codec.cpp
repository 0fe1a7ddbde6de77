// LR image codecs (lr_codec.hpp). PNG and JPEG decoding reuse read_png / read_jpeg and their
// damage handling; JPEG encoding uses libjpeg-turbo (setjmp error handling, as jpeg_io.cpp),
// WebP libwebp, JPEG XL libjxl, AVIF libavif. Every decoder's size is checked against the
// declared LR size and the limits before the pixel buffer is allocated.
#include "lr_codec.hpp"

#include "avif_handles.hpp"

#include <avif/avif.h>
#include <jxl/decode.h>
#include <jxl/encode.h>
#include <jxl/thread_parallel_runner.h>
#include <jxl/version.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "error.hpp"

namespace tadm {

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string size_text(std::uint64_t w, std::uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// The decoded (or header) size must be the container's LR size: a mismatch means a damaged or
// forged file, never something to rescale around.
void check_size(const char* format, std::uint64_t w, std::uint64_t h, std::uint32_t width, std::uint32_t height) {
  if (w != width || h != height)
    fail(TADM_ERROR_CORRUPT, std::string("the ") + format + " thumbnail is " + size_text(w, h) +
                                 " but the file declares an LR image of " + size_text(width, height));
}

// Limits on the declared size and an estimate of the decoder's memory, before any pixel.
void check_decode_limits(const char* format, std::uint32_t width, std::uint32_t height, std::uint32_t channels,
                         std::uint64_t extra_bytes, const tadm_limits& limits) {
  const std::string what = std::string("the ") + format + " thumbnail";
  check_image_limits(width, height, limits, what.c_str());
  check_memory(image_bytes(width, height, channels, 8) + extra_bytes, limits, "decoding " + what);
}

void check_input(const Image& lr) {
  if (lr.bit_depth != 8 || lr.channels < 1 || lr.channels > 4 || lr.width == 0 || lr.height == 0 ||
      lr.pixels.size() != lr.row_bytes() * lr.height)
    fail(TADM_ERROR_INVALID_ARGUMENT, "an LR image to encode must be 8-bit with 1 to 4 channels and pixels");
}

int clamp_int(int v, int lo, int hi) { return std::min(std::max(v, lo), hi); }

void check_quality(int quality) {
  if (quality < 0 || quality > 100)
    fail(TADM_ERROR_INVALID_ARGUMENT, "thumbnail quality " + std::to_string(quality) + " is outside 0..100");
}

// Gray and gray+alpha as RGB / RGBA (WebP and AVIF code colour only).
Bytes to_rgb(const Image& lr) {
  if (lr.channels >= 3) return lr.pixels;
  const std::size_t n = std::size_t{lr.width} * lr.height;
  const std::uint32_t out_c = lr.channels + 2;
  Bytes out(n * out_c);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* s = lr.pixels.data() + i * lr.channels;
    std::uint8_t* d = out.data() + i * out_c;
    d[0] = d[1] = d[2] = s[0];
    if (lr.channels == 2) d[3] = s[1];
  }
  return out;
}

// ---------------------------------------------------------------- JPEG (libjpeg-turbo)

struct JpegErrorJump {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_jump(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorJump*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

struct JpegEncodeResult {
  bool ok = false;
  char message[JMSG_LENGTH_MAX + 16] = {};
};

// All libjpeg calls of an encode; no C++ object lives in this frame (longjmp skips destructors).
// `*out` is malloc'd by libjpeg: the caller frees it on success and failure.
void encode_jpeg_raw(const Image* lr, int quality, unsigned char** out, unsigned long* out_size,
                     JpegEncodeResult* result) {
  jpeg_compress_struct cinfo;
  JpegErrorJump err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_jump;
  if (setjmp(err.jump)) {
    std::snprintf(result->message, sizeof result->message, "JPEG: %s", err.message);
    jpeg_destroy_compress(&cinfo);
    return;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, out_size);
  cinfo.image_width = lr->width;
  cinfo.image_height = lr->height;
  cinfo.input_components = static_cast<int>(lr->channels);
  cinfo.in_color_space = lr->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);  // colour: YCbCr 4:2:0
  jpeg_set_quality(&cinfo, quality, TRUE);
  cinfo.optimize_coding = TRUE;
  // Chroma subsampling costs visible colour detail at high qualities, where bytes are spent anyway.
  if (lr->channels == 3 && quality >= 90) cinfo.comp_info[0].h_samp_factor = cinfo.comp_info[0].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t row_bytes = lr->row_bytes();
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(lr->pixels.data() + row_bytes * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  result->ok = true;
}

Bytes encode_jpeg(const Image& lr, const LrEncodeOptions& o) {
  if (o.lossless) fail(TADM_ERROR_INVALID_ARGUMENT, "a JPEG thumbnail cannot be lossless");
  if (lr.has_alpha()) fail(TADM_ERROR_UNSUPPORTED, "a JPEG thumbnail cannot carry alpha");
  if (lr.width > JPEG_MAX_DIMENSION || lr.height > JPEG_MAX_DIMENSION)
    fail(TADM_ERROR_UNSUPPORTED, "a JPEG thumbnail is at most 65500 pixels per side");
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  JpegEncodeResult result;
  encode_jpeg_raw(&lr, std::max(o.quality, 1), &out, &out_size, &result);
  const std::unique_ptr<unsigned char, decltype(&std::free)> owner(out, &std::free);
  if (!result.ok) fail(TADM_ERROR_INTERNAL, std::string("encoding the JPEG thumbnail: ") + result.message);
  return Bytes(out, out + out_size);
}

Image decode_jpeg(std::span<const std::uint8_t> payload, const tadm_limits& limits) {
  // read_jpeg applies the limits to the header's size before it allocates pixels, and makes
  // libjpeg's damage warnings errors.
  Image image = read_jpeg(payload, limits, nullptr);
  image.metadata = {};
  return image;
}

// ---------------------------------------------------------------- WebP (libwebp)

constexpr int kWebpMaxSide = 16383;

struct WebpPicture {
  WebPPicture pic;
  WebpPicture() {
    if (!WebPPictureInit(&pic)) fail(TADM_ERROR_INTERNAL, "libwebp: version mismatch");
  }
  ~WebpPicture() { WebPPictureFree(&pic); }
  WebpPicture(const WebpPicture&) = delete;
  WebpPicture& operator=(const WebpPicture&) = delete;
};

struct WebpWriter {
  WebPMemoryWriter writer;
  WebpWriter() { WebPMemoryWriterInit(&writer); }
  ~WebpWriter() { WebPMemoryWriterClear(&writer); }
  WebpWriter(const WebpWriter&) = delete;
  WebpWriter& operator=(const WebpWriter&) = delete;
};

const char* webp_status(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OK: return "ok";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "the stream is truncated";
  }
  return "unknown error";
}

Bytes encode_webp(const Image& lr, const LrEncodeOptions& o) {
  if (lr.width > kWebpMaxSide || lr.height > kWebpMaxSide)
    fail(TADM_ERROR_UNSUPPORTED, "a WebP thumbnail is at most 16383 pixels per side");
  WebPConfig config;
  if (!WebPConfigInit(&config)) fail(TADM_ERROR_INTERNAL, "libwebp: version mismatch");
  const int effort = clamp_int(o.effort, 0, 9);
  if (o.lossless) {
    if (!WebPConfigLosslessPreset(&config, effort)) fail(TADM_ERROR_INTERNAL, "libwebp: lossless preset");
    config.exact = 1;  // keep RGB under transparent pixels: lossless means every sample
  } else {
    config.quality = static_cast<float>(o.quality);
    config.method = (effort * 6 + 4) / 9;
  }
  config.thread_level = o.threads > 1 ? 1 : 0;
  WebpPicture picture;
  WebPPicture& pic = picture.pic;
  pic.width = static_cast<int>(lr.width);
  pic.height = static_cast<int>(lr.height);
  pic.use_argb = o.lossless ? 1 : 0;  // imported as ARGB, VP8L codes it without a YUV round trip
  const Bytes rgb = to_rgb(lr);
  const bool alpha = lr.has_alpha();
  const int stride = static_cast<int>(lr.width * (alpha ? 4 : 3));
  const int imported = alpha ? WebPPictureImportRGBA(&pic, rgb.data(), stride) : WebPPictureImportRGB(&pic, rgb.data(), stride);
  if (!imported) fail(TADM_ERROR_OUT_OF_MEMORY, "libwebp: out of memory importing the thumbnail");
  WebpWriter writer;
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &writer.writer;
  if (!WebPEncode(&config, &pic))
    fail(TADM_ERROR_INTERNAL, "encoding the WebP thumbnail failed (libwebp error " + std::to_string(static_cast<int>(pic.error_code)) + ")");
  return Bytes(writer.writer.mem, writer.writer.mem + writer.writer.size);
}

Image decode_webp(std::span<const std::uint8_t> payload, std::uint32_t width, std::uint32_t height,
                  const tadm_limits& limits) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) fail(TADM_ERROR_INTERNAL, "libwebp: version mismatch");
  const VP8StatusCode header = WebPGetFeatures(payload.data(), payload.size(), &config.input);
  if (header != VP8_STATUS_OK) fail(TADM_ERROR_CORRUPT, std::string("the WebP thumbnail is damaged: ") + webp_status(header));
  const WebPBitstreamFeatures& f = config.input;
  if (f.has_animation) fail(TADM_ERROR_CORRUPT, "the WebP thumbnail is animated; an LR image is a still image");
  check_size("WebP", static_cast<std::uint32_t>(f.width), static_cast<std::uint32_t>(f.height), width, height);
  const std::uint32_t channels = f.has_alpha ? 4 : 3;
  // libwebp's own buffers: a few rows, plus whole-image ARGB for lossless.
  check_decode_limits("WebP", width, height, channels, image_bytes(width, height, 4, 8), limits);
  Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.resize(image.row_bytes() * height);
  config.output.colorspace = f.has_alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = image.pixels.data();
  config.output.u.RGBA.stride = static_cast<int>(image.row_bytes());
  config.output.u.RGBA.size = image.pixels.size();
  const VP8StatusCode st = WebPDecode(payload.data(), payload.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (st != VP8_STATUS_OK) fail(TADM_ERROR_CORRUPT, std::string("the WebP thumbnail is damaged: ") + webp_status(st));
  return image;
}

}  // namespace

Image read_webp(std::span<const std::uint8_t> bytes, const tadm_limits& limits) {
  WebPBitstreamFeatures f;
  const VP8StatusCode header = WebPGetFeatures(bytes.data(), bytes.size(), &f);
  if (header != VP8_STATUS_OK) fail(TADM_ERROR_CORRUPT, std::string("the WebP image is damaged: ") + webp_status(header));
  // decode_webp checks the limits before it allocates and refuses animations.
  return decode_webp(bytes, static_cast<std::uint32_t>(f.width), static_cast<std::uint32_t>(f.height), limits);
}

namespace {

// ---------------------------------------------------------------- JPEG XL (libjxl)

struct JxlEncoderDeleter {
  void operator()(JxlEncoder* p) const { JxlEncoderDestroy(p); }
};
struct JxlDecoderDeleter {
  void operator()(JxlDecoder* p) const { JxlDecoderDestroy(p); }
};
struct JxlRunnerDeleter {
  void operator()(void* p) const { JxlThreadParallelRunnerDestroy(p); }
};

// Quality 0..100 to butteraugli distance, the mapping of cjxl -q (libjxl 0.9 exports it as
// JxlEncoderDistanceFromQuality; older libraries do not have the function).
float jxl_distance(int quality) {
#if JPEGXL_NUMERIC_VERSION >= JPEGXL_COMPUTE_NUMERIC_VERSION(0, 9, 0)
  return JxlEncoderDistanceFromQuality(static_cast<float>(quality));
#else
  const double q = quality;
  if (q >= 100) return 0.0f;
  if (q >= 30) return static_cast<float>(0.1 + (100 - q) * 0.09);
  return static_cast<float>(53.0 / 3000.0 * q * q - 23.0 / 20.0 * q + 25.0);
#endif
}

Bytes encode_jxl(const Image& lr, const LrEncodeOptions& o) {
  std::unique_ptr<JxlEncoder, JxlEncoderDeleter> enc(JxlEncoderCreate(nullptr));
  if (!enc) fail(TADM_ERROR_OUT_OF_MEMORY, "libjxl: out of memory");
  std::unique_ptr<void, JxlRunnerDeleter> runner;
  if (o.threads > 1) {
    runner.reset(JxlThreadParallelRunnerCreate(nullptr, static_cast<std::size_t>(o.threads)));
    if (!runner || JxlEncoderSetParallelRunner(enc.get(), JxlThreadParallelRunner, runner.get()) != JXL_ENC_SUCCESS)
      fail(TADM_ERROR_INTERNAL, "libjxl: cannot start threads");
  }
  auto check = [](JxlEncoderStatus s, const char* what) {
    if (s != JXL_ENC_SUCCESS) fail(TADM_ERROR_INTERNAL, std::string("encoding the JPEG XL thumbnail: ") + what);
  };
  const bool alpha = lr.has_alpha();
  JxlBasicInfo info;
  JxlEncoderInitBasicInfo(&info);
  info.xsize = lr.width;
  info.ysize = lr.height;
  info.bits_per_sample = 8;
  info.num_color_channels = lr.is_gray() ? 1 : 3;
  info.num_extra_channels = alpha ? 1 : 0;
  info.alpha_bits = alpha ? 8 : 0;
  // Lossless needs the samples coded as they are, not converted to XYB.
  info.uses_original_profile = o.lossless ? JXL_TRUE : JXL_FALSE;
  check(JxlEncoderSetBasicInfo(enc.get(), &info), "basic info");
  if (alpha) {
    JxlExtraChannelInfo ec;
    JxlEncoderInitExtraChannelInfo(JXL_CHANNEL_ALPHA, &ec);
    ec.bits_per_sample = 8;
    check(JxlEncoderSetExtraChannelInfo(enc.get(), 0, &ec), "alpha channel");
  }
  JxlColorEncoding colour;
  JxlColorEncodingSetToSRGB(&colour, lr.is_gray() ? JXL_TRUE : JXL_FALSE);
  check(JxlEncoderSetColorEncoding(enc.get(), &colour), "colour encoding");
  JxlEncoderFrameSettings* fs = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
  if (!fs) fail(TADM_ERROR_OUT_OF_MEMORY, "libjxl: out of memory");
  if (o.lossless) check(JxlEncoderSetFrameLossless(fs, JXL_TRUE), "lossless");
  else check(JxlEncoderSetFrameDistance(fs, jxl_distance(o.quality)), "distance");
  check(JxlEncoderFrameSettingsSetOption(fs, JXL_ENC_FRAME_SETTING_EFFORT, clamp_int(o.effort, 1, 9)), "effort");
  const JxlPixelFormat pf{lr.channels, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  check(JxlEncoderAddImageFrame(fs, &pf, lr.pixels.data(), lr.pixels.size()), "frame");
  JxlEncoderCloseInput(enc.get());
  Bytes out(4096 + lr.pixels.size() / 4);
  std::uint8_t* next = out.data();
  std::size_t avail = out.size();
  for (;;) {
    const JxlEncoderStatus st = JxlEncoderProcessOutput(enc.get(), &next, &avail);
    if (st == JXL_ENC_SUCCESS) break;
    if (st != JXL_ENC_NEED_MORE_OUTPUT) check(st, "encoder error");
    const std::size_t used = static_cast<std::size_t>(next - out.data());
    out.resize(out.size() * 2);
    next = out.data() + used;
    avail = out.size() - used;
  }
  out.resize(static_cast<std::size_t>(next - out.data()));
  return out;
}

Image decode_jxl(std::span<const std::uint8_t> payload, std::uint32_t width, std::uint32_t height,
                 const tadm_limits& limits) {
  // Limits on the declared size first: the header must then match it, so nothing larger is
  // ever allocated.
  check_decode_limits("JPEG XL", width, height, 4, planes_bytes(width, height, 4) * 2, limits);
  std::unique_ptr<JxlDecoder, JxlDecoderDeleter> dec(JxlDecoderCreate(nullptr));
  if (!dec) fail(TADM_ERROR_OUT_OF_MEMORY, "libjxl: out of memory");
  if (JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetKeepOrientation(dec.get(), JXL_TRUE) != JXL_DEC_SUCCESS ||  // the LR grid as coded
      JxlDecoderSetInput(dec.get(), payload.data(), payload.size()) != JXL_DEC_SUCCESS)
    fail(TADM_ERROR_INTERNAL, "libjxl: cannot set up the decoder");
  JxlDecoderCloseInput(dec.get());
  Image image;
  JxlPixelFormat pf{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  bool have_image = false;
  for (;;) {
    const JxlDecoderStatus st = JxlDecoderProcessInput(dec.get());
    if (st == JXL_DEC_BASIC_INFO) {
      JxlBasicInfo info;
      if (JxlDecoderGetBasicInfo(dec.get(), &info) != JXL_DEC_SUCCESS)
        fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail's header is damaged");
      if (info.have_animation) fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail is animated; an LR image is a still image");
      check_size("JPEG XL", info.xsize, info.ysize, width, height);
      image.width = width;
      image.height = height;
      image.channels = (info.num_color_channels == 1 ? 1u : 3u) + (info.alpha_bits > 0 ? 1u : 0u);
      pf.num_channels = image.channels;
    } else if (st == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
      std::size_t size = 0;
      if (image.channels == 0 || JxlDecoderImageOutBufferSize(dec.get(), &pf, &size) != JXL_DEC_SUCCESS ||
          size != image.row_bytes() * height)
        fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail has an unexpected layout");
      image.pixels.resize(size);
      if (JxlDecoderSetImageOutBuffer(dec.get(), &pf, image.pixels.data(), size) != JXL_DEC_SUCCESS)
        fail(TADM_ERROR_INTERNAL, "libjxl: cannot set the output buffer");
    } else if (st == JXL_DEC_FULL_IMAGE) {
      have_image = true;
    } else if (st == JXL_DEC_SUCCESS) {
      break;
    } else if (st == JXL_DEC_NEED_MORE_INPUT) {
      fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail is truncated");
    } else {
      fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail is damaged (libjxl decoding error)");
    }
  }
  if (!have_image) fail(TADM_ERROR_CORRUPT, "the JPEG XL thumbnail holds no image");
  return image;
}

// ---------------------------------------------------------------- AVIF (libavif)



Bytes encode_avif(const Image& lr, const LrEncodeOptions& o, const AvifItems& items) {
  if (!avifCodecName(AVIF_CODEC_CHOICE_AUTO, AVIF_CODEC_FLAG_CAN_ENCODE))
    fail(TADM_ERROR_UNSUPPORTED, "this build's libavif has no AV1 encoder: an AVIF thumbnail cannot be written");
  // Lossless: 4:4:4 with the identity matrix (RGB coded as is); lossy: 4:2:0 below quality 90,
  // 4:4:4 above, as for JPEG; gray: 4:0:0.
  avifPixelFormat format = AVIF_PIXEL_FORMAT_YUV444;
  if (!o.lossless && lr.is_gray()) format = AVIF_PIXEL_FORMAT_YUV400;
  else if (!o.lossless && o.quality < 90) format = AVIF_PIXEL_FORMAT_YUV420;
  AvifPtr<avifImage> image(avifImageCreate(lr.width, lr.height, 8, format));
  if (!image) fail(TADM_ERROR_OUT_OF_MEMORY, "libavif: out of memory");
  image->yuvRange = AVIF_RANGE_FULL;
  image->colorPrimaries = static_cast<avifColorPrimaries>(items.colour_primaries);
  image->transferCharacteristics = static_cast<avifTransferCharacteristics>(items.transfer_characteristics);
  image->matrixCoefficients = o.lossless ? AVIF_MATRIX_COEFFICIENTS_IDENTITY : AVIF_MATRIX_COEFFICIENTS_BT601;
  Bytes rgb_pixels = to_rgb(lr);
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, image.get());
  rgb.format = lr.has_alpha() ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
  rgb.depth = 8;
  rgb.pixels = rgb_pixels.data();
  rgb.rowBytes = lr.width * (lr.has_alpha() ? 4u : 3u);
  if (avifImageRGBToYUV(image.get(), &rgb) != AVIF_RESULT_OK)
    fail(TADM_ERROR_INTERNAL, "libavif: converting the thumbnail to YUV failed");
  if (!items.xmp.empty()) avifImageSetMetadataXMP(image.get(), items.xmp.data(), items.xmp.size());
  if (!items.exif.empty()) avifImageSetMetadataExif(image.get(), items.exif.data(), items.exif.size());
  if (!items.icc.empty()) avifImageSetProfileICC(image.get(), items.icc.data(), items.icc.size());
  AvifPtr<avifEncoder> enc(avifEncoderCreate());
  if (!enc) fail(TADM_ERROR_OUT_OF_MEMORY, "libavif: out of memory");
  enc->maxThreads = std::max(o.threads, 1);
  enc->speed = clamp_int(10 - o.effort, AVIF_SPEED_SLOWEST, AVIF_SPEED_FASTEST);
  // avifenc -q: quality 0..100 to quantizer 63..0.
  const int q = o.lossless ? AVIF_QUANTIZER_LOSSLESS : ((100 - o.quality) * 63 + 50) / 100;
  enc->minQuantizer = enc->maxQuantizer = q;
  enc->minQuantizerAlpha = enc->maxQuantizerAlpha = q;
  AvifRWDataOwner out;
  const avifResult r = avifEncoderWrite(enc.get(), image.get(), &out.data);
  if (r != AVIF_RESULT_OK)
    fail(TADM_ERROR_INTERNAL, std::string("encoding the AVIF thumbnail: ") + avifResultToString(r));
  return Bytes(out.data.data, out.data.data + out.data.size);
}

Image decode_avif(std::span<const std::uint8_t> payload, std::uint32_t width, std::uint32_t height,
                  const tadm_limits& limits) {
  if (!avifCodecName(AVIF_CODEC_CHOICE_AUTO, AVIF_CODEC_FLAG_CAN_DECODE))
    fail(TADM_ERROR_UNSUPPORTED, "this build's libavif has no AV1 decoder: the AVIF thumbnail cannot be read");
  check_decode_limits("AVIF", width, height, 4, image_bytes(width, height, 4, 16), limits);
  AvifPtr<avifDecoder> dec(avifDecoderCreate());
  if (!dec) fail(TADM_ERROR_OUT_OF_MEMORY, "libavif: out of memory");
  dec->maxThreads = 1;
  // libavif's own guards, from the declared size: it refuses a larger stream while parsing.
  dec->imageSizeLimit = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(std::uint64_t{width} * height, AVIF_DEFAULT_IMAGE_SIZE_LIMIT));
  dec->imageDimensionLimit = std::max(width, height);
  dec->imageCountLimit = 1;
  auto failed = [&](const char* what, avifResult r) {
    std::string m = std::string("the AVIF thumbnail ") + what + ": " + avifResultToString(r);
    if (dec->diag.error[0]) m += std::string(" (") + dec->diag.error + ")";
    fail(r == AVIF_RESULT_OUT_OF_MEMORY ? TADM_ERROR_OUT_OF_MEMORY : TADM_ERROR_CORRUPT, m);
  };
  avifResult r = avifDecoderSetIOMemory(dec.get(), payload.data(), payload.size());
  if (r != AVIF_RESULT_OK) failed("cannot be read", r);
  r = avifDecoderParse(dec.get());
  if (r != AVIF_RESULT_OK) failed("is damaged", r);
  if (dec->imageCount != 1) fail(TADM_ERROR_CORRUPT, "the AVIF thumbnail is a sequence; an LR image is a still image");
  check_size("AVIF", dec->image->width, dec->image->height, width, height);
  if (dec->image->depth != 8)
    fail(TADM_ERROR_CORRUPT, "the AVIF thumbnail is " + std::to_string(dec->image->depth) + "-bit; an LR image is 8-bit");
  r = avifDecoderNextImage(dec.get());
  if (r != AVIF_RESULT_OK) failed("is damaged", r);
  const avifImage* im = dec->image;
  check_size("AVIF", im->width, im->height, width, height);
  const bool alpha = im->alphaPlane != nullptr;
  const bool gray = im->yuvFormat == AVIF_PIXEL_FORMAT_YUV400;
  Bytes rgb_pixels(image_bytes(width, height, alpha ? 4 : 3, 8));
  avifRGBImage rgb;
  avifRGBImageSetDefaults(&rgb, im);
  rgb.format = alpha ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
  rgb.depth = 8;
  rgb.pixels = rgb_pixels.data();
  rgb.rowBytes = width * (alpha ? 4u : 3u);
  r = avifImageYUVToRGB(im, &rgb);
  if (r != AVIF_RESULT_OK) failed("cannot be converted to RGB", r);
  Image image;
  image.width = width;
  image.height = height;
  if (!gray) {
    image.channels = alpha ? 4 : 3;
    image.pixels = std::move(rgb_pixels);
    return image;
  }
  // 4:0:0 decodes to R = G = B: keep one.
  image.channels = alpha ? 2 : 1;
  image.pixels.resize(image.row_bytes() * height);
  const std::size_t n = std::size_t{width} * height;
  const std::size_t step = alpha ? 4 : 3;
  for (std::size_t i = 0; i < n; ++i) {
    image.pixels[i * image.channels] = rgb_pixels[i * step];
    if (alpha) image.pixels[i * 2 + 1] = rgb_pixels[i * step + 3];
  }
  return image;
}

}  // namespace

bool lr_codec_from_name(const std::string& name, LrCodec& out) {
  for (auto c : {LrCodec::kPng, LrCodec::kJpeg, LrCodec::kWebp, LrCodec::kJxl, LrCodec::kAvif})
    if (name == lr_codec_name(c)) {
      out = c;
      return true;
    }
  return false;
}

const char* lr_codec_name(LrCodec codec) {
  switch (codec) {
    case LrCodec::kPng: return "png";
    case LrCodec::kJpeg: return "jpeg";
    case LrCodec::kWebp: return "webp";
    case LrCodec::kJxl: return "jxl";
    case LrCodec::kAvif: return "avif";
  }
  return "unknown";
}

std::vector<std::uint8_t> encode_lr(const Image& lr, const LrEncodeOptions& options, const PngWriteOptions& png) {
  check_input(lr);
  if (options.codec == LrCodec::kPng) return write_png(lr, png);
  if (options.codec != LrCodec::kJpeg || !options.lossless) check_quality(options.quality);
  try {
    switch (options.codec) {
      case LrCodec::kJpeg: return encode_jpeg(lr, options);
      case LrCodec::kWebp: return encode_webp(lr, options);
      case LrCodec::kJxl: return encode_jxl(lr, options);
      case LrCodec::kAvif: return encode_avif(lr, options, AvifItems{});
      case LrCodec::kPng: break;
    }
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, std::string("out of memory encoding the ") + lr_codec_name(options.codec) +
                                       " thumbnail");
  }
  fail(TADM_ERROR_UNSUPPORTED, "thumbnail codec " + std::to_string(static_cast<int>(options.codec)) +
                                   " is not known to this build");
}

std::vector<std::uint8_t> encode_avif_file(const Image& lr, const LrEncodeOptions& options, const AvifItems& items) {
  check_input(lr);
  if (!options.lossless) check_quality(options.quality);
  try {
    return encode_avif(lr, options, items);
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory encoding the AVIF thumbnail");
  }
}

Image decode_lr(std::span<const std::uint8_t> payload, LrCodec codec, std::uint32_t width, std::uint32_t height,
                const tadm_limits& limits) {
  try {
    Image image;
    switch (codec) {
      case LrCodec::kPng:
        check_decode_limits("PNG", width, height, 4, 0, limits);
        image = read_png(payload, limits, nullptr, /*exact_end=*/true);
        image.metadata = {};
        if (image.bit_depth != 8) fail(TADM_ERROR_CORRUPT, "the PNG thumbnail is not 8-bit");
        break;
      case LrCodec::kJpeg:
        check_decode_limits("JPEG", width, height, 3, 0, limits);
        image = decode_jpeg(payload, limits);
        break;
      case LrCodec::kWebp: return decode_webp(payload, width, height, limits);
      case LrCodec::kJxl: return decode_jxl(payload, width, height, limits);
      case LrCodec::kAvif: return decode_avif(payload, width, height, limits);
      default:
        fail(TADM_ERROR_UNSUPPORTED, "thumbnail codec " + std::to_string(static_cast<int>(codec)) +
                                         " is not known to this build");
    }
    check_size(codec == LrCodec::kPng ? "PNG" : "JPEG", image.width, image.height, width, height);
    return image;
  } catch (const std::bad_alloc&) {
    fail(TADM_ERROR_OUT_OF_MEMORY, std::string("out of memory decoding the ") + lr_codec_name(codec) + " thumbnail");
  }
}

}  // namespace tadm
