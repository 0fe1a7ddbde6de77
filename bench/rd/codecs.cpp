// Codec adapters (libjpeg-turbo, libavif/aom, libjxl, libwebp) and tadm-based rescaling.
#include "codecs.hpp"

#include <avif/avif.h>
#include <jxl/decode.h>
#include <jxl/encode.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

namespace tadm_bench {
namespace {

// ---------------------------------------------------------------- JPEG (libjpeg-turbo)
struct JpegErrorMgr {
  jpeg_error_mgr pub;
};
[[noreturn]] void jpeg_throw(j_common_ptr cinfo) {
  char msg[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, msg);
  throw std::runtime_error(std::string("libjpeg: ") + msg);
}

class JpegCodec final : public Codec {
 public:
  std::string name() const override { return "jpeg"; }
  int min_quality() const override { return 1; }
  int max_quality() const override { return 100; }
  std::vector<int> sweep() const override { return {2, 5, 10, 20, 35, 55, 75, 90}; }
  std::string describe(int q) const override { return "q=" + std::to_string(q); }
  Bytes encode(const Rgb& im, int q) override {
    jpeg_compress_struct c{};
    jpeg_error_mgr err{};
    c.err = jpeg_std_error(&err);
    err.error_exit = jpeg_throw;
    unsigned char* out = nullptr;
    unsigned long out_size = 0;
    Bytes result;
    jpeg_create_compress(&c);
    try {
      jpeg_mem_dest(&c, &out, &out_size);
      c.image_width = im.width;
      c.image_height = im.height;
      c.input_components = 3;
      c.in_color_space = JCS_RGB;
      jpeg_set_defaults(&c);  // 4:2:0 chroma subsampling
      jpeg_set_quality(&c, q, TRUE);
      c.optimize_coding = TRUE;
      jpeg_start_compress(&c, TRUE);
      while (c.next_scanline < c.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(im.pixels.data() + static_cast<std::size_t>(c.next_scanline) * im.width * 3);
        jpeg_write_scanlines(&c, &row, 1);
      }
      jpeg_finish_compress(&c);
      result.assign(out, out + out_size);
    } catch (...) {
      jpeg_destroy_compress(&c);
      std::free(out);
      throw;
    }
    jpeg_destroy_compress(&c);
    std::free(out);
    return result;
  }
  Rgb decode(const Bytes& b) override {
    jpeg_decompress_struct d{};
    jpeg_error_mgr err{};
    d.err = jpeg_std_error(&err);
    err.error_exit = jpeg_throw;
    Rgb im;
    jpeg_create_decompress(&d);
    try {
      jpeg_mem_src(&d, b.data(), static_cast<unsigned long>(b.size()));
      jpeg_read_header(&d, TRUE);
      d.out_color_space = JCS_RGB;
      jpeg_start_decompress(&d);
      im.width = d.output_width;
      im.height = d.output_height;
      im.pixels.resize(static_cast<std::size_t>(im.width) * im.height * 3);
      while (d.output_scanline < d.output_height) {
        JSAMPROW row = im.pixels.data() + static_cast<std::size_t>(d.output_scanline) * im.width * 3;
        jpeg_read_scanlines(&d, &row, 1);
      }
      jpeg_finish_decompress(&d);
    } catch (...) {
      jpeg_destroy_decompress(&d);
      throw;
    }
    jpeg_destroy_decompress(&d);
    return im;
  }
};

// ---------------------------------------------------------------- AVIF (libavif + libaom)
class AvifCodec final : public Codec {
 public:
  explicit AvifCodec(int speed) : speed_(speed) {}
  std::string name() const override { return "avif"; }
  // quality q uses quantizer 63 - q for every frame (min = max quantizer).
  int min_quality() const override { return 0; }
  int max_quality() const override { return 63; }
  std::vector<int> sweep() const override { return {0, 6, 12, 18, 24, 30, 38, 46}; }
  std::string describe(int q) const override { return "quantizer=" + std::to_string(63 - q); }
  Bytes encode(const Rgb& im, int q) override {
    std::unique_ptr<avifImage, decltype(&avifImageDestroy)> image(
        avifImageCreate(static_cast<int>(im.width), static_cast<int>(im.height), 8, AVIF_PIXEL_FORMAT_YUV420),
        avifImageDestroy);
    if (!image) throw std::runtime_error("libavif: out of memory");
    image->yuvRange = AVIF_RANGE_FULL;
    avifRGBImage rgb;
    avifRGBImageSetDefaults(&rgb, image.get());
    rgb.format = AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.pixels = const_cast<uint8_t*>(im.pixels.data());
    rgb.rowBytes = im.width * 3;
    if (avifImageRGBToYUV(image.get(), &rgb) != AVIF_RESULT_OK) throw std::runtime_error("libavif: RGB to YUV failed");
    std::unique_ptr<avifEncoder, decltype(&avifEncoderDestroy)> enc(avifEncoderCreate(), avifEncoderDestroy);
    enc->codecChoice = AVIF_CODEC_CHOICE_AOM;
    enc->maxThreads = 1;
    enc->speed = speed_;
    enc->minQuantizer = enc->maxQuantizer = 63 - q;
    avifRWData out = AVIF_DATA_EMPTY;
    const avifResult r = avifEncoderWrite(enc.get(), image.get(), &out);
    if (r != AVIF_RESULT_OK) throw std::runtime_error(std::string("libavif: ") + avifResultToString(r));
    Bytes result(out.data, out.data + out.size);
    avifRWDataFree(&out);
    return result;
  }
  Rgb decode(const Bytes& b) override {
    std::unique_ptr<avifDecoder, decltype(&avifDecoderDestroy)> dec(avifDecoderCreate(), avifDecoderDestroy);
    dec->maxThreads = 1;
    std::unique_ptr<avifImage, decltype(&avifImageDestroy)> image(avifImageCreateEmpty(), avifImageDestroy);
    avifResult r = avifDecoderReadMemory(dec.get(), image.get(), b.data(), b.size());
    if (r != AVIF_RESULT_OK) throw std::runtime_error(std::string("libavif decode: ") + avifResultToString(r));
    Rgb im;
    im.width = image->width;
    im.height = image->height;
    im.pixels.resize(static_cast<std::size_t>(im.width) * im.height * 3);
    avifRGBImage rgb;
    avifRGBImageSetDefaults(&rgb, image.get());
    rgb.format = AVIF_RGB_FORMAT_RGB;
    rgb.depth = 8;
    rgb.pixels = im.pixels.data();
    rgb.rowBytes = im.width * 3;
    r = avifImageYUVToRGB(image.get(), &rgb);
    if (r != AVIF_RESULT_OK) throw std::runtime_error(std::string("libavif YUV to RGB: ") + avifResultToString(r));
    return im;
  }

