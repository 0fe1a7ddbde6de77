// PSNR, SSIM and MS-SSIM; see metrics.hpp for the definitions and their sources.
#include "metrics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tadm_bench {
namespace {

constexpr int kWindow = 11;
constexpr double kSigma = 1.5;
constexpr double kC1 = (0.01 * 255.0) * (0.01 * 255.0);
constexpr double kC2 = (0.03 * 255.0) * (0.03 * 255.0);

struct Plane {
  std::size_t w = 0, h = 0;
  std::vector<double> v;
  double& at(std::size_t x, std::size_t y) { return v[y * w + x]; }
  double at(std::size_t x, std::size_t y) const { return v[y * w + x]; }
};

void check_pair(const Rgb& a, const Rgb& b) {
  if (a.width == 0 || a.height == 0) throw std::invalid_argument("metric: empty image");
  if (a.width != b.width || a.height != b.height)
    throw std::invalid_argument("metric: images differ in size");
  const std::size_t n = static_cast<std::size_t>(a.width) * a.height * 3;
  if (a.pixels.size() != n || b.pixels.size() != n)
    throw std::invalid_argument("metric: pixel buffer does not match the size");
}

Plane channel(const Rgb& im, int c) {
  Plane p;
  p.w = im.width;
  p.h = im.height;
  p.v.resize(p.w * p.h);
  for (std::size_t i = 0; i < p.v.size(); ++i) p.v[i] = im.pixels[i * 3 + static_cast<std::size_t>(c)];
  return p;
}

std::array<double, kWindow> gaussian() {
  std::array<double, kWindow> g{};
  double sum = 0.0;
  for (int i = 0; i < kWindow; ++i) {
    const double d = i - (kWindow - 1) / 2.0;
    g[static_cast<std::size_t>(i)] = std::exp(-(d * d) / (2.0 * kSigma * kSigma));
    sum += g[static_cast<std::size_t>(i)];
  }
  for (double& x : g) x /= sum;
  return g;
}

// Separable 'valid' filtering: output is (w - 10) x (h - 10).
Plane filter_valid(const Plane& in) {
  static const std::array<double, kWindow> g = gaussian();
  const std::size_t ow = in.w - (kWindow - 1), oh = in.h - (kWindow - 1);
  Plane tmp;
  tmp.w = ow;
  tmp.h = in.h;
  tmp.v.assign(ow * in.h, 0.0);
  for (std::size_t y = 0; y < in.h; ++y)
    for (std::size_t x = 0; x < ow; ++x) {
      double s = 0.0;
      for (std::size_t k = 0; k < kWindow; ++k) s += g[k] * in.at(x + k, y);
      tmp.at(x, y) = s;
    }
  Plane out;
  out.w = ow;
  out.h = oh;
  out.v.assign(ow * oh, 0.0);
  for (std::size_t y = 0; y < oh; ++y)
    for (std::size_t x = 0; x < ow; ++x) {
      double s = 0.0;
      for (std::size_t k = 0; k < kWindow; ++k) s += g[k] * tmp.at(x, y + k);
      out.at(x, y) = s;
    }
  return out;
}

Plane product(const Plane& a, const Plane& b) {
  Plane p = a;
  for (std::size_t i = 0; i < p.v.size(); ++i) p.v[i] = a.v[i] * b.v[i];
  return p;
}

struct SsimParts {
  double ssim = 0.0;  // mean of l * cs
  double cs = 0.0;    // mean of cs
  double l = 0.0;     // mean of l
};

SsimParts ssim_plane(const Plane& x, const Plane& y) {
  const Plane mx = filter_valid(x), my = filter_valid(y);
  const Plane sxx = filter_valid(product(x, x)), syy = filter_valid(product(y, y)),
              sxy = filter_valid(product(x, y));
  SsimParts r;
  const std::size_t n = mx.v.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double ux = mx.v[i], uy = my.v[i];
    const double vx = sxx.v[i] - ux * ux, vy = syy.v[i] - uy * uy, cxy = sxy.v[i] - ux * uy;
    const double l = (2.0 * ux * uy + kC1) / (ux * ux + uy * uy + kC1);
    const double cs = (2.0 * cxy + kC2) / (vx + vy + kC2);
    r.ssim += l * cs;
    r.cs += cs;
    r.l += l;
  }
  r.ssim /= static_cast<double>(n);
  r.cs /= static_cast<double>(n);
  r.l /= static_cast<double>(n);
  return r;
}

Plane halve(const Plane& in) {
  Plane out;
  out.w = in.w / 2;
  out.h = in.h / 2;
  out.v.resize(out.w * out.h);
  for (std::size_t y = 0; y < out.h; ++y)
    for (std::size_t x = 0; x < out.w; ++x)
      out.at(x, y) = 0.25 * (in.at(2 * x, 2 * y) + in.at(2 * x + 1, 2 * y) + in.at(2 * x, 2 * y + 1) +
                             in.at(2 * x + 1, 2 * y + 1));
  return out;
}

void check_window(const Rgb& a) {
  if (a.width < kWindow || a.height < kWindow)
    throw std::invalid_argument("metric: SSIM needs an image of at least 11x11 pixels");
}

}  // namespace

double psnr(const Rgb& a, const Rgb& b) {
  check_pair(a, b);
  double se = 0.0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = static_cast<double>(a.pixels[i]) - static_cast<double>(b.pixels[i]);
    se += d * d;
  }
  if (se == 0.0) return std::numeric_limits<double>::infinity();
  const double mse = se / static_cast<double>(a.pixels.size());
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const Rgb& a, const Rgb& b) {
  check_pair(a, b);
  check_window(a);
  double sum = 0.0;
  for (int c = 0; c < 3; ++c) sum += ssim_plane(channel(a, c), channel(b, c)).ssim;
  return sum / 3.0;
}

SsimPair ssim_and_ms_ssim(const Rgb& a, const Rgb& b) {
  check_pair(a, b);
  check_window(a);
  static constexpr std::array<double, 5> kWeights = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};
  std::size_t scales = 1;
  for (std::uint32_t w = a.width / 2, h = a.height / 2; scales < kWeights.size() && w >= kWindow && h >= kWindow;
       w /= 2, h /= 2)
    ++scales;
  double wsum = 0.0;
  for (std::size_t s = 0; s < scales; ++s) wsum += kWeights[s];
  SsimPair total;
  for (int c = 0; c < 3; ++c) {
    Plane x = channel(a, c), y = channel(b, c);
    double value = 1.0;
    for (std::size_t s = 0; s < scales; ++s) {
      const SsimParts p = ssim_plane(x, y);
      if (s == 0) total.ssim += p.ssim;
      const double wgt = kWeights[s] / wsum;
      // cs can be slightly negative for anti-correlated content; clamp at 0 as is customary so
      // the fractional power stays real. The coarsest scale contributes the full SSIM (l * cs).
      const double term = (s + 1 == scales) ? p.ssim : p.cs;
      value *= std::pow(std::max(term, 0.0), wgt);
      if (s + 1 < scales) {
        x = halve(x);
        y = halve(y);
      }
    }
    total.ms_ssim += value;
  }
  total.ssim /= 3.0;
  total.ms_ssim /= 3.0;
  return total;
}

double ms_ssim(const Rgb& a, const Rgb& b) { return ssim_and_ms_ssim(a, b).ms_ssim; }

}  // namespace tadm_bench
