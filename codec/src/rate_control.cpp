#include "rate_control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "bundle.hpp"
#include "error.hpp"

namespace tadm {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kMinScale = 2, kMaxScale = 64;
constexpr std::uintmax_t kMaxRateControlFile = 64 << 10;
constexpr std::uint32_t kLocalMisses = 4;  // classic scales probed below the bisection's answer

const char* codec_name(tadm_lr_codec c) { return lr_codec_name(static_cast<LrCodec>(c)); }

tadm_lr_codec codec_of(const std::string& name) {
  LrCodec c;
  if (!lr_codec_from_name(name, c)) fail(TADM_ERROR_MODEL, "unknown thumbnail codec \"" + name + "\"");
  return static_cast<tadm_lr_codec>(c);
}

std::string scale_label(std::uint32_t s) { return "x" + std::to_string(s); }

// PSNR over every sample (alpha included), samples as [0, 1]: the measure of target effort 1.
double psnr(const Image& a, const Image& b) {
  if (a.width != b.width || a.height != b.height || a.channels != b.channels)
    fail(TADM_ERROR_INTERNAL, "the decoded candidate differs in shape from the image");
  double se = 0;
  for (std::uint32_t y = 0; y < a.height; ++y)
    for (std::uint32_t x = 0; x < a.width; ++x)
      for (std::uint32_t c = 0; c < a.channels; ++c) {
        const double d = double(a.sample(x, y, c)) - b.sample(x, y, c);
        se += d * d;
      }
  const double mse = se / (double(a.width) * a.height * a.channels);
  return mse <= 0 ? 99.0 : -10.0 * std::log10(mse);
}

// Piecewise-linear through (x, y) points with x rising; the end values beyond them.
double interpolate(const std::vector<std::pair<int, double>>& pts, int x) {
  if (x <= pts.front().first) return pts.front().second;
  for (std::size_t i = 1; i < pts.size(); ++i) {
    const auto [x1, y1] = pts[i];
    if (x <= x1) {
      const auto [x0, y0] = pts[i - 1];
      return y0 + (y1 - y0) * (x - x0) / double(x1 - x0);
    }
  }
  return pts.back().second;
}

}  // namespace

double RateControlData::at(int quality) const {
  return by_quality.empty() ? equivalent : interpolate(by_quality, quality);
}

double RateControlData::gain_at(int quality, std::uint32_t s) const {
  if (!gain_by_quality.empty()) return interpolate(gain_by_quality, quality);
  if (!gain_by_scale.empty()) return interpolate(gain_by_scale, int(s));
  return gain.value_or(0.0);
}

double RateControlData::at_scale(std::uint32_t s) const {
  for (std::size_t i = 1; i < by_scale.size(); ++i) {
    const auto [s1, e1] = by_scale[i];
    const auto [s0, e0] = by_scale[i - 1];
    if (int(s) >= s0 && int(s) <= s1) return e0 + (e1 - e0) * (int(s) - s0) / double(s1 - s0);
  }
  return by_scale.size() == 1 && int(s) == by_scale[0].first ? by_scale[0].second : 0.0;
}

double RateControlData::best() const {
  if (!by_scale.empty()) return by_scale.front().second;
  if (by_quality.empty()) return equivalent;
  double b = std::numeric_limits<double>::infinity();
  for (const auto& [q, e] : by_quality) b = std::min(b, e);
  return b;
}

