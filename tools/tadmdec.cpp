// tadmdec: .tadm -> full-resolution PNG, JPEG, WebP, PAM or PPM (or, with --thumbnail, the stored
// thumbnail as is).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "common/batch.hpp"
#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

namespace {

struct InfoDeleter {
  void operator()(tadm_file_info* p) const { tadm_file_info_free(p); }
};
using InfoPtr = std::unique_ptr<tadm_file_info, InfoDeleter>;

InfoPtr read_info(const std::vector<std::uint8_t>& bytes, const tadm_limits& limits, std::string* error) {
  tadm_file_info* info = nullptr;
  char err[512] = {};
  if (tadm_file_info_read(bytes.data(), bytes.size(), &limits, &info, err, sizeof err) != TADM_OK && error) *error = err;
  return InfoPtr(info);
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// --thumbnail writes the stored stream as it is (HEAD lr_codec, spec/container.md section 6.3):
// warn when OUTPUT's extension names another format, since nothing is converted.
void warn_thumbnail_extension(const std::string& output, const std::vector<std::uint8_t>& bytes,
                              const tadm_limits& limits) {
  const InfoPtr info = read_info(bytes, limits, nullptr);
  if (!info || is_std_stream(output)) return;
  const std::uint32_t codec = info->lr_codec;
  static const char* const kNames[] = {"PNG", "JPEG", "WebP", "JPEG XL", "AVIF"};
  static const std::vector<std::string> kExtensions[] = {
      {".png"}, {".jpg", ".jpeg", ".jpe", ".jfif"}, {".webp"}, {".jxl"}, {".avif"}};
  if (codec >= std::size(kNames)) return;
  const std::string ext = lower_extension(output);
  const auto& good = kExtensions[codec];
  if (std::find(good.begin(), good.end(), ext) != good.end()) return;
  std::fprintf(stderr, "tadmdec: warning: %s: the thumbnail is a %s stream, written as it is; its extension is %s\n",
               output.c_str(), kNames[codec], good.front().c_str());
}

const std::map<std::string, tadm_image_format> kFormatNames{
    {"png", TADM_IMAGE_PNG},   {"jpeg", TADM_IMAGE_JPEG}, {"jpg", TADM_IMAGE_JPEG},
    {"webp", TADM_IMAGE_WEBP}, {"pam", TADM_IMAGE_PAM},   {"ppm", TADM_IMAGE_PPM}};
const char* const kAcceptedExtensions = ".png, .jpg, .jpeg, .webp, .pam, .ppm";
// What batch mode takes from folders (a HEIF/AVIF not made by tadmenc fails, saying so).
const std::vector<std::string> kTadmExtensions{".tadm", ".heif", ".avif"};

std::string format_name(tadm_image_format f) {
  for (const auto& [name, value] : kFormatNames)
    if (value == f && name != "jpg") return name;
  return "png";
}

// The format OUTPUT's extension names; none (standard output, a device, a FIFO, a bare name)
// means PNG, the format tadmdec always wrote. Another extension is refused (nullopt).
std::optional<tadm_image_format> format_for(const std::string& output) {
  const std::string ext = lower_extension(output);
  if (is_std_stream(output) || ext.empty()) return TADM_IMAGE_PNG;
  const auto it = kFormatNames.find(ext.substr(1));
  if (it == kFormatNames.end()) return std::nullopt;
  return it->second;
}

// The largest size with the image's aspect ratio inside box_w x box_h, never above the full size.
std::pair<std::uint32_t, std::uint32_t> fit_box(std::uint32_t w, std::uint32_t h, std::uint32_t box_w,
                                                std::uint32_t box_h) {
  const double s = std::min({double(box_w) / w, double(box_h) / h, 1.0});
  const auto side = [s](std::uint32_t full, std::uint32_t box) {
    const auto v = static_cast<std::uint32_t>(std::lround(full * s));
    return std::clamp<std::uint32_t>(v, 1u, std::min(box, full));
  };
  return {side(w, box_w), side(h, box_h)};
}

// --max-size from the stored thumbnail (any codec) when it is at least as large as the wanted
// size in both dimensions; else null, and the caller decodes fully.
tadm_cpp::ImagePtr thumbnail_fit(const std::vector<std::uint8_t>& bytes, const tadm_limits& limits, std::uint32_t box_w,
                                 std::uint32_t box_h, Verbosity& verbosity) {
  std::string error;
  const InfoPtr info = read_info(bytes, limits, &error);
  if (!info) throw std::runtime_error(error);
  const auto [w, h] = fit_box(info->width, info->height, box_w, box_h);
  if (w > info->lr_width || h > info->lr_height) return nullptr;
  tadm_cpp::ImagePtr lr = tadm_cpp::decode_thumbnail(bytes, &limits);
  const std::string note = "--max-size: " + std::to_string(w) + "x" + std::to_string(h) + " from the stored " +
                           std::to_string(lr->width) + "x" + std::to_string(lr->height) + " thumbnail; no model run";
  log_callback(&verbosity, TADM_LOG_INFO, note.c_str());
  return lr->width == w && lr->height == h ? std::move(lr) : tadm_cpp::resize(*lr, w, h);
}

// One file to one image, with one decoder kept for the next files (it keeps the last model loaded).
class DecodeJob {
 public:
  DecodeJob(const tadm_decoder_settings& settings, tadm_image_format format, int quality, const std::string& max_size,
            const Strip& strip, Verbosity& verbosity)
      : settings_(settings), format_(format), quality_(quality), strip_(strip), verbosity_(verbosity) {
    if (!max_size.empty()) std::sscanf(max_size.c_str(), "%ux%u", &box_w_, &box_h_);
  }

  // Returns the line that describes the output.
  std::string run(const std::string& input, const std::string& output) {
    const std::vector<std::uint8_t> bytes = read_file(input, memory_budget_bytes(settings_.common.limits));
    tadm_cpp::ImagePtr image;
    try {
      if (box_w_) image = thumbnail_fit(bytes, settings_.common.limits, box_w_, box_h_, verbosity_);
      if (!image) {
        if (!decoder_) decoder_.emplace(settings_);
        image = decoder_->decode(bytes);
      }
    } catch (const tadm_cpp::Error& e) {
      throw std::runtime_error(input + ": " + e.what());
    }
    if (box_w_) {
      const auto [w, h] = fit_box(image->width, image->height, box_w_, box_h_);
      if (w != image->width || h != image->height) image = tadm_cpp::resize(*image, w, h);
    }
    apply_strip(*image, strip_);
    std::string lost;
    const std::vector<std::uint8_t> encoded = tadm_cpp::write_image(*image, format_, quality_, &lost);
    if (!lost.empty()) log_callback(&verbosity_, TADM_LOG_WARNING, lost.c_str());
    write_file_atomic(output, encoded, input);
    // What the file holds: JPEG and WebP are 8-bit, JPEG and PPM have no alpha, PPM no gray.
    const tadm_image_format f = format_;
    const bool eight = f == TADM_IMAGE_JPEG || f == TADM_IMAGE_WEBP;
    const bool alpha = image->channels % 2 == 0, gray = image->channels <= 2;
    const std::uint32_t channels = f == TADM_IMAGE_PPM    ? 3u
                                   : f == TADM_IMAGE_JPEG ? (gray ? 1u : 3u)
                                   : f == TADM_IMAGE_WEBP ? (alpha ? 4u : 3u)
                                                          : image->channels;
    std::string name = format_name(f);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    char line[1024];
    std::snprintf(line, sizeof line, "%s: %s %ux%u, %u channel(s), %u-bit", is_std_stream(output) ? "(standard output)" : output.c_str(),
                  name.c_str(), image->width, image->height, channels, eight ? 8u : image->bit_depth);
    return line;
  }

 private:
  const tadm_decoder_settings settings_;
  const tadm_image_format format_;
  const int quality_;
  const Strip strip_;
  Verbosity& verbosity_;
  std::uint32_t box_w_ = 0, box_h_ = 0;
  std::optional<tadm_cpp::Decoder> decoder_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tadmdec " + std::string(tadm_version_string()) +
                   " - decode a .tadm file (or a TADM-HEIF / TADM-AVIF file made with tadmenc --container)\n"
                   "to a full-resolution image with the model named in the file (learned bundle, or the classic\n"
                   "baseline rescaler). OUTPUT's extension chooses the format: .png, .jpg/.jpeg, .webp, .pam,\n"
                   ".ppm (none: PNG); --output-format overrides it. '-' as INPUT reads standard input; as OUTPUT\n"
                   "it writes standard output (PNG unless --output-format), never a terminal:\n"
                   "  tadmenc - - < photo.png | tadmdec - restored.png\n"
                   "Batch mode: with -o DIR, every path is an input; folders need -r and their trees are mirrored\n"
                   "(.tadm, .heif and .avif files; --output-format chooses the output, default PNG):\n"
                   "  tadmdec -r -o restored/ encoded/   (encoded/a/x.tadm -> restored/a/x.png)",
               "tadmdec"};
  std::vector<std::string> paths;
  std::string model, model_dir;
  int threads = 0, depth = 0, quality = 0;
  std::optional<tadm_image_format> output_format;
  std::string max_size;
  Strip strip;
  bool thumbnail = false, force = false, no_enhance = false;
  tadm_device device = TADM_DEVICE_AUTO;
  tadm_upscaler upscaler = TADM_UPSCALER_BICUBIC;
  tadm_precision precision = TADM_PRECISION_AUTO;
  tadm_limits limits{};
  Verbosity verbosity;
  BatchOptions batch;
  app.add_option("INPUT OUTPUT", paths,
                 "INPUT: the .tadm, TADM-HEIF or TADM-AVIF file (recognised by content), or - for standard\n"
                 "input; OUTPUT: the image to write (written atomically, replacing one that exists; a device\n"
                 "or FIFO is written in place), or - for standard output. With --thumbnail: the stored\n"
                 "thumbnail as it is (PNG, or the JPEG/WebP/JPEG XL/AVIF it was coded as).\n"
                 "With -o DIR: files and folders to decode")
      ->type_name("PATH");
  auto* format_opt =
      app.add_option("--output-format", output_format,
                     "png, jpeg, webp, pam or ppm, whatever OUTPUT's extension (in batch mode: the outputs'\n"
                     "format, PNG by default). PNG keeps 16 bits, alpha and ICC/EXIF/XMP; PAM/PPM keep 16 bits\n"
                     "(maxval 65535, big-endian); JPEG and WebP are 8-bit; PPM and JPEG drop alpha; only PNG\n"
                     "carries metadata (a warning says what is lost)")
          ->transform(CLI::CheckedTransformer(kFormatNames, CLI::ignore_case));
  auto* quality_opt =
      app.add_option("-q,--quality", quality, "JPEG / WebP output quality 1..100 (default 90)")->check(CLI::Range(1, 100));
  add_strip(app, strip, "of the output");
  auto* max_size_opt =
      app.add_option("--max-size", max_size,
                     "WxH: a display-size image inside W x H with the original's aspect ratio (never larger than\n"
                     "the original). When the stored thumbnail is at least that size it is scaled down and no\n"
                     "model runs (any thumbnail codec; that output has 8 bits, with the file's ICC/EXIF/XMP); otherwise\n"
                     "the full decode is scaled down (antialiased bicubic)")
          ->check(CLI::Validator(
              [](const std::string& v) {
                return std::regex_match(v, std::regex("[1-9][0-9]{0,4}x[1-9][0-9]{0,4}"))
                           ? std::string()
                           : std::string("--max-size is WxH, e.g. 1920x1080");
              },
              "WxH"));
  app.add_flag("-t,--thumbnail", thumbnail, "Write the stored thumbnail; runs no model. .tadm: the stored stream byte for byte\n"
               "(PNG, JPEG, WebP, JPEG XL or AVIF: name OUTPUT accordingly, see tadminfo);\n"
               "HEIF/AVIF: the thumbnail decoded and re-encoded as PNG (identical pixels)")
      ->excludes(format_opt)->excludes(quality_opt)->excludes(max_size_opt)->excludes("--strip");
  app.add_option("-m,--model", model, "Use this model (name or bundle directory) instead of the file's");
  app.add_option("--model-dir", model_dir, "Extra directory to look up bundle names in");
  app.add_flag("--force-model", force, "Decode even if the model's SHA-256 differs from the file's");
  static const std::map<std::string, tadm_upscaler> kUpscalers{{"bicubic", TADM_UPSCALER_BICUBIC},
                                                              {"lanczos", TADM_UPSCALER_LANCZOS}};
  app.add_option("--upscaler", upscaler, "Classic files only: bicubic (default) or lanczos")
      ->transform(CLI::CheckedTransformer(kUpscalers, CLI::ignore_case));
  app.add_option("-d,--depth", depth, "Output bit depth: 8 or 16 (default: the original's)")
      ->check(CLI::IsMember({8, 16}));
  static const std::map<std::string, tadm_precision> kPrecisions{
      {"auto", TADM_PRECISION_AUTO}, {"fp32", TADM_PRECISION_FP32}, {"bf16", TADM_PRECISION_BF16}};
  app.add_option("--precision", precision, "Learned models: auto (bf16 where the CPU has it natively, except any-scale models), fp32 or bf16")
      ->transform(CLI::CheckedTransformer(kPrecisions, CLI::ignore_case));
  app.add_flag("--no-enhance", no_enhance,
               "Latent models with an enhancer (tadm16): decode without the one-step enhancer: blurrier,\n"
               "and about 6 % faster (TAEF2's decoder is most of the work)");
  add_threads_device(app, threads, device);
  add_batch_options(app, batch, "NAME.png (--output-format: .jpg .webp .pam .ppm)", kTadmExtensions);
  add_limits(app, limits);
  add_verbosity(app, verbosity);
  app.set_version_flag("-V,--version", std::string("tadmdec ") + tadm_version_string());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  const bool batch_mode = !batch.output_dir.empty();
  if (!batch_mode && paths.size() != 2) {
    print_error("tadmdec", "give INPUT and OUTPUT, or -o DIR and the files and folders to decode (see --help)");
    return kExitUsage;
  }
  if (batch_mode && thumbnail) {
    print_error("tadmdec", "--thumbnail takes one INPUT and OUTPUT (its extension depends on the file); not with -o");
    return kExitUsage;
  }
  const std::string input = batch_mode ? std::string() : paths[0], output = batch_mode ? std::string() : paths[1];
  // Everything about OUTPUT is checked before any decoding work.
  if (!thumbnail && !output_format) {
    output_format = batch_mode ? TADM_IMAGE_PNG : format_for(output);
    if (!output_format) {
      print_error("tadmdec", output + ": unknown extension '" + std::filesystem::path(output).extension().string() +
                                 "'; tadmdec writes " + kAcceptedExtensions + " (or give --output-format)");
      return kExitUsage;
    }
  }
  if (quality && output_format != TADM_IMAGE_JPEG && output_format != TADM_IMAGE_WEBP) {
    print_error("tadmdec", "--quality applies to JPEG and WebP output only");
    return kExitUsage;
  }
  if (!batch_mode && refuse_terminal("tadmdec", input, output)) return kExitUsage;
  tadm_decoder_settings s;
  tadm_decoder_default_settings(&s);
  fill_common_settings(s.common, model, model_dir, threads, device, limits, batch, verbosity);
  s.force_model = force;
  s.classic_upscaler = upscaler;
  s.output_bit_depth = depth;
  s.precision = precision;
  s.skip_enhancer = no_enhance;
  if (batch_mode) {
    const tadm_image_format f = *output_format;
    const std::string extension = f == TADM_IMAGE_JPEG ? ".jpg" : "." + format_name(f);
    return run_batch("tadmdec", "decoded", paths, batch, kTadmExtensions, extension, verbosity, [&]() -> BatchWork {
      auto job = std::make_shared<DecodeJob>(s, *output_format, quality, max_size, strip, verbosity);
      return [job](const BatchItem& item) { return job->run(item.input, item.output); };
    });
  }
  try {
    if (thumbnail) {
      const std::vector<std::uint8_t> bytes = read_file(input, memory_budget_bytes(limits));
      std::uint8_t* png = nullptr;
      std::size_t size = 0;
      char err[512] = {};
      const tadm_status st = tadm_extract_thumbnail(bytes.data(), bytes.size(), &limits, &png, &size, err, sizeof err);
      tadm_cpp::check(st, (input + ": " + err).c_str());
      write_file_atomic(output, tadm_cpp::take_buffer(png, size), input);
      if (!verbosity.quiet) {
        warn_thumbnail_extension(output, bytes, limits);
        std::fprintf(stderr, "%s: thumbnail, %zu bytes\n", is_std_stream(output) ? "(standard output)" : output.c_str(), size);
      }
      return kExitOk;
    }
    DecodeJob job(s, *output_format, quality, max_size, strip, verbosity);
    const std::string line = job.run(input, output);
    if (!verbosity.quiet) std::fprintf(stderr, "%s\n", line.c_str());
    return kExitOk;
  } catch (const std::exception& e) {
    print_error("tadmdec", e.what());
    return kExitError;
  }
}
