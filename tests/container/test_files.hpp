// Sample File values and comparisons shared by the container tests.
#pragma once

#include <tadm/container.hpp>

#include "vector_tools.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tadm::testing {

namespace tc = tadm::container;

// Every field set, every optional chunk present.
inline tc::File full_file() {
  tc::File f;
  f.version_minor = 0;
  f.width = 100;
  f.height = 70;
  f.scale_x = 32;
  f.scale_y = 16;
  f.lr_width = 4;   // ceil(100 / 32)
  f.lr_height = 5;  // ceil(70 / 16)
  f.flags = tc::kFlagAlpha | tc::kFlagGrayscale;
  f.original_bit_depth = 16;
  f.lr_codec = tc::kLrCodecPng;
  f.model_name = "fidelity-x16";
  f.model_version = "3.0.1 rc";
  for (std::size_t i = 0; i < f.model_sha256.size(); ++i) f.model_sha256[i] = static_cast<std::uint8_t>(i * 7 + 1);
  f.lr_image = make_png(4, 5, 4);
  f.icc = Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9};
  f.cicp = tc::Cicp{9, 16, 9, 0};
  f.exif = Bytes{'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  f.xmp = bytes_of("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>");
  tc::Hint h;
  h.grid_width = 2;
  h.grid_height = 3;
  h.tile_width = 3;   // 2 * 3 >= 4 > 1 * 3
  h.tile_height = 2;  // 3 * 2 >= 5 > 2 * 2
  h.values = {0, 50, 100, 150, 200, 250};
  f.hint = h;
  return f;
}

inline Bytes write_or_fail(const tc::File& f) {
  Bytes out;
  const tc::Error e = tc::write(f, out);
  EXPECT_FALSE(e) << tc::error_code_name(e.code) << ": " << e.message;
  return out;
}

// Compares every field a writer carries (not `chunks`, not `unknown_optional`).
inline void expect_same_fields(const tc::File& a, const tc::File& b) {
  EXPECT_EQ(a.version_major, b.version_major);
  EXPECT_EQ(a.version_minor, b.version_minor);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.scale_x, b.scale_x);
  EXPECT_EQ(a.scale_y, b.scale_y);
  EXPECT_EQ(a.lr_width, b.lr_width);
  EXPECT_EQ(a.lr_height, b.lr_height);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.original_bit_depth, b.original_bit_depth);
  EXPECT_EQ(a.lr_codec, b.lr_codec);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.model_version, b.model_version);
  EXPECT_EQ(a.model_sha256, b.model_sha256);
  EXPECT_EQ(a.lr_image, b.lr_image);
  EXPECT_EQ(a.icc, b.icc);
  ASSERT_EQ(a.cicp.has_value(), b.cicp.has_value());
  if (a.cicp) {
    EXPECT_EQ(a.cicp->colour_primaries, b.cicp->colour_primaries);
    EXPECT_EQ(a.cicp->transfer_characteristics, b.cicp->transfer_characteristics);
    EXPECT_EQ(a.cicp->matrix_coefficients, b.cicp->matrix_coefficients);
    EXPECT_EQ(a.cicp->full_range, b.cicp->full_range);
  }
  EXPECT_EQ(a.exif, b.exif);
  EXPECT_EQ(a.xmp, b.xmp);
  ASSERT_EQ(a.hint.has_value(), b.hint.has_value());
  if (a.hint) {
    EXPECT_EQ(a.hint->grid_width, b.hint->grid_width);
    EXPECT_EQ(a.hint->grid_height, b.hint->grid_height);
    EXPECT_EQ(a.hint->tile_width, b.hint->tile_width);
    EXPECT_EQ(a.hint->tile_height, b.hint->tile_height);
    EXPECT_EQ(a.hint->values, b.hint->values);
  }
}

inline Bytes load_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << p;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string code_name(const tc::Error& e) { return tc::error_code_name(e.code); }

}  // namespace tadm::testing
