#include "lpips.hpp"

#include <stdexcept>

#if TADM_BENCH_LPIPS
#include <ATen/Parallel.h>
#include <torch/script.h>
#endif

namespace tadm_bench {

#if TADM_BENCH_LPIPS

struct Lpips::Impl {
  mutable torch::jit::Module module;
};

Lpips::Lpips(const std::string& path) : impl_(std::make_unique<Impl>()) {
  // One intra-op thread: tadm-rd parallelises over images (--jobs), and results stay reproducible.
  at::set_num_threads(1);
  try {
    impl_->module = torch::jit::load(path, torch::kCPU);
    impl_->module.eval();
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot load the LPIPS TorchScript " + path + ": " + e.what_without_backtrace());
  }
}

namespace {
torch::Tensor to_tensor(const Rgb& im) {
  // HWC uint8 -> [1,3,H,W] float in [0,1]
  auto t = torch::from_blob(const_cast<std::uint8_t*>(im.pixels.data()),
                            {1, static_cast<long>(im.height), static_cast<long>(im.width), 3}, torch::kUInt8);
  return t.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0).contiguous();
}
}  // namespace

double Lpips::operator()(const Rgb& a, const Rgb& b) const {
  if (a.width != b.width || a.height != b.height || a.pixels.empty())
    throw std::invalid_argument("LPIPS of images of different sizes or of an empty image");
  torch::NoGradGuard no_grad;
  const torch::Tensor d = impl_->module.forward({to_tensor(a), to_tensor(b)}).toTensor();
  return d.item<double>();
}

bool Lpips::available() { return true; }

#else

struct Lpips::Impl {};

Lpips::Lpips(const std::string& path) {
  throw std::runtime_error("this build has no LibTorch (TADM_WITH_TORCH=OFF): cannot run the LPIPS model " + path);
}

double Lpips::operator()(const Rgb&, const Rgb&) const { return 0.0; }

bool Lpips::available() { return false; }

#endif

Lpips::~Lpips() = default;

}  // namespace tadm_bench
