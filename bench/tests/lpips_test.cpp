// LPIPS-squeeze in the benchmarks: the TorchScript export of model/tadm_train/lpips.py, run from
// C++, reproduces the reference values of ../shared/models/lpips-squeeze/README.md, and tadm-rd
// --lpips measures it on every row.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codecs.hpp"
#include "lpips.hpp"
#include "rd.hpp"

namespace fs = std::filesystem;
using namespace tadm_bench;

namespace {

const fs::path kWeights = fs::path(TADM_LPIPS_DIR);

int run(const std::string& cmd) {
  const int st = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The TorchScript, exported once per process into a temporary folder.
const fs::path& exported() {
  static const fs::path path = [] {
    const fs::path dir = fs::temp_directory_path() / ("tadm-lpips-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path p = dir / "lpips-squeeze.pt";
    const std::string cmd = "cd '" + std::string(TADM_SOURCE_DIR) + "/model' && OMP_NUM_THREADS=1 TADM_LPIPS_DIR='" +
                            kWeights.string() + "' /usr/bin/python3 -m tadm_train.lpips --export '" + p.string() + "'";
    EXPECT_EQ(run(cmd), 0) << cmd;
    return p;
  }();
  return path;
}

#define REQUIRE_LPIPS()                                                                         \
  do {                                                                                          \
    if (!Lpips::available()) GTEST_SKIP() << "this build has no LibTorch";                      \
    if (!fs::exists(kWeights / "weights.npz")) GTEST_SKIP() << "no LPIPS weights in " << kWeights; \
  } while (0)

}  // namespace

TEST(Lpips, ReproducesTheReferenceValues) {
  REQUIRE_LPIPS();
  const Lpips lpips(exported().string());
  const Rgb ref = read_rgb((kWeights / "ex_ref.png").string());
  EXPECT_NEAR(lpips(ref, read_rgb((kWeights / "ex_p0.png").string())), 0.7110, 5e-4);
  EXPECT_NEAR(lpips(ref, read_rgb((kWeights / "ex_p1.png").string())), 0.1479, 5e-4);
  EXPECT_NEAR(lpips(ref, ref), 0.0, 1e-6);
  Rgb other = ref;
  other.width -= 1;
  EXPECT_THROW(lpips(ref, other), std::invalid_argument);
  EXPECT_THROW(Lpips("/nonexistent/lpips.pt"), std::runtime_error);
}

TEST(TadmRd, MeasuresLpipsOnEveryRow) {
  REQUIRE_LPIPS();
  const fs::path dir = fs::temp_directory_path() / ("tadm-rd-lpips-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  fs::copy_file(kWeights / "ex_ref.png", dir / "images" / "ref.png");
  const std::string cmd = std::string("'") + TADM_RD_PATH + "' --images '" + (dir / "images").string() + "' --out '" +
                          (dir / "out").string() + "' --scales 4 --curve-scales 8 --prescales 1 2 --sweep-prescales 2 " +
                          "--codecs jpeg webp --no-learned --no-perceptual -q --lpips '" + exported().string() + "'";
  ASSERT_EQ(run(cmd), 0) << cmd;
  std::ifstream csv(dir / "out" / "results.csv");
  std::string line;
  std::getline(csv, line);
  ASSERT_NE(line.find(",lpips"), std::string::npos) << line;
  int measured = 0;
  while (std::getline(csv, line)) {
    const Row r = from_csv(line);
    if (r.kind == "matched_try" && r.bytes == 0) continue;  // nothing fitted
    EXPECT_FALSE(std::isnan(r.lpips)) << line;
    EXPECT_GE(r.lpips, 0.0);
    ++measured;
  }
  EXPECT_GT(measured, 10);
  std::stringstream md;
  md << std::ifstream(dir / "out" / "summary.md").rdbuf();
  EXPECT_NE(md.str().find("LPIPS-squeeze"), std::string::npos);
  fs::remove_all(dir);
}
