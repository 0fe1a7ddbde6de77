// tadminfo: every field of a .tadm container, as text or JSON. Decodes no pixels.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/cli.hpp"
#include "tadm/tadm.hpp"

using namespace tadm_tools;

namespace {

void print_text(const std::string& path, const nlohmann::ordered_json& j) {
  std::printf("%s\n", path.c_str());
  for (const auto& [key, value] : j.items()) {
    if (key == "chunks" || value.is_null()) continue;
    if (value.is_object()) {
      std::printf("  %s:\n", key.c_str());
      for (const auto& [k2, v2] : value.items())
        std::printf("    %-26s %s\n", k2.c_str(),
                    v2.is_array() ? ("(" + std::to_string(v2.size()) + " values)").c_str() : v2.dump().c_str());
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

// The hint grid as an 8-bit gray PNG the size of the thumbnail, each tile filled with its value
// (for the latent models: timestep / 2, brighter where the decoder restores more detail).
std::vector<std::uint8_t> hint_map_png(const tadm_file_info& info) {
  if (!info.has_hint || !info.hint_values)
    throw tadm_cpp::Error(TADM_ERROR_INVALID_ARGUMENT,
                          "the file has no hint chunk (its model has no timestep-aware enhancer)");
  tadm_image* raw = nullptr;
  char err[256] = {};
  const tadm_status st = tadm_image_create(info.lr_width, info.lr_height, 1, 8, &raw, err, sizeof err);
  tadm_cpp::check(st, err);
  tadm_cpp::ImagePtr map(raw);
  for (uint32_t y = 0; y < info.lr_height; ++y)
    for (uint32_t x = 0; x < info.lr_width; ++x) {
      const uint32_t gx = std::min(x / info.hint_tile_width, info.hint_grid_width - 1);
      const uint32_t gy = std::min(y / info.hint_tile_height, info.hint_grid_height - 1);
      map->pixels[std::size_t{y} * map->row_bytes + x] = info.hint_values[std::size_t{gy} * info.hint_grid_width + gx];
    }
  return tadm_cpp::write_image(*map, TADM_IMAGE_PNG);
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
  std::string hint_map;
  app.add_option("--timestep-map", hint_map,
                 "Write the file's hint grid (the enhancer's timestep per tile, stored as timestep / 2) as an\n"
                 "8-bit gray PNG the size of the thumbnail, brighter where more detail is restored; one FILE only")
      ->type_name("PNG");
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
  if (!hint_map.empty() && inputs.size() != 1) {
    print_error("tadminfo", "--timestep-map takes one FILE");
    return kExitUsage;
  }
  int rc = kExitOk;
  auto all = nlohmann::ordered_json::array();
  for (const std::string& path : inputs) {
    try {
      const std::vector<std::uint8_t> bytes = read_file(path, memory_budget_bytes(limits));
      tadm_file_info* info = nullptr;
      char err[512] = {};
      const tadm_status st = tadm_file_info_read(bytes.data(), bytes.size(), &limits, &info, err, sizeof err);
      tadm_cpp::check(st, err);
      std::unique_ptr<tadm_file_info, decltype(&tadm_file_info_free)> owner(info, tadm_file_info_free);
      if (!hint_map.empty()) write_file_atomic(hint_map, hint_map_png(*info), path);
      char* text = nullptr;
      const tadm_status js = tadm_file_info_json(info, &text, err, sizeof err);
      owner.reset();
      tadm_cpp::check(js, err);
      nlohmann::ordered_json j;
      try {
        j = nlohmann::ordered_json::parse(text);
      } catch (...) {
        tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
        throw;
      }
      tadm_buffer_free(reinterpret_cast<uint8_t*>(text));
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
