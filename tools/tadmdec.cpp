// tadmdec: .tadm -> full-resolution PNG (or, with --thumbnail, the stored thumbnail as is).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

namespace {

// --thumbnail writes the stored stream as it is (HEAD lr_codec, spec/container.md section 6.3):
// warn when OUTPUT's extension names another format, since nothing is converted.
void warn_thumbnail_extension(const std::string& output, const std::vector<std::uint8_t>& bytes,
                              const tadm_limits& limits) {
  tadm_file_info* info = nullptr;
  if (tadm_file_info_read(bytes.data(), bytes.size(), &limits, &info, nullptr, 0) != TADM_OK) return;
  const std::uint32_t codec = info->lr_codec;
  tadm_file_info_free(info);
  static const char* const kNames[] = {"PNG", "JPEG", "WebP", "JPEG XL", "AVIF"};
  static const std::vector<std::string> kExtensions[] = {
      {".png"}, {".jpg", ".jpeg", ".jpe", ".jfif"}, {".webp"}, {".jxl"}, {".avif"}};
  if (codec >= std::size(kNames)) return;
  std::string ext = std::filesystem::path(output).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto& good = kExtensions[codec];
  if (std::find(good.begin(), good.end(), ext) != good.end()) return;
  std::fprintf(stderr, "tadmdec: warning: %s: the thumbnail is a %s stream, written as it is; its extension is %s\n",
               output.c_str(), kNames[codec], good.front().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tadmdec " + std::string(tadm_version_string()) +
                   " - decode a .tadm file (or a TADM-HEIF / TADM-AVIF file made with tadmenc --container)\n"
                   "to a full-resolution PNG with the model named in the file (learned bundle, or the classic\n"
                   "baseline rescaler).",
               "tadmdec"};
  std::string input, output, model, model_dir;
  int threads = 0, depth = 0;
  bool thumbnail = false, force = false;
  tadm_device device = TADM_DEVICE_AUTO;
  tadm_upscaler upscaler = TADM_UPSCALER_BICUBIC;
  tadm_precision precision = TADM_PRECISION_AUTO;
  tadm_limits limits{};
  Verbosity verbosity;
  app.add_option("INPUT", input, "The .tadm, TADM-HEIF or TADM-AVIF file (recognised by content)")->required();
  app.add_option("OUTPUT", output, "PNG file to write (written atomically; a device or FIFO is written in place). With\n"
                 "--thumbnail: the stored thumbnail as it is (PNG, or the JPEG/WebP/JPEG XL/AVIF it was coded as)")->required();
  app.add_flag("-t,--thumbnail", thumbnail, "Write the stored thumbnail; runs no model. .tadm: the stored stream byte for byte\n"
               "(PNG, JPEG, WebP, JPEG XL or AVIF: name OUTPUT accordingly, see tadminfo);\n"
               "HEIF/AVIF: the thumbnail decoded and re-encoded as PNG (identical pixels)");
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
  app.add_option("--precision", precision, "Learned models: auto (bf16 where the CPU has it natively), fp32 or bf16")
      ->transform(CLI::CheckedTransformer(kPrecisions, CLI::ignore_case));
  add_threads_device(app, threads, device);
  add_limits(app, limits);
  add_verbosity(app, verbosity);
  app.set_version_flag("-V,--version", std::string("tadmdec ") + tadm_version_string());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    const std::vector<std::uint8_t> bytes = read_file(input);
    if (thumbnail) {
      std::uint8_t* png = nullptr;
      std::size_t size = 0;
      char err[512] = {};
      const tadm_status st = tadm_extract_thumbnail(bytes.data(), bytes.size(), &limits, &png, &size, err, sizeof err);
      tadm_cpp::check(st, (input + ": " + err).c_str());
      write_file_atomic(output, tadm_cpp::take_buffer(png, size), input);
      if (!verbosity.quiet) {
        warn_thumbnail_extension(output, bytes, limits);
        std::fprintf(stderr, "%s: thumbnail, %zu bytes\n", output.c_str(), size);
      }
      return kExitOk;
    }
    tadm_decoder_settings s;
    tadm_decoder_default_settings(&s);
    s.model = model.empty() ? nullptr : model.c_str();
    s.model_dir = model_dir.empty() ? nullptr : model_dir.c_str();
    s.force_model = force;
    s.threads = threads;
    s.device = device;
    s.classic_upscaler = upscaler;
    s.output_bit_depth = depth;
    s.precision = precision;
    s.limits = limits;
    s.progress = progress_callback;
    s.log = log_callback;
    s.user = &verbosity;
    tadm_cpp::Decoder decoder(s);
    tadm_cpp::ImagePtr image;
    try {
      image = decoder.decode(bytes);
    } catch (const tadm_cpp::Error& e) {
      throw std::runtime_error(input + ": " + e.what());
    }
    write_file_atomic(output, tadm_cpp::write_png(*image), input);
    if (!verbosity.quiet)
      std::fprintf(stderr, "%s: %ux%u, %u channel(s), %u-bit\n", output.c_str(), image->width, image->height,
                   image->channels, image->bit_depth);
    return kExitOk;
  } catch (const std::exception& e) {
    print_error("tadmdec", e.what());
    return kExitError;
  }
}
