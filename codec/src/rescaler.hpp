// The rescaler interface: what the engine asks of any model, classic or learned.
// Colour only (3 planes); alpha is always rescaled classically by the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "image.hpp"
#include "resample.hpp"
#include "sha256.hpp"
#include "tadm/container.hpp"

namespace tadm {

struct ModelIdentity {
  std::string name;
  std::string version;
  Sha256 sha256{};
  bool operator==(const ModelIdentity&) const = default;
};

// The reduction per axis (spec/container.md section 5: each 2..64, and they may differ).
struct Scale {
  std::uint32_t x = 16;
  std::uint32_t y = 16;
  bool operator==(const Scale&) const = default;
};

// "16" for a square scale, "32x2" (horizontal x vertical) otherwise, for messages.
inline std::string scale_text(Scale s) {
  return s.x == s.y ? std::to_string(s.x) : std::to_string(s.x) + "x" + std::to_string(s.y);
}

struct RunContext {
  int threads = 1;
  tadm_limits limits{};
  // Called with a fraction of this stage's work done; throws tadm::Error to cancel.
  std::function<void(float fraction)> progress = [](float) {};
  // Encoders always run in float32 so a thumbnail does not depend on the CPU it was made on.
  tadm_precision precision = TADM_PRECISION_FP32;
  // Encoders only: gradient steps of thumbnail refinement through the decoder (0 = none).
  int refine_iterations = 0;
  // Decoders of models with an enhancer: the file's per-tile timesteps (the container's `hint`;
  // absent: the model chooses per tile), and whether to enhance at all (tadmdec --no-enhance).
  const container::Hint* hint = nullptr;
  bool enhance = true;
};

// What a model holds while it runs, for the memory budget (estimates from the code's buffers):
// bytes per full-resolution pixel of the image (its copies and output planes), and per
// full-resolution pixel of one tile with its margins (activations; 0 when untiled).
struct MemoryUse {
  std::uint64_t per_pixel = 0;
  std::uint64_t per_tile_pixel = 0;
};

// The thumbnail codec a learned model was trained to restore (manifest "lr_codec"), when it is
// not lossless PNG: the codec's name ("jpeg", ...) and the quality range of its training data.
struct LrTraining {
  std::string codec;
  int quality_min = 1;
  int quality_max = 100;
};

// One learned rescaler serves every handle of the process that uses its bundle (open_model), from
// several threads at once: downscale and upscale are const and keep all per-call state (tiles,
// progress, threads, precision) on the stack or in the RunContext, never in the object.
class Rescaler {
 public:
  virtual ~Rescaler() = default;
  virtual const ModelIdentity& identity() const = 0;
  // The scale used when none is asked for: the one a per-scale bundle was trained for, the
  // default of an any-scale bundle; 0 for classic (any scale 2..64 on each axis).
  virtual std::uint32_t native_scale() const = 0;
  // Whether the model runs at `scale` (each axis already within 2..64), and the scales it serves
  // in words for messages ("16", "2..32 on each axis").
  virtual bool serves(Scale scale) const = 0;
  virtual std::string served_scales() const = 0;
  // HR RGB planes -> LR RGB planes of ceil(W/scale.x) x ceil(H/scale.y), not yet quantised.
  virtual Planes downscale(const Planes& hr, Scale scale, RunContext& ctx) const = 0;
  // LR RGB planes (8-bit values / 255) -> RGB planes of exactly width x height.
  virtual Planes upscale(const Planes& lr, Scale scale, std::uint32_t width, std::uint32_t height,
                         RunContext& ctx) const = 0;
  virtual std::optional<LrTraining> lr_training() const { return std::nullopt; }
  // Models with a timestep-aware enhancer: the timestep the decoder will use for each tile of the
  // 8-bit thumbnail `lr`, as the container's `hint` stores it; none for other models.
  virtual std::optional<container::Hint> timestep_hint(const Planes& /*lr*/, RunContext& /*ctx*/) const {
    return std::nullopt;
  }
  virtual MemoryUse downscale_memory() const = 0;
  virtual MemoryUse upscale_memory() const = 0;
};

// The built-in baseline: antialiased bicubic downscale; bicubic or Lanczos-3 upscale.
std::unique_ptr<Rescaler> make_classic_rescaler(ResampleFilter upscale_filter);
const ModelIdentity& classic_identity();

}  // namespace tadm
