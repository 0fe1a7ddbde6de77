// Thin C++ wrappers over the C API: RAII ownership and exceptions carrying the status.
// C++17 or later (std::span overloads with C++20).
#pragma once

#include <cstdint>
#include <memory>
#if __cplusplus >= 202002L
#include <span>
#endif
#include <stdexcept>
#include <string>
#include <vector>

#include "tadm/tadm.h"

namespace tadm_cpp {

class Error : public std::runtime_error {
 public:
  Error(tadm_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  tadm_status status() const { return status_; }

 private:
  tadm_status status_;
};

struct ImageDeleter {
  void operator()(tadm_image* p) const { tadm_image_free(p); }
};
using ImagePtr = std::unique_ptr<tadm_image, ImageDeleter>;

struct BufferDeleter {
  void operator()(std::uint8_t* p) const { tadm_buffer_free(p); }
};

inline std::vector<std::uint8_t> take_buffer(std::uint8_t* data, std::size_t size) {
  std::unique_ptr<std::uint8_t, BufferDeleter> owner(data);
  return std::vector<std::uint8_t>(data, data + size);
}

// Takes the message as a C string read only after `status` was computed: argument evaluation
// order is unspecified, so callers pass the status as a finished value.
inline void check(tadm_status status, const char* message) {
  if (status != TADM_OK) throw Error(status, message && *message ? message : tadm_status_string(status));
}

// `warning`, when given, receives the damage a reader reported with limits->allow_corrupt.
inline ImagePtr read_image(const std::string& path, const tadm_limits* limits = nullptr,
                           std::string* warning = nullptr) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_file(path.c_str(), limits, &im, err, sizeof err);
  check(st, err);
  if (warning) *warning = err;
  return ImagePtr(im);
}

inline ImagePtr read_image_memory(const std::uint8_t* data, std::size_t size, const tadm_limits* limits = nullptr,
                                  std::string* warning = nullptr) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_read_memory(data, size, limits, &im, err, sizeof err);
  check(st, err);
  if (warning) *warning = err;
  return ImagePtr(im);
}
inline ImagePtr read_image_memory(const std::vector<std::uint8_t>& bytes, const tadm_limits* limits = nullptr,
                                  std::string* warning = nullptr) {
  return read_image_memory(bytes.data(), bytes.size(), limits, warning);
}
#if __cplusplus >= 202002L
inline ImagePtr read_image_memory(std::span<const std::uint8_t> bytes, const tadm_limits* limits = nullptr,
                                  std::string* warning = nullptr) {
  return read_image_memory(bytes.data(), bytes.size(), limits, warning);
}
#endif

// `warning`, when given, receives what the format could not keep (alpha, 16 bits, metadata).
inline std::vector<std::uint8_t> write_image(const tadm_image& image, tadm_image_format format, int quality = 0,
                                             std::string* warning = nullptr) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  char err[512] = {};
  const tadm_status st = tadm_image_write(&image, format, quality, &data, &size, err, sizeof err);
  check(st, err);
  if (warning) *warning = err;
  return take_buffer(data, size);
}

inline ImagePtr resize(const tadm_image& image, std::uint32_t width, std::uint32_t height) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_image_resize(&image, width, height, &im, err, sizeof err);
  check(st, err);
  return ImagePtr(im);
}

// The stored thumbnail's pixels, whatever its codec (tadm_decode_thumbnail); no model runs.
inline ImagePtr decode_thumbnail(const std::vector<std::uint8_t>& file, const tadm_limits* limits = nullptr) {
  tadm_image* im = nullptr;
  char err[512] = {};
  const tadm_status st = tadm_decode_thumbnail(file.data(), file.size(), limits, &im, err, sizeof err);
  check(st, err);
  return ImagePtr(im);
}

inline std::vector<std::uint8_t> write_png(const tadm_image& image) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  char err[512] = {};
  const tadm_status st = tadm_image_write_png(&image, &data, &size, err, sizeof err);
  check(st, err);
  return take_buffer(data, size);
}

class Encoder {
 public:
  explicit Encoder(const tadm_encoder_settings& settings) {
    char err[1024] = {};
    const tadm_status st = tadm_encoder_create(&settings, &raw_, err, sizeof err);
    check(st, err);
    handle_.reset(raw_);
  }
  std::vector<std::uint8_t> encode(const tadm_image& image) {
    std::uint8_t* data = nullptr;
    std::size_t size = 0;
    const tadm_status st = tadm_encoder_encode(raw_, &image, &data, &size);
    check(st, tadm_encoder_last_error(raw_));
    return take_buffer(data, size);
  }
  std::string model() const { return tadm_encoder_model_name(raw_); }
  std::uint32_t scale() const { return tadm_encoder_scale(raw_); }
  std::uint32_t scale_y() const { return tadm_encoder_scale_y(raw_); }
  tadm_lr_codec lr_codec() const { return tadm_encoder_lr_codec(raw_); }
  int lr_quality() const { return tadm_encoder_lr_quality(raw_); }

 private:
  struct Deleter {
    void operator()(tadm_encoder* p) const { tadm_encoder_destroy(p); }
  };
  tadm_encoder* raw_ = nullptr;
  std::unique_ptr<tadm_encoder, Deleter> handle_;
};

class Decoder {
 public:
  explicit Decoder(const tadm_decoder_settings& settings) {
    char err[1024] = {};
    const tadm_status st = tadm_decoder_create(&settings, &raw_, err, sizeof err);
    check(st, err);
    handle_.reset(raw_);
  }
  ImagePtr decode(const std::uint8_t* data, std::size_t size) {
    tadm_image* im = nullptr;
    const tadm_status st = tadm_decoder_decode(raw_, data, size, &im);
    check(st, tadm_decoder_last_error(raw_));
    return ImagePtr(im);
  }
  ImagePtr decode(const std::vector<std::uint8_t>& bytes) { return decode(bytes.data(), bytes.size()); }
#if __cplusplus >= 202002L
  ImagePtr decode(std::span<const std::uint8_t> bytes) { return decode(bytes.data(), bytes.size()); }
#endif
  ImagePtr upscale(const tadm_image& lr, std::uint32_t scale = 0) {
    tadm_image* im = nullptr;
    const tadm_status st = tadm_decoder_upscale(raw_, &lr, scale, &im);
    check(st, tadm_decoder_last_error(raw_));
    return ImagePtr(im);
  }

 private:
  struct Deleter {
    void operator()(tadm_decoder* p) const { tadm_decoder_destroy(p); }
  };
  tadm_decoder* raw_ = nullptr;
  std::unique_ptr<tadm_decoder, Deleter> handle_;
};

}  // namespace tadm_cpp
