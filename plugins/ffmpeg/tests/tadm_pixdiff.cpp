// tadm_pixdiff A.png B.png [TOLERANCE]
// Compares two 8-bit images read with libtadm: same size, the same RGB samples (an alpha channel
// on one side only is ignored if it is fully opaque). Prints the size, the largest difference
// and how many samples differ; exits 0 when the largest difference is <= TOLERANCE (default 0),
// 1 when the images differ, 2 on a usage or read error.
#include <tadm/tadm.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

struct ImageDeleter {
  void operator()(tadm_image* image) const { tadm_image_free(image); }
};
using ImagePtr = std::unique_ptr<tadm_image, ImageDeleter>;

ImagePtr read(const char* path) {
  tadm_image* image = nullptr;
  char error[512] = "";
  if (tadm_image_read_file(path, nullptr, &image, error, sizeof(error)) != TADM_OK) {
    std::fprintf(stderr, "tadm_pixdiff: cannot read %s: %s\n", path, error);
    return nullptr;
  }
  return ImagePtr(image);
}

bool opaque(const tadm_image& image) {
  if (image.channels != 2 && image.channels != 4) return true;
  for (uint32_t y = 0; y < image.height; ++y)
    for (uint32_t x = 0; x < image.width; ++x)
      if (image.pixels[y * image.row_bytes + (x + 1) * image.channels - 1] != 255) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: tadm_pixdiff A.png B.png [TOLERANCE]\n");
    return 2;
  }
  const int tolerance = argc == 4 ? std::atoi(argv[3]) : 0;
  const ImagePtr a = read(argv[1]), b = read(argv[2]);
  if (!a || !b) return 2;
  if (a->bit_depth != 8 || b->bit_depth != 8) {
    std::fprintf(stderr, "tadm_pixdiff: only 8-bit images are compared\n");
    return 2;
  }
  if (a->width != b->width || a->height != b->height) {
    std::printf("size differs: %ux%u vs %ux%u\n", a->width, a->height, b->width, b->height);
    return 1;
  }
  const uint32_t ca = a->channels, cb = b->channels;
  const bool colour_a = ca >= 3, colour_b = cb >= 3;
  if (colour_a != colour_b) {
    std::printf("channel layout differs: %u vs %u channels\n", ca, cb);
    return 1;
  }
  const bool alpha_a = ca == 2 || ca == 4, alpha_b = cb == 2 || cb == 4;
  const uint32_t colour = colour_a ? 3 : 1;
  const uint32_t compared = (alpha_a && alpha_b) ? colour + 1 : colour;
  if (alpha_a != alpha_b && !opaque(alpha_a ? *a : *b)) {
    std::printf("alpha differs: one image has a non-opaque alpha channel, the other none\n");
    return 1;
  }
  int max_diff = 0;
  uint64_t differing = 0;
  for (uint32_t y = 0; y < a->height; ++y) {
    const uint8_t* ra = a->pixels + y * a->row_bytes;
    const uint8_t* rb = b->pixels + y * b->row_bytes;
    for (uint32_t x = 0; x < a->width; ++x) {
      for (uint32_t c = 0; c < compared; ++c) {
        const uint32_t ia = c < colour ? c : ca - 1, ib = c < colour ? c : cb - 1;
        const int d = std::abs(int{ra[x * ca + ia]} - int{rb[x * cb + ib]});
        if (d != 0) ++differing;
        if (d > max_diff) max_diff = d;
      }
    }
  }
  std::printf("%ux%u, %u samples per pixel compared: max difference %d, %llu samples differ\n", a->width,
              a->height, compared, max_diff, static_cast<unsigned long long>(differing));
  return max_diff <= tolerance ? 0 : 1;
}