std::optional<RateControlData> read_rate_control(const fs::path& dir) {
  const fs::path path = dir / "rate_control.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  const std::string where = "rate-control data " + path.string();
  if (fs::file_size(path, ec) > kMaxRateControlFile || ec)
    fail(TADM_ERROR_MODEL, where + " cannot be read or is implausibly large");
  const std::vector<std::uint8_t> bytes = read_bundle_file(path);
  RateControlData d;
  try {
    const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
    if (j.at("format").get<std::string>() != "tadm-rate-control" || j.at("format_version").get<int>() != 1)
      fail(TADM_ERROR_MODEL, where + " is not format tadm-rate-control version 1");
    const std::string profile = j.at("profile").get<std::string>();
    if (profile != "fidelity" && profile != "perceptual")
      fail(TADM_ERROR_MODEL, where + ": profile \"" + profile + "\" is not fidelity or perceptual");
    d.profile = profile == "perceptual" ? TADM_PROFILE_PERCEPTUAL : TADM_PROFILE_FIDELITY;
    auto check_scale = [&](double e) {
      if (!(e >= 1.0 && e <= 64.0)) fail(TADM_ERROR_MODEL, where + ": an equivalent classic scale is outside 1..64");
      return e;
    };
    if (j.contains("equivalent_classic_scale_by_quality")) {
      for (const auto& p : j.at("equivalent_classic_scale_by_quality")) {
        const int q = p.at(0).get<int>();
        if (q < 1 || q > 100 || (!d.by_quality.empty() && q <= d.by_quality.back().first))
          fail(TADM_ERROR_MODEL, where + ": qualities must rise within 1..100");
        d.by_quality.emplace_back(q, check_scale(p.at(1).get<double>()));
      }
      if (d.by_quality.empty()) fail(TADM_ERROR_MODEL, where + ": no qualities");
    } else if (j.contains("equivalent_classic_scale_by_scale")) {
      for (const auto& p : j.at("equivalent_classic_scale_by_scale")) {
        const int s = p.at(0).get<int>();
        const double e = check_scale(p.at(1).get<double>());
        if (s < 2 || s > 64 || (!d.by_scale.empty() && (s <= d.by_scale.back().first || e <= d.by_scale.back().second)))
          fail(TADM_ERROR_MODEL, where + ": scales and their equivalents must rise, scales within 2..64");
        d.by_scale.emplace_back(s, e);
      }
      if (d.by_scale.empty()) fail(TADM_ERROR_MODEL, where + ": no scales");
    } else {
      d.equivalent = check_scale(j.at("equivalent_classic_scale").get<double>());
    }
    // Optional gains over bicubic, in the same form as the equivalents (a number, or points).
    auto check_gain = [&](double g) {
      if (!(g >= -20.0 && g <= 20.0)) fail(TADM_ERROR_MODEL, where + ": a gain over bicubic is outside -20..20 dB");
      return g;
    };
    auto gain_points = [&](const char* key, int lo, int hi) {
      std::vector<std::pair<int, double>> pts;
      for (const auto& p : j.at(key)) {
        const int x = p.at(0).get<int>();
        if (x < lo || x > hi || (!pts.empty() && x <= pts.back().first))
          fail(TADM_ERROR_MODEL, where + ": the points of " + key + " must rise within " + std::to_string(lo) + ".." +
                                     std::to_string(hi));
        pts.emplace_back(x, check_gain(p.at(1).get<double>()));
      }
      if (pts.empty()) fail(TADM_ERROR_MODEL, where + ": " + key + " has no points");
      return pts;
    };
    if (j.contains("gain_over_bicubic_db")) d.gain = check_gain(j.at("gain_over_bicubic_db").get<double>());
    if (j.contains("gain_over_bicubic_db_by_quality"))
      d.gain_by_quality = gain_points("gain_over_bicubic_db_by_quality", 1, 100);
    if (j.contains("gain_over_bicubic_db_by_scale")) d.gain_by_scale = gain_points("gain_over_bicubic_db_by_scale", 2, 64);
    // The gain must have the form of the equivalents it accompanies.
    if ((d.gain && (!d.by_quality.empty() || !d.by_scale.empty())) ||
        (!d.gain_by_quality.empty() && d.by_quality.empty()) || (!d.gain_by_scale.empty() && d.by_scale.empty()))
      fail(TADM_ERROR_MODEL, where + ": its gain over bicubic is not of the form of its equivalent classic scale");
  } catch (const nlohmann::json::exception& e) {
    fail(TADM_ERROR_MODEL, where + " is malformed: " + e.what());
  }
  return d;
}

bool chooses_operating_point(const tadm_encoder_settings& s) {
  return s.target_bytes != 0 && s.scale == 0 && s.scale_y == 0 && (s.common.model == nullptr || !*s.common.model);
}

