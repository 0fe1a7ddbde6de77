// tadm._tadm: the compiled half of the Python package, over the public C API only (tadm.h).
// The pure-Python package (plugins/python/tadm) gives it the documented interface; this file
// converts between numpy arrays / bytes and tadm_image, and turns statuses into tadm.Error.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "tadm/tadm.h"

namespace py = pybind11;

namespace {

// A failed call; turned into the tadm.Error subclass for `status` by the translator below.
struct Failure {
  tadm_status status;
  std::string message;
};

const char* status_name(tadm_status s) {
  switch (s) {
    case TADM_OK: return "OK";
    case TADM_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case TADM_ERROR_IO: return "IO";
    case TADM_ERROR_CORRUPT: return "CORRUPT";
    case TADM_ERROR_UNSUPPORTED: return "UNSUPPORTED";
    case TADM_ERROR_LIMIT: return "LIMIT";
    case TADM_ERROR_MODEL: return "MODEL";
    case TADM_ERROR_MODEL_MISMATCH: return "MODEL_MISMATCH";
    case TADM_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case TADM_ERROR_CANCELLED: return "CANCELLED";
    case TADM_ERROR_INTERNAL: return "INTERNAL";
  }
  return "UNKNOWN";
}

[[noreturn]] void fail(tadm_status status, const char* message) {
  throw Failure{status, message && *message ? message : tadm_status_string(status)};
}

struct ImageDeleter {
  void operator()(tadm_image* p) const { tadm_image_free(p); }
};
using ImagePtr = std::unique_ptr<tadm_image, ImageDeleter>;

struct BufferDeleter {
  void operator()(uint8_t* p) const { tadm_buffer_free(p); }
};
using BufferPtr = std::unique_ptr<uint8_t, BufferDeleter>;

py::bytes to_bytes(const uint8_t* data, size_t size) {
  return py::bytes(reinterpret_cast<const char*>(data), size);
}

// ------------------------------------------------------------------ settings from keywords

template <typename Enum>
Enum parse_choice(const std::string& what, const std::string& value,
                  std::initializer_list<std::pair<const char*, Enum>> choices) {
  std::string names;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    names += names.empty() ? "" : ", ";
    names += name;
  }
  throw py::value_error(what + " must be one of " + names + ", not '" + value + "'");
}

tadm_device parse_device(const std::string& s) {
  return parse_choice<tadm_device>("device", s,
                                   {{"auto", TADM_DEVICE_AUTO}, {"cpu", TADM_DEVICE_CPU}, {"cuda", TADM_DEVICE_CUDA}});
}

tadm_lr_codec parse_lr_codec(const std::string& s) {
  return parse_choice<tadm_lr_codec>("lr_codec", s,
                                     {{"model", TADM_LR_AUTO}, {"auto", TADM_LR_ANY}, {"png", TADM_LR_PNG}, {"jpeg", TADM_LR_JPEG},
                                      {"webp", TADM_LR_WEBP}, {"jxl", TADM_LR_JXL}, {"avif", TADM_LR_AVIF}});
}

const char* lr_codec_name(uint32_t c) {
  switch (c) {
    case TADM_LR_PNG: return "png";
    case TADM_LR_JPEG: return "jpeg";
    case TADM_LR_WEBP: return "webp";
    case TADM_LR_JXL: return "jxl";
    case TADM_LR_AVIF: return "avif";
    default: return "unknown";
  }
}

uint32_t non_negative(const char* what, long long v, long long max) {
  if (v < 0 || v > max) throw py::value_error(std::string(what) + " must be in 0.." + std::to_string(max));
  return static_cast<uint32_t>(v);
}

// Limits in keywords: 0 keeps the library's default.
struct Limits {
  unsigned long long max_pixels = 0;
  long long max_dimension = 0, max_memory_mib = 0;
  bool allow_corrupt = false;

  tadm_limits get() const {
    tadm_limits l{};
    l.max_pixels = max_pixels;
    l.max_dimension = non_negative("max_dimension", max_dimension, UINT32_MAX);
    l.max_memory_mib = non_negative("max_memory_mib", max_memory_mib, UINT32_MAX);
    l.allow_corrupt = allow_corrupt ? 1 : 0;
    return l;
  }
};

