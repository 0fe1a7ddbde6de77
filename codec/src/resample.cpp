#include "resample.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "parallel.hpp"

namespace tadm {

namespace {

double bicubic(double x) {
  // Keys' cubic convolution with a = -0.5 (the common "bicubic").
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

double lanczos3(double x) { return std::abs(x) < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0; }

// For each output index: the first input index and the normalised weights.
struct Taps {
  std::vector<std::uint32_t> first;
  std::vector<std::uint32_t> count;
  std::vector<float> weights;  // `stride` per output index
  std::size_t stride = 0;
};

Taps make_taps(std::uint32_t in_size, std::uint32_t out_size, ResampleFilter filter) {
  const double support_1 = filter == ResampleFilter::kBicubic ? 2.0 : 3.0;
  auto kernel = filter == ResampleFilter::kBicubic ? bicubic : lanczos3;
  const double ratio = static_cast<double>(in_size) / out_size;
  const double stretch = std::max(ratio, 1.0);
  const double support = support_1 * stretch;
  Taps t;
  t.stride = static_cast<std::size_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(t.stride * out_size, 0.0f);
  std::vector<double> w(t.stride);
  for (std::uint32_t i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * ratio;
    const auto lo = static_cast<std::int64_t>(std::max(0.0, std::floor(center - support + 0.5)));
    const auto hi = static_cast<std::int64_t>(std::min<double>(in_size, std::floor(center + support + 0.5)));
    const std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(hi - lo, static_cast<std::int64_t>(t.stride)));
    double sum = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      w[k] = kernel((static_cast<double>(lo) + static_cast<double>(k) - center + 0.5) / stretch);
      sum += w[k];
    }
    t.first[i] = static_cast<std::uint32_t>(lo);
    t.count[i] = static_cast<std::uint32_t>(n);
    for (std::size_t k = 0; k < n; ++k)
      t.weights[i * t.stride + k] = static_cast<float>(sum != 0.0 ? w[k] / sum : 0.0);
  }
  return t;
}

}  // namespace

Planes resample(const Planes& in, std::uint32_t out_width, std::uint32_t out_height,
                ResampleFilter filter, int threads) {
  const Taps tx = make_taps(in.width, out_width, filter);
  const Taps ty = make_taps(in.height, out_height, filter);
  // Horizontal pass: in.height rows of out_width.
  Planes mid(out_width, in.height, in.channels);
  parallel_for(threads, std::size_t{in.channels} * in.height, [&](std::size_t begin, std::size_t end) {
    for (std::size_t r = begin; r < end; ++r) {
      const float* src = in.data.data() + r * in.width;
      float* dst = mid.data.data() + r * out_width;
      for (std::uint32_t x = 0; x < out_width; ++x) {
        const float* w = tx.weights.data() + x * tx.stride;
        const float* s = src + tx.first[x];
        float acc = 0.0f;
        for (std::uint32_t k = 0; k < tx.count[x]; ++k) acc += w[k] * s[k];
        dst[x] = acc;
      }
    }
  });
  // Vertical pass.
  Planes out(out_width, out_height, in.channels);
  parallel_for(threads, std::size_t{in.channels} * out_height, [&](std::size_t begin, std::size_t end) {
    std::vector<float> acc(out_width);
    for (std::size_t r = begin; r < end; ++r) {
      const std::uint32_t c = static_cast<std::uint32_t>(r / out_height);
      const std::uint32_t y = static_cast<std::uint32_t>(r % out_height);
      std::fill(acc.begin(), acc.end(), 0.0f);
      const float* w = ty.weights.data() + y * ty.stride;
      for (std::uint32_t k = 0; k < ty.count[y]; ++k) {
        const float* s = mid.plane(c) + std::size_t{ty.first[y] + k} * out_width;
        for (std::uint32_t x = 0; x < out_width; ++x) acc[x] += w[k] * s[x];
      }
      std::copy(acc.begin(), acc.end(), out.plane(c) + std::size_t{y} * out_width);
    }
  });
  return out;
}

}  // namespace tadm
