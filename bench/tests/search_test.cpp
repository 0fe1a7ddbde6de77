// The matched-bytes search never returns a file larger than its budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "codecs.hpp"

using namespace tadm_bench;

namespace {
Rgb test_image(std::uint32_t w, std::uint32_t h) {
  Rgb im;
  im.width = w;
  im.height = h;
  im.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  std::mt19937 rng(42);
  for (std::size_t i = 0; i < im.pixels.size(); ++i)
    im.pixels[i] = static_cast<std::uint8_t>((i * 7 % 251) / 2 + rng() % 64);
  return im;
}
}  // namespace

TEST(LargestFitting, MonotoneFakeFindsTheExactAnswer) {
  auto enc = [](int q) { return Bytes(static_cast<std::size_t>(10 * q + 5)); };
  for (std::size_t budget : {0u, 4u, 5u, 14u, 15u, 16u, 500u, 995u, 1005u, 5000u}) {
    auto fit = largest_fitting(enc, 0, 100, budget);
    if (budget < 5) {
      EXPECT_FALSE(fit.has_value()) << budget;
      continue;
    }
    ASSERT_TRUE(fit.has_value()) << budget;
    EXPECT_LE(fit->bytes.size(), budget);
    EXPECT_EQ(fit->quality, std::min(100, static_cast<int>((budget - 5) / 10)));
  }
}

TEST(LargestFitting, NonMonotoneFakeNeverExceedsBudget) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::size_t> sizes(64);
    for (auto& s : sizes) s = rng() % 1000;
    auto enc = [&](int q) { return Bytes(sizes[static_cast<std::size_t>(q)]); };
    const std::size_t budget = rng() % 1000;
    auto fit = largest_fitting(enc, 0, 63, budget);
    if (fit) {
      EXPECT_LE(fit->bytes.size(), budget);
      EXPECT_EQ(fit->bytes.size(), sizes[static_cast<std::size_t>(fit->quality)]);
    }
  }
}

TEST(LargestFitting, RealCodecsStayWithinBudget) {
  const Rgb im = test_image(48, 40);
  for (const std::string& name : codec_names()) {
    auto codec = make_codec(name, 8, 3);
    const std::size_t lo = codec->encode(im, codec->min_quality()).size();
    const std::size_t hi = codec->encode(im, codec->max_quality()).size();
    ASSERT_LT(lo, hi) << name;
    for (int k = 0; k <= 4; ++k) {
      const std::size_t budget = lo + (hi - lo) * static_cast<std::size_t>(k) / 4;
      int calls = 0;
      auto fit = largest_fitting([&](int q) { return codec->encode(im, q); }, codec->min_quality(),
                                 codec->max_quality(), budget, &calls);
      ASSERT_TRUE(fit.has_value()) << name << " budget " << budget;
      EXPECT_LE(fit->bytes.size(), budget) << name;
      EXPECT_EQ(fit->bytes, codec->encode(im, fit->quality)) << name << ": encoding is deterministic";
      EXPECT_LE(calls, 9) << name;
      // The decoded file has the image's size.
      const Rgb dec = codec->decode(fit->bytes);
      EXPECT_EQ(dec.width, im.width);
      EXPECT_EQ(dec.height, im.height);
    }
    EXPECT_FALSE(largest_fitting([&](int q) { return codec->encode(im, q); }, codec->min_quality(),
                                 codec->max_quality(), lo - 1)
                     .has_value())
        << name;
  }
}

TEST(Rescaler, RoundTripKeepsSizeAndApproximatesSmoothImages) {
  Rgb im;
  im.width = 70;
  im.height = 45;  // not a multiple of the scale
  im.pixels.resize(70 * 45 * 3);
  for (std::uint32_t y = 0; y < 45; ++y)
    for (std::uint32_t x = 0; x < 70; ++x)
      for (int c = 0; c < 3; ++c)
        im.pixels[(y * 70 + x) * 3 + static_cast<std::uint32_t>(c)] = static_cast<std::uint8_t>(40 + 2 * x + y + 10 * c);
  Rescaler r;
  const Rgb small = r.downscale(im, 4);
  EXPECT_EQ(small.width, 18u);
  EXPECT_EQ(small.height, 12u);
  const Rgb up = r.upscale(small, 4, 70, 45);
  EXPECT_EQ(up.width, 70u);
  EXPECT_EQ(up.height, 45u);
  EXPECT_GT(psnr(im, up), 30.0);
}