RateControlledEncoder::RateControlledEncoder(const tadm_encoder_settings& settings) : settings_(settings) {
  const tadm_common_settings& common = settings.common;
  check_target_effort(settings.target_effort);
  if (settings.target_effort > 0 && settings.profile == TADM_PROFILE_PERCEPTUAL)
    log_message(common.log, common.user, TADM_LOG_WARNING,
                "target effort 1 measures PSNR, the fidelity profile's metric; the perceptual profile keeps the predicted choice");
  model_dir_ = common.model_dir ? common.model_dir : "";
  settings_.common.model = nullptr;
  settings_.common.model_dir = nullptr;
  const int requested = enum_value(settings.lr_codec);
  check_lr_codec(requested);
  // Lossless thumbnails (classic and the pixel/latent models): PNG unless a lossless WebP, JPEG XL
  // or AVIF thumbnail was asked for. Models of lossy thumbnails: only for their own codec, or any.
  std::optional<tadm_lr_codec> lossless;
  if (requested == TADM_LR_AUTO || requested == TADM_LR_ANY || requested == TADM_LR_PNG) lossless = TADM_LR_PNG;
  else if (settings.lr_lossless && requested != TADM_LR_JPEG) lossless = static_cast<tadm_lr_codec>(requested);
  // A lossy thumbnail goes into .tadm, or into TADM-AVIF when it is AVIF (spec/heif-avif.md 2.1).
  const auto lossy_allowed = [&](tadm_lr_codec codec) {
    return !settings.lr_lossless && (settings.container == TADM_CONTAINER_TADM ||
                                     (settings.container == TADM_CONTAINER_AVIF && codec == TADM_LR_AVIF));
  };

  // The fallback, made first: it validates every other setting with the engine's own checks.
  std::optional<ScaleFamily> classic;
  if (lossless) {
    classic = ScaleFamily{"classic", kMinScale, kMaxScale, *lossless, {}, {}};
    chosen_ = &encoder_for(classic->at(kMaxScale));
    limits_ = chosen_->limits();
  }
  for (const fs::path& dir : installed_bundles(model_dir_)) {
    const std::string name = dir.filename().string();
    try {
      const std::optional<RateControlData> data = read_rate_control(dir);
      if (!data || data->profile != settings.profile) continue;
      const Bundle b = load_bundle(dir, BundleParts::kManifest);
      if (b.scale_max != 0) {  // any-scale: a family over the square scales it has data for
        if (!lossless || data->by_scale.empty()) continue;
        ScaleFamily f{b.identity.name, std::uint32_t(data->by_scale.front().first),
                      std::uint32_t(data->by_scale.back().first), *lossless, *data, {}};
        f.lo = std::max(f.lo, b.scale_min);
        f.hi = std::min(f.hi, b.scale_max);
        if (f.lo > f.hi) continue;
        encoder_for(f.at(f.hi));  // loaded now: a model that cannot run is no candidate
        families_.push_back(std::move(f));
        continue;
      }
      if (!data->by_scale.empty()) continue;  // by-scale data belongs to any-scale bundles
      Candidate c;
      c.model = b.identity.name;
      c.scale = b.scale;
      c.data = *data;
      if (b.lr_training) {
        c.codec = codec_of(b.lr_training->codec);
        if (!lossy_allowed(c.codec) || (requested != TADM_LR_ANY && requested != c.codec) || c.data.by_quality.empty()) continue;
      } else {
        if (!lossless || !c.data.by_quality.empty()) continue;
        c.codec = *lossless;
      }
      c.label = c.model + " " + scale_label(c.scale) + " " + codec_name(c.codec);
      encoder_for(c);  // loaded now: a model that cannot run (no runtime, no base weights) is no candidate
      learned_.push_back(std::move(c));
    } catch (const Error& e) {
      log_message(common.log, common.user, TADM_LOG_WARNING,
                  "rate control: model " + name + " is not a candidate: " + e.what());
    }
  }
  std::stable_sort(learned_.begin(), learned_.end(),
                   [](const Candidate& a, const Candidate& b) { return a.data.best() < b.data.best(); });
  if (classic) families_.push_back(std::move(*classic));  // last: the any-scale bundles restore better
  if (!lossless && learned_.empty())
    fail(TADM_ERROR_INVALID_ARGUMENT,
         std::string("choosing the operating point for a byte target: no installed model of this profile is trained for ") +
             codec_name(static_cast<tadm_lr_codec>(requested)) +
             " thumbnails; give the scale (and model) yourself, or let the thumbnail codec be chosen (auto)");
  if (!chosen_) chosen_ = &encoder_for(learned_.front());
}

RateControlledEncoder::Candidate& RateControlledEncoder::ScaleFamily::at(std::uint32_t s) {
  Candidate& c = points[s];
  if (c.model.empty()) {
    c.model = model;
    c.scale = s;
    c.codec = codec;
    c.label = model + " " + scale_label(s) + " " + codec_name(codec);
    c.data.equivalent = equivalent(s);
  }
  return c;
}

