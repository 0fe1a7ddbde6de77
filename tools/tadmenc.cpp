// tadmenc: photo (PNG, JPEG, WebP, PGM/PPM/PAM) -> .tadm (a small thumbnail plus what restores the photo).
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <map>
#include <string>

#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

int main(int argc, char** argv) {
  CLI::App app{
      "tadmenc " + std::string(tadm_version_string()) +
      " - encode a photo (PNG, JPEG, WebP, or binary PGM/PPM/PAM) as a .tadm file: a thumbnail 16x or 32x\n"
      "smaller per side, restored to full resolution by tadmdec with a learned model.\n"
      "'-' as INPUT reads standard input, as OUTPUT writes standard output (never a terminal):\n"
      "  tadmenc - - < photo.png | tadmdec - restored.png\n\n"
      "Models: the default is the learned bundle for the scale (pix16 for 16, pix32 for 32) when it\n"
      "is installed. 'classic' is the BASELINE: antialiased bicubic downscale, bicubic or Lanczos\n"
      "upscale; any scale 2..64. Alpha is stored in the thumbnail and rescaled classically; 16-bit\n"
      "input gives an 8-bit thumbnail and a 16-bit restored image.",
      "tadmenc"};
  std::string input, output, model, model_dir;
  unsigned scale = 0;
  int threads = 0, effort = 2, refine = 0;
  bool list_models = false;
  tadm_device device = TADM_DEVICE_AUTO;
  tadm_container_format container = TADM_CONTAINER_TADM;
  tadm_lr_codec lr_codec = TADM_LR_AUTO;
  int lr_quality = 0;
  bool lr_lossless = false;
  std::uint32_t target_bytes = 0;
  double target_bpp = 0;
  tadm_limits limits{};
  Verbosity verbosity;
  Strip strip;
  app.add_option("INPUT", input, "Photo to encode (PNG, JPEG, WebP, PGM, PPM or PAM, by content), or - for standard input");
  app.add_option("OUTPUT", output, "The .tadm (or .heif / .avif) file to write (written atomically), or - for standard output");
  app.add_option("-s,--scale", scale, "Downscale factor per side, 2..64 (default: the model's, else 16)")
      ->check(CLI::Range(2, 64));
  app.add_option("-m,--model", model, "Model: classic (baseline), a bundle name, or a bundle directory");
  app.add_option("--model-dir", model_dir, "Extra directory to look up bundle names in");
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
                 "primary image any viewer shows, and the TADM fields as metadata (spec/heif-avif.md)")
      ->transform(CLI::CheckedTransformer(kContainers, CLI::ignore_case));
  static const std::map<std::string, tadm_lr_codec> kLrCodecs{
      {"auto", TADM_LR_AUTO}, {"png", TADM_LR_PNG}, {"jpeg", TADM_LR_JPEG},
      {"webp", TADM_LR_WEBP}, {"jxl", TADM_LR_JXL},  {"avif", TADM_LR_AVIF}};
  app.add_option("--lr-codec", lr_codec,
                 "Thumbnail codec: auto (the model's: png, or jpeg for a jpeg-trained model), png, jpeg,\n"
                 "webp, jxl or avif. Every choice stays a thumbnail ordinary viewers show")
      ->transform(CLI::CheckedTransformer(kLrCodecs, CLI::ignore_case));
  app.add_option("--lr-quality", lr_quality,
                 "Lossy thumbnail quality 1..100 (default: the top of the model's trained range, else 90)")
      ->check(CLI::Range(1, 100));
  app.add_flag("--lr-lossless", lr_lossless, "Lossless WebP / JPEG XL / AVIF thumbnail (smaller than PNG, same pixels)");
  app.add_option("--target-bytes", target_bytes,
                 "Largest file wanted: a lossy thumbnail's quality is lowered until the file fits; if it\n"
                 "cannot, nothing is written and the error names the smallest size reachable")
      ->check(CLI::PositiveNumber);
  app.add_option("--target-bpp", target_bpp, "The same target in bits per original pixel (e.g. 0.07)")
      ->check(CLI::PositiveNumber)->excludes("--target-bytes");
  add_strip(app, strip, "of the file (not stored)");
  app.add_flag("--list-models", list_models, "List the models this build finds, then exit");
  add_threads_device(app, threads, device);
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
    if (const tadm_status st = tadm_list_models(model_dir.empty() ? nullptr : model_dir.c_str(), &text); st != TADM_OK) {
      print_error("tadmenc", std::string("cannot list the models: ") + tadm_status_string(st));
      return kExitError;
    }
    std::printf("name\tscale\tversion\tsha256\tpath\n%s", text);
    tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
    return kExitOk;
  }
  if (input.empty() || output.empty()) {
    print_error("tadmenc", "INPUT and OUTPUT are required (see --help)");
    return kExitUsage;
  }
  if (refuse_terminal("tadmenc", input, output)) return kExitUsage;
  try {
    tadm_encoder_settings s;
    tadm_encoder_default_settings(&s);
    s.model = model.empty() ? nullptr : model.c_str();
    s.model_dir = model_dir.empty() ? nullptr : model_dir.c_str();
    s.scale = scale;
    s.threads = threads;
    s.device = device;
    s.png_effort = effort;
    s.refine_iterations = refine;
    s.container = container;
    s.lr_codec = lr_codec;
    s.lr_quality = lr_quality;
    s.lr_lossless = lr_lossless ? 1 : 0;
    s.target_bytes = target_bytes;
    s.limits = limits;
    s.progress = progress_callback;
    s.log = log_callback;
    s.user = &verbosity;
    std::string damage;
    const tadm_cpp::ImagePtr image =
        is_std_stream(input)
            ? tadm_cpp::read_image_memory(read_file(input, memory_budget_bytes(s.limits)), &s.limits, &damage)
            : tadm_cpp::read_image(input, &s.limits, &damage);
    if (!damage.empty()) log_callback(&verbosity, TADM_LOG_WARNING, damage.c_str());
    apply_strip(*image, strip);
    if (target_bpp > 0) {
      const double bytes = target_bpp * double(image->width) * image->height / 8.0;
      s.target_bytes = static_cast<std::uint32_t>(std::min(bytes, 4294967295.0));
      if (s.target_bytes == 0) throw std::runtime_error("--target-bpp " + std::to_string(target_bpp) + " is less than one byte for this image");
    }
    tadm_cpp::Encoder encoder(s);
    if (verbosity.verbose)
      std::fprintf(stderr, "model: %s, scale %u\n", encoder.model().c_str(), encoder.scale());
    const std::vector<std::uint8_t> bytes = encoder.encode(*image);
    write_file_atomic(output, bytes, input);
    if (!verbosity.quiet) {
      const double pixels = double(image->width) * image->height;
      std::string thumb = "png";
      for (const auto& [name, value] : kLrCodecs)
        if (value == encoder.lr_codec()) thumb = name;
      if (encoder.lr_codec() != TADM_LR_PNG)
        thumb += lr_lossless ? " lossless" : " q" + std::to_string(encoder.lr_quality());
      std::fprintf(stderr, "%s: %ux%u -> %zu bytes (%.4f bpp, %s), scale %u, %s thumbnail, model %s\n",
                   is_std_stream(output) ? "(standard output)" : output.c_str(),
                   image->width, image->height, bytes.size(), static_cast<double>(bytes.size()) * 8.0 / pixels,
                   container == TADM_CONTAINER_HEIF ? "HEIF" : container == TADM_CONTAINER_AVIF ? "AVIF" : ".tadm",
                   encoder.scale(), thumb.c_str(), encoder.model().substr(0, encoder.model().find(' ')).c_str());
    }
    return kExitOk;
  } catch (const std::exception& e) {
    print_error("tadmenc", e.what());
    return kExitError;
  }
}
