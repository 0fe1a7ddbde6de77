// Rate control across operating points: with a byte target and neither a scale nor a model given,
// the encoder chooses, per image, the model, scale and thumbnail codec (and the codec's quality)
// predicted to restore best among those whose file fits (spec/model-bundle.md, "rate_control.json").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine.hpp"

namespace tadm {

// A bundle's rate_control.json: how well it restores, as the classic scale that restores as well
// (lower is better), fixed, or per quality for a model of lossy thumbnails.
struct RateControlData {
  tadm_profile profile = TADM_PROFILE_FIDELITY;
  double equivalent = 0;                              // lossless thumbnails
  std::vector<std::pair<int, double>> by_quality;     // lossy: (quality, equivalent), qualities rising
  // Any-scale bundles: (scale, equivalent) at measured square scales, both rising.
  std::vector<std::pair<int, double>> by_scale;
  // The equivalent classic scale at `quality` (linear between the measured qualities, the end
  // values beyond them); `equivalent` for lossless thumbnails.
  double at(int quality) const;
  // An any-scale bundle's at scale `s` (linear between the measured scales; 0 outside them).
  double at_scale(std::uint32_t s) const;
  // The best (lowest) the model can reach.
  double best() const;

  // The model's mean PSNR gain (dB) over the bicubic upscale of its own decoded thumbnail
  // ("gain_over_bicubic_db..."; classic's is 0): with it the fidelity profile predicts per photo,
  // from that upscale computed on the photo (content-aware) instead of the mean equivalent scale.
  std::optional<double> gain;                       // lossless thumbnails
  std::vector<std::pair<int, double>> gain_by_quality;  // lossy: (quality, gain), qualities rising
  std::vector<std::pair<int, double>> gain_by_scale;    // any-scale: (scale, gain), scales rising
  bool has_gain() const { return gain || !gain_by_quality.empty() || !gain_by_scale.empty(); }
  // The gain at `quality` (lossy) or at scale `s` (any-scale), linear between the measured points,
  // the end values beyond them.
  double gain_at(int quality, std::uint32_t s) const;
};

// Reads `dir`/rate_control.json; nullopt when the bundle has none. Throws TADM_ERROR_MODEL naming
// the file when it is malformed.
std::optional<RateControlData> read_rate_control(const std::filesystem::path& dir);

// Whether these settings ask for the rate control to choose the operating point.
bool chooses_operating_point(const tadm_encoder_settings& settings);

class RateControlledEncoder {
 public:
  // The candidates: classic at every scale 2..64, every installed any-scale bundle of the
  // settings' profile with rate-control data at every square scale it has data for, and every
  // other installed bundle of the profile that has rate-control data and a thumbnail codec the
  // settings allow. Throws
  // TADM_ERROR_INVALID_ARGUMENT when the settings allow no candidate.
  explicit RateControlledEncoder(const tadm_encoder_settings& settings);
  std::vector<std::uint8_t> encode(const Image& image);
  // The operating point of the last encode (before the first: classic at 64, the fallback).
  Encoder& chosen() { return *chosen_; }
  const tadm_limits& limits() const { return limits_; }

 private:
  struct Candidate {
    std::string model;         // "classic" or a bundle directory
    std::string label;         // for messages: "pix16 x16 png", "classic x11"
    std::uint32_t scale = 0;
    tadm_lr_codec codec = TADM_LR_PNG;
    RateControlData data;
    std::unique_ptr<Encoder> encoder;  // learned: loaded with the candidates; classic: on first use
  };
  // A model serving a range of square scales (classic 2..64, an any-scale bundle its measured
  // range), searched by bisection: the file shrinks as the scale rises, and so does the quality.
  struct ScaleFamily {
    std::string model;
    std::uint32_t lo = 2, hi = 64;
    tadm_lr_codec codec = TADM_LR_PNG;
    RateControlData data;                        // by_scale; classic: none (equivalent = scale)
    std::map<std::uint32_t, Candidate> points;   // by scale, made on first use
    double equivalent(std::uint32_t s) const { return data.by_scale.empty() ? double(s) : data.at_scale(s); }
    Candidate& at(std::uint32_t s);
  };
  Encoder& encoder_for(Candidate& c);
  // Whether every candidate has gains (RateControlData::gain): then the fidelity profile ranks the
  // fitting points by the predicted PSNR on the photo (bicubic upscale of the thumbnail + gain).
  bool predicts_per_photo() const;
  // The file of `c` for `image` if it fits the target (its predicted equivalent scale in `score`),
  // else nullopt with the smallest size it reaches in `smallest`.
  std::optional<std::vector<std::uint8_t>> attempt(Candidate& c, const Image& image, double& score,
                                                   std::uint64_t& smallest);

  tadm_encoder_settings settings_;
  std::string model_dir_;
  tadm_limits limits_{};
  std::vector<Candidate> learned_;                   // ordered by their best equivalent scale
  std::vector<ScaleFamily> families_;                // any-scale bundles, then classic (when lossless)
  Encoder* chosen_ = nullptr;
};

}  // namespace tadm
