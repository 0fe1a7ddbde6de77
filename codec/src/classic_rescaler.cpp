#include <string_view>

#include "rescaler.hpp"

namespace tadm {

const ModelIdentity& classic_identity() {
  // The classic rescaler has no weights; its identity hashes a fixed description so that
  // files name it the same way as learned bundles (spec/container.md, MODL).
  static const ModelIdentity id = [] {
    constexpr std::string_view kDescription = "tadm classic rescaler 1: antialiased bicubic (a=-0.5) downscale";
    ModelIdentity m{"classic", "1", {}};
    m.sha256 = sha256({reinterpret_cast<const std::uint8_t*>(kDescription.data()), kDescription.size()});
    return m;
  }();
  return id;
}

namespace {

class ClassicRescaler final : public Rescaler {
 public:
  explicit ClassicRescaler(ResampleFilter up) : up_(up) {}
  const ModelIdentity& identity() const override { return classic_identity(); }
  std::uint32_t native_scale() const override { return 0; }
  bool serves(Scale) const override { return true; }
  std::string served_scales() const override { return "2..64 on each axis"; }
  // resample(): the horizontal pass (at most half the pixels at scale >= 2) and the output.
  MemoryUse downscale_memory() const override { return {8, 0}; }
  MemoryUse upscale_memory() const override { return {20, 0}; }

  Planes downscale(const Planes& hr, Scale scale, RunContext& ctx) const override {
    const std::uint32_t w = (hr.width + scale.x - 1) / scale.x, h = (hr.height + scale.y - 1) / scale.y;
    Planes out = resample(hr, w, h, ResampleFilter::kBicubic, ctx.threads);
    ctx.progress(1.0f);
    return out;
  }

  Planes upscale(const Planes& lr, Scale, std::uint32_t width, std::uint32_t height,
                 RunContext& ctx) const override {
    Planes out = resample(lr, width, height, up_, ctx.threads);
    ctx.progress(1.0f);
    return out;
  }

 private:
  ResampleFilter up_;
};

}  // namespace

std::unique_ptr<Rescaler> make_classic_rescaler(ResampleFilter upscale_filter) {
  return std::make_unique<ClassicRescaler>(upscale_filter);
}

}  // namespace tadm
