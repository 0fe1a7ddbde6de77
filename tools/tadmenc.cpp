// tadmenc: photo (PNG, JPEG, WebP, PGM/PPM/PAM) -> .tadm (a small thumbnail plus what restores the photo).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/batch.hpp"
#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

namespace {

// What batch mode takes from folders.
const std::vector<std::string> kPhotoExtensions{".png", ".jpg", ".jpeg", ".webp", ".ppm", ".pgm", ".pam"};

// --scale N or HxV (horizontal x vertical), each 2..64; false if `text` is neither.
bool parse_scale(const std::string& text, std::uint32_t& x, std::uint32_t& y) {
  unsigned h = 0, v = 0;
  char sep = 0, extra = 0;
  const int n = std::sscanf(text.c_str(), "%u%c%u%c", &h, &sep, &v, &extra);
  if (n == 1) v = h;
  else if (n != 3 || (sep != 'x' && sep != 'X')) return false;
  if (text.find_first_not_of("0123456789xX") != std::string::npos || h < 2 || h > 64 || v < 2 || v > 64) return false;
  x = h;
  y = v;
  return true;
}

// "16", or "32x2" when the scales differ.
std::string scale_text(const tadm_cpp::Encoder& enc) {
  const std::string x = std::to_string(enc.scale());
  return enc.scale() == enc.scale_y() ? x : x + "x" + std::to_string(enc.scale_y());
}

const std::map<std::string, tadm_lr_codec> kLrCodecs{
    {"auto", TADM_LR_ANY}, {"png", TADM_LR_PNG}, {"jpeg", TADM_LR_JPEG},
    {"webp", TADM_LR_WEBP}, {"jxl", TADM_LR_JXL},  {"avif", TADM_LR_AVIF}};

// One photo to one file, with one encoder kept for the next photos (a learned model loads once).
// --target-bpp makes a byte target per photo, and the target is an encoder setting: then each
// photo gets its own encoder.
class EncodeJob {
 public:
  EncodeJob(const tadm_encoder_settings& settings, double target_bpp, const Strip& strip, bool lr_lossless,
            Verbosity& verbosity)
      : settings_(settings), target_bpp_(target_bpp), strip_(strip), lr_lossless_(lr_lossless), verbosity_(verbosity) {}

  // Loads the model now, so that a batch fails once, before any work, when it cannot.
  void load() {
    if (target_bpp_ == 0) encoder(settings_);
  }

  // Returns the line that describes the output.
  std::string run(const std::string& input, const std::string& output) {
    std::string damage;
    const tadm_limits& limits = settings_.common.limits;
    const tadm_cpp::ImagePtr image =
        is_std_stream(input) ? tadm_cpp::read_image_memory(read_file(input, memory_budget_bytes(limits)), &limits, &damage)
                             : tadm_cpp::read_image(input, &limits, &damage);
    if (!damage.empty()) log_callback(&verbosity_, TADM_LOG_WARNING, damage.c_str());
    apply_strip(*image, strip_);
    tadm_encoder_settings s = settings_;
    if (target_bpp_ > 0) {
      const double bytes = target_bpp_ * double(image->width) * image->height / 8.0;
      s.target_bytes = static_cast<std::uint32_t>(std::min(bytes, 4294967295.0));
      if (s.target_bytes == 0) throw std::runtime_error("--target-bpp " + std::to_string(target_bpp_) + " is less than one byte for this image");
      encoder_.reset();
    }
    tadm_cpp::Encoder& enc = encoder(s);
    const std::vector<std::uint8_t> bytes = enc.encode(*image);
    write_file_atomic(output, bytes, input);
    const double pixels = double(image->width) * image->height;
    std::string thumb = "png";
    for (const auto& [name, value] : kLrCodecs)
      if (value == enc.lr_codec()) thumb = name;
    if (enc.lr_codec() != TADM_LR_PNG) thumb += lr_lossless_ ? " lossless" : " q" + std::to_string(enc.lr_quality());
    const tadm_container_format c = s.container;
    char line[1024];
    std::snprintf(line, sizeof line, "%s: %ux%u -> %zu bytes (%.4f bpp, %s), scale %s, %s thumbnail, model %s",
                  is_std_stream(output) ? "(standard output)" : output.c_str(), image->width, image->height,
                  bytes.size(), static_cast<double>(bytes.size()) * 8.0 / pixels,
                  c == TADM_CONTAINER_HEIF ? "HEIF" : c == TADM_CONTAINER_AVIF ? "AVIF" : ".tadm", scale_text(enc).c_str(),
                  thumb.c_str(), enc.model().substr(0, enc.model().find(' ')).c_str());
    return line;
  }

 private:
  tadm_cpp::Encoder& encoder(const tadm_encoder_settings& s) {
    if (!encoder_) {
      encoder_.emplace(s);
      const bool chosen_per_image = s.target_bytes != 0 && s.scale == 0 && s.common.model == nullptr;
      if (verbosity_.verbose && chosen_per_image)
        std::fprintf(stderr, "model and scale: chosen per photo for the byte target\n");
      else if (verbosity_.verbose)
        std::fprintf(stderr, "model: %s, scale %s\n", encoder_->model().c_str(), scale_text(*encoder_).c_str());
    }
    return *encoder_;
  }

