// tadm-rd end to end on two tiny generated images (a smoke test, not a timing).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "codecs.hpp"
#include "rd.hpp"

namespace fs = std::filesystem;
using namespace tadm_bench;

#ifndef TADM_RD_PATH
#error "TADM_RD_PATH must name the tadm-rd binary"
#endif

namespace {
int run(const std::string& cmd) {
  const int st = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
// A w x h test photo in `dir`/`name`, sample i (RGB interleaved) = (i * a + (i / (w * 3)) * b) % 251.
void write_test_png(const fs::path& dir, const std::string& name, std::uint32_t w, std::uint32_t h, std::uint32_t a,
                    std::uint32_t b) {
  Rgb im;
  im.width = w;
  im.height = h;
  im.pixels.resize(std::size_t{w} * h * 3);
  for (std::uint32_t i = 0; i < im.pixels.size(); ++i)
    im.pixels[i] = static_cast<std::uint8_t>((i * a + (i / (w * 3)) * b) % 251);
  const Bytes png = write_png(im);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(TadmRd, RunsEndToEndOnTwoTinyImages) {
  const fs::path dir = fs::temp_directory_path() / ("tadm-rd-smoke-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  for (int k = 0; k < 2; ++k) {
    Rgb im;
    im.width = 72;
    im.height = 56;
    im.pixels.resize(72 * 56 * 3);
    for (std::uint32_t y = 0; y < 56; ++y)
      for (std::uint32_t x = 0; x < 72; ++x)
        for (std::uint32_t c = 0; c < 3; ++c)
          im.pixels[(y * 72 + x) * 3 + c] = static_cast<std::uint8_t>((x * (3 + k) + y * (5 - c) + ((x / 8 + y / 8) % 2) * 60) % 256);
    const Bytes png = write_png(im);
    std::ofstream(dir / "images" / ("img" + std::to_string(k) + ".png"), std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  const std::string base = std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "images").string() + "' --out '" +
                           (dir / "out").string() + "' --scales 4 8 --curve-scales 6 --prescales 1 2 --sweep-prescales 2 --no-learned --no-perceptual -q";
  ASSERT_EQ(run(base), 0);
  for (const char* f : {"results.csv", "summary.md", "plots/plots.gp", "cache/img0.csv", "cache/img1.csv"})
    EXPECT_TRUE(fs::exists(dir / "out" / f)) << f;
  const std::string csv = slurp(dir / "out" / "results.csv");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  int tadm = 0, matched = 0, sweep = 0;
  while (std::getline(lines, line)) {
    const Row r = from_csv(line);
    if (r.kind == "tadm") ++tadm;
    if (r.kind == "matched") {
      ++matched;
      EXPECT_LE(r.bytes, r.budget) << line;
    }
    if (r.kind == "matched_try" && r.bytes) {
      EXPECT_LE(r.bytes, r.budget) << line;
    }
    if (r.kind == "sweep") ++sweep;
    if (r.bytes) {
      EXPECT_GT(r.psnr, 5.0) << line;
    }
  }
  EXPECT_EQ(tadm, 4);  // 2 images x 2 operating points
  EXPECT_GT(matched, 0);
  EXPECT_GT(sweep, 0);
  const std::string md = slurp(dir / "out" / "summary.md");
  EXPECT_NE(md.find("## Operating point `classic-x4`"), std::string::npos);
  EXPECT_NE(md.find("BD-rate"), std::string::npos);

  // The same command on a finished run writes the report again from the cache, measuring nothing.
  ASSERT_EQ(run(base), 0);
  EXPECT_EQ(slurp(dir / "out" / "results.csv"), csv) << "the report rewritten from the cache";
  // Results without their cache (a fresh clone of committed results) are never replaced without
  // --overwrite, nor are a finished run's by other settings.
  fs::rename(dir / "out" / "cache", dir / "cache.saved");
  EXPECT_EQ(run(base), 1);
  fs::rename(dir / "cache.saved", dir / "out" / "cache");
  EXPECT_EQ(run(base + " --prescales 1 4"), 1);
  EXPECT_EQ(slurp(dir / "out" / "results.csv"), csv) << "refused runs leave the results alone";
  // An interrupted run resumes: drop the summary and one image's cache, rerun, same rows.
  fs::remove(dir / "out" / "results.csv");
  fs::remove(dir / "out" / "summary.md");
  fs::remove(dir / "out" / "cache" / "img1.csv");
  ASSERT_EQ(run(base), 0);
  EXPECT_EQ(slurp(dir / "out" / "results.csv"), csv) << "deterministic and resumable";
  // Different settings against an unfinished cache are refused.
  fs::remove(dir / "out" / "results.csv");
  fs::remove(dir / "out" / "summary.md");
  EXPECT_EQ(run(base + " --prescales 1 4"), 1);
  EXPECT_EQ(run(base + " --prescales 1 4 --overwrite"), 0);
  fs::remove_all(dir);
}

// Scales outside the container's 2..64 (prescales outside 1..64) and a missing image folder fail
// before anything is measured or written.
TEST(TadmRd, BadOptionsAreRefusedBeforeMeasuring) {
  const fs::path dir = fs::temp_directory_path() / ("tadm-rd-bad-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  write_test_png(dir / "images", "a.png", 64, 64, 3, 5);
  for (const char* bad : {"--scales 65", "--scales 1", "--curve-scales 0", "--auto-scales 70", "--auto-curve-scales 1",
                          "--sweep-prescales 0", "--prescales 65"}) {
    const std::string cmd = std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "images").string() + "' --out '" +
                            (dir / "out").string() + "' --no-learned --no-sweep " + bad;
    EXPECT_NE(run(cmd), 0) << bad;
    EXPECT_FALSE(fs::exists(dir / "out")) << bad;
  }
  EXPECT_NE(run(std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "none").string() + "' --out '" +
                (dir / "out").string() + "' --no-learned --no-sweep"),
            0);
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

// The rate-controlled operating point: tadm's best at each image's classic x6 bytes, never above.
TEST(TadmRd, RateControlledPointsStayWithinTheirBudget) {
  const fs::path dir = fs::temp_directory_path() / ("tadm-rd-auto-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  write_test_png(dir / "images", "a.png", 200, 150, 7, 13);
  for (int effort : {0, 1}) {  // --auto-effort 1: the rate control decodes each family's best
    SCOPED_TRACE("effort " + std::to_string(effort));
    const std::string out = (dir / ("out" + std::to_string(effort))).string();
    const std::string cmd = std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "images").string() + "' --out '" +
                            out + "' --scales 6 --curve-scales 6 --auto-scales 6 --prescales 2 " +
                            "--codecs jpeg --no-learned --no-sweep --no-perceptual -q --auto-effort " +
                            std::to_string(effort);
    ASSERT_EQ(run(cmd), 0) << cmd;
    std::istringstream lines(slurp(fs::path(out) / "results.csv"));
    std::string line;
    std::getline(lines, line);
    int autos = 0;
    std::uint64_t classic_bytes = 0;
    const std::string op = effort ? "auto-x6-e1" : "auto-x6";
    while (std::getline(lines, line)) {
      const Row r = from_csv(line);
      if (r.kind == "tadm" && r.op == "classic-x6") classic_bytes = r.bytes;
      if (r.kind != "tadm" || r.op != op) continue;
      ++autos;
      EXPECT_GT(r.budget, 0u) << line;
      EXPECT_LE(r.bytes, r.budget) << line;
      EXPECT_NE(r.setting.find("chose"), std::string::npos) << line;
    }
    EXPECT_EQ(autos, 1);
    EXPECT_GT(classic_bytes, 0u);
  }
  fs::remove_all(dir);
}

// An any-scale bundle is measured at every scale of the run it serves: compared at equal bytes at
// --scales, on its curve only at --curve-scales, never past its range.
TEST(TadmRd, AnAnyScaleBundleIsMeasuredAtEveryScaleItServes) {
  if (!TADM_WITH_TORCH || !fs::exists(fs::path(TADM_SOURCE_DIR) / "model/bundles/any32/manifest.json"))
    GTEST_SKIP() << "needs LibTorch and model/bundles/any32";
  const fs::path dir = fs::temp_directory_path() / ("tadm-rd-any-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  write_test_png(dir / "images", "a.png", 192, 128, 5, 11);
  const std::string cmd = std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "images").string() + "' --out '" +
                          (dir / "out").string() + "' --models any32 --scales 6 --curve-scales 12 40 --prescales 1 " +
                          "--codecs jpeg --no-sweep --no-perceptual -q";
  ASSERT_EQ(run(cmd), 0) << cmd;
  std::istringstream lines(slurp(dir / "out" / "results.csv"));
  std::string line;
  std::getline(lines, line);
  std::map<std::string, std::string> kinds;
  while (std::getline(lines, line)) {
    const Row r = from_csv(line);
    if (r.codec == "tadm") kinds[r.op] = r.kind;
  }
  EXPECT_EQ(kinds["any32-x6"], "tadm");
  EXPECT_EQ(kinds["any32-x12"], "tadm_curve");
  EXPECT_EQ(kinds.count("any32-x40"), 0u) << "40 is outside 2..32";
  EXPECT_EQ(kinds["classic-x12"], "tadm_curve");
  fs::remove_all(dir);
}
