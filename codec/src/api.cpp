// The C ABI: argument checks, conversions between public structs and internal types, and the
// one place where exceptions become status codes and last-error messages.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bundle.hpp"
#include "engine.hpp"
#include "rate_control.hpp"
#include "error.hpp"
#include "heif_avif.hpp"
#include "image_io.hpp"
#include "lr_codec.hpp"
#include "resample.hpp"
#include "tadm/tadm.h"

struct tadm_encoder {
  std::unique_ptr<tadm::Encoder> fixed;                   // one operating point,
  std::unique_ptr<tadm::RateControlledEncoder> chooser;  // or one chosen per image (target_bytes)
  std::string last_error;
  std::string model_label;
  // The operating point in use: the fixed one, or the one chosen for the last image.
  tadm::Encoder& impl() { return fixed ? *fixed : chooser->chosen(); }
  const tadm::Encoder& impl() const { return fixed ? *fixed : chooser->chosen(); }
  void label_model() {
    const auto& id = impl().rescaler().identity();
    model_label = id.name + " " + id.version + " " + tadm::to_hex(id.sha256);
  }
};

struct tadm_decoder {
  std::unique_ptr<tadm::Decoder> impl;
  std::string last_error;
  // The parse step's file and its info (tadm_decoder_parse); empty before the first parse.
  std::optional<tadm::container::File> parsed;
  std::unique_ptr<tadm_file_info, void (*)(tadm_file_info*)> parsed_info{nullptr, tadm_file_info_free};
};

