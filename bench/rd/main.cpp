// tadm-rd: rate-distortion benchmark of tadm against JPEG, AVIF, JPEG XL and WebP at equal
// bytes, with quality sweeps. See bench/README.md.
#include <CLI/CLI.hpp>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "codecs.hpp"
#include "lpips.hpp"
#include "rd.hpp"

namespace fs = std::filesystem;
using namespace tadm_bench;

namespace {

struct Options {
  std::string images = "../shared/data/kodak";
  std::string out = "bench/results/kodak";
  std::string model_dir;
  std::vector<std::uint32_t> classic_scales = {16, 32};
  std::vector<std::uint32_t> curve_scales = {8, 11, 23, 45};
  std::vector<std::string> codecs = {"jpeg", "avif", "jxl", "webp"};
  std::vector<std::uint32_t> prescales = {1, 2, 4, 8};
  std::vector<std::uint32_t> sweep_prescales = {1, 2, 4};
  std::vector<std::string> models;  // learned bundles to use; empty = all found
  std::vector<std::uint32_t> auto_scales;  // rate-controlled points at the classic x<s> file's bytes
  std::vector<std::uint32_t> auto_curve_scales;  // the same, measured only for tadm's R-D curve
  int auto_effort = 0;                     // their target_effort (1: each family's best is decoded)
  int refine = 0;                    // > 0: each bundle also with this many refinement steps
  bool no_learned = false;
  bool no_sweep = false;
  bool no_perceptual = false;
  std::string lpips;  // LPIPS-squeeze TorchScript; empty = not measured
  std::size_t limit = 0;
  int jobs = 1;
  int avif_speed = 6;
  int jxl_effort = 7;
  std::size_t crop_images = 3;
  bool overwrite = false;
  double time_limit = -1;  // minutes; < 0 = none
  bool quiet = false;
  int verbose = 0;
};

struct OpPoint {
  std::string id;     // "classic-x16", "pix16-x16"
  std::string model;  // "classic" or bundle name
  std::string identity;  // bundle "version sha256", empty for classic
  std::uint32_t scale = 16;
  bool curve_only = false;
  int refine = 0;  // tadm_encoder_settings::refine_iterations
};

std::mutex g_print;
bool g_tty = false;

void note(const Options& o, const std::string& msg) {
  if (o.quiet) return;
  std::lock_guard lock(g_print);
  if (g_tty) std::cerr << "\r\033[K";
  std::cerr << msg << "\n";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text_atomic(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

void write_bytes(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::vector<fs::path> list_images(const std::string& where) {
  std::vector<fs::path> out;
  const fs::path p(where);
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
  } else if (fs::is_regular_file(p)) {
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      fs::path q(line);
      out.push_back(q.is_absolute() ? q : p.parent_path() / q);
    }
  } else {
    throw std::runtime_error("no such folder or list file: " + where);
  }
  if (out.empty()) throw std::runtime_error("no images (.png/.jpg) in " + where);
  return out;
}

// One line of tadm_list_models: name, scale, version, SHA-256, directory, scales served.
struct ListedBundle {
  std::string name, scale, version, sha, path, served;
};

std::vector<ListedBundle> listed_bundles(const Options& o) {
  char* text = nullptr;
  char error[1024] = {};
  const tadm_status st = tadm_list_models(o.model_dir.empty() ? nullptr : o.model_dir.c_str(), &text, error, sizeof error);
  if (st != TADM_OK) throw std::runtime_error(std::string("tadm_list_models: ") + (error[0] ? error : tadm_status_string(st)));
  std::istringstream ls(text ? text : "");
  tadm_buffer_free(reinterpret_cast<std::uint8_t*>(text));
  std::vector<ListedBundle> out;
  std::string line;
  while (std::getline(ls, line)) {
    std::istringstream fields(line);
    ListedBundle b;
    for (std::string* f : {&b.name, &b.scale, &b.version, &b.sha, &b.path, &b.served}) std::getline(fields, *f, '\t');
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<OpPoint> list_ops(const Options& o, std::vector<std::string>& notes) {
  std::vector<OpPoint> ops;
  for (std::uint32_t s : o.classic_scales) ops.push_back({"classic-x" + std::to_string(s), "classic", "", s, false});
  for (const ListedBundle& b : listed_bundles(o)) {
    const std::string &name = b.name, &scale = b.scale, &version = b.version, &sha = b.sha, &served = b.served;
    if (name.empty() || name == "classic" || o.no_learned) continue;
    if (!o.models.empty() && std::find(o.models.begin(), o.models.end(), name) == o.models.end()) continue;
    std::uint32_t s = 0;
    try {
      s = static_cast<std::uint32_t>(std::stoul(scale));
    } catch (...) {
      notes.push_back("skipped bundle '" + name + "': unreadable scale '" + scale + "'");
      continue;
    }
    const std::string identity = "version " + version + ", sha256 " + sha;
    // An any-scale bundle ("2..32"): a point at every classic scale it serves (an R-D curve of its
    // own), compared at equal bytes at --scales, curve only at --curve-scales.
    if (const auto dots = served.find(".."); dots != std::string::npos) {
      const unsigned long lo = std::strtoul(served.c_str(), nullptr, 10);
      const unsigned long hi = std::strtoul(served.c_str() + dots + 2, nullptr, 10);
      for (const bool curve : {false, true})
        for (std::uint32_t c : curve ? o.curve_scales : o.classic_scales)
          if (c >= lo && c <= hi && !(curve && std::count(o.classic_scales.begin(), o.classic_scales.end(), c))) {
            ops.push_back({name + "-x" + std::to_string(c), name, identity, c, curve});
            if (o.refine > 0)  // a curve of its own: "any32-refine30-x12"
              ops.push_back({name + "-refine" + std::to_string(o.refine) + "-x" + std::to_string(c), name, identity, c,
                             curve, o.refine});
          }
      continue;
    }
    ops.push_back({name + "-x" + std::to_string(s), name, identity, s, false});
    if (o.refine > 0)
      ops.push_back({name + "-x" + std::to_string(s) + "-refine" + std::to_string(o.refine), name, identity, s, false,
                     o.refine});
  }
  for (std::uint32_t s : o.curve_scales)
    if (std::find(o.classic_scales.begin(), o.classic_scales.end(), s) == o.classic_scales.end())
      ops.push_back({"classic-x" + std::to_string(s), "classic", "", s, true});
  // tadm's best within a budget: the encoder's rate control (any model, scale and thumbnail codec
  // installed) at the bytes of the classic x<s> file of each image.
  for (const bool curve : {false, true})
    for (std::uint32_t s : curve ? o.auto_curve_scales : o.auto_scales)
      if (!(curve && std::count(o.auto_scales.begin(), o.auto_scales.end(), s)))
        ops.push_back({"auto-x" + std::to_string(s) + (o.auto_effort ? "-e1" : ""), "auto", "", s, curve});
  return ops;
}

bool have_tool(const char* name) {
  const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  pclose(f);
  return out;
}

struct Perceptual {
  bool butteraugli = false, ssimulacra = false;
  std::shared_ptr<const Lpips> lpips;  // measured on every row, sweeps too (it is fast)
};

void perceptual(const Perceptual& tools, const fs::path& ref, const fs::path& tmpdir, const Rgb& dist, Row& row) {
  if (!tools.butteraugli && !tools.ssimulacra) return;
  const fs::path p = tmpdir / "distorted.png";
  write_bytes(p, write_png(dist));
  if (tools.butteraugli) {
    const std::string out = run_capture("butteraugli_main " + shell_quote(ref.string()) + " " + shell_quote(p.string()) + " 2>/dev/null");
    std::istringstream is(out);
    std::string first;
    if (std::getline(is, first) && !first.empty()) row.butteraugli = std::strtod(first.c_str(), nullptr);
    const auto k = out.find("3-norm:");
    if (k != std::string::npos) row.butteraugli_3norm = std::strtod(out.c_str() + k + 7, nullptr);
  }
  if (tools.ssimulacra) {
    const std::string out = run_capture("ssimulacra_main " + shell_quote(ref.string()) + " " + shell_quote(p.string()) + " 2>/dev/null");
    if (!out.empty()) row.ssimulacra = std::strtod(out.c_str(), nullptr);
  }
}

void fill_metrics(const Rgb& orig, const Rgb& dec, Row& r, const Perceptual& tools) {
  r.psnr = psnr(orig, dec);
  if (tools.lpips) r.lpips = (*tools.lpips)(orig, dec);
  const SsimPair s = ssim_and_ms_ssim(orig, dec);
  r.ssim = s.ssim;
  r.msssim = s.ms_ssim;
  r.bpp = static_cast<double>(r.bytes) * 8.0 / (static_cast<double>(orig.width) * orig.height);
}

// The fixed crop region of an image for the crop sheet: a centred square of a quarter of the
// shorter side, at most 128 px so that the sheet's 256 px cells enlarge it 2x for photos of any
// size (and the sheet stays small: larger photos gave 5 MB sheets of shrunken crops).
void crop_region(const Rgb& im, std::uint32_t& x, std::uint32_t& y, std::uint32_t& s) {
  s = std::clamp<std::uint32_t>(std::min(im.width, im.height) / 4, 16, 128);
  s = std::min({s, im.width, im.height});
  x = (im.width - s) / 2;
  y = (im.height - s) / 2;
}

class Worker {
 public:
  Worker(const Options& o, const std::vector<OpPoint>& ops, const Perceptual& tools, fs::path tmpdir)
      : o_(o), ops_(ops), tools_(tools), tmpdir_(std::move(tmpdir)) {
    fs::create_directories(tmpdir_);
    for (const auto& name : o.codecs) codecs_.push_back(make_codec(name, o.avif_speed, o.jxl_effort));
    tadm_decoder_settings ds;
    tadm_decoder_default_settings(&ds);
    ds.common.threads = 1;
    ds.common.model_dir = o.model_dir.empty() ? nullptr : o.model_dir.c_str();
    decoder_ = std::make_unique<tadm_cpp::Decoder>(ds);
  }

  // Measures one image; returns its rows. Crops go to crop_dir when not empty.
  std::vector<Row> run(const fs::path& path, const fs::path& crop_dir, const std::function<void(const std::string&)>& stage) {
    const std::string stem = path.stem().string();
    const Rgb orig = read_rgb(path.string());
    const fs::path ref = tmpdir_ / "reference.png";
    write_bytes(ref, write_png(orig));
    std::vector<Row> rows;
    std::uint32_t cx = 0, cy = 0, cs = 0;
    crop_region(orig, cx, cy, cs);
    auto save_crop = [&](const Rgb& im, const std::string& name) {
      if (crop_dir.empty()) return;
      fs::create_directories(crop_dir);
      write_bytes(crop_dir / (name + ".png"), write_png(crop(im, cx, cy, cs, cs)));
    };
    save_crop(orig, "original");
    auto base = [&](const std::string& kind) {
      Row r;
      r.image = stem;
      r.width = orig.width;
      r.height = orig.height;
      r.kind = kind;
      return r;
    };

    // Downscaled versions for the prescales, made once.
    std::map<std::uint32_t, Rgb> lr;
    for (std::uint32_t s : o_.prescales) lr.emplace(s, rescaler_.downscale(orig, s));
    for (std::uint32_t s : o_.sweep_prescales)
      if (!lr.count(s)) lr.emplace(s, rescaler_.downscale(orig, s));

    for (const OpPoint& op : ops_) {
      stage(op.id);
      Row t = base(op.curve_only ? "tadm_curve" : "tadm");
      t.op = op.id;
      t.codec = "tadm";
      t.prescale = op.scale;
      t.setting = "model=" + op.model + (op.refine ? " refine=" + std::to_string(op.refine) : "");
      const Bytes file = op.model == "auto" ? encode_auto(op, orig, t) : encoder(op).encode(*to_tadm(orig));
      t.bytes = file.size();
      const Rgb dec = to_rgb(*decoder_->decode(file));
      fill_metrics(orig, dec, t, tools_);
      if (op.curve_only) {
        rows.push_back(t);
        continue;
      }
      if (!o_.no_perceptual) perceptual(tools_, ref, tmpdir_, dec, t);
      rows.push_back(t);
      save_crop(dec, op.id + "__tadm");

      for (auto& codec : codecs_) {
        stage(op.id + " " + codec->name() + " at equal bytes");
        std::optional<Row> best;
        Rgb best_img;
        for (std::uint32_t s : o_.prescales) {
          const Rgb& small = lr.at(s);
          auto fit = largest_fitting([&](int q) { return codec->encode(small, q); }, codec->min_quality(),
                                     codec->max_quality(), file.size());
          Row m = base("matched_try");
          m.op = op.id;
          m.codec = codec->name();
          m.prescale = s;
          m.budget = file.size();
          if (!fit) {
            m.setting = "none fits";
            rows.push_back(m);
            continue;
          }
          m.quality = fit->quality;
          m.setting = codec->describe(fit->quality);
          m.bytes = fit->bytes.size();
          const Rgb up = rescaler_.upscale(codec->decode(fit->bytes), s, orig.width, orig.height);
          fill_metrics(orig, up, m, tools_);
          rows.push_back(m);
          if (!best || m.psnr > best->psnr) {
            best = m;
            best_img = up;
          }
        }
        if (best) {
          best->kind = "matched";
          if (!o_.no_perceptual) perceptual(tools_, ref, tmpdir_, best_img, *best);
          rows.push_back(*best);
          save_crop(best_img, op.id + "__" + codec->name());
        }
      }
    }

    if (!o_.no_sweep) {
      for (auto& codec : codecs_) {
        stage(codec->name() + " sweep");
        for (std::uint32_t s : o_.sweep_prescales) {
          const Rgb& small = lr.at(s);
          for (int q : codec->sweep()) {
            Row r = base("sweep");
            r.codec = codec->name();
            r.prescale = s;
            r.quality = q;
            r.setting = codec->describe(q);
            const Bytes b = codec->encode(small, q);
            r.bytes = b.size();
            const Rgb up = rescaler_.upscale(codec->decode(b), s, orig.width, orig.height);
            fill_metrics(orig, up, r, tools_);
            rows.push_back(r);
          }
        }
      }
    }
    return rows;
  }

 private:
  // The rate-controlled point: the budget is the classic x<scale> file of this image; the
  // encoder chooses model, scale, thumbnail codec and quality (tadm.h, target_bytes).
  Bytes encode_auto(const OpPoint& op, const Rgb& orig, Row& row) {
    const OpPoint classic{"classic-x" + std::to_string(op.scale), "classic", "", op.scale, true};
    const auto budget = static_cast<std::uint32_t>(encoder(classic).encode(*to_tadm(orig)).size());
    tadm_encoder_settings st;
    tadm_encoder_default_settings(&st);
    st.common.model_dir = o_.model_dir.empty() ? nullptr : o_.model_dir.c_str();
    st.common.threads = 1;
    st.target_bytes = budget;
    st.lr_codec = TADM_LR_ANY;
    st.target_effort = o_.auto_effort;
    tadm_cpp::Encoder enc(st);
    Bytes file = enc.encode(*to_tadm(orig));
    row.budget = budget;
    row.prescale = enc.scale();
    row.quality = enc.lr_quality();
    row.setting = "model=auto chose " + enc.model().substr(0, enc.model().find(' ')) + " x" +
                  std::to_string(enc.scale()) + " lr_codec " + std::to_string(enc.lr_codec());
    return file;
  }

  tadm_cpp::Encoder& encoder(const OpPoint& op) {
    auto it = encoders_.find(op.id);
    if (it != encoders_.end()) return *it->second;
    tadm_encoder_settings st;
    tadm_encoder_default_settings(&st);
    st.common.model = op.model.c_str();
    st.common.model_dir = o_.model_dir.empty() ? nullptr : o_.model_dir.c_str();
    st.scale = op.scale;
    st.common.threads = 1;
    st.refine_iterations = op.refine;
    return *encoders_.emplace(op.id, std::make_unique<tadm_cpp::Encoder>(st)).first->second;
  }

  const Options& o_;
  const std::vector<OpPoint>& ops_;
  Perceptual tools_;
  fs::path tmpdir_;
  std::vector<std::unique_ptr<Codec>> codecs_;
  std::map<std::string, std::unique_ptr<tadm_cpp::Encoder>> encoders_;
  std::unique_ptr<tadm_cpp::Decoder> decoder_;
  Rescaler rescaler_;
};

// What the rate-controlled points depend on besides the encoder: every installed bundle and its
// rate_control.json (advisory, outside the bundle's identity), by SHA-256. A cache measured with
// other candidates or other rate-control data is refused.
std::string auto_candidates_identity(const Options& o) {
  std::vector<std::string> lines;  // sorted: the listing's order is the file system's
  for (const ListedBundle& b : listed_bundles(o)) {
    const std::string &name = b.name, &version = b.version, &sha = b.sha, &path = b.path;
    if (name.empty() || name == "classic") continue;
    std::string rc = "none";
    std::ifstream in(fs::path(path) / "rate_control.json", std::ios::binary);
    if (in) {
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
      rc.clear();
      char hex[3];
      for (unsigned int i = 0; i < n; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", md[i]);
        rc += hex;
      }
    }
    lines.push_back("\nauto candidate " + name + " version " + version + ", sha256 " + sha + ", rate_control " + rc);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l;
  return out;
}

// The LPIPS module by name and size: a cache measured with another export is refused.
std::string lpips_identity(const std::string& path) {
  return fs::path(path).filename().string() + " " + std::to_string(fs::file_size(path)) + " bytes";
}

std::string config_text(const Options& o, const std::vector<OpPoint>& ops, const std::vector<fs::path>& images,
                        const Perceptual& tools) {
  std::ostringstream c;
  c << "tadm-rd config 1\ntadm " << tadm_version_string() << "\n" << codec_versions() << "\n";
  c << "ops:";
  for (const auto& op : ops) c << " " << op.id;
  for (const auto& op : ops)
    if (!op.identity.empty()) c << "\nbundle " << op.model << " " << op.identity;
  if (std::any_of(ops.begin(), ops.end(), [](const OpPoint& op) { return op.model == "auto"; }))
    c << auto_candidates_identity(o);
  c << "\ncodecs:";
  for (const auto& x : o.codecs) c << " " << x;
  c << "\nprescales:";
  for (auto s : o.prescales) c << " " << s;
  c << "\nsweep_prescales:";
  for (auto s : o.sweep_prescales) c << " " << s;
  c << "\navif_speed " << o.avif_speed << "\njxl_effort " << o.jxl_effort << "\nsweep " << !o.no_sweep
    << "\nperceptual " << (!o.no_perceptual) << " butteraugli " << tools.butteraugli << " ssimulacra "
    << tools.ssimulacra << "\nlpips " << (o.lpips.empty() ? std::string("none") : lpips_identity(o.lpips))
    << "\ncrop_images " << o.crop_images << "\nimages:";
  for (const auto& p : images) c << " " << p.filename().string();
  c << "\n";
  return c.str();
}

std::string join_args(int argc, char** argv, bool for_rerun) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (for_rerun && (a == "--overwrite" || a == "-q" || a == "--quiet")) continue;
    if (for_rerun && a == "--time-limit") {
      ++i;
      continue;
    }
    if (for_rerun && a.rfind("--time-limit=", 0) == 0) continue;
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"tadm-rd: rate-distortion benchmark of tadm against JPEG, AVIF, JPEG XL and WebP at equal bytes.\n"
               "Writes OUT/results.csv, OUT/summary.md, OUT/plots/*.png and OUT/crops.png; per-image results\n"
               "are cached in OUT/cache so an interrupted run continues where it stopped."};
  // Every scale the container can hold (spec/container.md: 2..64 per axis), checked up front so a
  // typo fails before hours of measuring rather than per image.
  const CLI::Range kScale(2, 64), kPrescale(1, 64);
  app.add_option("--images", o.images, "Folder of .png/.jpg images, or a list file (one path a line)")->capture_default_str();
  app.add_option("--out", o.out, "Output folder")->capture_default_str();
  app.add_option("--model-dir", o.model_dir, "Where learned bundles are looked up (default: built-in search path)");
  app.add_option("--scales", o.classic_scales, "Scales of the classic operating points")
      ->check(kScale)->capture_default_str();
  app.add_option("--curve-scales", o.curve_scales, "Extra classic scales measured only for tadm's R-D curve")
      ->check(kScale)->capture_default_str();
  app.add_option("--codecs", o.codecs, "Codecs to compare with (jpeg avif jxl webp)")->capture_default_str();
  app.add_option("--prescales", o.prescales, "Downscale factors tried before each codec")
      ->check(kPrescale)->capture_default_str();
  app.add_option("--sweep-prescales", o.sweep_prescales, "Downscale factors of the quality sweeps")
      ->check(kPrescale)->capture_default_str();
  app.add_option("--models", o.models, "Learned bundles to include (default: every bundle found)");
  app.add_flag("--no-learned", o.no_learned, "Only the classic operating points");
  app.add_option("--auto-scales", o.auto_scales,
                 "Rate-controlled operating points 'auto-x<S>': tadm's best within the bytes of each image's\n"
                 "classic x<S> file (the encoder chooses model, scale, thumbnail codec and quality)")
      ->check(kScale);
  app.add_option("--auto-curve-scales", o.auto_curve_scales,
                 "More rate-controlled points, measured only for tadm's R-D curve (no equal-bytes search):\n"
                 "with --auto-scales, the curve whose BD-rate is reported as model 'auto'")
      ->check(kScale);
  app.add_option("--auto-effort", o.auto_effort,
                 "The rate control's effort for those points (tadmenc --target-effort): 0 ranks by each model's\n"
                 "measured quality, 1 also decodes each model's best fitting point (points 'auto-x<S>-e1')")
      ->check(CLI::Range(0, 1));
  app.add_option("--refine", o.refine,
                 "Also measure every learned bundle with this many thumbnail refinement steps (tadmenc --refine)")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--no-sweep", o.no_sweep, "Skip the quality sweeps (no curves, no BD-rate)");
  app.add_flag("--no-perceptual", o.no_perceptual, "Skip butteraugli and ssimulacra");
  app.add_option("--lpips", o.lpips,
                 "LPIPS-squeeze as TorchScript, measured on every result, sweeps included (make it with\n"
                 "'cd model && python3 -m tadm_train.lpips --export FILE.pt' from ../shared/models/lpips-squeeze)")
      ->check(CLI::ExistingFile);
  app.add_option("--limit", o.limit, "Use only the first N images (0 = all)");
  app.add_option("-j,--jobs", o.jobs, "Images measured in parallel")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--avif-speed", o.avif_speed, "libaom speed (0 slowest .. 10)")->check(CLI::Range(0, 10))->capture_default_str();
  app.add_option("--jxl-effort", o.jxl_effort, "libjxl effort (1 .. 9)")->check(CLI::Range(1, 9))->capture_default_str();
  app.add_option("--crop-images", o.crop_images, "Images shown in the crop sheet")->capture_default_str();
  app.add_option("--time-limit", o.time_limit,
                 "Start no new image after this many minutes, then report what is measured (marked partial); "
                 "rerun the same command to continue")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--overwrite", o.overwrite, "Replace a previous run's results in --out");
  app.add_flag("-q,--quiet", o.quiet, "Print errors only");
  app.add_flag("-v,--verbose", o.verbose, "More detail (repeat for more)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  g_tty = isatty(STDERR_FILENO) && !o.quiet;
  for (const auto& c : o.codecs) {
    const auto names = codec_names();
    if (std::find(names.begin(), names.end(), c) == names.end()) {
      std::cerr << "tadm-rd: error: unknown codec '" << c << "' (jpeg, avif, jxl, webp)\n";
      return 2;
    }
  }
  for (auto s : o.sweep_prescales)
    if (s < 1 || s > 64) {
      std::cerr << "tadm-rd: error: sweep prescale " << s << " is outside 1..64\n";
      return 2;
    }
  for (auto s : o.prescales)
    if (s < 1 || s > 64) {
      std::cerr << "tadm-rd: error: prescale " << s << " is outside 1..64\n";
      return 2;
    }
  try {
    std::vector<fs::path> images = list_images(o.images);
    const std::vector<fs::path> all_images = images;  // the config names the whole set
    if (o.limit && images.size() > o.limit) images.resize(o.limit);
    std::vector<std::string> notes;
    const std::vector<OpPoint> ops = list_ops(o, notes);
    Perceptual tools;
    if (!o.no_perceptual) {
      tools.butteraugli = have_tool("butteraugli_main");
      tools.ssimulacra = have_tool("ssimulacra_main");
      if (!tools.butteraugli) notes.push_back("butteraugli_main not found (Debian libjxl-devtools): butteraugli skipped");
      if (!tools.ssimulacra) notes.push_back("ssimulacra_main not found (Debian libjxl-devtools): ssimulacra skipped");
    }
    if (!o.lpips.empty()) tools.lpips = std::make_shared<const Lpips>(o.lpips);
    else notes.push_back("no --lpips: LPIPS-squeeze not measured");
    for (const auto& n : notes) note(o, "tadm-rd: note: " + n);

    const fs::path out(o.out);
    const fs::path cache = out / "cache";
    const std::string config = config_text(o, ops, all_images, tools);
    // A partial report (--time-limit) is continued by the same command; a finished run's report is
    // written again from its cache (nothing measured). Other settings need --overwrite.
    if (fs::exists(cache / "config.txt") || fs::exists(out / "results.csv")) {
      const bool same = fs::exists(cache / "config.txt") && read_text(cache / "config.txt") == config;
      if (o.overwrite) {
        for (const char* name : {"results.csv", "summary.md", "crops.png"}) fs::remove(out / name);
        fs::remove_all(out / "plots");
        fs::remove_all(cache);
      } else if (!fs::exists(cache / "config.txt")) {
        std::cerr << "tadm-rd: error: " << out.string()
                  << " holds a previous run's results; pass --overwrite to replace them or choose another --out\n";
        return 1;
      } else if (!same) {
        std::cerr << "tadm-rd: error: " << (cache / "config.txt").string()
                  << " is from a run with other settings, images or library versions; pass --overwrite to start again\n";
        return 1;
      }
    }
    fs::create_directories(cache);
    write_text_atomic(cache / "config.txt", config);

    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < images.size(); ++i)
      if (!fs::exists(cache / (images[i].stem().string() + ".csv"))) todo.push_back(i);
    if (todo.size() < images.size())
      note(o, "tadm-rd: resuming: " + std::to_string(images.size() - todo.size()) + " of " +
                  std::to_string(images.size()) + " images already measured");
    if (o.verbose) {
      std::string list;
      for (const auto& op : ops) list += " " + op.id;
      note(o, "tadm-rd: operating points:" + list);
      note(o, "tadm-rd: " + codec_versions());
    }

    std::atomic<std::size_t> next{0}, done{images.size() - todo.size()};
    std::atomic<bool> failed{false};
    std::string first_error;
    const std::size_t total = images.size();
    const auto started = std::chrono::steady_clock::now();
    auto out_of_time = [&] {
      if (o.time_limit < 0) return false;
      const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60.0;
      return minutes >= o.time_limit;
    };
    auto work = [&](int id) {
      try {
        Worker w(o, ops, tools, cache / ("tmp-" + std::to_string(id)));
        for (;;) {
          if (out_of_time()) break;
          const std::size_t k = next.fetch_add(1);
          if (k >= todo.size() || failed) break;
          const fs::path& img = images[todo[k]];
          const std::string stem = img.stem().string();
          const fs::path crops = todo[k] < o.crop_images ? cache / "crops" / stem : fs::path();
          auto stage = [&](const std::string& s) {
            if (!g_tty) return;
            std::lock_guard lock(g_print);
            std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", done.load() + 1, total, stem.c_str(), s.c_str());
            std::fflush(stderr);
          };
          const std::vector<Row> rows = w.run(img, crops, stage);
          std::string text = csv_header() + "\n";
          for (const Row& r : rows) text += to_csv(r) + "\n";
          write_text_atomic(cache / (stem + ".csv"), text);
          ++done;
          if (o.verbose || !g_tty) note(o, "tadm-rd: [" + std::to_string(done.load()) + "/" + std::to_string(total) + "] " + stem);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(g_print);
        if (!failed.exchange(true)) first_error = e.what();
      }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < o.jobs; ++j) threads.emplace_back(work, j);
    for (auto& t : threads) t.join();
    if (g_tty) std::cerr << "\r\033[K";
    for (int j = 0; j < o.jobs; ++j) fs::remove_all(cache / ("tmp-" + std::to_string(j)));
    if (failed) {
      std::cerr << "tadm-rd: error: " << first_error << "\n";
      return 1;
    }

    // Gather every measured image's rows, in image order.
    std::vector<Row> rows;
    std::size_t measured = 0;
    for (const auto& img : images) {
      if (!fs::exists(cache / (img.stem().string() + ".csv"))) continue;
      ++measured;
      std::ifstream in(cache / (img.stem().string() + ".csv"));
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line))
        if (!line.empty()) rows.push_back(from_csv(line));
    }
    ReportInput ri;
    ri.out_dir = out.string();
    if (measured == images.size()) {
      write_text_atomic(cache / "complete", "complete\n");
      ri.status = "complete: all " + std::to_string(images.size()) + " images";
    } else {
      fs::remove(cache / "complete");
      ri.status = "PARTIAL: " + std::to_string(measured) + " of " + std::to_string(images.size()) +
                  " images measured (stopped by --time-limit); the same command continues the run";
    }
    ri.command = join_args(argc, argv, false);
    ri.rerun = join_args(argc, argv, true);
    ri.commit = run_capture("git rev-parse HEAD 2>/dev/null");
    while (!ri.commit.empty() && (ri.commit.back() == '\n' || ri.commit.back() == '\r')) ri.commit.pop_back();
    if (ri.commit.empty()) ri.commit = "unknown (not run inside a git checkout)";
    ri.versions = std::string("tadm ") + tadm_version_string() + "; " + codec_versions();
    for (const auto& op : ops)
      if (!op.curve_only) ri.ops.push_back(op.id);
    ri.codecs = o.codecs;
    for (std::size_t i = 0; i < images.size() && i < o.crop_images; ++i)
      if (fs::exists(cache / (images[i].stem().string() + ".csv"))) ri.crop_images.push_back(images[i].stem().string());
    ri.crop_dir = (cache / "crops").string();
    ri.perceptual = !o.no_perceptual;
    ri.verbose = o.verbose;
    std::set<std::string> named;  // one line a bundle, however many operating points it has
    for (const auto& op : ops)
      if (!op.identity.empty() && named.insert(op.model).second)
        ri.versions += "\n- Bundle " + op.model + ": " + op.identity;
    for (const auto& n : notes) ri.versions += "\n- note: " + n;
    const std::vector<std::string> report_notes = write_report(ri, rows);
    for (const auto& n : report_notes) note(o, "tadm-rd: note: " + n);
    note(o, "tadm-rd: wrote " + (out / "summary.md").string() + ", results.csv, plots/, crops.png (" +
                std::to_string(rows.size()) + " measurements)");
    return 0;
  } catch (const std::exception& e) {
    if (g_tty) std::cerr << "\r\033[K";
    std::cerr << "tadm-rd: error: " << e.what() << "\n";
    return 1;
  }
}
