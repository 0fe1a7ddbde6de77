// The committed spec/vectors: each valid file decodes to its .json, each invalid one fails with
// the .json's error, and the generator reproduces every committed byte.
#include "test_files.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <png.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace {

namespace tc = tadm::container;
namespace fs = std::filesystem;
using namespace tadm::testing;
using nlohmann::json;

const fs::path kVectors = TADM_SPEC_VECTORS_DIR;

std::vector<fs::path> tadm_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".tadm") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

json load_json(const fs::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in.good()) << "missing " << p;
  return json::parse(in);
}

void expect_blob(const json& j, const std::optional<Bytes>& b, const char* what) {
  SCOPED_TRACE(what);
  if (j.is_null()) {
    EXPECT_FALSE(b.has_value());
    return;
  }
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(j.at("size").get<std::size_t>(), b->size());
  EXPECT_EQ(j.at("sha256").get<std::string>(), sha256_hex(*b));
}

// Decodes the PNG with libpng: the LR image of every valid vector must be a real PNG.
bool png_decodes(const Bytes& png, std::uint32_t w, std::uint32_t h) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, png.data(), png.size())) return false;
  img.format = PNG_FORMAT_RGBA;
  std::vector<std::uint8_t> pixels(PNG_IMAGE_SIZE(img));
  const bool ok = png_image_finish_read(&img, nullptr, pixels.data(), 0, nullptr) != 0;
  const bool size_ok = img.width == w && img.height == h;
  png_image_free(&img);
  return ok && size_ok;
}

TEST(SpecVectors, ThereAreEnough) {
  EXPECT_GE(tadm_files(kVectors / "valid").size(), 5u) << kVectors;
  EXPECT_GE(tadm_files(kVectors / "invalid").size(), 15u) << kVectors;
}

TEST(SpecVectors, ValidFilesDecodeToTheirJson) {
  for (const fs::path& p : tadm_files(kVectors / "valid")) {
    SCOPED_TRACE(p.filename().string());
    const Bytes bytes = load_file(p);
    const json j = load_json(fs::path(p).replace_extension(".json"));
    EXPECT_EQ(j.at("file_size").get<std::size_t>(), bytes.size());
    EXPECT_EQ(j.at("file_sha256").get<std::string>(), sha256_hex(bytes));

    tc::File f;
    const tc::Error e = tc::read(bytes, tc::Limits{}, f);
    ASSERT_FALSE(e) << code_name(e) << ": " << e.message;
    EXPECT_EQ(j.at("version_major").get<int>(), f.version_major);
    EXPECT_EQ(j.at("version_minor").get<int>(), f.version_minor);
    EXPECT_EQ(j.at("width").get<std::uint32_t>(), f.width);
    EXPECT_EQ(j.at("height").get<std::uint32_t>(), f.height);
    EXPECT_EQ(j.at("scale_x").get<int>(), f.scale_x);
    EXPECT_EQ(j.at("scale_y").get<int>(), f.scale_y);
    EXPECT_EQ(j.at("lr_width").get<std::uint32_t>(), f.lr_width);
    EXPECT_EQ(j.at("lr_height").get<std::uint32_t>(), f.lr_height);
    EXPECT_EQ(j.at("flags").get<int>(), f.flags);
    EXPECT_EQ(j.at("original_bit_depth").get<int>(), f.original_bit_depth);
    EXPECT_EQ(j.at("lr_codec").get<int>(), f.lr_codec);
    EXPECT_EQ(j.at("model").at("name").get<std::string>(), f.model_name);
    EXPECT_EQ(j.at("model").at("version").get<std::string>(), f.model_version);
    EXPECT_EQ(j.at("model").at("sha256").get<std::string>(), hex_of(f.model_sha256));
    expect_blob(j.at("lr_image"), f.lr_image, "lr_image");
    expect_blob(j.at("icc"), f.icc, "icc");
    expect_blob(j.at("exif"), f.exif, "exif");
    expect_blob(j.at("xmp"), f.xmp, "xmp");
    if (j.at("cicp").is_null()) {
      EXPECT_FALSE(f.cicp);
    } else {
      ASSERT_TRUE(f.cicp);
      EXPECT_EQ(j["cicp"].at("colour_primaries").get<int>(), f.cicp->colour_primaries);
      EXPECT_EQ(j["cicp"].at("transfer_characteristics").get<int>(), f.cicp->transfer_characteristics);
      EXPECT_EQ(j["cicp"].at("matrix_coefficients").get<int>(), f.cicp->matrix_coefficients);
      EXPECT_EQ(j["cicp"].at("full_range").get<int>(), f.cicp->full_range);
    }
    if (j.at("hint").is_null()) {
      EXPECT_FALSE(f.hint);
    } else {
      ASSERT_TRUE(f.hint);
      EXPECT_EQ(j["hint"].at("grid_width").get<int>(), f.hint->grid_width);
      EXPECT_EQ(j["hint"].at("grid_height").get<int>(), f.hint->grid_height);
      EXPECT_EQ(j["hint"].at("tile_width").get<int>(), f.hint->tile_width);
      EXPECT_EQ(j["hint"].at("tile_height").get<int>(), f.hint->tile_height);
      EXPECT_EQ(j["hint"].at("values").get<std::vector<std::uint8_t>>(), f.hint->values);
    }
    const json& unknown = j.at("unknown_optional");
    ASSERT_EQ(unknown.size(), f.unknown_optional.size());
    for (std::size_t i = 0; i < unknown.size(); ++i) {
      const tc::UnknownChunk& u = f.unknown_optional[i];
      EXPECT_EQ(unknown[i].at("type").get<std::string>(), std::string(u.type.begin(), u.type.end()));
      EXPECT_EQ(unknown[i].at("size").get<std::size_t>(), u.data.size());
      EXPECT_EQ(unknown[i].at("sha256").get<std::string>(), sha256_hex(u.data));
    }
    const json& chunks = j.at("chunks");
    ASSERT_EQ(chunks.size(), f.chunks.size());
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      const tc::ChunkInfo& c = f.chunks[i];
      EXPECT_EQ(chunks[i].at("type").get<std::string>(), std::string(c.type.begin(), c.type.end()));
      EXPECT_EQ(chunks[i].at("offset").get<std::uint64_t>(), c.offset);
      EXPECT_EQ(chunks[i].at("length").get<std::uint32_t>(), c.length);
      EXPECT_EQ(chunks[i].at("critical").get<bool>(), c.critical);
      EXPECT_EQ(chunks[i].at("known").get<bool>(), c.known);
    }

    Bytes lr;
    std::uint8_t codec = 0xFF;
    ASSERT_FALSE(tc::extract_lr_image(bytes, tc::Limits{}, lr, &codec));
    EXPECT_EQ(lr, f.lr_image);
    EXPECT_EQ(codec, f.lr_codec);
    ASSERT_NE(tc::lr_codec_name(codec), nullptr);
    // The other formats are decoded by tests/codec/lr_codec_test.cpp (the container tests link
    // no image codec but libpng).
    if (codec == tc::kLrCodecPng) {
      EXPECT_TRUE(png_decodes(lr, f.lr_width, f.lr_height)) << "LR image is not a decodable PNG";
    }

    // Re-writing gives a file that reads back to the same fields.
    Bytes again;
    ASSERT_FALSE(tc::write(f, again));
    tc::File f2;
    ASSERT_FALSE(tc::read(again, tc::Limits{}, f2));
    expect_same_fields(f, f2);
  }
}

