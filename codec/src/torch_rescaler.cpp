// The learned runtime: TorchScript encoder/decoder modules of a bundle, run in tiles.
// Built as a separate module (libtadm_torch.so) that libtadm loads on first use of a learned
// bundle: LibTorch pulls in ~280 shared libraries and costs about a second to load, which
// classic decoding, tadminfo, thumbnails and plugins should not pay. It is the only code that
// includes LibTorch (slow to compile; keeps its ABI private).
#include <ATen/autocast_mode.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "bundle.hpp"
#include "error.hpp"
#include "tiling.hpp"
#include "torch_allocator.hpp"
#include "torch_state_dict.hpp"

namespace tadm {


torch::Device pick_device(tadm_device device) {
  const bool cuda = torch::cuda::is_available();
  switch (device) {
    case TADM_DEVICE_CPU: return torch::kCPU;
    case TADM_DEVICE_CUDA:
      if (!cuda)
        fail(TADM_ERROR_UNSUPPORTED, "CUDA was requested, but this LibTorch build or machine has no usable CUDA device");
      return torch::kCUDA;
    default: return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  }
}

torch::jit::Module load_module(const std::vector<std::uint8_t>& bytes, const std::string& what,
                               torch::Device device) {
  try {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    torch::jit::Module m = torch::jit::load(in, device);
    m.to(torch::kFloat32);  // bundles may store float16 weights; the contract computes in float32
    m.eval();
    return m;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    fail(TADM_ERROR_MODEL, what + " is not a loadable TorchScript module: " + msg);
  }
}

// Base weights (TAEF2's, for the latent family) are not inside the bundle: its modules hold empty
// placeholders under `prefix`, filled here from the verified state dict. Every entry must land on
// an empty placeholder and every placeholder must be filled, or the model would compute garbage.
void fill_base_weights(torch::jit::Module& module, const BaseWeights& base, const std::string& owner) {
  const std::string what = "the base weights " + base.path.string();
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : module.named_parameters(true)) params.emplace(p.name, p.value);
  torch::NoGradGuard no_grad;
  for (auto& [name, value] : read_state_dict(base.bytes, what)) {
    const auto it = params.find(base.prefix + name);
    if (it == params.end() || it->second.numel() != 0)
      fail(TADM_ERROR_MODEL, what + " hold \"" + name + "\", which " + owner + " has no empty place for");
    it->second.set_data(value.to(it->second.device(), torch::kFloat32));
  }
  for (const auto& [name, value] : params)
    if (name.starts_with(base.prefix) && value.numel() == 0)
      fail(TADM_ERROR_MODEL, owner + " needs \"" + name.substr(base.prefix.size()) + "\", which " + what + " lack");
}

// bfloat16 convolutions run about 1.7x faster than float32 where the CPU has native bf16 dot
// products, and change the output by less than an 8-bit level (67 dB against float32 on Kodak
// crops); elsewhere oneDNN emulates them and float32 is faster.
bool cpu_has_native_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

