// tadminfo: every field of a .tadm container, as text or JSON. Decodes no pixels.
#include <cstdio>
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
      char* text = nullptr;
      const tadm_status js = tadm_file_info_json(info, &text, err, sizeof err);
      tadm_file_info_free(info);
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
