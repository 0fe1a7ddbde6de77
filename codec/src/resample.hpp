// Separable resampling of float planes with an antialiasing kernel: when shrinking, the kernel
// is stretched by the ratio so every input pixel contributes (no aliasing); when enlarging it
// interpolates. Kernel windows are clipped at the borders and renormalised.
#pragma once

#include <cstdint>

#include "image.hpp"

namespace tadm {

enum class ResampleFilter { kBicubic, kLanczos3 };

Planes resample(const Planes& in, std::uint32_t out_width, std::uint32_t out_height,
                ResampleFilter filter, int threads);

}  // namespace tadm