// A read-only view of any contiguous bytes-like object. The buffer stays exported (a bytearray
// cannot be resized) while the GIL is released, and is released again with the GIL held.
class ByteView {
 public:
  explicit ByteView(const py::handle& obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  }
  ~ByteView() { PyBuffer_Release(&view_); }
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;
  const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
  size_t size() const { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// ------------------------------------------------------------------ images <-> numpy

// H x W (gray) or H x W x C, C in 1..4, uint8 or uint16 native-endian, any strides.
ImagePtr image_from_array(const py::array& a) {
  const py::dtype dt = a.dtype();
  const bool unsigned_int = dt.kind() == 'u' && dt.attr("isnative").cast<bool>();
  const bool u8 = unsigned_int && dt.itemsize() == 1;
  const bool u16 = unsigned_int && dt.itemsize() == 2;
  if (!u8 && !u16)
    throw py::type_error("image arrays must be uint8 or uint16 (native byte order), not " +
                         dt.attr("str").cast<std::string>());
  if (a.ndim() != 2 && a.ndim() != 3)
    throw py::value_error("image arrays must be H x W or H x W x C, not " + std::to_string(a.ndim()) + "-D");
  const py::ssize_t h = a.shape(0), w = a.shape(1), c = a.ndim() == 3 ? a.shape(2) : 1;
  if (c < 1 || c > 4) throw py::value_error("image arrays need 1 to 4 channels, not " + std::to_string(c));
  if (h < 1 || w < 1 || h > UINT32_MAX || w > UINT32_MAX)
    throw py::value_error("image arrays must be at least 1 x 1");
  tadm_image* raw = nullptr;
  char err[1024] = {};
  const tadm_status st = tadm_image_create(static_cast<uint32_t>(w), static_cast<uint32_t>(h),
                                           static_cast<uint32_t>(c), u8 ? 8 : 16, &raw, err, sizeof err);
  if (st != TADM_OK) fail(st, err);
  ImagePtr im(raw);
  const py::ssize_t item = u8 ? 1 : 2;
  const py::ssize_t sy = a.strides(0), sx = a.strides(1), sc = a.ndim() == 3 ? a.strides(2) : item;
  const auto* base = static_cast<const uint8_t*>(a.data());
  for (py::ssize_t y = 0; y < h; ++y) {
    uint8_t* row = im->pixels + static_cast<size_t>(y) * im->row_bytes;
    const uint8_t* src = base + y * sy;
    if (sx == c * item && sc == item) {
      std::memcpy(row, src, static_cast<size_t>(w * c * item));
      continue;
    }
    for (py::ssize_t x = 0; x < w; ++x)
      for (py::ssize_t k = 0; k < c; ++k)
        std::memcpy(row + (x * c + k) * item, src + x * sx + k * sc, static_cast<size_t>(item));
  }
  return im;
}

// H x W x C without copying: the array owns the tadm_image through a capsule.
py::array array_from_image(ImagePtr im) {
  const auto item = static_cast<py::ssize_t>(im->bit_depth / 8);
  const std::vector<py::ssize_t> shape{im->height, im->width, im->channels};
  const std::vector<py::ssize_t> strides{static_cast<py::ssize_t>(im->row_bytes),
                                         static_cast<py::ssize_t>(im->channels) * item, item};
  const py::dtype dt = im->bit_depth == 16 ? py::dtype::of<uint16_t>() : py::dtype::of<uint8_t>();
  void* pixels = im->pixels;
  py::capsule owner(im.get(), [](void* p) { tadm_image_free(static_cast<tadm_image*>(p)); });
  im.release();
  return py::array(dt, shape, strides, pixels, owner);
}

py::dict metadata_of(const tadm_image& im) {
  py::dict d;
  d["icc_profile"] = im.icc ? py::object(to_bytes(im.icc, im.icc_size)) : py::none();
  d["exif"] = im.exif ? py::object(to_bytes(im.exif, im.exif_size)) : py::none();
  d["xmp"] = im.xmp ? py::object(to_bytes(im.xmp, im.xmp_size)) : py::none();
  d["cicp"] = im.has_cicp ? py::object(py::make_tuple(im.cicp[0], im.cicp[1], im.cicp[2], im.cicp[3]))
                          : py::none();
  d["bit_depth"] = im.bit_depth;
  return d;
}

void set_metadata(tadm_image* im, const py::dict& meta) {
  for (const char* which : {"icc", "exif", "xmp"}) {
    const std::string key = std::string(which) == "icc" ? "icc_profile" : which;
    if (!meta.contains(key) || meta[key.c_str()].is_none()) continue;
    ByteView v(meta[py::str(key)]);
    char err[1024] = {};
    const tadm_status st = tadm_image_set_metadata(im, which, v.data(), v.size(), err, sizeof err);
    if (st != TADM_OK) fail(st, ("cannot attach " + key + ": " + err).c_str());
  }
  if (meta.contains("cicp") && !meta["cicp"].is_none()) {
    const auto cicp = meta["cicp"].cast<std::vector<int>>();
    if (cicp.size() != 4) throw py::value_error("cicp must be (primaries, transfer, matrix, full_range)");
    for (size_t i = 0; i < 4; ++i) {
      if (cicp[i] < 0 || cicp[i] > 255) throw py::value_error("cicp values must be in 0..255");
      im->cicp[i] = static_cast<uint8_t>(cicp[i]);
    }
    im->has_cicp = 1;
  }
}

// ------------------------------------------------------------------ encoder / decoder

// The settings both handles take from their keywords; `model` and `model_dir` must outlive the
// create call (the settings point into them).
tadm_common_settings common_settings(const std::optional<std::string>& model,
                                     const std::optional<std::string>& model_dir, int threads,
                                     const std::string& device, const Limits& limits) {
  tadm_common_settings c;
  tadm_common_default_settings(&c);
  c.model = model ? model->c_str() : nullptr;
  c.model_dir = model_dir ? model_dir->c_str() : nullptr;
  if (threads < 0) throw py::value_error("threads must be >= 0 (0 = all cores)");
  c.threads = threads;
  c.device = parse_device(device);
  c.limits = limits.get();
  return c;
}

// One handle; calls on the same object run one at a time (the C handles keep per-call state
// such as the last error), calls on different objects run in parallel without the GIL.
class Encoder {
 public:
  Encoder(std::optional<std::string> model, std::optional<std::string> model_dir, long long scale, int threads,
          const std::string& device, const std::string& container, const std::string& lr_codec, int lr_quality,
          bool lr_lossless, long long target_bytes, int refine_iterations, int png_effort, const Limits& limits,
          const std::string& profile, int target_effort, long long scale_y)
      : model_(std::move(model)), model_dir_(std::move(model_dir)) {
    tadm_encoder_settings s;
    tadm_encoder_default_settings(&s);
    s.common = common_settings(model_, model_dir_, threads, device, limits);
    s.scale = non_negative("scale", scale, 64);
    s.scale_y = non_negative("scale_y", scale_y, 64);
    s.container = parse_choice<tadm_container_format>(
        "container", container,
        {{"tadm", TADM_CONTAINER_TADM}, {"heif", TADM_CONTAINER_HEIF}, {"avif", TADM_CONTAINER_AVIF}});
    s.lr_codec = parse_lr_codec(lr_codec);
    s.profile = parse_choice<tadm_profile>(
        "profile", profile, {{"fidelity", TADM_PROFILE_FIDELITY}, {"perceptual", TADM_PROFILE_PERCEPTUAL}});
    if (lr_quality < 0 || lr_quality > 100) throw py::value_error("lr_quality must be in 1..100 (0 = default)");
    s.lr_quality = lr_quality;
    s.lr_lossless = lr_lossless ? 1 : 0;
    s.target_bytes = non_negative("target_bytes", target_bytes, UINT32_MAX);
    s.target_effort = target_effort;  // the engine refuses values outside 0..1
    s.refine_iterations = refine_iterations;
    if (png_effort >= 0) s.png_effort = png_effort;
    limits_ = s.common.limits;
    tadm_encoder* raw = nullptr;
    char err[1024] = {};
    tadm_status st;
    {
      py::gil_scoped_release nogil;  // a learned model load takes a while
      st = tadm_encoder_create(&s, &raw, err, sizeof err);
    }
    if (st != TADM_OK) fail(st, err);
    handle_.reset(raw);
  }

  py::bytes encode_array(const py::array& a, const py::dict& meta) {
    ImagePtr im = image_from_array(a);
    set_metadata(im.get(), meta);
    return encode(*im);
  }

  // PNG or JPEG, from a file or from memory: the library reads it with its ICC/EXIF/XMP.
  py::bytes encode_file(const std::string& path) {
    ImagePtr im;
    {
      py::gil_scoped_release nogil;
      im = read(path.c_str(), nullptr, 0);
    }
    return encode(*im);
  }
  py::bytes encode_encoded(const py::object& b) {
    ByteView v(b);
    ImagePtr im;
    {
      py::gil_scoped_release nogil;
      im = read(nullptr, v.data(), v.size());
    }
    return encode(*im);
  }

  std::string model() const { return tadm_encoder_model_name(handle_.get()); }
  uint32_t scale() const { return tadm_encoder_scale(handle_.get()); }
  uint32_t scale_y() const { return tadm_encoder_scale_y(handle_.get()); }
  std::string lr_codec() const { return lr_codec_name(tadm_encoder_lr_codec(handle_.get())); }
  int lr_quality() const { return tadm_encoder_lr_quality(handle_.get()); }

 private:
  ImagePtr read(const char* path, const uint8_t* data, size_t size) {
    tadm_image* raw = nullptr;
    char err[1024] = {};
    const tadm_status st = path ? tadm_image_read_file(path, &limits_, &raw, err, sizeof err)
                                : tadm_image_read_memory(data, size, &limits_, &raw, err, sizeof err);
    if (st != TADM_OK) fail(st, err);
    return ImagePtr(raw);
  }

  py::bytes encode(const tadm_image& im) {
    uint8_t* data = nullptr;
    size_t size = 0;
    tadm_status st;
    std::string err;
    {
      py::gil_scoped_release nogil;
      std::lock_guard lock(mutex_);
      st = tadm_encoder_encode(handle_.get(), &im, &data, &size);
      if (st != TADM_OK) err = tadm_encoder_last_error(handle_.get());
    }
    BufferPtr owner(data);
    if (st != TADM_OK) fail(st, err.c_str());
    return to_bytes(data, size);
  }

  struct Deleter {
    void operator()(tadm_encoder* e) const { tadm_encoder_destroy(e); }
  };
  std::optional<std::string> model_, model_dir_;  // the settings point into these
  tadm_limits limits_{};
  std::unique_ptr<tadm_encoder, Deleter> handle_;
  std::mutex mutex_;
};

class Decoder {
 public:
  Decoder(std::optional<std::string> model, std::optional<std::string> model_dir, bool force_model, int threads,
          const std::string& device, const std::string& upscaler, int bit_depth, const std::string& precision,
          const Limits& limits)
      : model_(std::move(model)), model_dir_(std::move(model_dir)) {
    tadm_decoder_settings s;
    tadm_decoder_default_settings(&s);
    s.common = common_settings(model_, model_dir_, threads, device, limits);
    s.force_model = force_model ? 1 : 0;
    s.classic_upscaler = parse_choice<tadm_upscaler>(
        "upscaler", upscaler, {{"bicubic", TADM_UPSCALER_BICUBIC}, {"lanczos", TADM_UPSCALER_LANCZOS}});
    if (bit_depth != 0 && bit_depth != 8 && bit_depth != 16)
      throw py::value_error("bit_depth must be 8, 16 or 0 (the original's)");
    s.output_bit_depth = bit_depth;
    s.precision = parse_choice<tadm_precision>(
        "precision", precision,
        {{"auto", TADM_PRECISION_AUTO}, {"fp32", TADM_PRECISION_FP32}, {"bf16", TADM_PRECISION_BF16}});
    tadm_decoder* raw = nullptr;
    char err[1024] = {};
    tadm_status st;
    {
      py::gil_scoped_release nogil;
      st = tadm_decoder_create(&s, &raw, err, sizeof err);
    }
    if (st != TADM_OK) fail(st, err);
    handle_.reset(raw);
  }

  // (pixels, metadata)
  py::tuple decode(const py::object& b) {
    ByteView v(b);
    tadm_image* raw = nullptr;
    tadm_status st;
    std::string err;
    {
      py::gil_scoped_release nogil;
      std::lock_guard lock(mutex_);
      st = tadm_decoder_decode(handle_.get(), v.data(), v.size(), &raw);
      if (st != TADM_OK) err = tadm_decoder_last_error(handle_.get());
    }
    ImagePtr im(raw);
    if (st != TADM_OK) fail(st, err.c_str());
    py::dict meta = metadata_of(*im);
    return py::make_tuple(array_from_image(std::move(im)), meta);
  }

 private:
  struct Deleter {
    void operator()(tadm_decoder* d) const { tadm_decoder_destroy(d); }
  };
  std::optional<std::string> model_, model_dir_;
  std::unique_ptr<tadm_decoder, Deleter> handle_;
  std::mutex mutex_;
};

// ------------------------------------------------------------------ inspection

// The file's fields as tadm_file_info_json gives them (the keys tadminfo --json prints).
std::string file_info_json(const py::object& b, const Limits& limits) {
  ByteView v(b);
  const tadm_limits l = limits.get();
  tadm_file_info* raw = nullptr;
  char err[1024] = {};
  tadm_status st = tadm_file_info_read(v.data(), v.size(), &l, &raw, err, sizeof err);
  if (st != TADM_OK) fail(st, err);
  std::unique_ptr<tadm_file_info, decltype(&tadm_file_info_free)> info(raw, tadm_file_info_free);
  char* text = nullptr;
  st = tadm_file_info_json(info.get(), &text, err, sizeof err);
  BufferPtr owner(reinterpret_cast<uint8_t*>(text));
  if (st != TADM_OK) fail(st, err);
  return text;
}

py::bytes extract_thumbnail(const py::object& b, const Limits& limits) {
  ByteView v(b);
  const tadm_limits l = limits.get();
  uint8_t* data = nullptr;
  size_t size = 0;
  char err[1024] = {};
  const tadm_status st = tadm_extract_thumbnail(v.data(), v.size(), &l, &data, &size, err, sizeof err);
  BufferPtr owner(data);
  if (st != TADM_OK) fail(st, err);
  return to_bytes(data, size);
}

// Runs `call(&image, error, error_size)`, a C call that makes an image, without the GIL; returns
// (pixels, metadata) or raises the library's error.
template <typename Call>
py::tuple image_and_metadata(Call&& call) {
  tadm_image* raw = nullptr;
  char err[1024] = {};
  tadm_status st;
  {
    py::gil_scoped_release nogil;
    st = call(&raw, err, sizeof err);
  }
  ImagePtr im(raw);
  if (st != TADM_OK) fail(st, err);
  py::dict meta = metadata_of(*im);
  return py::make_tuple(array_from_image(std::move(im)), meta);
}

// The stored thumbnail of a file, whatever its codec, to (pixels, metadata); no model runs.
py::tuple decode_thumbnail(const py::object& b, const Limits& limits) {
  ByteView v(b);
  const tadm_limits l = limits.get();
  return image_and_metadata([&](tadm_image** out, char* err, size_t size) {
    return tadm_decode_thumbnail(v.data(), v.size(), &l, out, err, size);
  });
}

// PNG, JPEG or WebP bytes to (pixels, metadata).
py::tuple read_image(const py::object& b, const Limits& limits) {
  ByteView v(b);
  const tadm_limits l = limits.get();
  return image_and_metadata([&](tadm_image** out, char* err, size_t size) {
    return tadm_image_read_memory(v.data(), v.size(), &l, out, err, size);
  });
}

py::bytes write_png(const py::array& a, const py::dict& meta) {
  ImagePtr im = image_from_array(a);
  set_metadata(im.get(), meta);
  uint8_t* data = nullptr;
  size_t size = 0;
  char err[1024] = {};
  tadm_status st;
  {
    py::gil_scoped_release nogil;
    st = tadm_image_write_png(im.get(), &data, &size, err, sizeof err);
  }
  BufferPtr owner(data);
  if (st != TADM_OK) fail(st, err);
  return to_bytes(data, size);
}

std::string list_models(std::optional<std::string> model_dir) {
  char* text = nullptr;
  char err[1024] = {};
  const tadm_status st = tadm_list_models(model_dir ? model_dir->c_str() : nullptr, &text, err, sizeof err);
  BufferPtr owner(reinterpret_cast<uint8_t*>(text));
  if (st != TADM_OK) fail(st, err);
  return text ? text : "";
}

}  // namespace

PYBIND11_MODULE(_tadm, m) {
  m.doc() = "tadm's compiled core (use the tadm package, not this module)";

  // The Python package defines the exception classes; `tadm._errors.from_status` builds one.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Failure& f) {
      py::object err = py::module_::import("tadm._errors")
                           .attr("from_status")(static_cast<int>(f.status), status_name(f.status), f.message);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
    }
  });

  py::class_<Limits>(m, "Limits")
      .def(py::init([](unsigned long long max_pixels, long long max_dimension, long long max_memory_mib,
                       bool allow_corrupt) {
             return Limits{max_pixels, max_dimension, max_memory_mib, allow_corrupt};
           }),
           py::kw_only(), py::arg("max_pixels") = 0, py::arg("max_dimension") = 0, py::arg("max_memory_mib") = 0,
           py::arg("allow_corrupt") = false);

  py::class_<Encoder>(m, "Encoder")
      .def(py::init<std::optional<std::string>, std::optional<std::string>, long long, int, const std::string&,
                    const std::string&, const std::string&, int, bool, long long, int, int, const Limits&,
                    const std::string&, int, long long>(),
           py::kw_only(), py::arg("model") = py::none(), py::arg("model_dir") = py::none(), py::arg("scale") = 0,
           py::arg("threads") = 0, py::arg("device") = "auto", py::arg("container") = "tadm",
           py::arg("lr_codec") = "model", py::arg("lr_quality") = 0, py::arg("lr_lossless") = false,
           py::arg("target_bytes") = 0, py::arg("refine_iterations") = 0, py::arg("png_effort") = -1,
           py::arg("limits") = Limits{}, py::arg("profile") = "fidelity", py::arg("target_effort") = 0,
           py::arg("scale_y") = 0)
      .def("encode_array", &Encoder::encode_array, py::arg("array"), py::arg("metadata") = py::dict())
      .def("encode_file", &Encoder::encode_file, py::arg("path"))
      .def("encode_encoded", &Encoder::encode_encoded, py::arg("data"))
      .def_property_readonly("model", &Encoder::model)
      .def_property_readonly("scale", &Encoder::scale)
      .def_property_readonly("scale_y", &Encoder::scale_y)
      .def_property_readonly("lr_codec", &Encoder::lr_codec)
      .def_property_readonly("lr_quality", &Encoder::lr_quality);

  py::class_<Decoder>(m, "Decoder")
      .def(py::init<std::optional<std::string>, std::optional<std::string>, bool, int, const std::string&,
                    const std::string&, int, const std::string&, const Limits&>(),
           py::kw_only(), py::arg("model") = py::none(), py::arg("model_dir") = py::none(),
           py::arg("force_model") = false, py::arg("threads") = 0, py::arg("device") = "auto",
           py::arg("upscaler") = "bicubic", py::arg("bit_depth") = 0, py::arg("precision") = "auto",
           py::arg("limits") = Limits{})
      .def("decode", &Decoder::decode, py::arg("data"));

  m.def("file_info_json", &file_info_json, py::arg("data"), py::arg("limits") = Limits{});
  m.def("extract_thumbnail", &extract_thumbnail, py::arg("data"), py::arg("limits") = Limits{});
  m.def("decode_thumbnail", &decode_thumbnail, py::arg("data"), py::arg("limits") = Limits{});
  m.def("read_image", &read_image, py::arg("data"), py::arg("limits") = Limits{});
  m.def("write_png", &write_png, py::arg("array"), py::arg("metadata") = py::dict());
  m.def("list_models", &list_models, py::arg("model_dir") = py::none());
  m.def("status_string", [](int s) { return std::string(tadm_status_string(static_cast<tadm_status>(s))); });
  m.attr("__version__") = tadm_version_string();
}
