// Tiled application of a size-changing operator with overlap and feathered blending, so memory
// stays bounded for any image size. The tile grid is laid on the LR grid (lr_width x lr_height):
// an "up" operator maps an LR tile to scale_x times its width and scale_y times its height, a
// "down" operator maps an HR tile of that size to the LR tile.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "image.hpp"

namespace tadm {

struct TileGeometry {
  std::uint32_t tile = 64;    // core size, in LR pixels
  std::uint32_t margin = 8;   // context on each side, in LR pixels
};

enum class TileDirection { kUp, kDown };

// One axis of the tile grid: the core [start, end) and its window with context [lo, hi), in LR
// pixels. Every window has the same length (edge windows reach further inwards).
struct TileSpan {
  std::uint32_t start, end, lo, hi;
};
std::vector<TileSpan> tile_spans(std::uint32_t size, const TileGeometry& geometry);

// `run` receives an input tile (planes) with its place on the LR grid (the spans across and
// down) and returns its output tile. `in` must be exactly lr size (up) or lr size * scale (down).
using TileFn = std::function<Planes(const Planes& tile, const TileSpan& x, const TileSpan& y)>;
Planes run_tiled(const Planes& in, std::uint32_t scale_x, std::uint32_t scale_y, TileDirection direction,
                 std::uint32_t lr_width, std::uint32_t lr_height, const TileGeometry& geometry,
                 const TileFn& run, const std::function<void(float)>& progress);

// Copy a rectangle of planes.
Planes crop(const Planes& in, std::uint32_t x, std::uint32_t y, std::uint32_t w, std::uint32_t h);
// Extend to w x h by repeating the last column/row (the encoder pads HR to a scale multiple).
Planes pad_edge(const Planes& in, std::uint32_t w, std::uint32_t h);

}  // namespace tadm