 private:
  int speed_;
};

// ---------------------------------------------------------------- JPEG XL (libjxl)
class JxlCodec final : public Codec {
 public:
  explicit JxlCodec(int effort) : effort_(effort) {}
  std::string name() const override { return "jxl"; }
  // quality q in 0..100 maps to distance 15 * (0.1/15)^(q/100): 15 (the library's maximum)
  // down to 0.1, geometrically.
  int min_quality() const override { return 0; }
  int max_quality() const override { return 100; }
  std::vector<int> sweep() const override { return {0, 10, 20, 30, 40, 50, 62, 74}; }
  static float distance(int q) { return static_cast<float>(15.0 * std::pow(0.1 / 15.0, q / 100.0)); }
  std::string describe(int q) const override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "distance=%.3f", static_cast<double>(distance(q)));
    return buf;
  }
  Bytes encode(const Rgb& im, int q) override {
    std::unique_ptr<JxlEncoder, decltype(&JxlEncoderDestroy)> enc(JxlEncoderCreate(nullptr), JxlEncoderDestroy);
    JxlBasicInfo info;
    JxlEncoderInitBasicInfo(&info);
    info.xsize = im.width;
    info.ysize = im.height;
    info.bits_per_sample = 8;
    info.num_color_channels = 3;
    info.uses_original_profile = JXL_FALSE;
    if (JxlEncoderSetBasicInfo(enc.get(), &info) != JXL_ENC_SUCCESS) throw std::runtime_error("libjxl: basic info");
    JxlColorEncoding ce;
    JxlColorEncodingSetToSRGB(&ce, JXL_FALSE);
    if (JxlEncoderSetColorEncoding(enc.get(), &ce) != JXL_ENC_SUCCESS) throw std::runtime_error("libjxl: colour");
    JxlEncoderFrameSettings* fs = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
    JxlEncoderSetFrameDistance(fs, distance(q));
    JxlEncoderFrameSettingsSetOption(fs, JXL_ENC_FRAME_SETTING_EFFORT, effort_);
    JxlPixelFormat pf{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    if (JxlEncoderAddImageFrame(fs, &pf, im.pixels.data(), im.pixels.size()) != JXL_ENC_SUCCESS)
      throw std::runtime_error("libjxl: add frame");
    JxlEncoderCloseInput(enc.get());
    Bytes out(64 * 1024);
    uint8_t* next = out.data();
    size_t avail = out.size();
    for (;;) {
      const JxlEncoderStatus st = JxlEncoderProcessOutput(enc.get(), &next, &avail);
      if (st == JXL_ENC_SUCCESS) break;
      if (st != JXL_ENC_NEED_MORE_OUTPUT) throw std::runtime_error("libjxl: encode failed");
      const std::size_t used = static_cast<std::size_t>(next - out.data());
      out.resize(out.size() * 2);
      next = out.data() + used;
      avail = out.size() - used;
    }
    out.resize(static_cast<std::size_t>(next - out.data()));
    return out;
  }
  Rgb decode(const Bytes& b) override {
    std::unique_ptr<JxlDecoder, decltype(&JxlDecoderDestroy)> dec(JxlDecoderCreate(nullptr), JxlDecoderDestroy);
    JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE);
    JxlDecoderSetInput(dec.get(), b.data(), b.size());
    JxlDecoderCloseInput(dec.get());
    JxlPixelFormat pf{3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    Rgb im;
    for (;;) {
      const JxlDecoderStatus st = JxlDecoderProcessInput(dec.get());
      if (st == JXL_DEC_BASIC_INFO) {
        JxlBasicInfo info;
        JxlDecoderGetBasicInfo(dec.get(), &info);
        im.width = info.xsize;
        im.height = info.ysize;
      } else if (st == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
        size_t size = 0;
        JxlDecoderImageOutBufferSize(dec.get(), &pf, &size);
        im.pixels.resize(size);
        JxlDecoderSetImageOutBuffer(dec.get(), &pf, im.pixels.data(), size);
      } else if (st == JXL_DEC_FULL_IMAGE) {
        continue;
      } else if (st == JXL_DEC_SUCCESS) {
        break;
      } else {
        throw std::runtime_error("libjxl: decode failed");
      }
    }
    if (im.pixels.size() != static_cast<std::size_t>(im.width) * im.height * 3)
      throw std::runtime_error("libjxl: unexpected output size");
    return im;
  }

 private:
  int effort_;
};

// ---------------------------------------------------------------- WebP (libwebp)
class WebpCodec final : public Codec {
 public:
  std::string name() const override { return "webp"; }
  int min_quality() const override { return 0; }
  int max_quality() const override { return 100; }
  std::vector<int> sweep() const override { return {0, 8, 18, 30, 45, 60, 75, 90}; }
  std::string describe(int q) const override { return "q=" + std::to_string(q); }
  Bytes encode(const Rgb& im, int q) override {
    WebPConfig config;
    if (!WebPConfigInit(&config)) throw std::runtime_error("libwebp: version mismatch");
    config.quality = static_cast<float>(q);
    config.method = 4;
    WebPPicture pic;
    if (!WebPPictureInit(&pic)) throw std::runtime_error("libwebp: version mismatch");
    pic.width = static_cast<int>(im.width);
    pic.height = static_cast<int>(im.height);
    if (!WebPPictureImportRGB(&pic, im.pixels.data(), static_cast<int>(im.width * 3)))
      throw std::runtime_error("libwebp: import failed");
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &writer;
    const int ok = WebPEncode(&config, &pic);
    WebPPictureFree(&pic);
    if (!ok) {
      WebPMemoryWriterClear(&writer);
      throw std::runtime_error("libwebp: encode failed");
    }
    Bytes out(writer.mem, writer.mem + writer.size);
    WebPMemoryWriterClear(&writer);
    return out;
  }
  Rgb decode(const Bytes& b) override {
    int w = 0, h = 0;
    uint8_t* px = WebPDecodeRGB(b.data(), b.size(), &w, &h);
    if (!px) throw std::runtime_error("libwebp: decode failed");
    Rgb im;
    im.width = static_cast<std::uint32_t>(w);
    im.height = static_cast<std::uint32_t>(h);
    im.pixels.assign(px, px + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
    WebPFree(px);
    return im;
  }
};

}  // namespace

std::unique_ptr<Codec> make_codec(const std::string& name, int avif_speed, int jxl_effort) {
  if (name == "jpeg") return std::make_unique<JpegCodec>();
  if (name == "avif") return std::make_unique<AvifCodec>(avif_speed);
  if (name == "jxl") return std::make_unique<JxlCodec>(jxl_effort);
  if (name == "webp") return std::make_unique<WebpCodec>();
  throw std::invalid_argument("unknown codec '" + name + "' (jpeg, avif, jxl, webp)");
}

std::vector<std::string> codec_names() { return {"jpeg", "avif", "jxl", "webp"}; }

std::string codec_versions() {
  char buf[256];
  const uint32_t jv = JxlEncoderVersion();
  const int wv = WebPGetEncoderVersion();
  std::snprintf(buf, sizeof buf, "libjpeg-turbo (libjpeg API %d), libavif %s (aom), libjxl %u.%u.%u, libwebp %d.%d.%d",
                JPEG_LIB_VERSION, avifVersion(), jv / 1000000, (jv / 1000) % 1000, jv % 1000, (wv >> 16) & 0xff,
                (wv >> 8) & 0xff, wv & 0xff);
  return buf;
}

std::optional<Fit> largest_fitting(const std::function<Bytes(int)>& encode, int lo, int hi, std::size_t budget,
                                   int* encodes) {
  int calls = 0;
  std::optional<Fit> best;
  int a = lo, b = hi;  // invariant: every quality < a that was tried fits; answer in [a-1, b]
  // The lowest quality first: when even it does not fit (a large image at a tiny budget), one
  // encode answers instead of a whole search.
  if (lo <= hi) {
    Bytes bytes = encode(lo);
    ++calls;
    if (bytes.size() > budget) {
      if (encodes) *encodes = calls;
      return std::nullopt;
    }
    best = Fit{lo, std::move(bytes)};
    a = lo + 1;
  }
  while (a <= b) {
    const int mid = a + (b - a) / 2;
    Bytes bytes = encode(mid);
    ++calls;
    if (bytes.size() <= budget) {
      if (!best || mid > best->quality) best = Fit{mid, std::move(bytes)};
      a = mid + 1;
    } else {
      b = mid - 1;
    }
  }
  if (encodes) *encodes = calls;
  if (best && best->bytes.size() > budget) return std::nullopt;  // cannot happen; kept as a guard
  return best;
}

// ---------------------------------------------------------------- conversions

Rgb to_rgb(const tadm_image& image) {
  Rgb out;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(static_cast<std::size_t>(image.width) * image.height * 3);
  const std::uint32_t ch = image.channels;
  for (std::uint32_t y = 0; y < image.height; ++y) {
    const std::uint8_t* row = image.pixels + static_cast<std::size_t>(y) * image.row_bytes;
    for (std::uint32_t x = 0; x < image.width; ++x) {
      std::uint8_t v[4];
      for (std::uint32_t c = 0; c < ch; ++c) {
        if (image.bit_depth == 16) {
          std::uint16_t s;
          std::memcpy(&s, row + (static_cast<std::size_t>(x) * ch + c) * 2, 2);
          v[c] = static_cast<std::uint8_t>((s * 255u + 32767u) / 65535u);
        } else {
          v[c] = row[static_cast<std::size_t>(x) * ch + c];
        }
      }
      std::uint8_t* o = &out.pixels[(static_cast<std::size_t>(y) * image.width + x) * 3];
      if (ch <= 2) {
        o[0] = o[1] = o[2] = v[0];
      } else {
        o[0] = v[0];
        o[1] = v[1];
        o[2] = v[2];
      }
    }
  }
  return out;
}

tadm_cpp::ImagePtr to_tadm(const Rgb& image) {
  tadm_image* im = nullptr;
  tadm_cpp::check(tadm_image_create(image.width, image.height, 3, 8, &im, nullptr, 0), "tadm_image_create failed");
  tadm_cpp::ImagePtr owner(im);
  for (std::uint32_t y = 0; y < image.height; ++y)
    std::memcpy(im->pixels + static_cast<std::size_t>(y) * im->row_bytes,
                image.pixels.data() + static_cast<std::size_t>(y) * image.width * 3,
                static_cast<std::size_t>(image.width) * 3);
  return owner;
}

Rgb read_rgb(const std::string& path) { return to_rgb(*tadm_cpp::read_image(path)); }

Rgb read_rgb_memory(const Bytes& data) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_memory(data.data(), data.size(), nullptr, &im, err, sizeof err);
  tadm_cpp::check(st, err);
  tadm_cpp::ImagePtr owner(im);
  return to_rgb(*im);
}