namespace {

using tadm::Error;
using tadm::fail;

void set_message(char* error, std::size_t size, const std::string& message) {
  if (error && size) std::snprintf(error, size, "%s", message.c_str());
}

// Runs `fn`, mapping exceptions to a status and a message.
// Setting the message may itself run out of memory: then the message is the short literal,
// which fits the string's inline buffer, so nothing can escape the C ABI.
void set_safely(std::string& message, const char* prefix, const char* what) {
  try {
    message.assign(prefix).append(what);
  } catch (...) {
    message.assign("out of memory");
  }
}

// Runs `fn`, mapping exceptions to a status and a message.
template <typename Fn>
tadm_status guarded(std::string& message, Fn&& fn) {
  try {
    fn();
    message.clear();
    return TADM_OK;
  } catch (const Error& e) {
    set_safely(message, "", e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    message.assign("out of memory");
    return TADM_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_safely(message, "internal error: ", e.what());
    return TADM_ERROR_INTERNAL;
  }
}

// The inspection calls (file bytes in, an `error` buffer): NULL arguments refused, then `fn`
// guarded and its message (empty on success) written to `error`.
template <typename Fn>
tadm_status inspect(bool arguments_ok, char* error, std::size_t error_size, Fn&& fn) {
  if (!arguments_ok) {
    set_message(error, error_size, "NULL data or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  std::string msg;
  const tadm_status st = guarded(msg, std::forward<Fn>(fn));
  set_message(error, error_size, msg);
  return st;
}

uint8_t* copy_out(const std::vector<uint8_t>& bytes) {
  auto* p = static_cast<uint8_t*>(std::malloc(bytes.empty() ? 1 : bytes.size()));
  if (!p) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p;
}

void free_blob(uint8_t*& p, size_t& n) {
  std::free(p);
  p = nullptr;
  n = 0;
}

// The fields of a caller's image, before anything is sized from them.
void check_public(const tadm_image* im) {
  if (!im || !im->pixels) fail(TADM_ERROR_INVALID_ARGUMENT, "image or its pixels are NULL");
  if (im->channels < 1 || im->channels > 4) fail(TADM_ERROR_INVALID_ARGUMENT, "image channels must be 1..4");
  if (im->bit_depth != 8 && im->bit_depth != 16) fail(TADM_ERROR_INVALID_ARGUMENT, "image bit depth must be 8 or 16");
  if (im->width == 0 || im->height == 0) fail(TADM_ERROR_INVALID_ARGUMENT, "image has zero width or height");
}

// The engine's copy of a caller's image. Everything the copy is sized from is checked first:
// the fields, row_bytes x height against overflow, the size and metadata limits and the budget.
tadm::Image from_public(const tadm_image* im, const tadm_limits& limits) {
  check_public(im);
  tadm::Image out;
  out.width = im->width;
  out.height = im->height;
  out.channels = im->channels;
  out.bit_depth = im->bit_depth;
  const size_t row = out.row_bytes();
  if (im->row_bytes < row) fail(TADM_ERROR_INVALID_ARGUMENT, "image row_bytes is smaller than a row");
  if (out.height > SIZE_MAX / im->row_bytes) fail(TADM_ERROR_INVALID_ARGUMENT, "image row_bytes x height overflows");
  if (im->has_cicp && im->cicp[3] > 1)
    fail(TADM_ERROR_INVALID_ARGUMENT, "image cicp full-range flag is " + std::to_string(im->cicp[3]) + "; it must be 0 or 1");
  tadm::check_image_limits(im->width, im->height, limits, "the image");
  for (const auto& [name, size] : {std::pair{"ICC profile", im->icc ? im->icc_size : 0},
                                   std::pair{"EXIF", im->exif ? im->exif_size : 0},
                                   std::pair{"XMP", im->xmp ? im->xmp_size : 0}})
    if (size > limits.max_metadata_bytes)
      fail(TADM_ERROR_LIMIT, std::string("the image's ") + name + " (" + std::to_string(size) +
                                 " bytes) is over the metadata limit of " + std::to_string(limits.max_metadata_bytes));
  if (im->exif && im->exif_size && !tadm::exif_has_tiff_header({im->exif, im->exif_size}))
    fail(TADM_ERROR_INVALID_ARGUMENT, "the image's EXIF payload does not start with a TIFF header (II*\\0 or MM\\0*)");
  tadm::check_memory(tadm::image_bytes(im->width, im->height, im->channels, im->bit_depth), limits, "copying the image");
  out.pixels.resize(row * out.height);
  for (uint32_t y = 0; y < out.height; ++y) std::memcpy(out.pixels.data() + y * row, im->pixels + y * im->row_bytes, row);
  if (im->icc && im->icc_size) out.metadata.icc.assign(im->icc, im->icc + im->icc_size);
  if (im->exif && im->exif_size) out.metadata.exif.assign(im->exif, im->exif + im->exif_size);
  if (im->xmp && im->xmp_size) out.metadata.xmp.assign(im->xmp, im->xmp + im->xmp_size);
  if (im->has_cicp) out.metadata.cicp = std::array<uint8_t, 4>{im->cicp[0], im->cicp[1], im->cicp[2], im->cicp[3]};
  return out;
}

tadm_image* to_public(const tadm::Image& im) {
  auto* out = static_cast<tadm_image*>(std::calloc(1, sizeof(tadm_image)));
  if (!out) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  out->width = im.width;
  out->height = im.height;
  out->channels = im.channels;
  out->bit_depth = im.bit_depth;
  out->row_bytes = im.row_bytes();
  try {
    out->pixels = copy_out(im.pixels);
    if (!im.metadata.icc.empty()) { out->icc = copy_out(im.metadata.icc); out->icc_size = im.metadata.icc.size(); }
    if (!im.metadata.exif.empty()) { out->exif = copy_out(im.metadata.exif); out->exif_size = im.metadata.exif.size(); }
    if (!im.metadata.xmp.empty()) { out->xmp = copy_out(im.metadata.xmp); out->xmp_size = im.metadata.xmp.size(); }
  } catch (...) {
    tadm_image_free(out);
    throw;
  }
  if (im.metadata.cicp) {
    out->has_cicp = 1;
    std::memcpy(out->cicp, im.metadata.cicp->data(), 4);
  }
  return out;
}

// A caller built against an older tadm.h passes a smaller settings struct: its fields are taken,
// the ones past its struct_size keep their defaults (tadm.h, conventions).
// Sizes from the end of `common` (struct_size and the common settings are in every release) up
// to sizeof are accepted; otherwise the message names the default function (`defaults_name`) and
// the accepted range.
template <class S>
bool settings_with_defaults(const S* in, void (*defaults)(S*), const char* defaults_name, S& out, char* error,
                            std::size_t error_size) {
  constexpr std::size_t min_size = offsetof(S, common) + sizeof(tadm_common_settings);
  if (!in || in->struct_size < min_size || in->struct_size > sizeof(S)) {
    set_message(error, error_size, std::string("settings must come from ") + defaults_name + "() (struct_size " +
                                       std::to_string(in ? in->struct_size : 0) + " is not between " +
                                       std::to_string(min_size) + " and " + std::to_string(sizeof(S)) + ")");
    return false;
  }
  defaults(&out);
  std::memcpy(&out, in, in->struct_size);
  out.struct_size = sizeof(S);
  return true;
}

// The public info of a parsed file: every header field, the chunk list and copies of the
// metadata and hint bytes, all owned by the info (tadm_file_info_free).
std::unique_ptr<tadm_file_info, void (*)(tadm_file_info*)> make_info(const tadm::container::File& f,
                                                                      uint64_t file_size,
                                                                      tadm_container_format container) {
  // Owned until handed out: the work below may throw (bad_alloc) and must not leak it.
  std::unique_ptr<tadm_file_info, void (*)(tadm_file_info*)> info(
      static_cast<tadm_file_info*>(std::calloc(1, sizeof(tadm_file_info))), &tadm_file_info_free);
  if (!info) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  info->version_major = f.version_major;
  info->version_minor = f.version_minor;
  info->width = f.width;
  info->height = f.height;
  info->scale_x = f.scale_x;
  info->scale_y = f.scale_y;
  info->lr_width = f.lr_width;
  info->lr_height = f.lr_height;
  info->has_alpha = (f.flags & tadm::container::kFlagAlpha) != 0;
  info->is_grayscale = (f.flags & tadm::container::kFlagGrayscale) != 0;
  info->original_bit_depth = f.original_bit_depth;
  info->lr_codec = f.lr_codec;
  std::snprintf(info->model_name, sizeof info->model_name, "%s", f.model_name.c_str());
  std::snprintf(info->model_version, sizeof info->model_version, "%s", f.model_version.c_str());
  std::snprintf(info->model_sha256, sizeof info->model_sha256, "%s", tadm::to_hex(f.model_sha256).c_str());
  info->file_size = file_size;
  info->container = container;
  info->lr_image_size = f.lr_image.size();
  info->icc_size = f.icc ? f.icc->size() : 0;
  info->exif_size = f.exif ? f.exif->size() : 0;
  info->xmp_size = f.xmp ? f.xmp->size() : 0;
  if (f.icc && !f.icc->empty()) info->icc = copy_out(*f.icc);
  if (f.exif && !f.exif->empty()) info->exif = copy_out(*f.exif);
  if (f.xmp && !f.xmp->empty()) info->xmp = copy_out(*f.xmp);
  if (f.cicp) {
    info->has_cicp = 1;
    info->cicp[0] = f.cicp->colour_primaries;
    info->cicp[1] = f.cicp->transfer_characteristics;
    info->cicp[2] = f.cicp->matrix_coefficients;
    info->cicp[3] = f.cicp->full_range;
  }
  if (f.hint) {
    info->has_hint = 1;
    info->hint_grid_width = f.hint->grid_width;
    info->hint_grid_height = f.hint->grid_height;
    info->hint_tile_width = f.hint->tile_width;
    info->hint_tile_height = f.hint->tile_height;
    info->hint_values = copy_out(f.hint->values);
  }
  info->chunk_count = static_cast<uint32_t>(f.chunks.size());
  info->chunks = static_cast<tadm_chunk_info*>(std::calloc(f.chunks.size() + 1, sizeof(tadm_chunk_info)));
  if (!info->chunks) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < f.chunks.size(); ++i) {
    std::memcpy(info->chunks[i].type, f.chunks[i].type.data(), 4);
    info->chunks[i].offset = f.chunks[i].offset;
    info->chunks[i].length = f.chunks[i].length;
    info->chunks[i].critical = f.chunks[i].critical;
    info->chunks[i].known = f.chunks[i].known;
  }
  return info;
}

nlohmann::ordered_json info_json(const tadm_file_info& i) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["container"] = i.container == TADM_CONTAINER_HEIF ? "heif" : i.container == TADM_CONTAINER_AVIF ? "avif" : "tadm";
  j["version"] = std::to_string(i.version_major) + "." + std::to_string(i.version_minor);
  j["file_size"] = i.file_size;
  j["width"] = i.width;
  j["height"] = i.height;
  j["scale_x"] = i.scale_x;
  j["scale_y"] = i.scale_y;
  j["lr_width"] = i.lr_width;
  j["lr_height"] = i.lr_height;
  j["channels"] = (i.is_grayscale ? 1 : 3) + (i.has_alpha ? 1 : 0);
  j["alpha"] = i.has_alpha != 0;
  j["grayscale"] = i.is_grayscale != 0;
  j["original_bit_depth"] = i.original_bit_depth;
  const char* codec = i.lr_codec <= 255 ? tadm::container::lr_codec_name(static_cast<uint8_t>(i.lr_codec)) : nullptr;
  if (codec) j["lr_codec"] = codec; else j["lr_codec"] = std::to_string(i.lr_codec);
  j["lr_image_size"] = i.lr_image_size;
  j["bits_per_pixel"] = double(i.file_size) * 8.0 / (double(i.width) * i.height);
  j["model"] = {{"name", i.model_name}, {"version", i.model_version}, {"sha256", i.model_sha256}};
  j["icc_size"] = i.icc_size;
  j["exif_size"] = i.exif_size;
  j["xmp_size"] = i.xmp_size;
  j["cicp"] = nullptr;
  if (i.has_cicp)
    j["cicp"] = {{"colour_primaries", i.cicp[0]}, {"transfer_characteristics", i.cicp[1]},
                 {"matrix_coefficients", i.cicp[2]}, {"full_range", i.cicp[3]}};
  j["hint"] = nullptr;
  if (i.has_hint) {
    const size_t n = size_t{i.hint_grid_width} * i.hint_grid_height;
    j["hint"] = {{"grid_width", i.hint_grid_width}, {"grid_height", i.hint_grid_height},
                 {"tile_width", i.hint_tile_width}, {"tile_height", i.hint_tile_height},
                 {"values", i.hint_values ? std::vector<uint8_t>(i.hint_values, i.hint_values + n) : std::vector<uint8_t>{}}};
  }
  auto chunks = ordered_json::array();
  for (uint32_t k = 0; k < i.chunk_count; ++k) {
    const tadm_chunk_info& c = i.chunks[k];
    chunks.push_back({{"type", c.type}, {"offset", c.offset}, {"length", c.length},
                      {"critical", c.critical != 0}, {"known", c.known != 0}});
  }
  j["chunks"] = chunks;
  return j;
}

// A decoder call that needs a parsed file.
const tadm::container::File& parsed_file(const tadm_decoder* decoder) {
  if (!decoder->parsed) fail(TADM_ERROR_INVALID_ARGUMENT, "no file parsed: call tadm_decoder_parse first");
  return *decoder->parsed;
}

// Keeps a parsed file and its info in the decoder (the previous one is dropped first, so a
// failed parse leaves none).
tadm_status parse_into(tadm_decoder* decoder, const tadm_file_info** info,
                       const std::function<std::vector<uint8_t>()>& bytes_of) {
  decoder->parsed.reset();
  decoder->parsed_info.reset();
  if (info) *info = nullptr;
  if (!info) {
    set_safely(decoder->last_error, "", "NULL info pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  return guarded(decoder->last_error, [&] {
    const std::vector<uint8_t> bytes = bytes_of();
    tadm::container::File file = decoder->impl->parse(bytes);
    auto made = make_info(file, bytes.size(), tadm::interop::sniff(bytes));
    decoder->parsed = std::move(file);
    decoder->parsed_info = std::move(made);
    *info = decoder->parsed_info.get();
  });
}

}  // namespace

extern "C" {

const char* tadm_status_string(tadm_status status) {
  switch (status) {
    case TADM_OK: return "OK";
    case TADM_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case TADM_ERROR_IO: return "input/output error";
    case TADM_ERROR_CORRUPT: return "corrupt or invalid data";
    case TADM_ERROR_UNSUPPORTED: return "unsupported feature";
    case TADM_ERROR_LIMIT: return "limit exceeded";
    case TADM_ERROR_MODEL: return "model bundle error";
    case TADM_ERROR_MODEL_MISMATCH: return "model does not match the file";
    case TADM_ERROR_OUT_OF_MEMORY: return "out of memory";
    case TADM_ERROR_CANCELLED: return "cancelled";
    case TADM_ERROR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* tadm_version_string(void) { return TADM_VERSION_STRING; }
int tadm_version_int(void) { return TADM_VERSION; }

const char* tadm_default_model(uint32_t scale) { return tadm::default_model_name(tadm::Scale{scale, scale}); }

const char* tadm_default_model_for(uint32_t scale, tadm_profile profile) {
  const int p = tadm::enum_value(profile);
  if (p != TADM_PROFILE_FIDELITY && p != TADM_PROFILE_PERCEPTUAL) return nullptr;
  return tadm::default_model_name(tadm::Scale{scale, scale}, profile);
}

tadm_status tadm_image_create(uint32_t width, uint32_t height, uint32_t channels, uint32_t bit_depth,
                              tadm_image** out, char* error, size_t error_size) {
  return inspect(out != nullptr, error, error_size, [&] {
    *out = nullptr;
    if (width == 0 || height == 0 || channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16))
      fail(TADM_ERROR_INVALID_ARGUMENT, "width and height must be positive, channels 1..4 and bit depth 8 or 16");
    const tadm_limits limits = tadm::resolve_limits(nullptr);
    tadm::check_image_limits(width, height, limits, "the image");
    tadm::check_memory(tadm::image_bytes(width, height, channels, bit_depth), limits, "the image");
    tadm::Image im;
    im.width = width;
    im.height = height;
    im.channels = channels;
    im.bit_depth = bit_depth;
    im.pixels.assign(im.row_bytes() * height, 0);
    *out = to_public(im);
  });
}

void tadm_image_free(tadm_image* image) {
  if (!image) return;
  std::free(image->pixels);
  std::free(image->icc);
  std::free(image->exif);
  std::free(image->xmp);
  std::free(image);
}

tadm_status tadm_image_set_metadata(tadm_image* image, const char* which, const uint8_t* data, size_t size,
                                    char* error, size_t error_size) {
  return inspect(image && which, error, error_size, [&] {
    if (size && !data) fail(TADM_ERROR_INVALID_ARGUMENT, "metadata data is NULL with a size of " + std::to_string(size));
    uint8_t** slot = nullptr;
    size_t* slot_size = nullptr;
    if (!std::strcmp(which, "icc")) { slot = &image->icc; slot_size = &image->icc_size; }
    else if (!std::strcmp(which, "exif")) { slot = &image->exif; slot_size = &image->exif_size; }
    else if (!std::strcmp(which, "xmp")) { slot = &image->xmp; slot_size = &image->xmp_size; }
    else fail(TADM_ERROR_INVALID_ARGUMENT, "metadata kind must be \"icc\", \"exif\" or \"xmp\"");
    if (slot == &image->exif && size && !tadm::exif_has_tiff_header({data, size}))
      fail(TADM_ERROR_INVALID_ARGUMENT, "the EXIF payload does not start with a TIFF header (II*\\0 or MM\\0*)");
    uint8_t* copy = nullptr;
    if (size) {
      copy = static_cast<uint8_t*>(std::malloc(size));
      if (!copy) fail(TADM_ERROR_OUT_OF_MEMORY, "out of memory");
      std::memcpy(copy, data, size);
    }
    free_blob(*slot, *slot_size);
    *slot = copy;
    *slot_size = size;
  });
}

tadm_status tadm_image_read_memory(const uint8_t* data, size_t size, const tadm_limits* limits,
                                   tadm_image** out, char* error, size_t error_size) {
  if (!out || (!data && size)) {
    set_message(error, error_size, "NULL data or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  std::string msg, warning;
  const tadm_status st = guarded(msg, [&] {
    *out = to_public(tadm::read_image({data, size}, tadm::resolve_limits(limits), &warning));
  });
  set_message(error, error_size, st == TADM_OK ? warning : msg);
  return st;
}

tadm_status tadm_image_read_file(const char* path, const tadm_limits* limits, tadm_image** out,
                                 char* error, size_t error_size) {
  if (!out || !path) {
    set_message(error, error_size, "NULL path or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  std::vector<uint8_t> bytes;
  std::string msg;
  tadm_status st = guarded(msg, [&] { bytes = tadm::read_regular_file(path, tadm::resolve_limits(limits)); });
  if (st != TADM_OK) {
    set_message(error, error_size, msg);
    return st;
  }
  st = tadm_image_read_memory(bytes.data(), bytes.size(), limits, out, error, error_size);
  if (error && error_size && error[0]) {  // no allocation here: outside guarded()
    char inner[512];
    std::snprintf(inner, sizeof inner, "%s", error);
    std::snprintf(error, error_size, "%s: %s", path, inner);
  }
  return st;
}

tadm_status tadm_image_write_png(const tadm_image* image, uint8_t** data, size_t* size, char* error,
                                 size_t error_size) {
  if (!image || !data || !size) {
    set_message(error, error_size, "NULL image or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *data = nullptr;
  *size = 0;
  std::string msg;
  const tadm_status st = guarded(msg, [&] {
    check_public(image);
    const tadm_limits limits = tadm::resolve_limits(nullptr);
    tadm::check_image_limits(image->width, image->height, limits, "the image");
    // The copy, and the PNG stream (at most about the raw size).
    tadm::check_memory(3 * tadm::image_bytes(image->width, image->height, image->channels, image->bit_depth), limits,
                       "writing the image as PNG");
    const std::vector<uint8_t> png = tadm::write_png(from_public(image, limits), tadm::PngWriteOptions{});
    *data = copy_out(png);
    *size = png.size();
  });
  set_message(error, error_size, msg);
  return st;
}

tadm_status tadm_image_write(const tadm_image* image, tadm_image_format format, int quality, uint8_t** data,
                             size_t* size, char* error, size_t error_size) {
  if (!image || !data || !size) {
    set_message(error, error_size, "NULL image or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *data = nullptr;
  *size = 0;
  std::string msg, warning;
  const tadm_status st = guarded(msg, [&] {
    // Read as an int: a C caller can pass any value in the enum's storage (loading an
    // out-of-range enum is undefined behaviour).
    static_assert(sizeof(tadm_image_format) == sizeof(int));
    int f = 0;
    std::memcpy(&f, &format, sizeof f);
    if (f < TADM_IMAGE_PNG || f > TADM_IMAGE_PPM)
      fail(TADM_ERROR_INVALID_ARGUMENT, "image format " + std::to_string(f) + " is not one of tadm_image_format");
    if (quality < 0 || quality > 100)
      fail(TADM_ERROR_INVALID_ARGUMENT, "quality " + std::to_string(quality) + " is outside 0..100");
    check_public(image);
    const tadm_limits limits = tadm::resolve_limits(nullptr);
    tadm::check_image_limits(image->width, image->height, limits, "the image");
    const bool lossy = f == TADM_IMAGE_JPEG || f == TADM_IMAGE_WEBP;
    const char* name = f == TADM_IMAGE_JPEG ? "JPEG" : f == TADM_IMAGE_WEBP ? "WebP" : f == TADM_IMAGE_PPM ? "PPM" : "PAM";
    if (f == TADM_IMAGE_WEBP && (image->width > 16383 || image->height > 16383))
      fail(TADM_ERROR_UNSUPPORTED, "WebP is at most 16383 pixels per side; this image is " +
                                       std::to_string(image->width) + "x" + std::to_string(image->height));
    if (f == TADM_IMAGE_JPEG && (image->width > 65500 || image->height > 65500))
      fail(TADM_ERROR_UNSUPPORTED, "JPEG is at most 65500 pixels per side");
    // The copy, float planes when bits or channels change, and the output (at most about the raw size).
    tadm::check_memory(3 * tadm::image_bytes(image->width, image->height, image->channels, image->bit_depth) +
                           (lossy ? tadm::planes_bytes(image->width, image->height, 4) : 0),
                       limits, "writing the image");
    tadm::Image im = from_public(image, limits);
    std::vector<uint8_t> bytes;
    if (f == TADM_IMAGE_PNG) {
      bytes = tadm::write_png(im, tadm::PngWriteOptions{});
    } else {
      std::vector<std::string> lost;
      const bool drops_alpha = im.has_alpha() && (f == TADM_IMAGE_JPEG || f == TADM_IMAGE_PPM);
      if (drops_alpha) lost.emplace_back("alpha");
      if (lossy && im.bit_depth == 16) lost.emplace_back("16-bit samples (reduced to 8)");
      if (!im.metadata.icc.empty() || !im.metadata.exif.empty() || !im.metadata.xmp.empty())
        lost.emplace_back("ICC/EXIF/XMP metadata");
      if (lossy) {
        // JPEG and WebP hold 8 bits; the LR encoders take 8-bit images without metadata.
        if (im.bit_depth == 16 || drops_alpha) {
          const std::optional<tadm::Planes> alpha = drops_alpha ? std::nullopt : tadm::alpha_plane(im);
          im = tadm::to_image(tadm::rgb_planes(im), alpha ? &*alpha : nullptr, im.is_gray(), 8);
        }
        tadm::LrEncodeOptions options;
        options.codec = f == TADM_IMAGE_JPEG ? tadm::LrCodec::kJpeg : tadm::LrCodec::kWebp;
        options.quality = quality ? quality : 90;
        bytes = tadm::encode_lr(im, options, tadm::PngWriteOptions{});
      } else {
        bytes = tadm::write_pnm(im, f == TADM_IMAGE_PAM);
      }
      for (std::size_t k = 0; k < lost.size(); ++k) warning += (k ? ", " : "") + lost[k];
      if (!warning.empty()) warning = std::string(name) + " output does not keep " + warning;
    }
    *data = copy_out(bytes);
    *size = bytes.size();
  });
  set_message(error, error_size, st == TADM_OK ? warning : msg);
  return st;
}

tadm_status tadm_image_resize(const tadm_image* image, uint32_t width, uint32_t height, tadm_image** out,
                              char* error, size_t error_size) {
  if (!image || !out) {
    set_message(error, error_size, "NULL image or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  std::string msg;
  const tadm_status st = guarded(msg, [&] {
    check_public(image);
    if (width == 0 || height == 0) fail(TADM_ERROR_INVALID_ARGUMENT, "the new width and height must be positive");
    const tadm_limits limits = tadm::resolve_limits(nullptr);
    tadm::check_image_limits(image->width, image->height, limits, "the image");
    tadm::check_image_limits(width, height, limits, "the resized image");
    // The copy and its planes, the resampled planes (and the horizontal pass) and the result.
    tadm::check_memory(tadm::image_bytes(image->width, image->height, image->channels, image->bit_depth) +
                           tadm::planes_bytes(image->width, image->height, 4) +
                           2 * tadm::planes_bytes(std::max(width, image->width), height, 4) +
                           tadm::image_bytes(width, height, image->channels, image->bit_depth),
                       limits, "resizing the image");
    const tadm::Image im = from_public(image, limits);
    const tadm::Planes rgb = tadm::resample(tadm::rgb_planes(im), width, height, tadm::ResampleFilter::kBicubic, 1);
    std::optional<tadm::Planes> alpha = tadm::alpha_plane(im);
    if (alpha) alpha = tadm::resample(*alpha, width, height, tadm::ResampleFilter::kBicubic, 1);
    tadm::Image resized = tadm::to_image(rgb, alpha ? &*alpha : nullptr, im.is_gray(), im.bit_depth);
    resized.metadata = im.metadata;
    *out = to_public(resized);
  });
  set_message(error, error_size, msg);
  return st;
}

void tadm_buffer_free(uint8_t* data) { std::free(data); }

// ---------------------------------------------------------------- common settings

void tadm_common_default_settings(tadm_common_settings* s) {
  if (!s) return;
  std::memset(s, 0, sizeof *s);
  s->device = TADM_DEVICE_AUTO;
}

// ---------------------------------------------------------------- encoder

void tadm_encoder_default_settings(tadm_encoder_settings* s) {
  if (!s) return;
  std::memset(s, 0, sizeof *s);
  s->struct_size = sizeof *s;
  tadm_common_default_settings(&s->common);
  s->png_effort = 2;
  s->lr_codec = TADM_LR_AUTO;
}

tadm_status tadm_encoder_create(const tadm_encoder_settings* settings, tadm_encoder** out, char* error,
                                size_t error_size) {
  if (!out) return TADM_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  tadm_encoder_settings full;
  if (!settings_with_defaults(settings, tadm_encoder_default_settings, "tadm_encoder_default_settings", full, error,
                              error_size))
    return TADM_ERROR_INVALID_ARGUMENT;
  std::string msg;
  const tadm_status st = guarded(msg, [&] {
    auto enc = std::make_unique<tadm_encoder>();
    if (tadm::chooses_operating_point(full)) enc->chooser = std::make_unique<tadm::RateControlledEncoder>(full);
    else enc->fixed = std::make_unique<tadm::Encoder>(full);
    enc->label_model();
    *out = enc.release();
  });
  set_message(error, error_size, msg);
  return st;
}

void tadm_encoder_destroy(tadm_encoder* encoder) { delete encoder; }

tadm_status tadm_encoder_encode(tadm_encoder* encoder, const tadm_image* image, uint8_t** data, size_t* size) {
  if (!encoder) return TADM_ERROR_INVALID_ARGUMENT;
  if (!data || !size) {
    set_safely(encoder->last_error, "", "output pointers are NULL");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *data = nullptr;
  *size = 0;
  return guarded(encoder->last_error, [&] {
    check_public(image);
    tadm::Encoder& impl = encoder->impl();
    impl.check_input(image->width, image->height, image->channels, image->bit_depth);
    const tadm::Image copy = from_public(image, impl.limits());
    const std::vector<uint8_t> bytes = encoder->fixed ? impl.encode(copy) : encoder->chooser->encode(copy);
    encoder->label_model();
    *data = copy_out(bytes);
    *size = bytes.size();
  });
}

const char* tadm_encoder_last_error(const tadm_encoder* encoder) {
  return encoder ? encoder->last_error.c_str() : "no encoder";
}

const char* tadm_encoder_model_name(const tadm_encoder* encoder) {
  return encoder ? encoder->model_label.c_str() : "";
}

uint32_t tadm_encoder_scale(const tadm_encoder* encoder) { return encoder ? encoder->impl().scale().x : 0; }
uint32_t tadm_encoder_scale_y(const tadm_encoder* encoder) { return encoder ? encoder->impl().scale().y : 0; }

tadm_lr_codec tadm_encoder_lr_codec(const tadm_encoder* encoder) {
  return encoder ? static_cast<tadm_lr_codec>(encoder->impl().lr_codec()) : TADM_LR_PNG;
}

int tadm_encoder_lr_quality(const tadm_encoder* encoder) { return encoder ? encoder->impl().lr_quality() : 0; }

// ---------------------------------------------------------------- decoder

void tadm_decoder_default_settings(tadm_decoder_settings* s) {
  if (!s) return;
  std::memset(s, 0, sizeof *s);
  s->struct_size = sizeof *s;
  tadm_common_default_settings(&s->common);
  s->classic_upscaler = TADM_UPSCALER_BICUBIC;
}

tadm_status tadm_decoder_create(const tadm_decoder_settings* settings, tadm_decoder** out, char* error,
                                size_t error_size) {
  if (!out) return TADM_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  tadm_decoder_settings full;
  if (!settings_with_defaults(settings, tadm_decoder_default_settings, "tadm_decoder_default_settings", full, error,
                              error_size))
    return TADM_ERROR_INVALID_ARGUMENT;
  std::string msg;
  const tadm_status st = guarded(msg, [&] {
    auto dec = std::make_unique<tadm_decoder>();
    dec->impl = std::make_unique<tadm::Decoder>(full);
    *out = dec.release();
  });
  set_message(error, error_size, msg);
  return st;
}

void tadm_decoder_destroy(tadm_decoder* decoder) { delete decoder; }

tadm_status tadm_decoder_decode(tadm_decoder* decoder, const uint8_t* data, size_t size, tadm_image** out) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  if (!out || (!data && size)) {
    set_safely(decoder->last_error, "", "NULL data or output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  return guarded(decoder->last_error, [&] { *out = to_public(decoder->impl->decode({data, size})); });
}

tadm_status tadm_decoder_upscale(tadm_decoder* decoder, const tadm_image* lr, uint32_t scale, tadm_image** out) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  if (!out) {
    set_safely(decoder->last_error, "", "NULL output pointer");
    return TADM_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  return guarded(decoder->last_error, [&] { *out = to_public(decoder->impl->upscale(from_public(lr, decoder->impl->limits()), scale)); });
}

const char* tadm_decoder_last_error(const tadm_decoder* decoder) {
  return decoder ? decoder->last_error.c_str() : "no decoder";
}

tadm_status tadm_decoder_parse(tadm_decoder* decoder, const uint8_t* data, size_t size, const tadm_file_info** info) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  return parse_into(decoder, info, [&] {
    if (!data && size) fail(TADM_ERROR_INVALID_ARGUMENT, "NULL data with a size");
    return std::vector<uint8_t>(data, data + size);
  });
}

tadm_status tadm_decoder_parse_io(tadm_decoder* decoder, const tadm_io* io, const tadm_file_info** info) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  return parse_into(decoder, info, [&] {
    if (!io || !io->read) fail(TADM_ERROR_INVALID_ARGUMENT, "NULL io or read callback");
    const tadm_limits& limits = decoder->impl->limits();
    // The whole stream is held while it is parsed, and the parsed copy beside it.
    tadm::check_memory(2 * io->size, limits, "reading a stream of " + std::to_string(io->size) + " bytes");
    std::vector<uint8_t> bytes(static_cast<size_t>(io->size));
    constexpr size_t kPiece = size_t{1} << 20;
    for (uint64_t at = 0; at < io->size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kPiece, io->size - at));
      if (io->read(io->user, at, bytes.data() + at, n) != 0)
        fail(TADM_ERROR_IO, "the read callback failed for " + std::to_string(n) + " bytes at offset " + std::to_string(at));
      at += n;
    }
    return bytes;
  });
}

tadm_status tadm_decoder_thumbnail(tadm_decoder* decoder, tadm_image** out) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  if (out) *out = nullptr;
  return guarded(decoder->last_error, [&] {
    if (!out) fail(TADM_ERROR_INVALID_ARGUMENT, "NULL output pointer");
    *out = to_public(tadm::thumbnail_image(parsed_file(decoder), decoder->impl->limits()));
  });
}

tadm_status tadm_decoder_decode_parsed(tadm_decoder* decoder, tadm_image** out) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  if (out) *out = nullptr;
  return guarded(decoder->last_error, [&] {
    if (!out) fail(TADM_ERROR_INVALID_ARGUMENT, "NULL output pointer");
    *out = to_public(decoder->impl->decode(parsed_file(decoder)));
  });
}

tadm_status tadm_decoder_decode_into(tadm_decoder* decoder, tadm_image* image) {
  if (!decoder) return TADM_ERROR_INVALID_ARGUMENT;
  return guarded(decoder->last_error, [&] {
    const tadm::container::File& file = parsed_file(decoder);
    check_public(image);
    const uint32_t channels = ((file.flags & tadm::container::kFlagGrayscale) ? 1u : 3u) +
                              ((file.flags & tadm::container::kFlagAlpha) ? 1u : 0u);
    if (image->width != file.width || image->height != file.height || image->channels != channels)
      fail(TADM_ERROR_INVALID_ARGUMENT, "the buffer is " + std::to_string(image->width) + "x" +
                                            std::to_string(image->height) + " with " + std::to_string(image->channels) +
                                            " channels; the file decodes to " + std::to_string(file.width) + "x" +
                                            std::to_string(file.height) + " with " + std::to_string(channels));
    const size_t row = size_t{image->width} * image->channels * (image->bit_depth / 8);
    if (image->row_bytes < row)
      fail(TADM_ERROR_INVALID_ARGUMENT, "row_bytes " + std::to_string(image->row_bytes) + " is smaller than a row (" +
                                            std::to_string(row) + " bytes)");
    const tadm::Image im = decoder->impl->decode(file, image->bit_depth);
    for (uint32_t y = 0; y < im.height; ++y)
      std::memcpy(image->pixels + y * image->row_bytes, im.pixels.data() + y * row, row);
  });
}

// ---------------------------------------------------------------- inspection

tadm_status tadm_extract_thumbnail(const uint8_t* data, size_t size, const tadm_limits* limits, uint8_t** png,
                                   size_t* png_size, char* error, size_t error_size) {
  return inspect(png && png_size && (data || !size), error, error_size, [&] {
    *png = nullptr;
    *png_size = 0;
    std::vector<uint8_t> bytes, storage;
    const tadm_limits resolved = tadm::resolve_limits(limits);
    const auto l = tadm::container_limits(resolved);
    const std::span<const uint8_t> input{data, size};
    if (auto e = tadm::container::extract_lr_image(tadm::as_tadm(input, resolved, 1, storage), l, bytes))
      fail(tadm::container_status(e.code), tadm::invalid_file_message(input) + ": " + e.message);
    *png = copy_out(bytes);
    *png_size = bytes.size();
  });
}

tadm_status tadm_decode_thumbnail(const uint8_t* data, size_t size, const tadm_limits* limits, tadm_image** out,
                                  char* error, size_t error_size) {
  return inspect(out && (data || !size), error, error_size, [&] {
    *out = nullptr;
    const tadm_limits resolved = tadm::resolve_limits(limits);
    *out = to_public(tadm::thumbnail_image(tadm::read_container({data, size}, resolved, 1), resolved));
  });
}

tadm_status tadm_file_info_read(const uint8_t* data, size_t size, const tadm_limits* limits, tadm_file_info** out,
                                char* error, size_t error_size) {
  return inspect(out && (data || !size), error, error_size, [&] {
    *out = nullptr;
    const std::span<const uint8_t> input{data, size};
    const tadm::container::File f = tadm::read_container(input, tadm::resolve_limits(limits), 1);
    *out = make_info(f, size, tadm::interop::sniff(input)).release();
  });
}

void tadm_file_info_free(tadm_file_info* info) {
  if (!info) return;
  std::free(info->chunks);
  for (const uint8_t* p : {info->icc, info->exif, info->xmp, info->hint_values}) std::free(const_cast<uint8_t*>(p));
  std::free(info);
}

tadm_status tadm_file_info_json(const tadm_file_info* info, char** json, char* error, size_t error_size) {
  return inspect(info && json, error, error_size, [&] {
    *json = nullptr;
    const std::string text = info_json(*info).dump(2);
    std::vector<uint8_t> bytes(text.begin(), text.end());
    bytes.push_back(0);
    *json = reinterpret_cast<char*>(copy_out(bytes));
  });
}

tadm_status tadm_list_models(const char* model_dir, char** text, char* error, size_t error_size) {
  return inspect(text != nullptr, error, error_size, [&] {
    *text = nullptr;
    namespace fs = std::filesystem;
    const auto& c = tadm::classic_identity();
    std::string s = c.name + "\t0\t" + c.version + "\t" + tadm::to_hex(c.sha256) + "\t(built in)\t2..64\n";
    for (const fs::path& dir : tadm::installed_bundles(model_dir ? model_dir : "")) {
      try {
        const tadm::Bundle b = tadm::load_bundle(dir);
        const std::string scales = b.scale_max ? std::to_string(b.scale_min) + ".." + std::to_string(b.scale_max)
                                               : std::to_string(b.scale);
        s += b.identity.name + "\t" + std::to_string(b.scale) + "\t" + b.identity.version + "\t" +
             tadm::to_hex(b.identity.sha256) + "\t" + dir.string() + "\t" + scales + "\n";
      } catch (const Error& e) {
        s += dir.filename().string() + "\t-\t-\t(invalid: " + std::string(e.what()) + ")\t" + dir.string() + "\t-\n";
      }
    }
    std::vector<uint8_t> bytes(s.begin(), s.end());
    bytes.push_back(0);
    *text = reinterpret_cast<char*>(copy_out(bytes));
  });
}

}  // extern "C"
