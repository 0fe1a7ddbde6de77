#include "bundle.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "error.hpp"

#include <tadm/container.hpp>

#ifndef TADM_MODEL_DIR_FROM_LIBDIR
#define TADM_MODEL_DIR_FROM_LIBDIR ""
#endif
#ifndef TADM_BUILD_DIR
#define TADM_BUILD_DIR ""
#endif
#ifndef TADM_SOURCE_MODEL_DIR
#define TADM_SOURCE_MODEL_DIR ""
#endif
#ifndef TADM_BASE_DIR_FROM_LIBDIR
#define TADM_BASE_DIR_FROM_LIBDIR ""
#endif
#ifndef TADM_BUILD_BASE_WEIGHTS_DIR
#define TADM_BUILD_BASE_WEIGHTS_DIR ""
#endif

namespace tadm {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxBundleFile = 512ull << 20;


std::string short_hash(const Sha256& h) { return to_hex(h).substr(0, 16) + "..."; }

// "taef2" -> "TADM_TAEF2_DIR" (the variable the training code reads too)
std::string base_weights_env(const std::string& name) {
  std::string env = "TADM_" + name + "_DIR";
  for (char& c : env) c = (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

// The manifest's "base_weights": {"name": "taef2", "files": [{"file", "sha256", "module", "prefix"}]}.
// Each file is taken from the first folder of the search path that has it; a file there with
// another SHA-256 is an error, not a reason to look further (it is the user's folder, and wrong).
std::vector<BaseWeights> resolve_base_weights(const nlohmann::json& j, const std::string& model,
                                              const std::string& where) {
  const std::string name = j.at("name").get<std::string>();
  if (!container::is_valid_model_name(name))
    fail(TADM_ERROR_MODEL, where + ": base_weights name \"" + name + "\" is not a plain name");
  const std::vector<fs::path> dirs = base_weights_search_path(name);
  std::vector<BaseWeights> out;
  for (const auto& f : j.at("files")) {
    BaseWeights b;
    const std::string file = f.at("file").get<std::string>();
    b.module = f.at("module").get<std::string>();
    b.prefix = f.at("prefix").get<std::string>();
    if (!container::is_valid_model_name(file)) fail(TADM_ERROR_MODEL, where + ": base weights file \"" + file + "\" is not a plain file name");
    if (b.module != "encoder" && b.module != "decoder")
      fail(TADM_ERROR_MODEL, where + ": base weights module must be \"encoder\" or \"decoder\"");
    Sha256 expected{};
    if (!from_hex(f.at("sha256").get<std::string>(), expected))
      fail(TADM_ERROR_MODEL, where + ": base weights sha256 is not 64 hex digits");
    for (const fs::path& d : dirs) {
      std::error_code ec;
      if (!fs::is_regular_file(d / file, ec)) continue;
      b.path = d / file;
      b.bytes = read_bundle_file(b.path);
      if (sha256(b.bytes) != expected)
        fail(TADM_ERROR_MODEL, "the " + name + " base weights " + b.path.string() + " have SHA-256 " +
                                   short_hash(sha256(b.bytes)) + ", not the " + to_hex(expected) + " that model " + model +
                                   " needs (folder " + d.string() + "); refusing to load a different file");
      break;
    }
    if (b.path.empty()) {
      std::string searched;
      for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d.string();
      const std::string env = base_weights_env(name);
      fail(TADM_ERROR_MODEL, "model " + model + " needs the " + name + " base weights " + file + " (SHA-256 " +
                                 to_hex(expected) + "), and no folder has them (searched: " +
                                 (searched.empty() ? std::string("nothing") : searched) + "); set $" + env +
                                 " to the folder that holds them");
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

Bundle load_bundle(const fs::path& dir, BundleParts parts) {
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::is_regular_file(manifest_path))
    fail(TADM_ERROR_MODEL, "model bundle " + dir.string() + " has no manifest.json");
  const std::vector<std::uint8_t> manifest_bytes = read_bundle_file(manifest_path);
  Bundle b;
  b.dir = dir;
  b.identity.sha256 = sha256(manifest_bytes);
  const std::string where = "model bundle manifest " + manifest_path.string();
  try {
    const auto j = nlohmann::json::parse(manifest_bytes.begin(), manifest_bytes.end());
    if (j.at("format").get<std::string>() != "tadm-model-bundle")
      fail(TADM_ERROR_MODEL, where + ": \"format\" is not \"tadm-model-bundle\"");
    // Integers must be JSON integers: nlohmann would read true or 16.7 as 1 or 16.
    auto integer = [&](const nlohmann::json& v, const std::string& key) {
      if (!v.is_number_integer()) fail(TADM_ERROR_MODEL, where + ": \"" + key + "\" is not an integer");
      return v.get<std::int64_t>();
    };
    const std::int64_t format_version = integer(j.at("format_version"), "format_version");
    if (format_version < 1 || format_version > 3)
      fail(TADM_ERROR_MODEL, where + ": format_version " + j.at("format_version").dump() + " is not supported (this build reads 1 to 3)");
    // Version 2 is version 1 plus a decoder with a timestep-aware enhancer ("enhancer"); version 3
    // is version 1 plus modules that take the scale as input ("scales").
    if (j.contains("enhancer") != (format_version == 2))
      fail(TADM_ERROR_MODEL, where + ": format_version 2 bundles, and only they, have \"enhancer\"");
    if (j.contains("scales") != (format_version == 3))
      fail(TADM_ERROR_MODEL, where + ": format_version 3 bundles, and only they, have \"scales\"");
    b.identity.name = j.at("name").get<std::string>();
    b.identity.version = j.at("version").get<std::string>();
    b.family = j.at("family").get<std::string>();
    const std::int64_t scale = integer(j.at("scale"), "scale");
    if (scale < 2 || scale > 64) fail(TADM_ERROR_MODEL, where + ": scale " + std::to_string(scale) + " is outside 2..64");
    b.scale = static_cast<std::uint32_t>(scale);
    if (j.contains("scales")) {
      const auto& r = j["scales"];
      if (!r.is_object()) fail(TADM_ERROR_MODEL, where + ": \"scales\" is not an object");
      const std::int64_t lo = integer(r.at("min"), "scales.min"), hi = integer(r.at("max"), "scales.max");
      if (lo < 2 || hi > 64 || lo > scale || scale > hi)
        fail(TADM_ERROR_MODEL, where + ": scales " + std::to_string(lo) + ".." + std::to_string(hi) +
                                   " must lie within 2..64 and hold the default scale " + std::to_string(scale));
      b.scale_min = static_cast<std::uint32_t>(lo);
      b.scale_max = static_cast<std::uint32_t>(hi);
    }
    if (!container::is_valid_model_name(b.identity.name))
      fail(TADM_ERROR_MODEL, where + ": name \"" + b.identity.name +
                                 "\" is not a plain name (1..64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
    if (b.identity.version.size() > 64 ||
        !std::all_of(b.identity.version.begin(), b.identity.version.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }))
      fail(TADM_ERROR_MODEL, where + ": version must be 0..64 printable ASCII characters");
    // Optional integers in 0..65536 (each is range-checked again below).
    auto optional_integer = [&](const char* object, const char* key, std::uint32_t fallback) {
      if (!j.contains(object) || !j[object].contains(key)) return fallback;
      const std::int64_t v = integer(j[object][key], std::string(object) + "." + key);
      if (v < 0 || v > 65536) fail(TADM_ERROR_MODEL, where + ": " + object + "." + key + " is outside 0..65536");
      return static_cast<std::uint32_t>(v);
    };
    b.lr_tile = optional_integer("tile", "lr_tile", b.lr_tile);
    b.lr_overlap = optional_integer("tile", "lr_overlap", b.lr_overlap);
    if (b.lr_tile < 8 || b.lr_tile > 4096 || b.lr_overlap > b.lr_tile)
      fail(TADM_ERROR_MODEL, where + ": tile geometry lr_tile " + std::to_string(b.lr_tile) + " / lr_overlap " +
                                 std::to_string(b.lr_overlap) + " is not usable");
    if (j.contains("lr_codec")) {
      LrTraining t;
      t.codec = j["lr_codec"].get<std::string>();
      if (j.contains("lr_codec_settings") && j["lr_codec_settings"].contains("quality_trained")) {
        const auto& q = j["lr_codec_settings"]["quality_trained"];
        t.quality_min = static_cast<int>(std::clamp<std::int64_t>(integer(q.at(0), "quality_trained[0]"), 0, 101));
        t.quality_max = static_cast<int>(std::clamp<std::int64_t>(integer(q.at(1), "quality_trained[1]"), 0, 101));
      }
      if (t.quality_min < 1 || t.quality_max > 100 || t.quality_min > t.quality_max)
        fail(TADM_ERROR_MODEL, where + ": lr_codec_settings.quality_trained is not a range within 1..100");
      if (t.codec != "png") b.lr_training = t;
    }
    for (const char* role : {"encoder", "decoder"}) {
      const auto& f = j.at("files").at(role);
      const fs::path rel = f.at("path").get<std::string>();
      if (rel.is_absolute() || rel.lexically_normal().string().starts_with(".."))
        fail(TADM_ERROR_MODEL, where + ": " + role + " path must stay inside the bundle directory");
      Sha256 expected{};
      if (!from_hex(f.at("sha256").get<std::string>(), expected))
        fail(TADM_ERROR_MODEL, where + ": " + role + " sha256 is not 64 hex digits");
      if (parts == BundleParts::kManifest) continue;
      std::vector<std::uint8_t> bytes = read_bundle_file(dir / rel);
      if (sha256(bytes) != expected)
        fail(TADM_ERROR_MODEL, "model bundle file " + (dir / rel).string() +
                                   " does not match the SHA-256 in its manifest (damaged or replaced)");
      (std::string(role) == "encoder" ? b.encoder : b.decoder) = std::move(bytes);
    }
    b.tile_bytes_per_pixel = optional_integer("memory", "tile_bytes_per_pixel", b.tile_bytes_per_pixel);
    if (b.tile_bytes_per_pixel < 16 || b.tile_bytes_per_pixel > 65536)
      fail(TADM_ERROR_MODEL, where + ": memory.tile_bytes_per_pixel is outside 16..65536");
    if (j.contains("base_weights")) b.base_weights = resolve_base_weights(j["base_weights"], b.identity.name, where);
    if (j.contains("enhancer")) {
      const auto& e = j["enhancer"];
      auto number = [&](const nlohmann::json& v, const std::string& key) {
        if (!v.is_number()) fail(TADM_ERROR_MODEL, where + ": \"enhancer." + key + "\" is not a number");
        return v.get<double>();
      };
      EnhancerSpec s;
      s.t_min = number(e.at("t_min"), "t_min");
      s.t_max = number(e.at("t_max"), "t_max");
      const auto& h = e.at("hint");
      if (h.at("kind").get<std::string>() != "timestep")
        fail(TADM_ERROR_MODEL, where + ": enhancer.hint.kind must be \"timestep\"");
      s.t_per_unit = number(h.at("t_per_unit"), "hint.t_per_unit");
      const std::int64_t tile = integer(h.at("tile_lr"), "enhancer.hint.tile_lr");
      // A timestep is stored in one byte, 1..255 (0 is never written), so the range must fit.
      if (!(s.t_min > 0 && s.t_min <= s.t_max && s.t_per_unit > 0 && s.t_max / s.t_per_unit <= 255 &&
            s.t_max <= 1000) || tile < 1 || tile > 4096)
        fail(TADM_ERROR_MODEL, where + ": enhancer timesteps " + e.dump() + " are not usable (0 < t_min <= t_max "
                                   "<= 1000, t_max / t_per_unit <= 255, tile_lr 1..4096)");
      s.hint_tile = static_cast<std::uint32_t>(tile);
      b.enhancer = s;
    }
  } catch (const nlohmann::json::exception& e) {
    fail(TADM_ERROR_MODEL, where + " is invalid: " + e.what());
  }
  return b;
}

std::vector<fs::path> bundle_search_path(const std::string& model_dir) {
  std::vector<fs::path> dirs;
  if (!model_dir.empty()) dirs.emplace_back(model_dir);
  if (const char* env = std::getenv("TADM_MODEL_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find(':', start), s.size());
      // Relative entries would make the lookup depend on the current directory (a download
      // folder, for a thumbnailer): only absolute folders count.
      if (end > start && fs::path(s.substr(start, end - start)).is_absolute()) dirs.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  if (const fs::path self = engine_binary_path(); !self.empty() && *TADM_MODEL_DIR_FROM_LIBDIR)
    dirs.push_back((self.parent_path() / TADM_MODEL_DIR_FROM_LIBDIR).lexically_normal());
  if (*TADM_SOURCE_MODEL_DIR && running_from_build_tree()) dirs.emplace_back(TADM_SOURCE_MODEL_DIR);
  return dirs;
}

std::vector<fs::path> base_weights_search_path(const std::string& name) {
  std::vector<fs::path> dirs;
  if (const char* v = std::getenv(base_weights_env(name).c_str()); v && fs::path(v).is_absolute()) dirs.emplace_back(v);
  if (const fs::path self = engine_binary_path(); !self.empty() && *TADM_BASE_DIR_FROM_LIBDIR)
    dirs.push_back((self.parent_path() / TADM_BASE_DIR_FROM_LIBDIR / name).lexically_normal());
  if (*TADM_BUILD_BASE_WEIGHTS_DIR && running_from_build_tree()) dirs.push_back(fs::path(TADM_BUILD_BASE_WEIGHTS_DIR) / name);
  return dirs;
}

fs::path engine_binary_path() {
  static const fs::path self = [] {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void*>(&engine_binary_path), &info) || !info.dli_fname) return fs::path();
    std::error_code ec;
    fs::path p = fs::canonical(info.dli_fname, ec);  // through symlinks (libtadm.so.1 -> .so.1.0.0)
    return ec ? fs::path(info.dli_fname) : p;
  }();
  return self;
}

bool running_from_build_tree() {
  // Asked on every model lookup; the answer cannot change while the process runs.
  static const bool inside = [] {
    if (!*TADM_BUILD_DIR) return false;
    std::error_code ec;
    const fs::path build = fs::canonical(TADM_BUILD_DIR, ec);
    if (ec) return false;
    const fs::path rel = engine_binary_path().lexically_relative(build);
    return !rel.empty() && *rel.begin() != "..";
  }();
  return inside;
}

fs::path find_bundle(const std::string& name, const std::string& model_dir) {
  if (!container::is_valid_model_name(name)) return {};  // never a path: see spec/model-bundle.md
  for (const fs::path& d : bundle_search_path(model_dir)) {
    std::error_code ec;
    if (fs::is_regular_file(d / name / "manifest.json", ec)) return d / name;
  }
  return {};
}

std::vector<std::uint8_t> read_bundle_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) fail(TADM_ERROR_MODEL, "model bundle file " + path.string() + " cannot be read: " + ec.message());
  if (size > kMaxBundleFile)
    fail(TADM_ERROR_MODEL, "model bundle file " + path.string() + " is implausibly large (" +
                               std::to_string(size) + " bytes)");
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)) ||
      in.peek() != std::char_traits<char>::eof())
    fail(TADM_ERROR_MODEL, "model bundle file " + path.string() + " could not be read completely");
  return bytes;
}