Bytes write_png(const Rgb& image) { return tadm_cpp::write_png(*to_tadm(image)); }

Rgb crop(const Rgb& image, std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h) {
  if (x + w > image.width || y + h > image.height) throw std::invalid_argument("crop outside the image");
  Rgb out;
  out.width = w;
  out.height = h;
  out.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (std::uint32_t r = 0; r < h; ++r)
    std::memcpy(&out.pixels[static_cast<std::size_t>(r) * w * 3],
                &image.pixels[(static_cast<std::size_t>(y + r) * image.width + x) * 3], static_cast<std::size_t>(w) * 3);
  return out;
}

// ---------------------------------------------------------------- rescaling through tadm

struct Rescaler::Impl {
  std::vector<std::pair<std::uint32_t, std::unique_ptr<tadm_cpp::Encoder>>> encoders;
  std::unique_ptr<tadm_cpp::Decoder> decoder;
  tadm_cpp::Encoder& encoder(std::uint32_t scale) {
    for (auto& [s, e] : encoders)
      if (s == scale) return *e;
    tadm_encoder_settings st;
    tadm_encoder_default_settings(&st);
    st.common.model = "classic";
    st.scale = scale;
    st.common.threads = 1;
    st.png_effort = 0;
    encoders.emplace_back(scale, std::make_unique<tadm_cpp::Encoder>(st));
    return *encoders.back().second;
  }
};