TEST(SpecVectors, InvalidFilesFailWithTheirError) {
  std::set<std::string> codes_seen;
  for (const fs::path& p : tadm_files(kVectors / "invalid")) {
    SCOPED_TRACE(p.filename().string());
    const Bytes bytes = load_file(p);
    const json j = load_json(fs::path(p).replace_extension(".json"));
    const std::string expect = j.at("error").get<std::string>();
    EXPECT_FALSE(j.at("why").get<std::string>().empty());
    tc::File f;
    const tc::Error e = tc::read(bytes, tc::Limits{}, f);
    EXPECT_EQ(code_name(e), expect) << e.message;
    EXPECT_FALSE(e.message.empty());
    Bytes png;
    EXPECT_EQ(code_name(tc::extract_lr_image(bytes, tc::Limits{}, png)), expect);
    codes_seen.insert(expect);
  }
  // Every error code except "none" has at least one vector.
  EXPECT_EQ(codes_seen.size(), 9u);
}

TEST(SpecVectors, PngBuilderMakesRealPngs) {
  // Including the PNGs of the png_file and lrim_16_bit invalid vectors.
  EXPECT_TRUE(png_decodes(make_png(1, 1, 2), 1, 1));
  EXPECT_TRUE(png_decodes(make_png(1, 1, 2, 16), 1, 1));
  EXPECT_TRUE(png_decodes(make_png(70000, 1, 0), 70000, 1));  // more than one stored deflate block
}

TEST(SpecVectors, GeneratorReproducesCommittedFiles) {
  const fs::path tmp = fs::temp_directory_path() / ("tadm_spec_vectors_" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  const std::string cmd = std::string("\"") + TADM_MAKE_SPEC_VECTORS + "\" \"" + tmp.string() + "\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto listing = [](const fs::path& root) {
    std::set<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(root))
      if (entry.is_regular_file()) names.insert(fs::relative(entry.path(), root).generic_string());
    return names;
  };
  const std::set<std::string> fresh = listing(tmp);
  std::set<std::string> committed = listing(kVectors);
  committed.erase("README.md");
  EXPECT_EQ(fresh, committed) << "run the update_spec_vectors target and commit spec/vectors";
  for (const std::string& name : fresh) {
    if (!committed.count(name)) continue;
    EXPECT_EQ(load_file(tmp / name), load_file(kVectors / name)) << name << " differs from the generator's output";
  }
  fs::remove_all(tmp);
}

}  // namespace
