// The engine behind the C API: pixels <-> container through a rescaler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "image.hpp"
#include "lr_codec.hpp"
#include "rescaler.hpp"
#include "tadm/container.hpp"

namespace tadm {

// Maps a stage's own 0..1 to the call's overall progress and honours cancellation.
std::function<void(float)> stage_progress(tadm_progress_fn fn, void* user, float from, float to, const char* stage);

// tadm_encoder_settings::lr_codec is a tadm_lr_codec value; TADM_ERROR_INVALID_ARGUMENT otherwise.
void check_lr_codec(int codec);

// tadm_encoder_settings::target_effort is 0 or 1; TADM_ERROR_INVALID_ARGUMENT otherwise.
void check_target_effort(int effort);

// Upper bound of tadm_encoder_settings::refine_iterations (about three decodes each).
inline constexpr int kMaxRefineIterations = 1000;

// Checks that `fixed` bytes plus the model's tiles fit the memory budget and shrinks
// ctx.limits.max_tile_pixels so they do; fails with TADM_ERROR_LIMIT naming `what` otherwise.
void fit_memory_budget(RunContext& ctx, std::uint64_t fixed, const MemoryUse& model, std::uint64_t pixels,
                       const std::string& what);

class Encoder {
 public:
  explicit Encoder(const tadm_encoder_settings& settings);
  std::vector<std::uint8_t> encode(const Image& image);
  // The size limits and the memory budget for an input of this shape, before it is copied.
  void check_input(std::uint32_t width, std::uint32_t height, std::uint32_t channels, std::uint32_t bit_depth) const;
  const Rescaler& rescaler() const { return *rescaler_; }
  const tadm_limits& limits() const { return settings_.common.limits; }
  Scale scale() const { return scale_; }
  LrCodec lr_codec() const { return lr_.codec; }
  // The quality of the last thumbnail (the rate control may lower it below the setting).
  int lr_quality() const { return chosen_quality_; }
  // After an encode failed with TADM_ERROR_LIMIT for the byte target: the smallest file this
  // operating point can make of that image (0 otherwise).
  std::uint64_t smallest_bytes() const { return smallest_bytes_; }

 private:
  void choose_lr_codec(const tadm_encoder_settings& settings);
  // The file's bytes (.tadm, or HEIF/AVIF wrapping it): the thumbnail codec at the configured
  // quality, or, with a byte target, the highest quality whose whole file fits (the thumbnail
  // alone is re-encoded; the full photo is never decoded).
  std::vector<std::uint8_t> code_thumbnail(const Image& lr_image, container::File& file, const Metadata& md,
                                           int threads);
  tadm_encoder_settings settings_;
  std::shared_ptr<Rescaler> rescaler_;  // a learned model is shared with the process's other handles
  Scale scale_;
  LrEncodeOptions lr_;
  int lr_quality_min_ = 1;
  int chosen_quality_ = 0;
  std::uint64_t smallest_bytes_ = 0;
};

class Decoder {
 public:
  explicit Decoder(const tadm_decoder_settings& settings);
  Image decode(std::span<const std::uint8_t> bytes);
  // The parse step: the file read and validated against the limits, no pixels, no model.
  container::File parse(std::span<const std::uint8_t> bytes) const;
  // A parsed file decoded; `bit_depth` 0 = the output_bit_depth setting (else the original's).
  Image decode(const container::File& file, std::uint32_t bit_depth = 0);
  // Upscale an LR image (any channel layout) by `scale` with the configured model.
  Image upscale(const Image& lr, std::uint32_t scale);
  const tadm_limits& limits() const { return settings_.common.limits; }

 private:
  Rescaler& model_for(const container::File& file);
  tadm_decoder_settings settings_;
  std::string model_spec_;
  std::string model_dir_;
  std::shared_ptr<Rescaler> rescaler_;  // kept between files that name the same bundle identity; a
                                        // learned one is shared with the process's other handles
  ModelIdentity cached_for_;             // the identity the file asked for when rescaler_ was opened
};

container::Limits container_limits(const tadm_limits& limits);
// The .tadm bytes of any supported container: `bytes` itself for .tadm, else the equivalent .tadm
// unwrapped from TADM-HEIF / TADM-AVIF into `storage` (heif_avif.hpp). Throws tadm::Error.
std::span<const std::uint8_t> as_tadm(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads,
                                      std::vector<std::uint8_t>& storage);
// "not a valid .tadm file" / "not a valid TADM header in this HEIF file", for reader messages.
std::string invalid_file_message(std::span<const std::uint8_t> bytes);
// The fields of a file of any supported container (as_tadm), read and validated against the
// limits. Throws tadm::Error with the container's status and invalid_file_message.
container::File read_container(std::span<const std::uint8_t> bytes, const tadm_limits& limits, int threads);
// The stored thumbnail decoded by its codec (decode_lr), 8-bit with the channels it holds, checked
// against the container's LR size. What a decoder upscales; no model runs.
Image decode_stored_thumbnail(const container::File& file, const tadm_limits& limits);
// The thumbnail as tadm_decode_thumbnail returns it: decode_stored_thumbnail in the channel layout
// of the decoded image (the file's gray and alpha flags; converted as the decoder converts when the
// stream holds another), with the file's ICC, EXIF, XMP and CICP.
Image thumbnail_image(const container::File& file, const tadm_limits& limits);
tadm_status container_status(container::ErrorCode code);

}  // namespace tadm