Rescaler::Rescaler() : impl_(std::make_unique<Impl>()) {
  tadm_decoder_settings st;
  tadm_decoder_default_settings(&st);
  st.common.model = "classic";
  st.common.threads = 1;
  st.classic_upscaler = TADM_UPSCALER_BICUBIC;
  impl_->decoder = std::make_unique<tadm_cpp::Decoder>(st);
}
Rescaler::~Rescaler() = default;

Rgb Rescaler::downscale(const Rgb& image, std::uint32_t scale) {
  if (scale == 1) return image;
  const Bytes file = impl_->encoder(scale).encode(*to_tadm(image));
  std::uint8_t* png = nullptr;
  std::size_t png_size = 0;
  char err[512] = {};
  const tadm_status st = tadm_extract_thumbnail(file.data(), file.size(), nullptr, &png, &png_size, err, sizeof err);
  tadm_cpp::check(st, err);
  return read_rgb_memory(tadm_cpp::take_buffer(png, png_size));
}

Rgb Rescaler::upscale(const Rgb& lr, std::uint32_t scale, std::uint32_t width, std::uint32_t height) {
  if (scale == 1) {
    if (lr.width == width && lr.height == height) return lr;
    return crop(lr, 0, 0, width, height);
  }
  tadm_cpp::ImagePtr up = impl_->decoder->upscale(*to_tadm(lr), scale);
  Rgb full = to_rgb(*up);
  if (full.width == width && full.height == height) return full;
  return crop(full, 0, 0, width, height);
}

}  // namespace tadm_bench
