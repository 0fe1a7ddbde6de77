// RAII owners for libavif's handles and output buffers, shared by the AVIF thumbnail codec
// (lr_codec.cpp) and the TADM-AVIF flavour (heif_avif.cpp).
#pragma once

#include <avif/avif.h>

#include <memory>

namespace tadm {

struct AvifDeleter {
  void operator()(avifImage* p) const { avifImageDestroy(p); }
  void operator()(avifEncoder* p) const { avifEncoderDestroy(p); }
  void operator()(avifDecoder* p) const { avifDecoderDestroy(p); }
};
template <typename T>
using AvifPtr = std::unique_ptr<T, AvifDeleter>;

// Owns the output of avifEncoderWrite.
struct AvifRWDataOwner {
  avifRWData data = AVIF_DATA_EMPTY;
  AvifRWDataOwner() = default;
  AvifRWDataOwner(const AvifRWDataOwner&) = delete;
  AvifRWDataOwner& operator=(const AvifRWDataOwner&) = delete;
  ~AvifRWDataOwner() { avifRWDataFree(&data); }
};

}  // namespace tadm