Encoder& RateControlledEncoder::encoder_for(Candidate& c) {
  if (!c.encoder) {
    tadm_encoder_settings s = settings_;
    s.common.model = c.model.c_str();
    s.common.model_dir = model_dir_.c_str();
    s.common.progress = nullptr;  // probes report as one stage (encode)
    s.scale = c.scale;
    s.scale_y = 0;
    s.lr_codec = c.codec;
    c.encoder = std::make_unique<Encoder>(s);
  }
  return *c.encoder;
}

std::optional<std::vector<std::uint8_t>> RateControlledEncoder::attempt(Candidate& c, const Image& image,
                                                                        double& score, std::uint64_t& smallest) {
  Encoder& e = encoder_for(c);
  const tadm_common_settings& common = settings_.common;
  try {
    std::vector<std::uint8_t> out = e.encode(image);
    score = c.data.at(e.lr_quality());
    char line[256];
    std::snprintf(line, sizeof line, "rate control: %s%s: %zu bytes, fits; restores like classic x%.2f",
                  c.label.c_str(), c.data.by_quality.empty() ? "" : (" q" + std::to_string(e.lr_quality())).c_str(),
                  out.size(), score);
    log_message(common.log, common.user, TADM_LOG_INFO, line);
    return out;
  } catch (const Error& err) {
    if (err.status() != TADM_ERROR_LIMIT || e.smallest_bytes() == 0) throw;
    smallest = e.smallest_bytes();
    log_message(common.log, common.user, TADM_LOG_INFO,
                "rate control: " + c.label + ": at least " + std::to_string(smallest) + " bytes, over the target");
    return std::nullopt;
  }
}

bool RateControlledEncoder::predicts_per_photo() const {
  if (settings_.profile != TADM_PROFILE_FIDELITY) return false;
  for (const Candidate& c : learned_)
    if (!c.data.has_gain()) return false;
  for (const ScaleFamily& f : families_)
    if (f.model != "classic" && !f.data.has_gain()) return false;  // classic's gain is 0
  return true;
}

