// Full-reference image quality metrics on 8-bit RGB images: PSNR, SSIM and MS-SSIM.
//
// Definitions (our own implementations, following the papers):
//  - PSNR: 10 log10(255^2 / MSE), the MSE taken over all samples of the three channels.
//    Identical images give +infinity.
//  - SSIM: Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from error visibility to
//    structural similarity", IEEE TIP 13(4), 2004: 11x11 Gaussian window (sigma 1.5), K1 = 0.01,
//    K2 = 0.03, L = 255, statistics over 'valid' windows only (no padding), mean of the SSIM map,
//    computed per channel and averaged over R, G and B.
//  - MS-SSIM: Wang, Simoncelli, Bovik, "Multi-scale structural similarity for image quality
//    assessment", Asilomar 2003: 5 scales with exponents (0.0448, 0.2856, 0.3001, 0.2363,
//    0.1333), 2x2 average-pool downsampling between scales, contrast-structure term at every
//    scale and the luminance term at the coarsest; per channel, averaged over R, G and B. When
//    the image is too small for 5 scales (the coarsest must be at least 11 pixels on each side)
//    the scales that fit are used and their exponents renormalised to sum to 1.
#pragma once

#include <cstdint>
#include <vector>

namespace tadm_bench {

struct Rgb {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> pixels;  // interleaved RGB, row-major, no padding
  std::uint8_t at(std::uint32_t x, std::uint32_t y, int c) const {
    return pixels[(static_cast<std::size_t>(y) * width + x) * 3 + static_cast<std::size_t>(c)];
  }
};

// All functions throw std::invalid_argument when the images differ in size or are empty.
double psnr(const Rgb& a, const Rgb& b);
double ssim(const Rgb& a, const Rgb& b);
double ms_ssim(const Rgb& a, const Rgb& b);
// Both at once (the first MS-SSIM scale shares its statistics with SSIM): {ssim, ms_ssim}.
struct SsimPair {
  double ssim = 0.0;
  double ms_ssim = 0.0;
};
SsimPair ssim_and_ms_ssim(const Rgb& a, const Rgb& b);

}  // namespace tadm_bench
