#include "engine.hpp"

#include <algorithm>
#include <cstring>

#include "bundle.hpp"
#include "error.hpp"
#include "heif_avif.hpp"
#include "image_io.hpp"
#include "parallel.hpp"

namespace tadm {

// Maps a stage's own 0..1 to the call's overall progress and honours cancellation.
std::function<void(float)> stage_progress(tadm_progress_fn fn, void* user, float from, float to,
                                          const char* stage) {
  return [=](float f) {
    if (fn && fn(user, from + (to - from) * std::clamp(f, 0.0f, 1.0f), stage) != 0)
      fail(TADM_ERROR_CANCELLED, "cancelled by the progress callback");
  };
}

namespace {


ResampleFilter classic_filter(tadm_upscaler u) {
  return u == TADM_UPSCALER_LANCZOS ? ResampleFilter::kLanczos3 : ResampleFilter::kBicubic;
}

std::vector<std::uint8_t> optional_blob(const std::optional<std::vector<std::uint8_t>>& v) {
  return v ? *v : std::vector<std::uint8_t>{};
}

// The alpha of a file whose writer left out an alpha that was opaque everywhere.
Planes opaque_alpha(std::uint32_t width, std::uint32_t height) {
  Planes a(width, height, 1);
  std::fill(a.data.begin(), a.data.end(), 1.0f);
  return a;
}

Metadata file_metadata(const container::File& file) {
  Metadata md;
  md.icc = optional_blob(file.icc);
  md.exif = optional_blob(file.exif);
  md.xmp = optional_blob(file.xmp);
  if (file.cicp)
    md.cicp = std::array<std::uint8_t, 4>{file.cicp->colour_primaries, file.cicp->transfer_characteristics,
                                          file.cicp->matrix_coefficients, file.cicp->full_range};
  return md;
}

}  // namespace

container::Limits container_limits(const tadm_limits& limits) {
  container::Limits l;
  l.max_pixels = limits.max_pixels;
  l.max_dimension = limits.max_dimension;
  l.max_metadata_bytes = limits.max_metadata_bytes;
  return l;
}

tadm_status container_status(container::ErrorCode code) {
  switch (code) {
    case container::ErrorCode::kNone: return TADM_OK;
    case container::ErrorCode::kUnsupportedVersion:
    case container::ErrorCode::kUnknownCritical: return TADM_ERROR_UNSUPPORTED;
    case container::ErrorCode::kLimitExceeded: return TADM_ERROR_LIMIT;
    default: return TADM_ERROR_CORRUPT;
  }
}

std::span<const std::uint8_t> as_tadm(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads,
                                      std::vector<std::uint8_t>& storage) {
  if (interop::sniff(bytes) == TADM_CONTAINER_TADM) return bytes;
  storage = interop::unwrap(bytes, limits, threads);
  return storage;
}

std::string invalid_file_message(std::span<const std::uint8_t> bytes) {
  const tadm_container_format f = interop::sniff(bytes);
  if (f == TADM_CONTAINER_TADM) return "not a valid .tadm file";
  return std::string("the TADM header in this ") + (f == TADM_CONTAINER_HEIF ? "HEIF" : "AVIF") + " file is invalid";
}

container::File read_container(std::span<const std::uint8_t> input, const tadm_limits& limits, int threads) {
  std::vector<std::uint8_t> storage;
  container::File file;
  if (container::Error e = container::read(as_tadm(input, limits, threads, storage), container_limits(limits), file))
    fail(container_status(e.code), invalid_file_message(input) + ": " + e.message);
  return file;
}

Image decode_stored_thumbnail(const container::File& file, const tadm_limits& limits) {
  Image lr = decode_lr(file.lr_image, static_cast<LrCodec>(file.lr_codec), file.lr_width, file.lr_height, limits);
  if (lr.width != file.lr_width || lr.height != file.lr_height || lr.bit_depth != 8)
    fail(TADM_ERROR_CORRUPT, "the stored thumbnail does not match the container's LR size");
  return lr;
}

Image thumbnail_image(const container::File& file, const tadm_limits& limits) {
  Image lr = decode_stored_thumbnail(file, limits);
  const bool gray = (file.flags & container::kFlagGrayscale) != 0;
  const bool alpha = (file.flags & container::kFlagAlpha) != 0;
  if (lr.is_gray() != gray || lr.has_alpha() != alpha) {
    // A learned encoder's colour thumbnail of a gray original, or an opaque alpha the writer left out.
    check_memory(planes_bytes(lr.width, lr.height, 4) + 2 * image_bytes(lr.width, lr.height, 4, 8), limits,
                 "converting the thumbnail");
    std::optional<Planes> a = alpha_plane(lr);
    if (alpha && !a) a = opaque_alpha(lr.width, lr.height);
    lr = to_image(rgb_planes(lr), alpha ? &*a : nullptr, gray, 8);
  }
  lr.metadata = file_metadata(file);
  return lr;
}

// The smallest tile the budget may shrink a learned model's tiles to: below it margins would
// cost more than cores and the run would crawl.
constexpr std::uint64_t kMinBudgetTilePixels = 256 * 256;

void fit_memory_budget(RunContext& ctx, std::uint64_t fixed, const MemoryUse& model, std::uint64_t pixels,
                       const std::string& what) {
  const std::uint64_t base = fixed + model.per_pixel * pixels;
  const std::uint64_t min_tiles = model.per_tile_pixel * std::min<std::uint64_t>(kMinBudgetTilePixels, pixels);
  check_memory(base + min_tiles, ctx.limits, what);
  if (model.per_tile_pixel == 0) return;
  const std::uint64_t room = (memory_budget(ctx.limits) - base) / model.per_tile_pixel;
  ctx.limits.max_tile_pixels = static_cast<std::uint32_t>(std::min<std::uint64_t>(ctx.limits.max_tile_pixels, room));
}

namespace {
std::string size_text(std::uint64_t w, std::uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }
}  // namespace

// ------------------------------------------------------------------ encoder

void check_lr_codec(int codec) {
  if ((codec < TADM_LR_PNG || codec > TADM_LR_AVIF) && codec != TADM_LR_ANY && codec != TADM_LR_AUTO)
    fail(TADM_ERROR_INVALID_ARGUMENT, "thumbnail codec " + std::to_string(codec) +
                                          " is not png (0), jpeg (1), webp (2), jxl (3), avif (4), any (254) or auto (255)");
}

void check_target_effort(int effort) {
  if (effort < 0 || effort > 1)
    fail(TADM_ERROR_INVALID_ARGUMENT, "target effort " + std::to_string(effort) + " is outside 0..1");
}

Encoder::Encoder(const tadm_encoder_settings& settings) : settings_(settings) {
  const tadm_common_settings& common = settings.common;
  settings_.common.limits = resolve_limits(&common.limits);
  const std::string model_dir = common.model_dir ? common.model_dir : "";
  if (settings.scale != 0 && (settings.scale < 2 || settings.scale > 64))
    fail(TADM_ERROR_INVALID_ARGUMENT, "scale " + std::to_string(settings.scale) + " is outside 2..64");
  if (settings.scale_y != 0 && (settings.scale_y < 2 || settings.scale_y > 64))
    fail(TADM_ERROR_INVALID_ARGUMENT, "vertical scale " + std::to_string(settings.scale_y) + " is outside 2..64");
  if (settings.scale_y != 0 && settings.scale == 0)
    fail(TADM_ERROR_INVALID_ARGUMENT, "a vertical scale (scale_y) needs the horizontal one (scale) too");
  check_enum(enum_value(settings.container), TADM_CONTAINER_TADM, TADM_CONTAINER_AVIF, "container",
             "tadm (0), heif (1) or avif (2)");
  check_enum(enum_value(common.device), TADM_DEVICE_AUTO, TADM_DEVICE_CUDA, "device", "auto (0), cpu (1) or cuda (2)");
  if (settings.png_effort < 0 || settings.png_effort > 3)
    fail(TADM_ERROR_INVALID_ARGUMENT, "PNG effort " + std::to_string(settings.png_effort) + " is outside 0..3");
  if (settings.refine_iterations < 0 || settings.refine_iterations > kMaxRefineIterations)
    fail(TADM_ERROR_INVALID_ARGUMENT, "refine iterations " + std::to_string(settings.refine_iterations) +
                                          " is outside 0.." + std::to_string(kMaxRefineIterations));
  check_enum(enum_value(settings.profile), TADM_PROFILE_FIDELITY, TADM_PROFILE_PERCEPTUAL, "profile",
             "fidelity (0) or perceptual (1)");
  check_target_effort(settings.target_effort);
  std::string spec = common.model ? common.model : "";
  if (spec.empty()) {
    // The default: the learned bundle for the scale; the baseline only for scales no learned
    // bundle serves. A missing default bundle or runtime is an error, never a silent downgrade.
    spec = default_model_name(Scale{settings.scale, settings.scale_y ? settings.scale_y : settings.scale},
                              settings.profile);
  }
  rescaler_ = open_model(spec, ModelSource::kUser, model_dir, ResampleFilter::kBicubic, common.device, common.log,
                         common.user);
  // The caller's strings need not outlive this call: keep no pointer to them (as Decoder does).
  settings_.common.model = nullptr;
  settings_.common.model_dir = nullptr;
  const std::uint32_t native = rescaler_->native_scale();
  if (settings.refine_iterations > 0 && native == 0)
    log_message(common.log, common.user, TADM_LOG_WARNING,
                "thumbnail refinement needs a learned model; the classic rescaler encodes without it");
  scale_.x = settings.scale ? settings.scale : (native ? native : 16);
  scale_.y = settings.scale_y ? settings.scale_y : scale_.x;
  if (!rescaler_->serves(scale_))
    fail(TADM_ERROR_INVALID_ARGUMENT, "model " + rescaler_->identity().name + " works at scale " +
                                          rescaler_->served_scales() + ", not " + scale_text(scale_));
  choose_lr_codec(settings);
}

void Encoder::choose_lr_codec(const tadm_encoder_settings& settings) {
  const tadm_common_settings& common = settings.common;
  const int codec = enum_value(settings.lr_codec);
  const std::optional<LrTraining> trained = rescaler_->lr_training();
  const std::string model = rescaler_->identity().name;
  if (codec == TADM_LR_AUTO || codec == TADM_LR_ANY) {
    lr_.codec = LrCodec::kPng;
    if (trained && !lr_codec_from_name(trained->codec, lr_.codec))
      fail(TADM_ERROR_MODEL, "model " + model + " was trained for thumbnail codec \"" + trained->codec +
                                 "\", which this build does not know");
  } else {
    check_lr_codec(codec);
    lr_.codec = static_cast<LrCodec>(codec);
  }
  if (settings.lr_quality < 0 || settings.lr_quality > 100)
    fail(TADM_ERROR_INVALID_ARGUMENT, "thumbnail quality " + std::to_string(settings.lr_quality) + " is outside 1..100");
  lr_.lossless = settings.lr_lossless != 0 && lr_.codec != LrCodec::kPng;
  if (lr_.lossless && lr_.codec == LrCodec::kJpeg)
    fail(TADM_ERROR_INVALID_ARGUMENT, "a JPEG thumbnail cannot be lossless (use png, webp, jxl or avif)");
  const bool trained_for_it = trained && trained->codec == lr_codec_name(lr_.codec);
  lr_.quality = settings.lr_quality ? settings.lr_quality : (trained_for_it ? trained->quality_max : 90);
  lr_quality_min_ = trained_for_it ? trained->quality_min : 1;
  lr_.threads = resolve_threads(common.threads);
  const bool lossy = lr_.codec != LrCodec::kPng && !lr_.lossless;
  if (trained && !trained_for_it)
    log_message(common.log, common.user, TADM_LOG_WARNING,
                "model " + model + " was trained on " + trained->codec + " thumbnails; a " +
                    (lossy ? std::string("lossy ") : std::string("lossless ")) + lr_codec_name(lr_.codec) +
                    " thumbnail will restore worse");
  else if (!trained && lossy && rescaler_->native_scale() != 0)
    log_message(common.log, common.user, TADM_LOG_WARNING,
                "model " + model + " was trained on lossless thumbnails; a lossy " + std::string(lr_codec_name(lr_.codec)) +
                    " thumbnail will restore worse");
  if (lossy && settings.refine_iterations > 0)
    log_message(common.log, common.user, TADM_LOG_WARNING,
                "thumbnail refinement needs a lossless thumbnail; encoding the lossy one without it");
  // A HEIF file holds a lossless thumbnail of its own; an AVIF file that, or an AVIF thumbnail as
  // its very image (spec/heif-avif.md).
  const bool carried = lr_.codec == LrCodec::kPng ||
                       (lr_.codec == LrCodec::kAvif && settings.container == TADM_CONTAINER_AVIF);
  if (!carried && settings.container != TADM_CONTAINER_TADM)
    fail(TADM_ERROR_UNSUPPORTED,
         settings.container == TADM_CONTAINER_HEIF
             ? "a HEIF file holds a lossless thumbnail of its own; a thumbnail coded as " +
                   std::string(lr_codec_name(lr_.codec)) + " needs the .tadm container (or --container avif for avif)"
             : "an AVIF file holds a lossless thumbnail of its own or an AVIF one; a thumbnail coded as " +
                   std::string(lr_codec_name(lr_.codec)) + " needs the .tadm container");
}

std::vector<std::uint8_t> Encoder::code_thumbnail(const Image& lr_image, container::File& file, const Metadata& md,
                                                  int threads) {
  PngWriteOptions png;
  png.effort = settings_.png_effort;
  png.metadata = false;
  png.reduce = true;
  file.lr_codec = static_cast<std::uint8_t>(lr_.codec);
  // The whole file written, HEIF/AVIF wrapper included: that is what the target bounds.
  auto file_bytes = [&](const LrEncodeOptions& o) {
    file.lr_image = encode_lr(lr_image, o, png);
    std::vector<std::uint8_t> out;
    if (container::Error e = container::write(file, out)) fail(TADM_ERROR_INTERNAL, "writing the container: " + e.message);
    if (settings_.container != TADM_CONTAINER_TADM) out = interop::wrap(settings_.container, out, lr_image, md, threads, o);
    return out;
  };
  std::vector<std::uint8_t> out = file_bytes(lr_);
  const std::uint64_t target = settings_.target_bytes;
  if (target == 0 || out.size() <= target) return out;
  const bool lossy = lr_.codec != LrCodec::kPng && !lr_.lossless;
  auto too_big = [&](std::uint64_t smallest) {
    smallest_bytes_ = smallest;
    const char* kind = settings_.container == TADM_CONTAINER_HEIF   ? "HEIF "
                       : settings_.container == TADM_CONTAINER_AVIF ? "AVIF "
                                                                    : "";
    fail(TADM_ERROR_LIMIT, std::string("the smallest ") + kind + "file at scale " + scale_text(scale_) + " with a " +
                               (lossy ? "lossy " : "lossless ") + lr_codec_name(lr_.codec) + " thumbnail is " +
                               std::to_string(smallest) + " bytes, over the target of " + std::to_string(target) +
                               " bytes; ask for a larger target, a larger scale" +
                               (lossy || settings_.container == TADM_CONTAINER_HEIF ? std::string()
                                : settings_.container == TADM_CONTAINER_AVIF
                                    ? std::string(" or a lossy thumbnail (--lr-codec avif)")
                                    : std::string(" or a lossy thumbnail (--lr-codec jpeg)")));
  };
  if (!lossy) too_big(out.size());
  // File size falls with quality (near enough for a bisection); keep the best that fits.
  LrEncodeOptions o = lr_;
  o.quality = lr_quality_min_;
  std::vector<std::uint8_t> best = file_bytes(o);
  if (best.size() > target) too_big(best.size());
  int lo = lr_quality_min_, hi = lr_.quality - 1;  // lo fits, lr_.quality does not
  while (lo < hi) {
    o.quality = (lo + hi + 1) / 2;
    std::vector<std::uint8_t> attempt = file_bytes(o);
    if (attempt.size() <= target) {
      lo = o.quality;
      best = std::move(attempt);
    } else {
      hi = o.quality - 1;
    }
  }
  chosen_quality_ = lo;
  return best;
}

// The caller's image and the engine's copy of it, then float RGB planes (and alpha, resampled).
static std::uint64_t encode_fixed_bytes(std::uint64_t w, std::uint64_t h, std::uint32_t channels, std::uint32_t depth) {
  const bool alpha = channels == 2 || channels == 4;
  return 2 * image_bytes(w, h, channels, depth) + planes_bytes(w, h, 3) + (alpha ? planes_bytes(w, h, 2) : 0);
}

void Encoder::check_input(std::uint32_t width, std::uint32_t height, std::uint32_t channels,
                          std::uint32_t bit_depth) const {
  check_image_limits(width, height, settings_.common.limits, "the input image");
  RunContext probe{1, settings_.common.limits};
  fit_memory_budget(probe, encode_fixed_bytes(width, height, channels, bit_depth), rescaler_->downscale_memory(),
                    std::uint64_t{width} * height, "encoding a " + size_text(width, height) + " image");
}

std::vector<std::uint8_t> Encoder::encode(const Image& image) {
  smallest_bytes_ = 0;
  check_input(image.width, image.height, image.channels, image.bit_depth);
  if (image.metadata.cicp && (*image.metadata.cicp)[3] > 1)
    fail(TADM_ERROR_CORRUPT, "the input's CICP full-range flag is " + std::to_string((*image.metadata.cicp)[3]) +
                                 "; it must be 0 or 1");
  for (const auto* blob : {&image.metadata.icc, &image.metadata.exif, &image.metadata.xmp})
    if (blob->size() > settings_.common.limits.max_metadata_bytes)
      fail(TADM_ERROR_LIMIT, "the input's metadata (" + std::to_string(blob->size()) +
                                 " bytes) is over the metadata limit");
  const int threads = resolve_threads(settings_.common.threads);
  auto progress = [&](float from, float to, const char* stage) {
    return stage_progress(settings_.common.progress, settings_.common.user, from, to, stage);
  };
  progress(0.0f, 0.0f, "reading")(0.0f);
  const Planes rgb = rgb_planes(image);
  RunContext ctx{threads, settings_.common.limits, progress(0.0f, 0.9f, "downscaling")};
  fit_memory_budget(ctx, encode_fixed_bytes(image.width, image.height, image.channels, image.bit_depth),
                    rescaler_->downscale_memory(), std::uint64_t{image.width} * image.height,
                    "encoding a " + size_text(image.width, image.height) + " image");
  // A gray original keeps its gray thumbnail (a third of the bytes); refinement would colour it.
  // Refinement optimises an exact 8-bit thumbnail; a lossy codec would undo it.
  const bool lossy = lr_.codec != LrCodec::kPng && !lr_.lossless;
  ctx.refine_iterations = image.is_gray() || lossy ? 0 : settings_.refine_iterations;
  Planes lr = rescaler_->downscale(rgb, scale_, ctx);
  std::optional<Planes> alpha = alpha_plane(image);
  if (alpha) alpha = resample(*alpha, lr.width, lr.height, ResampleFilter::kBicubic, threads);
  // The thumbnail is 8-bit colour (gray when the original is gray and the model kept it so).
  Image lr_image = to_image(lr, alpha ? &*alpha : nullptr, false, 8);
  progress(0.9f, 0.95f,
           settings_.container == TADM_CONTAINER_HEIF   ? "compressing thumbnail, writing HEIF"
           : settings_.container == TADM_CONTAINER_AVIF ? "compressing thumbnail, writing AVIF"
                                                        : "compressing thumbnail")(0.0f);
  container::File file;
  file.width = image.width;
  file.height = image.height;
  file.scale_x = static_cast<std::uint16_t>(scale_.x);
  file.scale_y = static_cast<std::uint16_t>(scale_.y);
  file.lr_width = lr.width;
  file.lr_height = lr.height;
  file.flags = static_cast<std::uint8_t>((image.has_alpha() ? container::kFlagAlpha : 0) |
                                         (image.is_gray() ? container::kFlagGrayscale : 0));
  file.original_bit_depth = static_cast<std::uint8_t>(image.bit_depth);
  file.model_name = rescaler_->identity().name;
  file.model_version = rescaler_->identity().version;
  file.model_sha256 = rescaler_->identity().sha256;
  const Metadata& md = image.metadata;
  if (!md.icc.empty()) file.icc = md.icc;
  if (!md.exif.empty()) file.exif = md.exif;
  if (!md.xmp.empty()) file.xmp = md.xmp;
  if (md.cicp) file.cicp = container::Cicp{(*md.cicp)[0], (*md.cicp)[1], (*md.cicp)[2], (*md.cicp)[3]};
  // A model with an enhancer: the timestep of each tile, from the thumbnail as decoders see it.
  if (!lossy) file.hint = rescaler_->timestep_hint(rgb_planes(lr_image), ctx);
  chosen_quality_ = lr_.quality;
  std::vector<std::uint8_t> out = code_thumbnail(lr_image, file, md, threads);
  progress(1.0f, 1.0f, "done")(1.0f);
  return out;
}

// ------------------------------------------------------------------ decoder

Decoder::Decoder(const tadm_decoder_settings& settings) : settings_(settings) {
  const tadm_common_settings& common = settings.common;
  settings_.common.limits = resolve_limits(&common.limits);
  model_spec_ = common.model ? common.model : "";
  model_dir_ = common.model_dir ? common.model_dir : "";
  settings_.common.model = nullptr;
  settings_.common.model_dir = nullptr;
  if (settings.output_bit_depth != 0 && settings.output_bit_depth != 8 && settings.output_bit_depth != 16)
    fail(TADM_ERROR_INVALID_ARGUMENT, "output bit depth must be 0, 8 or 16");
  check_enum(enum_value(settings.precision), TADM_PRECISION_AUTO, TADM_PRECISION_BF16, "precision",
             "auto (0), fp32 (1) or bf16 (2)");
  check_enum(enum_value(common.device), TADM_DEVICE_AUTO, TADM_DEVICE_CUDA, "device", "auto (0), cpu (1) or cuda (2)");
  check_enum(enum_value(settings.classic_upscaler), TADM_UPSCALER_BICUBIC, TADM_UPSCALER_LANCZOS, "classic upscaler",
             "bicubic (0) or lanczos (1)");
  if (!model_spec_.empty())
    rescaler_ = open_model(model_spec_, ModelSource::kUser, model_dir_, classic_filter(settings.classic_upscaler),
                           common.device, common.log, common.user);
}

Rescaler& Decoder::model_for(const container::File& file) {
  // The cache is keyed by the bundle identity the file names, not its name alone: a file that
  // names another SHA-256 under the same name looks the bundle up again (it may have been replaced).
  const ModelIdentity wanted{file.model_name, file.model_version, file.model_sha256};
  if (!rescaler_ || (model_spec_.empty() && wanted != cached_for_)) {
    rescaler_ = open_model(file.model_name, ModelSource::kFile, model_dir_, classic_filter(settings_.classic_upscaler),
                           settings_.common.device, settings_.common.log, settings_.common.user);
    cached_for_ = wanted;
  }
  const ModelIdentity& id = rescaler_->identity();
  // The version too: the classic identity's hash is a constant, so only the version tells another maker.
  if (id.sha256 != file.model_sha256 || id.version != file.model_version) {
    const std::string what = "the file was made with model " + file.model_name + " " + file.model_version +
                             " (SHA-256 " + to_hex(file.model_sha256).substr(0, 16) + "...), but model " +
                             id.name + " " + id.version + " has SHA-256 " + to_hex(id.sha256).substr(0, 16) + "...";
    if (!settings_.force_model) fail(TADM_ERROR_MODEL_MISMATCH, what + "; force the model to decode anyway");
    log_message(settings_.common.log, settings_.common.user, TADM_LOG_WARNING, what + "; decoding anyway as forced");
  }
  return *rescaler_;
}

// The output image, the C API's copy of it and the caller's encoded output (PNG, at most about
// the raw size), and an alpha plane with its resampling; the model's planes come on top.
static std::uint64_t decode_fixed_bytes(std::uint64_t w, std::uint64_t h, std::uint32_t channels, std::uint32_t depth) {
  const bool alpha = channels == 2 || channels == 4;
  return 3 * image_bytes(w, h, channels, depth) + (alpha ? planes_bytes(w, h, 2) : 0);
}

container::File Decoder::parse(std::span<const std::uint8_t> input) const {
  return read_container(input, settings_.common.limits, resolve_threads(settings_.common.threads));
}

Image Decoder::decode(std::span<const std::uint8_t> input) { return decode(parse(input)); }

Image Decoder::decode(const container::File& file, std::uint32_t bit_depth) {
  const int threads = resolve_threads(settings_.common.threads);
  check_image_limits(file.width, file.height, settings_.common.limits, "the stored image");
  Rescaler& model = model_for(file);
  const bool gray = (file.flags & container::kFlagGrayscale) != 0;
  const bool alpha = (file.flags & container::kFlagAlpha) != 0;
  const tadm_common_settings& common = settings_.common;
  RunContext ctx{threads, common.limits, stage_progress(common.progress, common.user, 0.0f, 0.95f, "upscaling"),
                 settings_.precision};
  ctx.hint = file.hint ? &*file.hint : nullptr;
  ctx.enhance = settings_.skip_enhancer == 0;
  const std::uint32_t depth = bit_depth                    ? bit_depth
                             : settings_.output_bit_depth ? static_cast<std::uint32_t>(settings_.output_bit_depth)
                                                          : file.original_bit_depth;
  fit_memory_budget(ctx, decode_fixed_bytes(file.width, file.height, (gray ? 1u : 3u) + (alpha ? 1u : 0u), depth),
                    model.upscale_memory(), std::uint64_t{file.width} * file.height,
                    "decoding this file to " + size_text(file.width, file.height));
  const auto codec = static_cast<LrCodec>(file.lr_codec);
  if (const auto trained = model.lr_training(); trained && trained->codec != lr_codec_name(codec))
    log_message(settings_.common.log, settings_.common.user, TADM_LOG_WARNING,
                "model " + model.identity().name + " was trained on " + trained->codec + " thumbnails, this one is " +
                    lr_codec_name(codec));
  const Image lr = decode_stored_thumbnail(file, settings_.common.limits);
  const Planes hr = model.upscale(rgb_planes(lr), Scale{file.scale_x, file.scale_y}, file.width, file.height, ctx);
  std::optional<Planes> a;
  if (alpha) {
    a = alpha_plane(lr);
    a = a ? resample(*a, file.width, file.height, classic_filter(settings_.classic_upscaler), threads)
          : opaque_alpha(file.width, file.height);
  }
  Image out = to_image(hr, a ? &*a : nullptr, gray, depth);
  out.metadata = file_metadata(file);
  stage_progress(settings_.common.progress, settings_.common.user, 1.0f, 1.0f, "done")(1.0f);
  return out;
}

Image Decoder::upscale(const Image& lr, std::uint32_t scale) {
  if (!rescaler_) rescaler_ = make_classic_rescaler(classic_filter(settings_.classic_upscaler));
  const std::uint32_t native = rescaler_->native_scale();
  if (scale == 0) scale = native ? native : 16;
  if (scale < 2 || scale > 64) fail(TADM_ERROR_INVALID_ARGUMENT, "scale " + std::to_string(scale) + " is outside 2..64");
  const std::uint64_t w = std::uint64_t{lr.width} * scale, h = std::uint64_t{lr.height} * scale;
  check_image_limits(w, h, settings_.common.limits, "the upscaled image");
  const int threads = resolve_threads(settings_.common.threads);
  const tadm_common_settings& common = settings_.common;
  RunContext ctx{threads, common.limits, stage_progress(common.progress, common.user, 0.0f, 0.95f, "upscaling"),
                 settings_.precision};
  fit_memory_budget(ctx, decode_fixed_bytes(w, h, lr.channels, 8), rescaler_->upscale_memory(), w * h,
                    "upscaling to " + size_text(w, h));
  const Planes hr = rescaler_->upscale(rgb_planes(lr), Scale{scale, scale}, static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h), ctx);
  std::optional<Planes> a = alpha_plane(lr);
  if (a) a = resample(*a, hr.width, hr.height, classic_filter(settings_.classic_upscaler), threads);
  Image out = to_image(hr, a ? &*a : nullptr, lr.is_gray(), 8);
  out.metadata = lr.metadata;
  return out;
}

}  // namespace tadm