std::vector<fs::path> installed_bundles(const std::string& model_dir) {
  std::vector<fs::path> found;
  std::vector<std::string> seen;
  for (const fs::path& d : bundle_search_path(model_dir)) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!fs::is_regular_file(it->path() / "manifest.json") ||
          std::find(seen.begin(), seen.end(), name) != seen.end())
        continue;
      seen.push_back(name);
      found.push_back(it->path());
    }
  }
  return found;
}

const char* default_model_name(Scale scale, tadm_profile profile) {
  const bool perceptual = profile == TADM_PROFILE_PERCEPTUAL;
  if (scale.x == scale.y && (scale.x == 0 || scale.x == 16)) return perceptual ? "tadm16" : "pix16";
  if (scale.x == 32 && scale.y == 32) return perceptual ? "tadm32" : "pix32";
  // Every other scale up to 32 on each axis, unequal ones included: the any-scale model, for both
  // profiles (it restores above classic at each of them; model/bundles/any32/MODEL_CARD.md).
  if (scale.x >= 2 && scale.x <= 32 && scale.y >= 2 && scale.y <= 32) return "any32";
  return "classic";
}

namespace {

// The learned models loaded in this process, for open_model. The key is everything that changes
// the loaded modules: the bundle identity (the manifest's SHA-256 covers the weight files' hashes)
// and the device asked for (AUTO and CPU are loaded apart even where they resolve alike: telling
// needs LibTorch, which only the runtime module links).
struct LoadedKey {
  std::string name, version;
  Sha256 sha256;
  tadm_device device;
  auto operator<=>(const LoadedKey&) const = default;
};

struct LoadedModels {
  std::mutex mutex;  // held while a model loads: a second handle waits for it rather than loading it again
  std::map<LoadedKey, std::weak_ptr<Rescaler>> models;
};

// Never destroyed: a handle may outlive static destruction (one held by another static object).
LoadedModels& loaded_models() {
  static auto* models = new LoadedModels;
  return *models;
}

std::shared_ptr<Rescaler> shared_learned_model(const fs::path& dir, const ModelIdentity& id, tadm_device device,
                                               tadm_log_fn log, void* log_user) {
  std::shared_ptr<Rescaler> model;
  std::string note;  // logged once the lock is released: a log callback may create a handle itself
  {
    LoadedModels& loaded = loaded_models();
    const std::lock_guard lock(loaded.mutex);
    std::erase_if(loaded.models, [](const auto& entry) { return entry.second.expired(); });
    if (const auto it = loaded.models.find(LoadedKey{id.name, id.version, id.sha256, device});
        it != loaded.models.end())
      model = it->second.lock();
    if (!model) {
      Bundle bundle = load_bundle(dir);  // the manifest again, with the weight files it names
      const ModelIdentity found = bundle.identity;
      model = make_learned_rescaler(std::move(bundle), device);
      loaded.models[LoadedKey{found.name, found.version, found.sha256, device}] = model;
      note = "model " + found.name + " " + found.version + " loaded from " + dir.string() + " (SHA-256 " +
             to_hex(found.sha256).substr(0, 16) + "...)";
    }
  }
  if (note.empty())
    log_message(log, log_user, TADM_LOG_DEBUG,
                "model " + id.name + " " + id.version + " is already loaded in this process; shared");
  else
    log_message(log, log_user, TADM_LOG_INFO, note);
  return model;
}

}  // namespace

