// tadm-rd's outputs: CSV, Markdown summary with BD-rates, gnuplot plots and the crop sheet.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "rd.hpp"

namespace fs = std::filesystem;

namespace tadm_bench {
namespace {

std::string num(double v, int digits) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string cell(double v, int digits) {
  const std::string s = num(v, digits);
  return s.empty() ? "–" : s;
}

double parse_num(const std::string& s) {
  if (s.empty()) return kNaN;
  if (s == "inf") return HUGE_VAL;
  return std::stod(s);
}

struct Metric {
  const char* name;     // column name
  const char* label;    // for humans
  double Row::*field;
  bool higher_better;
  int digits;
  bool sweep;           // measured on sweeps too
};
const Metric kMetrics[] = {
    {"psnr", "PSNR (dB, RGB)", &Row::psnr, true, 2, true},
    {"ssim", "SSIM (RGB)", &Row::ssim, true, 4, true},
    {"msssim", "MS-SSIM (RGB)", &Row::msssim, true, 4, true},
    {"butteraugli", "butteraugli (max norm, lower is better)", &Row::butteraugli, false, 3, false},
    {"ssimulacra", "ssimulacra (lower is better)", &Row::ssimulacra, false, 4, false},
    {"lpips", "LPIPS-squeeze (lower is better)", &Row::lpips, false, 4, true},
};
constexpr int kMetricCount = static_cast<int>(std::size(kMetrics));

double mean(const std::vector<double>& v) {
  double s = 0.0;
  std::size_t n = 0;
  for (double x : v)
    if (!std::isnan(x) && !std::isinf(x)) {
      s += x;
      ++n;
    }
  return n ? s / static_cast<double>(n) : kNaN;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

// Mean (bpp, metric) per sweep setting of a codec, then the Pareto front.
// Negates the metric of a lower-is-better curve (and back): envelopes and BD-rate want higher better.
std::vector<std::pair<double, double>> flipped(std::vector<std::pair<double, double>> pts) {
  for (auto& p : pts) p.second = -p.second;
  return pts;
}

std::vector<std::pair<double, double>> codec_curve(const std::vector<Row>& rows, const std::string& codec,
                                                   double Row::*field, bool higher_better) {
  std::map<std::pair<std::uint32_t, int>, std::pair<std::vector<double>, std::vector<double>>> groups;
  for (const Row& r : rows)
    if (r.kind == "sweep" && r.codec == codec) {
      auto& g = groups[{r.prescale, r.quality}];
      g.first.push_back(r.bpp);
      g.second.push_back(r.*field);
    }
  std::vector<std::pair<double, double>> pts;
  for (const auto& [k, g] : groups) pts.emplace_back(mean(g.first), mean(g.second));
  return higher_better ? pareto(pts) : flipped(pareto(flipped(pts)));
}

// Mean (bpp, metric) of each tadm operating point whose op id starts with `prefix`.
std::vector<std::pair<double, double>> tadm_curve(const std::vector<Row>& rows, const std::string& model,
                                                  double Row::*field) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> groups;
  for (const Row& r : rows)
    if ((r.kind == "tadm" || r.kind == "tadm_curve") && r.op.rfind(model + "-x", 0) == 0) {
      groups[r.op].first.push_back(r.bpp);
      groups[r.op].second.push_back(r.*field);
    }
  std::vector<std::pair<double, double>> pts;
  for (const auto& [k, g] : groups) pts.emplace_back(mean(g.first), mean(g.second));
  std::sort(pts.begin(), pts.end());
  return pts;
}

void write_dat(const fs::path& p, const std::vector<std::pair<double, double>>& pts) {
  std::ofstream out(p);
  for (const auto& [x, y] : pts)
    if (!std::isnan(x) && !std::isnan(y)) out << num(x, 6) << " " << num(y, 6) << "\n";
}

std::string model_of(const std::string& op) { return op.substr(0, op.rfind("-x")); }

}  // namespace

std::string csv_header() {
  return "image,width,height,kind,op,codec,prescale,quality,setting,bytes,budget,bpp,psnr,ssim,msssim,butteraugli,"
         "butteraugli_3norm,ssimulacra,lpips";
}

std::string to_csv(const Row& r) {
  std::ostringstream o;
  o << r.image << ',' << r.width << ',' << r.height << ',' << r.kind << ',' << r.op << ',' << r.codec << ','
    << r.prescale << ',' << r.quality << ',' << r.setting << ',' << r.bytes << ',' << r.budget << ','
    << num(r.bpp, 6) << ',' << num(r.psnr, 4) << ',' << num(r.ssim, 6) << ',' << num(r.msssim, 6) << ','
    << num(r.butteraugli, 4) << ',' << num(r.butteraugli_3norm, 4) << ',' << num(r.ssimulacra, 6) << ','
    << num(r.lpips, 6);
  return o.str();
}

Row from_csv(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(cur);
  if (f.size() != 19) throw std::runtime_error("malformed cache line: " + line);
  Row r;
  try {
    r.image = f[0];
    r.width = static_cast<std::uint32_t>(std::stoul(f[1]));
    r.height = static_cast<std::uint32_t>(std::stoul(f[2]));
    r.kind = f[3];
    r.op = f[4];
    r.codec = f[5];
    r.prescale = static_cast<std::uint32_t>(std::stoul(f[6]));
    r.quality = std::stoi(f[7]);
    r.setting = f[8];
    r.bytes = std::stoull(f[9]);
    r.budget = std::stoull(f[10]);
    r.bpp = parse_num(f[11]);
    r.psnr = parse_num(f[12]);
    r.ssim = parse_num(f[13]);
    r.msssim = parse_num(f[14]);
    r.butteraugli = parse_num(f[15]);
    r.butteraugli_3norm = parse_num(f[16]);
    r.ssimulacra = parse_num(f[17]);
    r.lpips = parse_num(f[18]);
  } catch (const std::logic_error&) {
    throw std::runtime_error("malformed cache line: " + line);
  }
  return r;
}

std::vector<std::pair<double, double>> pareto(std::vector<std::pair<double, double>> points) {
  points.erase(std::remove_if(points.begin(), points.end(),
                              [](const auto& p) { return std::isnan(p.first) || std::isnan(p.second); }),
               points.end());
  std::sort(points.begin(), points.end());
  std::vector<std::pair<double, double>> front;
  for (const auto& p : points) {
    while (!front.empty() && front.back().second <= p.second && front.back().first >= p.first) front.pop_back();
    if (front.empty() || p.second > front.back().second) front.push_back(p);
  }
  return front;
}

double bd_rate(std::vector<std::pair<double, double>> anchor, std::vector<std::pair<double, double>> test) {
  // Curves as log(rate) over quality; each must be increasing in quality along rate.
  auto prep = [](std::vector<std::pair<double, double>>& c) {
    std::vector<std::pair<double, double>> q;  // (quality, log rate)
    for (const auto& [r, m] : c)
      if (r > 0 && !std::isnan(m) && !std::isinf(m)) q.emplace_back(m, std::log(r));
    std::sort(q.begin(), q.end());
    std::vector<std::pair<double, double>> mono;
    for (const auto& p : q)
      if (mono.empty() || (p.first > mono.back().first && p.second > mono.back().second)) mono.push_back(p);
    return mono;
  };
  const auto a = prep(anchor), t = prep(test);
  if (a.size() < 2 || t.size() < 2) return kNaN;
  const double lo = std::max(a.front().first, t.front().first), hi = std::min(a.back().first, t.back().first);
  if (!(hi > lo)) return kNaN;
  auto interp = [](const std::vector<std::pair<double, double>>& c, double x) {
    for (std::size_t i = 1; i < c.size(); ++i)
      if (x <= c[i].first) {
        const double f = (x - c[i - 1].first) / (c[i].first - c[i - 1].first);
        return c[i - 1].second + f * (c[i].second - c[i - 1].second);
      }
    return c.back().second;
  };
  constexpr int kSteps = 1000;
  double sum = 0.0;
  for (int i = 0; i <= kSteps; ++i) {
    const double x = lo + (hi - lo) * i / kSteps;
    const double w = (i == 0 || i == kSteps) ? 0.5 : 1.0;
    sum += w * (interp(t, x) - interp(a, x));
  }
  const double avg = sum / kSteps;
  return (std::exp(avg) - 1.0) * 100.0;
}

std::vector<std::string> write_report(const ReportInput& in, const std::vector<Row>& rows) {
  std::vector<std::string> notes;
  const fs::path out(in.out_dir);
  {
    std::ofstream csv(out / "results.csv");
    csv << csv_header() << "\n";
    for (const Row& r : rows) csv << to_csv(r) << "\n";
  }
  std::set<std::string> images;
  for (const Row& r : rows) images.insert(r.image);

  std::ostringstream md;
  md << "# tadm rate-distortion benchmark\n\n";
  md << "- Produced: " << utc_now() << ", " << images.size() << " images (" << in.status << ")\n";
  md << "- Command: `" << in.command << "`\n";
  md << "- To continue (if partial) or check this run: `" << in.rerun << "` (from the repository root; a fresh "
        "checkout has no cache, so add `--overwrite` to measure everything again)\n";
  md << "- Commit: `" << in.commit << "`\n";
  md << "- Libraries: " << in.versions << "\n\n";
  md << "Rate is the whole file (`.tadm`, `.jpg`, `.avif`, `.jxl` codestream, `.webp`) in bits per "
        "original pixel. Metrics are on the full-resolution 8-bit RGB result against the original. "
        "*At equal bytes*: for each image and codec, the largest quality whose file is no larger "
        "than the tadm file, found by binary search, after downscaling by each prescale (tadm's "
        "classic antialiased bicubic) and upscaling after (classic bicubic); the prescale with the "
        "best PSNR is kept. Means are over images; a codec that fits no file at any prescale for "
        "an image is left out of that image's mean (column *n*). PSNR/SSIM/MS-SSIM: higher is "
        "better; butteraugli/ssimulacra/LPIPS-squeeze: lower is better.\n\n";

  for (const std::string& op : in.ops) {
    md << "## Operating point `" << op << "`\n\n";
    md << "| codec | n | mean bytes | mean bpp | PSNR | SSIM | MS-SSIM | butteraugli | ssimulacra | LPIPS-squeeze | prescale chosen |\n";
    md << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::map<std::string, std::map<std::string, const Row*>> by;  // codec -> image -> row
    for (const Row& r : rows)
      if (r.op == op && (r.kind == "tadm" || r.kind == "matched")) by[r.codec][r.image] = &r;
    std::vector<std::string> order = {"tadm"};
    order.insert(order.end(), in.codecs.begin(), in.codecs.end());
    for (const auto& codec : order) {
      const auto& m = by[codec];
      std::vector<double> bytes, bpp;
      std::map<std::uint32_t, int> pres;
      for (const auto& [img, r] : m) {
        bytes.push_back(static_cast<double>(r->bytes));
        bpp.push_back(r->bpp);
        ++pres[r->prescale];
      }
      md << "| " << codec << " | " << m.size() << " | " << cell(mean(bytes), 0) << " | " << cell(mean(bpp), 4);
      for (const Metric& k : kMetrics) {
        std::vector<double> v;
        for (const auto& [img, r] : m) v.push_back(r->*k.field);
        md << " | " << cell(mean(v), k.digits);
      }
      std::string p;
      if (codec == "tadm") {
        p = "–";
      } else {
        for (const auto& [s, c] : pres) p += (p.empty() ? "" : ", ") + std::string("1/") + std::to_string(s) + "×" + std::to_string(c);
      }
      md << " | " << (p.empty() ? "–" : p) << " |\n";
    }
    md << "\ntadm minus codec, on the images where both exist (positive PSNR/SSIM/MS-SSIM and "
          "negative butteraugli/ssimulacra/LPIPS-squeeze favour tadm):\n\n";
    md << "| codec | n | ΔPSNR (dB) | ΔSSIM | ΔMS-SSIM | Δbutteraugli | Δssimulacra | ΔLPIPS-squeeze | images where tadm has higher PSNR |\n";
    md << "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& codec : in.codecs) {
      std::vector<double> d[kMetricCount];
      int n = 0, wins = 0;
      for (const auto& [img, r] : by[codec]) {
        const auto t = by["tadm"].find(img);
        if (t == by["tadm"].end()) continue;
        ++n;
        for (int k = 0; k < kMetricCount; ++k) d[k].push_back(t->second->*kMetrics[k].field - r->*kMetrics[k].field);
        if (t->second->psnr > r->psnr) ++wins;
      }
      md << "| " << codec << " | " << n;
      for (int k = 0; k < kMetricCount; ++k) md << " | " << cell(mean(d[k]), kMetrics[k].digits);
      md << " | " << wins << " of " << n << " |\n";
    }
    md << "\n";
  }

