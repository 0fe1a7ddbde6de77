// tadminfo: every field of a .tadm container, as text or JSON. Decodes no pixels.
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

namespace {

// HEAD lr_codec (spec/container.md section 6.3): the thumbnail's format.
std::string lr_codec_text(uint32_t codec) {
  static const char* const kNames[] = {"png", "jpeg", "webp", "jxl", "avif"};
  return codec < std::size(kNames) ? kNames[codec] : std::to_string(codec);
}

nlohmann::ordered_json to_json(const tadm_file_info& i) {
  nlohmann::ordered_json j;
  j["container"] = i.container == TADM_CONTAINER_HEIF ? "heif" : i.container == TADM_CONTAINER_AVIF ? "avif" : "tadm";
  j["version"] = std::to_string(i.version_major) + "." + std::to_string(i.version_minor);
  j["file_size"] = i.file_size;
  j["width"] = i.width;
  j["height"] = i.height;
  j["scale_x"] = i.scale_x;
  j["scale_y"] = i.scale_y;
  j["lr_width"] = i.lr_width;
  j["lr_height"] = i.lr_height;
  j["alpha"] = i.has_alpha != 0;
  j["grayscale"] = i.is_grayscale != 0;
  j["original_bit_depth"] = i.original_bit_depth;
  j["lr_codec"] = lr_codec_text(i.lr_codec);
  j["lr_image_size"] = i.lr_image_size;
  j["bits_per_pixel"] = double(i.file_size) * 8.0 / (double(i.width) * i.height);
  j["model"] = {{"name", i.model_name}, {"version", i.model_version}, {"sha256", i.model_sha256}};
  j["icc_size"] = i.icc_size;
  j["exif_size"] = i.exif_size;
  j["xmp_size"] = i.xmp_size;
  if (i.has_cicp)
    j["cicp"] = {{"colour_primaries", i.cicp[0]}, {"transfer_characteristics", i.cicp[1]},
                 {"matrix_coefficients", i.cicp[2]}, {"full_range", i.cicp[3]}};
  if (i.has_hint)
    j["hint"] = {{"grid_width", i.hint_grid_width}, {"grid_height", i.hint_grid_height},
                 {"tile_width", i.hint_tile_width}, {"tile_height", i.hint_tile_height}};
  auto chunks = nlohmann::ordered_json::array();
  for (uint32_t k = 0; k < i.chunk_count; ++k) {
    const tadm_chunk_info& c = i.chunks[k];
    chunks.push_back({{"type", c.type}, {"offset", c.offset}, {"length", c.length},
                      {"critical", c.critical != 0}, {"known", c.known != 0}});
  }
  j["chunks"] = chunks;
  return j;
}

void print_text(const std::string& path, const nlohmann::ordered_json& j) {
  std::printf("%s\n", path.c_str());
  for (const auto& [key, value] : j.items()) {
    if (key == "chunks") continue;
    if (value.is_object()) {
      std::printf("  %s:\n", key.c_str());
      for (const auto& [k2, v2] : value.items()) std::printf("    %-26s %s\n", k2.c_str(), v2.dump().c_str());
    } else {
      std::printf("  %-28s %s\n", key.c_str(), value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
    }
  }
  std::printf("  chunks:\n");
  for (const auto& c : j["chunks"])
    std::printf("    %s  offset %-8llu length %-8u %s%s\n", c["type"].get<std::string>().c_str(),
                static_cast<unsigned long long>(c["offset"].get<uint64_t>()), c["length"].get<uint32_t>(),
                c["critical"].get<bool>() ? "critical" : "optional", c["known"].get<bool>() ? "" : ", unknown (skipped)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tadminfo " + std::string(tadm_version_string()) +
                   " - show every field of .tadm files (and TADM-HEIF / TADM-AVIF files) without\n"
                   "running a model; exit 1 if any is invalid. For HEIF/AVIF, lr_image_size and the chunks are\n"
                   "those of the equivalent .tadm (the thumbnail re-encoded as PNG).",
               "tadminfo"};
  std::vector<std::string> inputs;
  bool json = false;
  tadm_limits limits{};
  Verbosity verbosity;
  app.add_option("FILE", inputs, "One or more .tadm, TADM-HEIF or TADM-AVIF files; - reads standard input")->required();
  app.add_flag("-j,--json", json, "Print JSON (an object, or an array for several files)");
  add_limits(app, limits);
  add_verbosity(app, verbosity);
  app.set_version_flag("-V,--version", std::string("tadminfo ") + tadm_version_string());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  for (const std::string& path : inputs)
    if (refuse_terminal("tadminfo", path, "")) return kExitUsage;
  int rc = kExitOk;
  auto all = nlohmann::ordered_json::array();
  for (const std::string& path : inputs) {
    try {
      const std::vector<std::uint8_t> bytes = read_file(path, memory_budget_bytes(limits));
      tadm_file_info* info = nullptr;
      char err[512] = {};
      const tadm_status st = tadm_file_info_read(bytes.data(), bytes.size(), &limits, &info, err, sizeof err);
      tadm_cpp::check(st, err);
      auto j = to_json(*info);
      tadm_file_info_free(info);
      if (json) {
        nlohmann::ordered_json entry{{"file", path}};
        entry.update(j);
        all.push_back(entry);
      } else if (!verbosity.quiet) {
        print_text(path, j);
      }
    } catch (const std::exception& e) {
      print_error("tadminfo", path + ": " + e.what());
      rc = kExitError;
    }
  }
  if (json) std::printf("%s\n", (inputs.size() == 1 && !all.empty() ? all[0] : all).dump(2).c_str());
  return rc;
}