std::vector<std::uint8_t> RateControlledEncoder::encode(const Image& image) {
  const tadm_common_settings& common = settings_.common;
  const auto report = stage_progress(common.progress, common.user, 0.0f, 1.0f, "choosing the operating point");
  report(0.0f);
  double best_score = std::numeric_limits<double>::infinity();
  std::vector<std::uint8_t> best;
  Encoder* best_encoder = nullptr;
  std::string best_label;
  std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
  std::string smallest_label;
  // the learned models, then about 11 probes per scale family
  const float steps = float(learned_.size()) + 11.0f * float(families_.size());
  float done = 0;
  // With effort 1, every fitting learned point and each scale family's best are decoded and measured.
  // With effort 0 and gains for every candidate, the same points are compared by a prediction on
  // this photo: the PSNR of the bicubic upscale of each one's decoded thumbnail (the classic
  // decoder: cheap, no model runs) plus the model's mean gain over that upscale. Otherwise each
  // point's mean equivalent classic scale decides.
  const bool measure = settings_.target_effort > 0 && settings_.profile == TADM_PROFILE_FIDELITY;
  const bool predict = !measure && predicts_per_photo();
  const bool compare = measure || predict;
  struct Fit {
    std::vector<std::uint8_t> bytes;
    Encoder* encoder;
    std::string label;
    double score;
    double gain;  // predicted dB over the bicubic upscale of its thumbnail
  };
  std::vector<Fit> fits;
  // `kept`: where a fitting file is copied when measuring (a scale family's best is decoded later).
  auto consider = [&](Candidate& c, bool family, std::vector<std::uint8_t>* kept = nullptr) {
    double score = 0;
    std::uint64_t small = 0;
    std::optional<std::vector<std::uint8_t>> out = attempt(c, image, score, small);
    report(std::min(++done / steps, 1.0f));
    if (!out) {
      if (small < smallest) {
        smallest = small;
        smallest_label = c.label;
      }
      return false;
    }
    const std::string label =
        c.label + (c.data.by_quality.empty() ? "" : " q" + std::to_string(c.encoder->lr_quality()));
    if (compare && !family) fits.push_back({*out, c.encoder.get(), label, score, c.data.gain_at(c.encoder->lr_quality(), c.scale)});
    if (kept) *kept = *out;
    if (score < best_score || (score == best_score && out->size() < best.size())) {
      best_score = score;
      best = std::move(*out);
      best_encoder = c.encoder.get();
      best_label = label;
    }
    return true;
  };
  // The learned models, best first; a model whose best cannot beat what fits already is skipped
  // (unless every fitting one is to be compared on the photo).
  for (Candidate& c : learned_)
    if (compare || c.data.best() < best_score) consider(c, false);
  // A scale family at s restores like classic at equivalent(s), which rises with s: only the
  // scales whose equivalent is below the best so far can win. File size falls as the scale rises,
  // so bisect for the smallest of them that fits.
  for (ScaleFamily& f : families_) {
    // (When comparing on the photo every family is searched whole: its best point joins below.)
    std::uint32_t cap = f.hi;
    while (!compare && cap >= f.lo && !(f.equivalent(cap) < best_score)) --cap;
    if (cap < f.lo) continue;
    std::map<std::uint32_t, bool> tried;                       // this image's probes
    std::map<std::uint32_t, std::vector<std::uint8_t>> files;  // their fitting files, when measuring
    auto fits_at = [&](std::uint32_t s) {
      const auto it = tried.find(s);
      return it != tried.end() ? it->second : (tried[s] = consider(f.at(s), true, compare ? &files[s] : nullptr));
    };
    if (!fits_at(cap)) continue;
    std::uint32_t lo = f.lo, hi = cap;  // hi fits
    while (lo < hi) {
      const std::uint32_t mid = (lo + hi) / 2;
      if (fits_at(mid)) hi = mid;
      else lo = mid + 1;
    }
    // Size is not strictly monotone in the scale (the thumbnail's side is rounded up, its content
    // shifts): look further down until kLocalMisses scales in a row do not fit.
    for (std::uint32_t s = hi, misses = 0; s > f.lo && misses < kLocalMisses; --s)
      if (fits_at(s - 1)) {
        misses = 0;
        hi = s - 1;
      } else {
        ++misses;
      }
    if (compare) {  // the family's best point joins the comparison on the photo
      Candidate& c = f.at(hi);
      fits.push_back({std::move(files[hi]), c.encoder.get(), c.label, c.data.equivalent, f.data.gain_at(0, hi)});
    }
  }
  if (compare && fits.size() > 1) {
    // Decode each (its model, or bicubic when predicting) and keep the highest PSNR against this
    // image; the order of the candidates breaks ties.
    tadm_decoder_settings ds;
    tadm_decoder_default_settings(&ds);
    ds.common = settings_.common;
    ds.common.model_dir = model_dir_.c_str();
    ds.common.progress = nullptr;
    if (predict) {
      ds.common.model = "classic";
      ds.force_model = 1;
    }
    Decoder decoder(ds);
    double best_psnr = -std::numeric_limits<double>::infinity();
    for (Fit& f : fits) {
      const double bicubic_or_decoded = psnr(image, decoder.decode(f.bytes));
      const double p = bicubic_or_decoded + (predict ? f.gain : 0.0);
      char line[256];
      if (predict)
        std::snprintf(line, sizeof line, "rate control: %s predicted: %.3f dB (bicubic %.3f + gain %.2f)",
                      f.label.c_str(), p, bicubic_or_decoded, f.gain);
      else
        std::snprintf(line, sizeof line, "rate control: %s decoded: %.3f dB", f.label.c_str(), p);
      log_message(common.log, common.user, TADM_LOG_INFO, line);
      if (p > best_psnr) {
        best_psnr = p;
        best = f.bytes;
        best_encoder = f.encoder;
        best_label = f.label;
        best_score = f.score;
      }
    }
  }
  if (!best_encoder)
    fail(TADM_ERROR_LIMIT, "no operating point fits the target of " + std::to_string(settings_.target_bytes) +
                               " bytes: the smallest file reachable is " + std::to_string(smallest) + " bytes (" +
                               smallest_label + "); ask for at least that much");
  chosen_ = best_encoder;
  char line[256];
  std::snprintf(line, sizeof line, "rate control chose %s (restores like classic x%.2f), %zu of %u bytes",
                best_label.c_str(), best_score, best.size(), settings_.target_bytes);
  log_message(common.log, common.user, TADM_LOG_INFO, line);
  report(1.0f);
  return best;
}

}  // namespace tadm