// Autocast to bfloat16 for the duration of one model run: convolutions compute in bf16, while
// ops outside autocast's list (the bicubic skip, the additions into it) keep float32.
class AutocastScope {
 public:
  AutocastScope(bool enabled, torch::Device device) : enabled_(enabled), cuda_(device.is_cuda()) {
    if (!enabled_) return;
    if (cuda_) {
      previous_ = at::autocast::get_autocast_gpu_dtype();
      was_enabled_ = at::autocast::is_enabled();
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      previous_ = at::autocast::get_autocast_cpu_dtype();
      was_enabled_ = at::autocast::is_cpu_enabled();
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (!enabled_) return;
    // Restore the host's state: an application embedding LibTorch may run its own autocast.
    if (cuda_) {
      at::autocast::set_enabled(was_enabled_);
      at::autocast::set_autocast_gpu_dtype(previous_);
    } else {
      at::autocast::set_cpu_enabled(was_enabled_);
      at::autocast::set_autocast_cpu_dtype(previous_);
    }
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool cuda_;
  at::ScalarType previous_ = at::kFloat;
  bool was_enabled_ = false;
};

class LearnedRescaler final : public Rescaler {
 public:
  LearnedRescaler(Bundle bundle, torch::Device device)
      : bundle_(std::move(bundle)),
        device_(device),
        encoder_(load_module(bundle_.encoder, "the encoder of model " + bundle_.identity.name, device)),
        decoder_(load_module(bundle_.decoder, "the decoder of model " + bundle_.identity.name, device)) {
    for (const BaseWeights& base : bundle_.base_weights)
      fill_base_weights(base.module == "encoder" ? encoder_ : decoder_, base,
                        "the " + base.module + " of model " + bundle_.identity.name);
    bundle_.base_weights.clear();
    bundle_.base_weights.shrink_to_fit();
    bundle_.encoder.clear();
    bundle_.encoder.shrink_to_fit();
    bundle_.decoder.clear();
    bundle_.decoder.shrink_to_fit();
    // Refinement differentiates with respect to the thumbnail only, never the weights.
    for (torch::Tensor w : decoder_.parameters()) w.set_requires_grad(false);
  }

  const ModelIdentity& identity() const override { return bundle_.identity; }
  std::uint32_t native_scale() const override { return bundle_.scale; }
  bool serves(Scale scale) const override { return bundle_serves(bundle_, scale); }
  std::string served_scales() const override { return bundle_scales_text(bundle_); }
  std::optional<LrTraining> lr_training() const override { return bundle_.lr_training; }
  // Down: the edge-padded copy of the photo. Up: the blended output planes, their weights and
  // the crop to the stored size. Tiles: the activations of this family's bodies, about 256 bytes
  // per full-resolution tile pixel in float32 for the pixel family (a 2048x2048 tile peaked near
  // 1 GiB; model cards); manifests may say more (memory.tile_bytes_per_pixel).
  MemoryUse downscale_memory() const override { return {14, bundle_.tile_bytes_per_pixel}; }
  MemoryUse upscale_memory() const override { return {28, bundle_.tile_bytes_per_pixel}; }

  Planes downscale(const Planes& hr, Scale s, RunContext& ctx) const override {
    check_scale(s, TADM_ERROR_INVALID_ARGUMENT);
    const std::uint32_t lw = (hr.width + s.x - 1) / s.x, lh = (hr.height + s.y - 1) / s.y;
    const Planes padded = pad_edge(hr, lw * s.x, lh * s.y);
    if (ctx.refine_iterations <= 0) return run(encoder_, padded, s, TileDirection::kDown, lw, lh, ctx, "encoder");
    RunContext encode_ctx = ctx;
    encode_ctx.progress = [&ctx](float f) { ctx.progress(0.1f * f); };
    Planes lr = run(encoder_, padded, s, TileDirection::kDown, lw, lh, encode_ctx, "encoder");
    return refine(padded, std::move(lr), s, ctx);
  }

  Planes upscale(const Planes& lr, Scale scale, std::uint32_t width, std::uint32_t height,
                 RunContext& ctx) const override {
    check_scale(scale, TADM_ERROR_UNSUPPORTED);
    if (bundle_.enhancer && ctx.hint) check_hint(*ctx.hint, lr.width, lr.height);
    Planes full = run(decoder_, lr, scale, TileDirection::kUp, lr.width, lr.height, ctx, "decoder");
    if (full.width == width && full.height == height) return full;
    if (full.width < width || full.height < height)
      fail(TADM_ERROR_CORRUPT, "the LR image is too small for the stored original size");
    return crop(full, 0, 0, width, height);
  }

  // One timestep per hint tile (the manifest's tile on the LR grid, with the decoder's margins
  // as context), from the decoder's own timestep predictor on the 8-bit thumbnail: what the
  // decoder would choose, stored so that it need not be recomputed and can be shown (tadminfo).
  std::optional<container::Hint> timestep_hint(const Planes& lr, RunContext& ctx) const override {
    if (!bundle_.enhancer) return std::nullopt;
    const EnhancerSpec& e = *bundle_.enhancer;
    const TileGeometry g{e.hint_tile, bundle_.lr_overlap};
    const auto xs = tile_spans(lr.width, g), ys = tile_spans(lr.height, g);
    if (xs.size() > 65535 || ys.size() > 65535) return std::nullopt;
    container::Hint h;
    h.tile_width = h.tile_height = static_cast<std::uint16_t>(std::min<std::uint32_t>(e.hint_tile, 65535));
    h.grid_width = static_cast<std::uint16_t>(xs.size());
    h.grid_height = static_cast<std::uint16_t>(ys.size());
    torch::set_num_threads(ctx.threads);
    c10::InferenceMode guard;
    try {
      for (const TileSpan& sy : ys)
        for (const TileSpan& sx : xs) {
          const Planes tile = crop(lr, sx.lo, sy.lo, sx.hi - sx.lo, sy.hi - sy.lo);
          torch::Tensor x = torch::from_blob(const_cast<float*>(tile.data.data()), {1, 3, tile.height, tile.width},
                                             torch::kFloat32).to(device_);
          const double t = decoder_.get_method("timestep")({x}).toTensor().to(torch::kCPU).item<double>();
          h.values.push_back(static_cast<std::uint8_t>(std::clamp(std::lround(t / e.t_per_unit), 1L, 255L)));
        }
    } catch (const Error&) {
      throw;
    } catch (const std::exception& ex) {
      std::string msg = ex.what();
      if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      fail(TADM_ERROR_MODEL, "the timestep predictor of model " + bundle_.identity.name + " failed: " + msg);
    }
    return h;
  }

 private:
  // A bundle serves its own square scale, or (any-scale bundles) its range on each axis: asking
  // it for another is the caller's mistake when encoding, and a file this bundle cannot decode
  // (spec/decoding.md section 4) when decoding.
  void check_scale(Scale scale, tadm_status status) const {
    if (!bundle_serves(bundle_, scale))
      fail(status, "model " + bundle_.identity.name + " works at scale " + bundle_scales_text(bundle_) + ", not " +
                       scale_text(scale));
  }

  // The manifest's tile and margin, shrunk so that a tile with its margins covers at most
  // max_tile_pixels at full resolution (this bounds the model's activation memory). The core
  // never drops below max(16, margin) LR pixels, where margins would cost more than the core;
  // past that the margin gives way instead (the feathered blend keeps seams invisible).
  TileGeometry geometry(std::uint64_t max_tile_pixels, Scale s) const {
    const auto side = static_cast<std::uint32_t>(std::sqrt(static_cast<double>(max_tile_pixels) / (static_cast<double>(s.x) * s.y)));
    TileGeometry g{bundle_.lr_tile, bundle_.lr_overlap};
    if (g.tile + 2 * g.margin <= side) return g;
    const std::uint32_t min_core = std::max(16u, g.margin);
    if (side >= min_core + 2 * g.margin) {
      g.tile = side - 2 * g.margin;
    } else {
      g.tile = std::min(min_core, std::max(side, 4u));
      g.margin = side > g.tile ? (side - g.tile) / 2 : 0;
    }
    return g;
  }

  Planes run(torch::jit::Module& module, const Planes& in, Scale scale, TileDirection dir, std::uint32_t lw,
             std::uint32_t lh, RunContext& ctx, const char* role) const {
    torch::set_num_threads(ctx.threads);
    c10::InferenceMode guard;
    // AUTO uses bf16 on CPUs with native support only; on CUDA it stays float32 (never measured on a GPU).
    // Not for any-scale bundles: their per-pixel renderer reads positions inside the cell, which
    // bf16's 8-bit mantissa blurs (any32 on kodim05 at 11x: 19.32 dB in bf16, 19.57 in float32).
    const bool bf16 = ctx.precision == TADM_PRECISION_BF16 ||
                      (ctx.precision == TADM_PRECISION_AUTO && device_.is_cpu() && cpu_has_native_bf16() &&
                       bundle_.scale_max == 0);
    AutocastScope autocast(bf16, device_);
    ActivationCacheScope cache;
    const bool timestep_input = bundle_.enhancer && dir == TileDirection::kUp;
    auto fn = [&](const Planes& tile, const TileSpan& sx, const TileSpan& sy) {
      torch::Tensor x = torch::from_blob(const_cast<float*>(tile.data.data()),
                                         {1, tile.channels, tile.height, tile.width}, torch::kFloat32);
      if (device_ != torch::kCPU) x = x.to(device_);
      torch::Tensor y;
      try {
        if (timestep_input)
          y = module.forward({x, torch::full({1}, tile_timestep(ctx, sx, sy), torch::kFloat32).to(device_)}).toTensor();
        else
          y = module.forward(inputs(x, scale)).toTensor();
      } catch (const std::exception& e) {
        std::string msg = e.what();
        if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
        fail(TADM_ERROR_MODEL, std::string("the ") + role + " of model " + bundle_.identity.name + " failed: " + msg);
      }
      y = y.to(torch::kCPU, torch::kFloat32).contiguous();
      if (y.dim() != 4 || y.size(0) != 1 || y.size(1) != 3)
        fail(TADM_ERROR_MODEL, std::string("the ") + role + " of model " + bundle_.identity.name +
                                   " returned a tensor that is not [1,3,H,W]");
      Planes out(static_cast<std::uint32_t>(y.size(3)), static_cast<std::uint32_t>(y.size(2)), 3);
      std::copy_n(y.data_ptr<float>(), out.data.size(), out.data.data());
      return out;
    };
    return run_tiled(in, scale.x, scale.y, dir, lw, lh, geometry(ctx.limits.max_tile_pixels, scale), fn, ctx.progress);
  }

  // A module's inputs besides timesteps: the tensor, and for an any-scale bundle the scale across
  // and down (forward(x, sx, sy)).
  std::vector<torch::jit::IValue> inputs(const torch::Tensor& x, Scale scale) const {
    if (bundle_.scale_max == 0) return {x};
    return {x, static_cast<std::int64_t>(scale.x), static_cast<std::int64_t>(scale.y)};
  }

  // A hint must describe this thumbnail (the container checked its grid against its own tile
  // size) and hold timesteps the model was trained for: anything else is refused by name.
  void check_hint(const container::Hint& h, std::uint32_t lw, std::uint32_t lh) const {
    const EnhancerSpec& e = *bundle_.enhancer;
    if (std::uint64_t{h.grid_width} * h.tile_width < lw || std::uint64_t{h.grid_height} * h.tile_height < lh)
      fail(TADM_ERROR_CORRUPT, "the file's hint grid does not cover the thumbnail");
    for (const std::uint8_t v : h.values) {
      const double t = v * e.t_per_unit;
      if (t < e.t_min - e.t_per_unit || t > e.t_max + e.t_per_unit)
        fail(TADM_ERROR_CORRUPT, "the file's hint holds timestep " + std::to_string(static_cast<int>(std::lround(t))) +
                                     " (value " + std::to_string(v) + "), outside the " +
                                     std::to_string(static_cast<int>(e.t_min)) + ".." +
                                     std::to_string(static_cast<int>(e.t_max)) + " that model " + bundle_.identity.name +
                                     " was trained for");
    }
  }

  // The timestep a decoder tile runs at (forward's second input): 0 = no enhancement, the file's
  // hint for the cell under the tile's core centre, or -1 = the model's own choice.
  float tile_timestep(const RunContext& ctx, const TileSpan& sx, const TileSpan& sy) const {
    if (!ctx.enhance) return 0.0f;
    if (!ctx.hint) return -1.0f;
    const container::Hint& h = *ctx.hint;
    const std::uint32_t cx = std::min<std::uint32_t>((sx.start + sx.end) / 2 / h.tile_width, h.grid_width - 1u);
    const std::uint32_t cy = std::min<std::uint32_t>((sy.start + sy.end) / 2 / h.tile_height, h.grid_height - 1u);
    return static_cast<float>(h.values[std::size_t{cy} * h.grid_width + cx] * bundle_.enhancer->t_per_unit);
  }

  // Encoder-side refinement: the encoder is a fast, amortised guess of the best thumbnail; with
  // the original at hand the encoder side can do better by descending the decoder's real 8-bit
  // reconstruction error with respect to the thumbnail (straight-through rounding, Adam, cosine
  // step). Tiles are refined one after another on the shared thumbnail, each optimising its core
  // against its core's HR pixels with the margins as fixed context. Each tile keeps the best
  // iterate seen, the encoder's own thumbnail included, so refinement never makes a core worse.
  Planes refine(const Planes& hr, Planes lr, Scale scale, RunContext& ctx) const {
    using torch::indexing::Slice;
    const int iterations = ctx.refine_iterations;
    const std::int64_t ux = scale.x, uy = scale.y;
    constexpr double kStep = 4.0 / 255.0;  // Adam step at the start: 4 levels of the 8-bit thumbnail
    torch::set_num_threads(ctx.threads);
    torch::AutoGradMode grad(true);
    // Backpropagation keeps every activation of the decoder alive: a quarter of the decode budget.
    const TileGeometry g = geometry(std::max<std::uint64_t>(ctx.limits.max_tile_pixels / 4, 1), scale);
    const auto xs = tile_spans(lr.width, g), ys = tile_spans(lr.height, g);
    const torch::Tensor hr_t =
        torch::from_blob(const_cast<float*>(hr.data.data()), {1, 3, hr.height, hr.width}, torch::kFloat32);
    torch::Tensor lr_t = torch::from_blob(lr.data.data(), {1, 3, lr.height, lr.width}, torch::kFloat32);
    lr_t.clamp_(0.0, 1.0);  // aliases lr: the thumbnail is refined in place
    auto quantise = [](const torch::Tensor& v) {
      const torch::Tensor c = v.clamp(0.0, 1.0);
      return c + (torch::round(c * 255.0) / 255.0 - c).detach();
    };
    const std::size_t total = xs.size() * ys.size();
    std::size_t done = 0;
    try {
      for (const TileSpan& sy : ys) {
        for (const TileSpan& sx : xs) {
          const std::int64_t cy0 = sy.start - sy.lo, cy1 = sy.end - sy.lo;
          const std::int64_t cx0 = sx.start - sx.lo, cx1 = sx.end - sx.lo;
          const torch::Tensor target =
              hr_t.index({Slice(), Slice(), Slice(sy.start * uy, sy.end * uy), Slice(sx.start * ux, sx.end * ux)}).to(device_);
          torch::Tensor var = lr_t.index({Slice(), Slice(), Slice(sy.lo, sy.hi), Slice(sx.lo, sx.hi)}).to(device_, true);
          torch::Tensor core = torch::zeros_like(var);
          core.index_put_({Slice(), Slice(), Slice(cy0, cy1), Slice(cx0, cx1)}, 1.0);
          var.set_requires_grad(true);
          const torch::Tensor own_t = torch::full({1}, -1.0f, torch::kFloat32).to(device_);
          auto loss_of = [&](const torch::Tensor& q) {
            const torch::Tensor out =
                (bundle_.enhancer ? decoder_.forward({q, own_t}) : decoder_.forward(inputs(q, scale))).toTensor();
            return (out.index({Slice(), Slice(), Slice(cy0 * uy, cy1 * uy), Slice(cx0 * ux, cx1 * ux)}) - target)
                .square()
                .mean();
          };
          torch::optim::Adam adam({var}, torch::optim::AdamOptions(kStep));
          torch::Tensor best = quantise(var).detach().clone();
          double best_loss = std::numeric_limits<double>::infinity();
          for (int i = 0; i <= iterations; ++i) {
            const torch::Tensor q = quantise(var);
            if (i == iterations) {  // the last step's result, measured without a graph
              torch::NoGradGuard no_grad;
              if (const double l = loss_of(q).item<double>(); l < best_loss) best = q.detach().clone();
              break;
            }
            const double step = kStep * 0.5 * (1.0 + std::cos(M_PI * i / iterations));
            static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options()).lr(step);
            const torch::Tensor loss = loss_of(core * q + (1.0 - core) * q.detach());
            if (const double l = loss.item<double>(); l < best_loss) {
              best_loss = l;
              best = q.detach().clone();
            }
            adam.zero_grad();
            loss.backward();
            adam.step();
            ctx.progress(0.1f + 0.9f * (static_cast<float>(done) + static_cast<float>(i + 1) / static_cast<float>(iterations + 1)) /
                                    static_cast<float>(total));
          }
          lr_t.index_put_({Slice(), Slice(), Slice(sy.start, sy.end), Slice(sx.start, sx.end)},
                          best.index({Slice(), Slice(), Slice(cy0, cy1), Slice(cx0, cx1)}).to(torch::kCPU));
          ++done;
        }
      }
    } catch (const Error&) {
      throw;  // cancelled through the progress callback, or our own check
    } catch (const std::exception& e) {
      std::string msg = e.what();
      if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      fail(TADM_ERROR_MODEL, "thumbnail refinement with model " + bundle_.identity.name + " failed: " + msg);
    }
    ctx.progress(1.0f);
    return lr;
  }

  Bundle bundle_;
  torch::Device device_;
  // Shared by every handle that uses this bundle, run from several threads at once. Module::forward
  // is not const in LibTorch, but it only reads the module: TorchScript inference on one module
  // from several threads is safe when nothing writes to it (pytorch/pytorch#51452), and nothing
  // does after the constructor (weights stay frozen; refinement differentiates the thumbnail only).
  // Autocast and inference-mode state are thread-local; torch::set_num_threads is process-wide.
  mutable torch::jit::Module encoder_;
  mutable torch::jit::Module decoder_;
};

}  // namespace tadm

extern "C" __attribute__((visibility("default"))) int tadm_torch_runtime_abi() { return TADM_TORCH_RUNTIME_ABI; }

extern "C" __attribute__((visibility("default"))) tadm_status tadm_torch_runtime_create(
    tadm::Bundle* bundle, tadm_device device, tadm::Rescaler** out, char* error, size_t error_size) {
  try {
    const torch::Device dev = tadm::pick_device(device);
    *out = new tadm::LearnedRescaler(std::move(*bundle), dev);  // owned by the caller's unique_ptr
    return TADM_OK;
  } catch (const tadm::Error& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return e.status();
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "LibTorch runtime: %s", e.what());
    return TADM_ERROR_MODEL;
  }
}
