// LPIPS-squeeze (Zhang et al., CVPR 2018: LPIPS v0.1 on SqueezeNet 1.1) for the benchmarks: runs
// the TorchScript export of model/tadm_train/lpips.py (`python3 -m tadm_train.lpips --export
// FILE.pt`, made from ../shared/models/lpips-squeeze at bench time, never committed). Lower is
// more similar. Built only with LibTorch (TADM_WITH_TORCH); elsewhere `available()` is false.
#pragma once

#include <memory>
#include <string>

#include "metrics.hpp"

namespace tadm_bench {

class Lpips {
 public:
  // Loads the module; throws std::runtime_error naming the file when it cannot.
  explicit Lpips(const std::string& torchscript_path);
  ~Lpips();
  Lpips(const Lpips&) = delete;
  Lpips& operator=(const Lpips&) = delete;
  // The distance of two images of the same size (std::invalid_argument otherwise).
  double operator()(const Rgb& a, const Rgb& b) const;
  static bool available();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tadm_bench
