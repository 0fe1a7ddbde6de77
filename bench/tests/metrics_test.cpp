// The metric implementations against analytically known values and, for PSNR, against
// ImageMagick 6.9.11's `compare -metric PSNR` (an independent implementation).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "codecs.hpp"
#include "metrics.hpp"

using namespace tadm_bench;

namespace {

Rgb constant(std::uint32_t w, std::uint32_t h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  Rgb im;
  im.width = w;
  im.height = h;
  im.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < im.pixels.size(); i += 3) {
    im.pixels[i] = r;
    im.pixels[i + 1] = g;
    im.pixels[i + 2] = b;
  }
  return im;
}

Rgb textured(std::uint32_t w, std::uint32_t h, unsigned seed) {
  Rgb im = constant(w, h, 0, 0, 0);
  std::mt19937 rng(seed);
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const double v = 128 + 60 * std::sin(0.21 * x + 0.5 * c) * std::cos(0.13 * y) + static_cast<int>(rng() % 31) - 15;
        im.pixels[(static_cast<std::size_t>(y) * w + x) * 3 + static_cast<std::size_t>(c)] =
            static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return im;
}

Rgb add_noise(const Rgb& in, int amplitude, unsigned seed) {
  Rgb out = in;
  std::mt19937 rng(seed);
  for (auto& p : out.pixels)
    p = static_cast<std::uint8_t>(std::clamp(static_cast<int>(p) + static_cast<int>(rng() % (2 * amplitude + 1)) - amplitude, 0, 255));
  return out;
}

constexpr double kC1 = (0.01 * 255) * (0.01 * 255);

}  // namespace

TEST(Psnr, IdenticalIsInfinite) {
  const Rgb a = textured(32, 24, 1);
  EXPECT_TRUE(std::isinf(psnr(a, a)));
}

TEST(Psnr, ConstantOffsetMatchesFormula) {
  // Every sample differs by 10: MSE = 100, PSNR = 20 log10(255 / 10) = 28.1308 dB.
  EXPECT_NEAR(psnr(constant(16, 16, 100, 50, 200), constant(16, 16, 110, 60, 190)), 28.130803608679, 1e-9);
  // Only R differs by 10: MSE = 100 / 3 over the three channels: 32.9020 dB. ImageMagick 6.9.11
  // `compare -metric PSNR` reports 32.902 for these two images as well.
  EXPECT_NEAR(psnr(constant(64, 64, 100, 100, 100), constant(64, 64, 110, 100, 100)), 32.902016155876, 1e-6);
}

TEST(Psnr, RejectsMismatchedSizes) {
  EXPECT_THROW(psnr(constant(4, 4, 0, 0, 0), constant(4, 5, 0, 0, 0)), std::invalid_argument);
}

TEST(Ssim, IdenticalIsOne) {
  const Rgb a = textured(48, 40, 2);
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-12);
  EXPECT_NEAR(ms_ssim(a, a), 1.0, 1e-12);
}

TEST(Ssim, ConstantImagesGiveTheLuminanceTerm) {
  // Zero variance in both: cs = C2 / C2 = 1, so SSIM = (2 a b + C1) / (a^2 + b^2 + C1).
  const double a = 100, b = 120;
  const double expected = (2 * a * b + kC1) / (a * a + b * b + kC1);
  EXPECT_NEAR(ssim(constant(32, 32, 100, 100, 100), constant(32, 32, 120, 120, 120)), expected, 1e-9);
  // MS-SSIM: cs = 1 at every scale and the luminance term enters with the last exponent only.
  // 256x256 has 5 scales (coarsest 16x16); exponents sum to 1.0001 and are renormalised.
  const double ms = std::pow(expected, 0.1333 / 1.0001);
  EXPECT_NEAR(ms_ssim(constant(256, 256, 100, 100, 100), constant(256, 256, 120, 120, 120)), ms, 1e-9);
}

TEST(Ssim, FallsWithNoiseAndIsSymmetric) {
  const Rgb a = textured(64, 64, 3);
  const Rgb b = add_noise(a, 10, 4), c = add_noise(a, 40, 5);
  const double sb = ssim(a, b), sc = ssim(a, c);
  EXPECT_LT(sb, 1.0);
  EXPECT_LT(sc, sb);
  EXPECT_NEAR(ssim(b, a), sb, 1e-12);
  EXPECT_LT(ms_ssim(a, c), ms_ssim(a, b));
  EXPECT_GT(sc, 0.0);
  const SsimPair both = ssim_and_ms_ssim(a, b);
  EXPECT_NEAR(both.ssim, sb, 1e-12);
  EXPECT_NEAR(both.ms_ssim, ms_ssim(a, b), 1e-12);
}

TEST(Ssim, StructureTermOfAnInvertedImageIsNegative) {
  // y = 255 - x flips the covariance sign: SSIM is well below zero for a textured image.
  const Rgb a = textured(64, 64, 6);
  Rgb inv = a;
  for (auto& p : inv.pixels) p = static_cast<std::uint8_t>(255 - p);
  EXPECT_LT(ssim(a, inv), -0.5);
}

TEST(Ssim, NeedsElevenPixels) {
  EXPECT_THROW(ssim(constant(10, 32, 0, 0, 0), constant(10, 32, 0, 0, 0)), std::invalid_argument);
}

TEST(Psnr, AgreesWithImageMagick) {
  const char* compare = "/usr/bin/compare";
  if (!std::filesystem::exists(compare)) GTEST_SKIP() << "ImageMagick compare not installed (Debian imagemagick)";
  const Rgb a = textured(96, 64, 7), b = add_noise(a, 25, 8);
  const auto dir = std::filesystem::temp_directory_path() / ("tadm-bench-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [name, im] : {std::pair{"a.png", &a}, std::pair{"b.png", &b}}) {
    const Bytes png = write_png(*im);
    std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  const std::string cmd = std::string(compare) + " -metric PSNR '" + (dir / "a.png").string() + "' '" +
                          (dir / "b.png").string() + "' null: 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof buf, f) != nullptr;
  pclose(f);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(got);
  const double im_psnr = std::strtod(buf, nullptr);
  EXPECT_NEAR(psnr(a, b), im_psnr, 0.01) << "ImageMagick said: " << buf;
}
