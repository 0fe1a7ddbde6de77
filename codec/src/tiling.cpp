#include "tiling.hpp"

#include <algorithm>
#include <vector>

#include "error.hpp"

namespace tadm {

Planes crop(const Planes& in, std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h) {
  Planes out(w, h, in.channels);
  for (std::uint32_t c = 0; c < in.channels; ++c)
    for (std::uint32_t r = 0; r < h; ++r)
      std::copy_n(in.plane(c) + std::size_t{y + r} * in.width + x, w, out.plane(c) + std::size_t{r} * w);
  return out;
}

Planes pad_edge(const Planes& in, std::uint32_t w, std::uint32_t h) {
  if (w == in.width && h == in.height) return in;
  Planes out(w, h, in.channels);
  for (std::uint32_t c = 0; c < in.channels; ++c)
    for (std::uint32_t r = 0; r < h; ++r) {
      const float* src = in.plane(c) + std::size_t{std::min(r, in.height - 1)} * in.width;
      float* dst = out.plane(c) + std::size_t{r} * w;
      std::copy_n(src, in.width, dst);
      std::fill(dst + in.width, dst + w, src[in.width - 1]);
    }
  return out;
}

// Every window has the same length (edge windows reach further inwards instead of being cut
// short): the model then sees one tensor shape, so its activation buffers are reused from tile
// to tile instead of being allocated and faulted in anew (see torch_allocator.hpp).
std::vector<TileSpan> tile_spans(std::uint32_t size, const TileGeometry& g) {
  std::vector<TileSpan> out;
  const std::uint32_t window = std::min(size, g.tile + 2 * g.margin);
  for (std::uint32_t s = 0; s < size; s += g.tile) {
    const std::uint32_t e = std::min(size, s + g.tile);
    const std::uint32_t lo = std::min(s > g.margin ? s - g.margin : 0, size - window);
    out.push_back({s, e, lo, lo + window});
  }
  return out;
}

namespace {

// Blend weight along one axis at output coordinate u (output pixels), for output factor f:
// 1 inside the core, falling linearly to near zero across the margin; image borders stay 1.
float axis_weight(const TileSpan& sp, double u, double f) {
  const double p = (u + 0.5) / f;  // LR units
  if (p < sp.start) return static_cast<float>(std::max(1e-3, (p - sp.lo) / (sp.start - sp.lo)));
  if (p > sp.end) return static_cast<float>(std::max(1e-3, (sp.hi - p) / (sp.hi - sp.end)));
  return 1.0f;
}

}  // namespace

Planes run_tiled(const Planes& in, std::uint32_t scale_x, std::uint32_t scale_y, TileDirection direction,
                 std::uint32_t lr_width, std::uint32_t lr_height, const TileGeometry& geometry,
                 const TileFn& run, const std::function<void(float)>& progress) {
  const bool up = direction == TileDirection::kUp;
  const std::uint32_t in_fx = up ? 1 : scale_x, in_fy = up ? 1 : scale_y;     // input pixels per LR pixel
  const std::uint32_t out_fx = up ? scale_x : 1, out_fy = up ? scale_y : 1;  // output pixels per LR pixel
  const auto xs = tile_spans(lr_width, geometry);
  const auto ys = tile_spans(lr_height, geometry);
  std::uint32_t out_channels = 0;
  Planes acc;
  std::vector<float> weight(std::size_t{lr_width} * out_fx * lr_height * out_fy, 0.0f);
  const std::size_t total = xs.size() * ys.size();
  std::size_t done = 0;
  for (const TileSpan& sy : ys) {
    for (const TileSpan& sx : xs) {
      const Planes tile_in = crop(in, sx.lo * in_fx, sy.lo * in_fy, (sx.hi - sx.lo) * in_fx, (sy.hi - sy.lo) * in_fy);
      const Planes tile_out = run(tile_in, sx, sy);
      const std::uint32_t tw = (sx.hi - sx.lo) * out_fx, th = (sy.hi - sy.lo) * out_fy;
      if (tile_out.width != tw || tile_out.height != th)
        fail(TADM_ERROR_MODEL, "the model returned a " + std::to_string(tile_out.width) + "x" +
                                   std::to_string(tile_out.height) + " tile where " + std::to_string(tw) +
                                   "x" + std::to_string(th) + " was expected (wrong scale or I/O contract)");
      if (out_channels == 0) {
        out_channels = tile_out.channels;
        acc = Planes(lr_width * out_fx, lr_height * out_fy, out_channels);
      }
      std::vector<float> wx(tw);
      for (std::uint32_t u = 0; u < tw; ++u) wx[u] = axis_weight(sx, sx.lo * out_fx + u, out_fx);
      for (std::uint32_t v = 0; v < th; ++v) {
        const float wy = axis_weight(sy, sy.lo * out_fy + v, out_fy);
        const std::size_t row = std::size_t{sy.lo * out_fy + v} * acc.width + sx.lo * out_fx;
        for (std::uint32_t u = 0; u < tw; ++u) weight[row + u] += wx[u] * wy;
        for (std::uint32_t c = 0; c < out_channels; ++c) {
          const float* src = tile_out.plane(c) + std::size_t{v} * tw;
          float* dst = acc.plane(c) + row;
          for (std::uint32_t u = 0; u < tw; ++u) dst[u] += src[u] * wx[u] * wy;
        }
      }
      progress(static_cast<float>(++done) / static_cast<float>(total));
    }
  }
  for (std::uint32_t c = 0; c < out_channels; ++c) {
    float* p = acc.plane(c);
    for (std::size_t i = 0; i < weight.size(); ++i) p[i] /= weight[i];
  }
  return acc;
}

}  // namespace tadm
