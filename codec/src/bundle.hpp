// Model bundles: a directory with manifest.json and TorchScript files (spec/model-bundle.md).
// This file knows manifests, hashes and search paths; running the modules is torch_rescaler.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rescaler.hpp"

namespace tadm {

// Third-party weights a bundle builds on (the latent family: TAEF2's encoder and decoder), never
// shipped inside bundles: found by file name in a base-weights folder and verified by SHA-256.
struct BaseWeights {
  std::string module;              // "encoder" or "decoder": the TorchScript module they fill
  std::string prefix;              // parameter-name prefix in that module ("m.enc.")
  std::filesystem::path path;      // where they were found
  std::vector<std::uint8_t> bytes; // torch.save state dict, verified against the manifest
};

// A latent model's one-step enhancer (manifest "enhancer", spec/model-bundle.md): the timesteps it
// was trained for, and how the container's `hint` stores one per tile (round(t / t_per_unit), on
// a grid of hint_tile x hint_tile LR pixels).
struct EnhancerSpec {
  double t_min = 0;
  double t_max = 0;
  double t_per_unit = 1;
  std::uint32_t hint_tile = 32;
};

struct Bundle {
  std::filesystem::path dir;
  ModelIdentity identity;  // sha256 = SHA-256 of manifest.json's bytes
  std::string family;
  std::uint32_t scale = 0;  // the one trained scale; for an any-scale bundle, the default
  // Any-scale bundles (format version 3, manifest "scales"): every integer scale_min..scale_max on
  // each axis, independently; the modules take the scale as input. 0 for per-scale bundles.
  std::uint32_t scale_min = 0;
  std::uint32_t scale_max = 0;
  std::uint32_t lr_tile = 64;
  std::uint32_t lr_overlap = 8;
  std::optional<LrTraining> lr_training;  // manifest "lr_codec": a model for lossy thumbnails
  std::vector<std::uint8_t> encoder;  // TorchScript bytes, verified against the manifest
  std::vector<std::uint8_t> decoder;
  std::vector<BaseWeights> base_weights;
  std::uint32_t tile_bytes_per_pixel = 256;  // model activations per full-resolution tile pixel
  std::optional<EnhancerSpec> enhancer;      // manifest "enhancer": the decoder takes a timestep
};

// What load_bundle reads: the manifest alone (identity, geometry, file names and hashes checked
// for form), or the manifest and the TorchScript files, verified against it.
enum class BundleParts { kManifest, kAll };

// Read and verify a bundle directory. Throws TADM_ERROR_MODEL naming the file and the problem.
Bundle load_bundle(const std::filesystem::path& dir, BundleParts parts = BundleParts::kAll);

// Where bundle names are looked up, in order: `model_dir`, $TADM_MODEL_PATH (':'-separated),
// the models installed beside the library that holds this code (<libdir>/../share/tadm/models,
// so that an installed tree works under any prefix and when moved), then, only for binaries in
// the build tree, the source tree's model/bundles. Relative $TADM_MODEL_PATH entries are ignored.
std::vector<std::filesystem::path> bundle_search_path(const std::string& model_dir);

// Where the base weights named `name` (e.g. "taef2") are looked up, in order: $TADM_<NAME>_DIR
// (absolute), <libdir>/../share/tadm/base/<name> beside the library, and, only for binaries in the
// build tree, the folder the build was configured with (-DTADM_BASE_WEIGHTS_DIR, default
// ../shared/models next to the source tree).
std::vector<std::filesystem::path> base_weights_search_path(const std::string& name);

// Every bundle directory (a folder with manifest.json) in the search path, the first found of each
// name, in search-path order; manifests not read.
std::vector<std::filesystem::path> installed_bundles(const std::string& model_dir);

// A file of a bundle directory, whole; TADM_ERROR_MODEL naming it when it cannot be read or is
// implausibly large.
std::vector<std::uint8_t> read_bundle_file(const std::filesystem::path& path);

// Whether `b` runs at `s`, and the scales it serves in words ("16", "2..32 on each axis").
// Inline: the LibTorch runtime module uses them and links none of the engine's symbols.
inline bool bundle_serves(const Bundle& b, Scale s) {
  if (b.scale_max == 0) return s.x == b.scale && s.y == b.scale;
  return s.x >= b.scale_min && s.x <= b.scale_max && s.y >= b.scale_min && s.y <= b.scale_max;
}
inline std::string bundle_scales_text(const Bundle& b) {
  if (b.scale_max == 0) return std::to_string(b.scale);
  return std::to_string(b.scale_min) + ".." + std::to_string(b.scale_max) + " on each axis";
}

// A plain bundle name -> its directory, or empty if it is not plain or no folder has it.
std::filesystem::path find_bundle(const std::string& name, const std::string& model_dir);

// Who asked for a model decides what the request may be (spec/model-bundle.md): the user may
// give a bundle directory (a path with '/'); a file only ever names one of the installed bundles.
enum class ModelSource { kUser, kFile };

// Resolve "classic", a bundle name or (from the user) a bundle directory to a ready rescaler.
// Learned models are shared by every handle of the process: one loaded per bundle identity (the
// manifest's name, version and SHA-256, which pins the weight files' hashes) and device, held
// weakly, so it is freed when the last handle using it goes. A request reads the bundle's
// manifest; the weight files are read, verified and loaded only when no handle holds that model
// (then `log` gets an INFO line "model NAME VERSION loaded from DIR ..."). Safe from any thread.
std::shared_ptr<Rescaler> open_model(const std::string& spec, ModelSource source, const std::string& model_dir,
                                     ResampleFilter classic_upscale, tadm_device device, tadm_log_fn log,
                                     void* log_user);

// The learned runtime (LibTorch); in a build without it, throws TADM_ERROR_UNSUPPORTED.
std::unique_ptr<Rescaler> make_learned_rescaler(Bundle bundle, tadm_device device);

// The shared library or executable that holds the engine (dladdr), to find installed files
// relative to it; empty if the system cannot tell.
std::filesystem::path engine_binary_path();

// Whether the engine runs from the build tree (then the source tree's bundles and the built
// LibTorch module are used; an installed copy never looks there).
bool running_from_build_tree();

// The model used when none is named: the learned bundle of the profile's family for the scale
// (fidelity: "pix16" for 0 = default or 16, "pix32" for 32; perceptual: "tadm16", "tadm32"), the
// any-scale "any32" for every other scale up to 32 on each axis, else "classic". A static string
// (tadm_default_model and tadm_default_model_for return it).
const char* default_model_name(Scale scale, tadm_profile profile = TADM_PROFILE_FIDELITY);

}  // namespace tadm