  const tadm_encoder_settings settings_;
  const double target_bpp_;
  const Strip strip_;
  const bool lr_lossless_;
  Verbosity& verbosity_;
  std::optional<tadm_cpp::Encoder> encoder_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tadmenc " + std::string(tadm_version_string()) +
      " - encode a photo (PNG, JPEG, WebP, or binary PGM/PPM/PAM) as a .tadm file: a thumbnail 16x or 32x\n"
      "smaller per side, restored to full resolution by tadmdec with a learned model.\n"
      "'-' as INPUT reads standard input, as OUTPUT writes standard output (never a terminal):\n"
      "  tadmenc - - < photo.png | tadmdec - restored.png\n"
      "Batch mode: with -o DIR, every path is an input; folders need -r and their trees are mirrored:\n"
      "  tadmenc -r -o encoded/ photos/ extra.jpg   (photos/a/x.png -> encoded/a/x.tadm)\n\n"
      "Models: the default is the learned bundle for the scale (pix16 for 16, pix32 for 32; with\n"
      "--profile perceptual the latent models tadm16, tadm32) when it is installed. 'classic' is the BASELINE: antialiased bicubic downscale, bicubic or Lanczos\n"
      "upscale; any scale 2..64. Alpha is stored in the thumbnail and rescaled classically; 16-bit\n"
      "input gives an 8-bit thumbnail and a 16-bit restored image.",
      "tadmenc"};
  std::vector<std::string> paths;
  std::string model, model_dir;
  std::string scale;
  int threads = 0, effort = 2, refine = 0;
  bool list_models = false;
  tadm_device device = TADM_DEVICE_AUTO;
  tadm_container_format container = TADM_CONTAINER_TADM;
  tadm_lr_codec lr_codec = TADM_LR_AUTO;
  tadm_profile profile = TADM_PROFILE_FIDELITY;
  int lr_quality = 0;
  bool lr_lossless = false;
  std::uint32_t target_bytes = 0;
  double target_bpp = 0;
  int target_effort = 0;
  tadm_limits limits{};
  Verbosity verbosity;
  Strip strip;
  BatchOptions batch;
  app.add_option("INPUT OUTPUT", paths,
                 "INPUT: the photo to encode (PNG, JPEG, WebP, PGM, PPM or PAM, by content), or - for standard\n"
                 "input; OUTPUT: the .tadm (or .heif / .avif) file to write (written atomically, replacing one\n"
                 "that exists), or - for standard output. With -o DIR: photos and folders to encode")
      ->type_name("PATH");
  app.add_option("-s,--scale", scale,
                 "Downscale factor per side, 2..64, or HxV for unequal ones (32x2: 32 horizontally, 2\n"
                 "vertically). Default: the model's, else 16. The default model: pix16 / pix32 at 16 / 32,\n"
                 "the any-scale any32 at every other scale up to 32 per side, classic above")
      ->type_name("N|HxV")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::uint32_t x = 0, y = 0;
            return parse_scale(text, x, y) ? std::string() : "a scale is N or HxV, each 2..64, not '" + text + "'";
          },
          "", "scale"));
  app.add_option("-m,--model", model, "Model: classic (baseline), a bundle name, or a bundle directory");
  app.add_option("--model-dir", model_dir, "Extra directory to look up bundle names in");
  static const std::map<std::string, tadm_profile> kProfiles{{"fidelity", TADM_PROFILE_FIDELITY},
                                                             {"perceptual", TADM_PROFILE_PERCEPTUAL}};
  app.add_option("--profile", profile,
                 "Which default model, when --model is not given: fidelity (pix16/pix32: highest PSNR, fast)\n"
                 "or perceptual (tadm16/tadm32: the latent models, texture instead of blur, slower)")
      ->transform(CLI::CheckedTransformer(kProfiles, CLI::ignore_case))
      ->excludes("--model");
  app.add_option("--png-effort", effort, "Thumbnail PNG compression effort, 0..3 (default 2)")->check(CLI::Range(0, 3));
  app.add_option("--refine", refine,
                 "Learned models: optimise the thumbnail for N gradient steps through the model's decoder,\n"
                 "so the restored photo is closer to the original (Kodak, 30 steps: +0.37 dB at 16x, +0.28 dB at 32x;\n"
                 "each step costs about three decodes). Default 0 (off)")
      ->check(CLI::Range(0, 1000));
  static const std::map<std::string, tadm_container_format> kContainers{
      {"tadm", TADM_CONTAINER_TADM}, {"heif", TADM_CONTAINER_HEIF}, {"avif", TADM_CONTAINER_AVIF}};
  app.add_option("-c,--container", container,
                 "File format: tadm (default), heif or avif. HEIF/AVIF store the thumbnail as a lossless\n"
                 "primary image any viewer shows, and the TADM fields as metadata (spec/heif-avif.md); with\n"
                 "--lr-codec avif an AVIF file's image is the (lossy) AVIF thumbnail itself")
      ->transform(CLI::CheckedTransformer(kContainers, CLI::ignore_case));
  app.add_option("--lr-codec", lr_codec,
                 "Thumbnail codec: png, jpeg, webp, jxl, avif, or auto. Default: the model's (png, or jpeg\n"
                 "for a jpeg-trained model). With a byte target and no --scale/--model, auto lets the rate\n"
                 "control choose lossy thumbnails (and their models) too. Every choice stays a thumbnail\n"
                 "ordinary viewers show")
      ->transform(CLI::CheckedTransformer(kLrCodecs, CLI::ignore_case));
  app.add_option("--lr-quality", lr_quality,
                 "Lossy thumbnail quality 1..100 (default: the top of the model's trained range, else 90)")
      ->check(CLI::Range(1, 100));
  app.add_flag("--lr-lossless", lr_lossless, "Lossless WebP / JPEG XL / AVIF thumbnail (smaller than PNG, same pixels)");
  app.add_option("--target-bytes", target_bytes,
                 "Largest file wanted; no file above it is written. Without --scale and --model the encoder\n"
                 "chooses the operating point: of classic at every scale 2..64 and the installed models of\n"
                 "the profile (and, with --lr-codec auto, the lossy-thumbnail models), the one that restores\n"
                 "best among those that fit (-v shows each candidate). With a scale or model given, a lossy\n"
                 "thumbnail's quality is lowered until the file fits. If nothing fits, nothing is written\n"
                 "and the error names the smallest size reachable")
      ->check(CLI::PositiveNumber);
  app.add_option("--target-bpp", target_bpp, "The same target in bits per original pixel (e.g. 0.07)")
      ->check(CLI::PositiveNumber)->excludes("--target-bytes");
  app.add_option("--target-effort", target_effort,
                 "Choosing the operating point for a target: 0 predicts how each model's best fitting point\n"
                 "restores this photo from the bicubic upscale of its thumbnail and the model's measured gain\n"
                 "(default; no model decodes); 1 decodes each with its model and keeps the one closest to\n"
                 "this photo (PSNR; slower)")
      ->check(CLI::Range(0, 1));
  add_strip(app, strip, "of the file (not stored)");
  app.add_flag("--list-models", list_models, "List the models this build finds, then exit");
  add_threads_device(app, threads, device);
  add_batch_options(app, batch, "NAME.tadm (NAME.heif, NAME.avif with --container)", kPhotoExtensions);
  add_limits(app, limits);
  add_verbosity(app, verbosity);
  app.set_version_flag("-V,--version", std::string("tadmenc ") + tadm_version_string());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (list_models) {
    char* text = nullptr;
    char error[1024] = {};
    if (const tadm_status st = tadm_list_models(model_dir.empty() ? nullptr : model_dir.c_str(), &text, error, sizeof error);
        st != TADM_OK) {
      print_error("tadmenc", std::string("cannot list the models: ") + (error[0] ? error : tadm_status_string(st)));
      return kExitError;
    }
    std::printf("name\tscale\tversion\tsha256\tpath\tscales\n%s", text);
    tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
    return kExitOk;
  }
  const bool batch_mode = !batch.output_dir.empty();
  if (!batch_mode && paths.size() != 2) {
    print_error("tadmenc", "give INPUT and OUTPUT, or -o DIR and the photos and folders to encode (see --help)");
    return kExitUsage;
  }
  if (!batch_mode && refuse_terminal("tadmenc", paths[0], paths[1])) return kExitUsage;
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  fill_common_settings(s.common, model, model_dir, threads, device, limits, batch, verbosity);
  if (!scale.empty()) {
    std::uint32_t x = 0, y = 0;
    parse_scale(scale, x, y);  // checked by the option's validator
    s.scale = x;
    s.scale_y = y == x ? 0 : y;
  }
  s.png_effort = effort;
  s.refine_iterations = refine;
  s.container = container;
  s.lr_codec = lr_codec;
  s.profile = profile;
  s.lr_quality = lr_quality;
  s.lr_lossless = lr_lossless ? 1 : 0;
  s.target_bytes = target_bytes;
  s.target_effort = target_effort;
  if (batch_mode) {
    const char* extension = container == TADM_CONTAINER_HEIF   ? ".heif"
                            : container == TADM_CONTAINER_AVIF ? ".avif"
                                                               : ".tadm";
    return run_batch("tadmenc", "encoded", paths, batch, kPhotoExtensions, extension, verbosity, [&]() -> BatchWork {
      auto job = std::make_shared<EncodeJob>(s, target_bpp, strip, lr_lossless, verbosity);
      job->load();
      return [job](const BatchItem& item) { return job->run(item.input, item.output); };
    });
  }
  try {
    EncodeJob job(s, target_bpp, strip, lr_lossless, verbosity);
    const std::string line = job.run(paths[0], paths[1]);
    if (!verbosity.quiet) std::fprintf(stderr, "%s\n", line.c_str());
    return kExitOk;
  } catch (const std::exception& e) {
    print_error("tadmenc", e.what());
    return kExitError;
  }
}