  // BD-rate.
  const bool have_sweep = std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.kind == "sweep"; });
  std::set<std::string> models;
  for (const std::string& op : in.ops) models.insert(model_of(op));
  md << "## BD-rate\n\n";
  if (!have_sweep) {
    md << "No quality sweeps in this run (`--no-sweep`): no codec curves, no BD-rate.\n\n";
  } else {
    md << "Bjøntegaard delta rate of tadm's curve against each codec's curve: the mean difference "
          "in log rate over the quality interval both curves cover, by piecewise-linear "
          "interpolation of log(bpp) against the metric (not the usual cubic fit: tadm's curves "
          "have few points). Negative means tadm needs fewer bits for the same quality. A codec's "
          "curve is the upper envelope of its mean (bpp, metric) over all sweep settings and "
          "prescales; tadm's curve is the mean over images of each of its scales for one model "
          "(classic: the operating points plus the extra curve scales). Where the quality ranges "
          "do not overlap, the table says so.\n\n";
    md << "| tadm model | metric | vs jpeg | vs avif | vs jxl | vs webp |\n|---|---|---|---|---|---|\n";
    for (const std::string& model : models) {
      for (const Metric& k : kMetrics) {
        if (!k.sweep) continue;
        const auto t = tadm_curve(rows, model, k.field);
        md << "| " << model << " (" << t.size() << " points) | " << k.name;
        for (const char* codec : {"jpeg", "avif", "jxl", "webp"}) {
          if (std::find(in.codecs.begin(), in.codecs.end(), codec) == in.codecs.end()) {
            md << " | not run";
            continue;
          }
          const auto c = codec_curve(rows, codec, k.field, k.higher_better);
          const double bd = k.higher_better ? bd_rate(c, t) : bd_rate(flipped(c), flipped(t));
          if (std::isnan(bd)) {
            md << " | no overlap";
            if (!t.empty() && !c.empty()) {
              double tmin = t.front().second, tmax = t.front().second;
              for (const auto& p : t) {
                tmin = std::min(tmin, p.second);
                tmax = std::max(tmax, p.second);
              }
              md << " (tadm " << num(tmin, k.digits) << "–" << num(tmax, k.digits) << ", " << codec << " "
                 << num(c.front().second, k.digits) << "–" << num(c.back().second, k.digits) << ")";
            }
            if (t.size() < 2) md << " (tadm has one point)";
          } else {
            md << " | " << (bd > 0 ? "+" : "") << num(bd, 1) << " %";
          }
        }
        md << " |\n";
      }
    }
    md << "\n";
  }

  // Plots.
  const fs::path plots = out / "plots";
  fs::create_directories(plots);
  bool have_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  std::ostringstream gp;
  gp << "set terminal pngcairo size 900,600 font 'sans,10'\nset logscale x\nset grid\nset key bottom right\n"
        "set xlabel 'bits per pixel (whole file)'\nset datafile missing '?'\n";
  // A metric this run did not measure (--no-perceptual, no --lpips) gets no plot: gnuplot would
  // only complain about empty data.
  std::vector<const Metric*> plotted;
  for (const Metric& k : kMetrics)
    if (std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return std::isfinite(r.*k.field); }))
      plotted.push_back(&k);
  for (const Metric* m : plotted) {
    const Metric& k = *m;
    std::vector<std::string> series;
    if (k.sweep && have_sweep) {
      for (const auto& codec : in.codecs) {
        const std::string f = std::string(k.name) + "_sweep_" + codec + ".dat";
        write_dat(plots / f, codec_curve(rows, codec, k.field, k.higher_better));
        series.push_back("'" + f + "' with linespoints title '" + codec + " (best of sweep and prescale)'");
      }
    }
    for (const std::string& model : models) {
      const std::string f = std::string(k.name) + "_tadm_" + model + ".dat";
      write_dat(plots / f, tadm_curve(rows, model, k.field));
      series.push_back("'" + f + "' with linespoints lw 2 pt 7 ps 1.5 title 'tadm " + model + "'");
    }
    for (const auto& codec : in.codecs) {
      std::vector<std::pair<double, double>> pts;
      for (const std::string& op : in.ops) {
        std::vector<double> b, v;
        for (const Row& r : rows)
          if (r.kind == "matched" && r.op == op && r.codec == codec) {
            b.push_back(r.bpp);
            v.push_back(r.*k.field);
          }
        if (!b.empty()) pts.emplace_back(mean(b), mean(v));
      }
      const std::string f = std::string(k.name) + "_matched_" + codec + ".dat";
      write_dat(plots / f, pts);
      series.push_back("'" + f + "' with points pt 5 ps 1.3 title '" + codec + " at tadm bytes'");
    }
    gp << "set output '" << k.name << ".png'\nset title '" << k.label << " vs rate, mean over " << images.size()
       << " images'\nset ylabel '" << k.label << "'\nplot ";
    for (std::size_t i = 0; i < series.size(); ++i) gp << (i ? ", \\\n  " : "") << series[i];
    gp << "\n";
  }
  {
    std::ofstream f(plots / "plots.gp");
    f << gp.str();
  }
  if (!have_gnuplot) {
    notes.push_back("gnuplot not found (Debian gnuplot-nox): plots/plots.gp written but no PNG");
  } else if (std::system(("cd '" + plots.string() + "' && gnuplot plots.gp").c_str()) != 0) {
    notes.push_back("gnuplot failed on plots/plots.gp");
  }
  md << "## Plots\n\n";
  for (const Metric* k : plotted) md << "![" << k->label << "](plots/" << k->name << ".png)\n";
  md << "\nButteraugli and ssimulacra are measured on the operating points and the equal-bytes "
        "results only (not on the sweeps), so their plots have no codec curves.\n\n";

  // Crop sheet.
  if (!in.crop_images.empty()) {
    std::ostringstream cmd;
    cmd << "montage -font DejaVu-Sans -pointsize 12 -filter point -geometry 256x256+3+3 -background white";
    int cells = 0;
    const int columns = 2 + static_cast<int>(in.codecs.size());
    for (const auto& img : in.crop_images) {
      for (const auto& op : in.ops) {
        auto find = [&](const std::string& codec) -> const Row* {
          for (const Row& r : rows)
            if (r.image == img && r.op == op && r.codec == codec && (r.kind == "tadm" || r.kind == "matched")) return &r;
          return nullptr;
        };
        const fs::path dir = fs::path(in.crop_dir) / img;
        cmd << " -label '" << img << " original' '" << (dir / "original.png").string() << "'";
        std::vector<std::string> order = {"tadm"};
        order.insert(order.end(), in.codecs.begin(), in.codecs.end());
        for (const auto& codec : order) {
          const Row* r = find(codec);
          const fs::path f = dir / (op + "__" + codec + ".png");
          std::string label = codec == "tadm" ? "tadm " + op : codec + " @ " + op + " bytes";
          if (r && fs::exists(f)) {
            label += "\\n" + num(r->bpp, 4) + " bpp, " + num(r->psnr, 2) + " dB";
            if (codec != "tadm") label += ", 1/" + std::to_string(r->prescale);
            cmd << " -label '" << label << "' '" << f.string() << "'";
          } else {
            cmd << " -label '" << label << "\\nno file fits' 'xc:gray80'";
          }
        }
        cells += columns;
      }
    }
    // 8 bits per sample: ImageMagick writes 16 otherwise, doubling the file for the same pixels.
    cmd << " -tile " << columns << "x -depth 8 '" << (out / "crops.png").string() << "'";
    if (std::system("command -v montage >/dev/null 2>&1") != 0) {
      notes.push_back("ImageMagick montage not found: no crop sheet");
    } else if (cells > 0 && std::system((cmd.str() + (in.verbose ? "" : " 2>/dev/null")).c_str()) != 0) {
      notes.push_back("montage failed: no crop sheet");
    } else {
      md << "## Crops\n\nThe centre of the first " << in.crop_images.size()
         << " images (a square of a quarter of the shorter side, at most 128 px), enlarged to 256 px "
            "(nearest neighbour), tadm and each codec at the same bytes:\n\n"
            "![crops](crops.png)\n";
    }
  }
  std::ofstream(out / "summary.md") << md.str();
  return notes;
}

}  // namespace tadm_bench
