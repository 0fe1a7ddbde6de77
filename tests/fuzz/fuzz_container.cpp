// libFuzzer target for the .tadm reader and writer.
//
// Beyond "no crash, no sanitizer report", it checks properties the spec promises:
//  - read() and extract_lr_image() agree on every input (same error code, same PNG bytes);
//  - every error carries a message;
//  - anything read() accepts, write() accepts, and write() output reads back to the same fields
//    and is a fixed point of read-then-write;
//  - tighter Limits never turn a rejected file into an accepted one.
// Each input is tried twice: as given, and with every chunk CRC that fits recomputed, so that
// mutations inside chunks reach the field checks instead of stopping at the CRC.
#include <tadm/container.hpp>

#include "../container/vector_tools.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace tc = tadm::container;

namespace {

[[noreturn]] void fail(const char* what, const tc::Error& e) {
  std::fprintf(stderr, "fuzz_container: %s (%s: %s)\n", what, tc::error_code_name(e.code), e.message.c_str());
  std::abort();
}

bool same_fields(const tc::File& a, const tc::File& b) {
  const auto cicp_eq = [](const std::optional<tc::Cicp>& x, const std::optional<tc::Cicp>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->colour_primaries == y->colour_primaries &&
                  x->transfer_characteristics == y->transfer_characteristics &&
                  x->matrix_coefficients == y->matrix_coefficients && x->full_range == y->full_range);
  };
  const auto hint_eq = [](const std::optional<tc::Hint>& x, const std::optional<tc::Hint>& y) {
    if (x.has_value() != y.has_value()) return false;
    return !x || (x->grid_width == y->grid_width && x->grid_height == y->grid_height &&
                  x->tile_width == y->tile_width && x->tile_height == y->tile_height && x->values == y->values);
  };
  return a.version_major == b.version_major && a.version_minor == b.version_minor && a.width == b.width &&
         a.height == b.height && a.scale_x == b.scale_x && a.scale_y == b.scale_y && a.lr_width == b.lr_width &&
         a.lr_height == b.lr_height && a.flags == b.flags && a.original_bit_depth == b.original_bit_depth &&
         a.lr_codec == b.lr_codec && a.model_name == b.model_name && a.model_version == b.model_version &&
         a.model_sha256 == b.model_sha256 && a.lr_image == b.lr_image && a.icc == b.icc && cicp_eq(a.cicp, b.cicp) &&
         a.exif == b.exif && a.xmp == b.xmp && hint_eq(a.hint, b.hint);
}

void check(std::span<const std::uint8_t> in) {
  const tc::Limits limits;

  tc::File f;
  const tc::Error e = tc::read(in, limits, f);
  std::vector<std::uint8_t> png;
  const tc::Error x = tc::extract_lr_image(in, limits, png);
  if (e.code != x.code) fail("read and extract_lr_image disagree", x);

  if (e) {
    if (e.message.empty()) fail("error without a message", e);
  } else {
    if (png != f.lr_image) fail("extract_lr_image returned other bytes than read", e);
    if (f.chunks.size() < 4) fail("accepted a file with fewer than 4 chunks", e);
    std::vector<std::uint8_t> out;
    const tc::Error w = tc::write(f, out);
    if (w) fail("write refused what read accepted", w);
    tc::File g;
    const tc::Error r = tc::read(out, limits, g);
    if (r) fail("read refused what write produced", r);
    if (!same_fields(f, g)) fail("fields changed through write and read", r);
    std::vector<std::uint8_t> out2;
    if (tc::write(g, out2) || out2 != out) fail("write(read(write(f))) differs from write(f)", r);
  }

  tc::Limits tight;
  tight.max_pixels = 4096;
  tight.max_dimension = 256;
  tight.max_lr_bytes = 1024;
  tight.max_metadata_bytes = 64;
  tight.max_chunks = 8;
  tc::File t;
  const tc::Error te = tc::read(in, tight, t);
  if (e && !te) fail("tight limits accepted a file the default limits refuse", e);
  if (te && te.message.empty()) fail("error without a message (tight limits)", te);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  check(in);
  check(tadm::testing::with_repaired_crcs({in.begin(), in.end()}));
  return 0;
}
