// Shared pieces of tadm-rd: one measurement row, CSV I/O, and the report writer.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tadm_bench {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// kind: "tadm" (an operating point), "tadm_curve" (classic at extra scales, for the curve),
//       "matched_try" (a codec at one prescale, the largest quality within the tadm file's
//       bytes), "matched" (the best matched_try by PSNR), "sweep" (a codec's quality sweep).
struct Row {
  std::string image;
  std::uint32_t width = 0, height = 0;
  std::string kind, op, codec;
  std::uint32_t prescale = 1;
  int quality = 0;
  std::string setting;
  std::uint64_t bytes = 0;
  std::uint64_t budget = 0;
  double bpp = kNaN, psnr = kNaN, ssim = kNaN, msssim = kNaN;
  double butteraugli = kNaN, butteraugli_3norm = kNaN, ssimulacra = kNaN;
  double lpips = kNaN;  // LPIPS-squeeze, with --lpips
};

std::string csv_header();
std::string to_csv(const Row& r);
Row from_csv(const std::string& line);  // throws std::runtime_error on a malformed line

struct ReportInput {
  std::string out_dir;
  std::string command;
  std::string rerun;  // the command without --overwrite/--time-limit: continues or reproduces
  std::string commit;
  std::string status;  // "complete: ..." or "PARTIAL: ..."
  std::string versions;
  std::vector<std::string> ops;      // operating points in order
  std::vector<std::string> codecs;   // codecs in order
  std::vector<std::string> crop_images;  // stems whose crops are in cache/crops
  std::string crop_dir;
  bool perceptual = true;
  int verbose = 0;
};

// Writes results.csv, summary.md, plots/*.png (gnuplot) and crops.png (ImageMagick montage).
// Returns notes about what could not be made (missing tools), to print.
std::vector<std::string> write_report(const ReportInput& in, const std::vector<Row>& rows);

// Bjontegaard delta rate in percent of curve `test` against `anchor` (points of bpp, quality),
// by piecewise-linear interpolation of log(rate) as a function of quality over the overlapping
// quality interval (sampled, trapezoid rule). nullopt-like NaN when the curves do not overlap.
double bd_rate(std::vector<std::pair<double, double>> anchor, std::vector<std::pair<double, double>> test);

// The upper envelope (Pareto front: no other point has lower or equal rate and higher quality).
std::vector<std::pair<double, double>> pareto(std::vector<std::pair<double, double>> points);

}  // namespace tadm_bench
