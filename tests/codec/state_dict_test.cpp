// The torch.save state-dict reader (codec/src/torch_state_dict.cpp): the TAEF2 files read as
// PyTorch reads them, and damaged archives give a MODEL error, never a crash or a foreign exception.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "error.hpp"
#include "torch_state_dict.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kDecoder = fs::path(TADM_TAEF2_FOLDER) / "taef2_decoder.pth";

std::vector<std::uint8_t> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Parses or throws tadm::Error(MODEL); anything else fails the test.
bool parses(const std::vector<std::uint8_t>& bytes) {
  try {
    tadm::read_state_dict(bytes, "test input");
    return true;
  } catch (const tadm::Error& e) {
    EXPECT_EQ(e.status(), TADM_ERROR_MODEL) << e.what();
    EXPECT_NE(std::string(e.what()).find("test input"), std::string::npos) << e.what();
    return false;
  }
}

#define REQUIRE_TAEF2 \
  if (!fs::exists(kDecoder)) GTEST_SKIP() << kDecoder << " is absent"

TEST(StateDict, ReadsTaef2AsPyTorchDoes) {
  REQUIRE_TAEF2;
  const auto sd = tadm::read_state_dict(read(kDecoder), "taef2_decoder.pth");
  // python3: len(torch.load(p)) == 79; the first entry is "1.weight", float16 [64, 32, 3, 3],
  // and the sum of every value (in float64) is -627.374...
  ASSERT_EQ(sd.size(), 79u);
  EXPECT_EQ(sd[0].first, "1.weight");
  EXPECT_EQ(sd[0].second.sizes(), torch::IntArrayRef({64, 32, 3, 3}));
  EXPECT_EQ(sd[0].second.scalar_type(), torch::kHalf);
  double sum = 0;
  for (const auto& [name, t] : sd) sum += t.to(torch::kDouble).sum().item<double>();
  EXPECT_NEAR(sum, -627.374, 0.01);
}

TEST(StateDict, NotAnArchiveIsAModelError) {
  EXPECT_FALSE(parses({}));
  EXPECT_FALSE(parses({'P', 'K', 3, 4}));
  const std::string text = "{\"not\": \"a state dict\"}";
  EXPECT_FALSE(parses(std::vector<std::uint8_t>(text.begin(), text.end())));
}

TEST(StateDict, TruncationsAreModelErrors) {
  REQUIRE_TAEF2;
  const auto bytes = read(kDecoder);
  for (std::size_t cut = 0; cut < bytes.size(); cut += bytes.size() / 97 + 1)
    EXPECT_FALSE(parses(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut))))
        << "cut at " << cut;
}

TEST(StateDict, DamagedBytesNeverCrash) {
  REQUIRE_TAEF2;
  const auto bytes = read(kDecoder);
  std::mt19937 rng(1);
  // The pickle sits at the start of the archive: damage there reaches the unpickler (the zip
  // reader checks CRCs only on request), damage elsewhere the zip reader.
  for (int i = 0; i < 300; ++i) {
    auto b = bytes;
    const std::size_t span = i % 2 ? 12000 : b.size();
    for (int k = 0; k < 1 + i % 4; ++k) b[rng() % span] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    parses(b);
  }
}

}  // namespace