std::shared_ptr<Rescaler> open_model(const std::string& spec, ModelSource source, const std::string& model_dir,
                                     ResampleFilter classic_upscale, tadm_device device, tadm_log_fn log,
                                     void* log_user) {
  if (spec == "classic") return make_classic_rescaler(classic_upscale);
  fs::path dir;
  if (source == ModelSource::kUser && spec.find('/') != std::string::npos) {
    dir = spec;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fail(TADM_ERROR_MODEL, "model bundle directory " + spec + " does not exist");
  } else {
    if (!container::is_valid_model_name(spec))
      fail(source == ModelSource::kFile ? TADM_ERROR_CORRUPT : TADM_ERROR_INVALID_ARGUMENT,
           std::string(source == ModelSource::kFile ? "the file names" : "the requested") + " model \"" + spec +
               "\", which is not a plain model name (A-Z a-z 0-9 . _ -); models are named, never given as paths" +
               (source == ModelSource::kUser ? " (a bundle directory path must contain '/')" : ""));
    dir = find_bundle(spec, model_dir);
    if (dir.empty()) {
      std::string searched;
      for (const auto& d : bundle_search_path(model_dir)) searched += (searched.empty() ? "" : ", ") + d.string();
      fail(TADM_ERROR_MODEL, "model \"" + spec + "\" was not found (searched: " +
                                 (searched.empty() ? std::string("nothing") : searched) +
                                 "); use --model classic, --model-dir, $TADM_MODEL_PATH or a bundle directory path");
    }
  }
  const Bundle manifest = load_bundle(dir, BundleParts::kManifest);
  if (source == ModelSource::kFile && manifest.identity.name != spec)
    fail(TADM_ERROR_MODEL, "model bundle " + dir.string() + " is named \"" + manifest.identity.name +
                               "\" in its manifest, not \"" + spec + "\"");
  return shared_learned_model(dir, manifest.identity, device, log, log_user);
}

}  // namespace tadm
