// Finds and loads the LibTorch runtime module (libtadm_torch.so) on first use of a learned bundle.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "bundle.hpp"
#include "error.hpp"

#ifndef TADM_TORCH_MODULE_BUILD_PATH
#define TADM_TORCH_MODULE_BUILD_PATH ""
#endif
#ifndef TADM_TORCH_MODULE_INSTALL_PATH
#define TADM_TORCH_MODULE_INSTALL_PATH ""
#endif

namespace tadm {

namespace {

namespace fs = std::filesystem;

using CreateFn = tadm_status (*)(Bundle*, tadm_device, Rescaler**, char*, size_t);
using AbiFn = int (*)();

struct Runtime {
  CreateFn create = nullptr;
  std::string error;  // why it could not be loaded
};

// Candidates in order: $TADM_TORCH_RUNTIME, beside the library that holds this code
// (<libdir>/tadm/), the build tree's module (build tree only), the install prefix.
std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("TADM_TORCH_RUNTIME"); env && *env) out.emplace_back(env);
  if (const fs::path self = engine_binary_path(); !self.empty())
    out.push_back(self.parent_path() / "tadm" / "libtadm_torch.so");
  if (*TADM_TORCH_MODULE_BUILD_PATH && running_from_build_tree()) out.emplace_back(TADM_TORCH_MODULE_BUILD_PATH);
  if (*TADM_TORCH_MODULE_INSTALL_PATH) out.emplace_back(TADM_TORCH_MODULE_INSTALL_PATH);
  return out;
}

const Runtime& runtime() {
  static Runtime rt;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    for (const fs::path& p : candidates()) {
      std::error_code ec;
      if (!fs::exists(p, ec)) {
        tried += (tried.empty() ? "" : ", ") + p.string();
        continue;
      }
      // Never closed: rescalers created by the module live as long as their owners.
      void* handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        rt.error = "the LibTorch runtime " + p.string() + " cannot be loaded: " + dlerror();
        return;
      }
      auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "tadm_torch_runtime_abi"));
      rt.create = reinterpret_cast<CreateFn>(dlsym(handle, "tadm_torch_runtime_create"));
      if (!abi || !rt.create || abi() != TADM_TORCH_RUNTIME_ABI) {
        rt.create = nullptr;
        rt.error = "the LibTorch runtime " + p.string() + " is from another tadm version";
      }
      return;
    }
    rt.error = "this installation has no LibTorch runtime (looked for " + tried +
               "); build with -DTADM_WITH_TORCH=ON";
  });
  return rt;
}

}  // namespace

std::unique_ptr<Rescaler> make_learned_rescaler(Bundle bundle, tadm_device device) {
  const Runtime& rt = runtime();
  if (!rt.create)
    fail(TADM_ERROR_UNSUPPORTED, "model \"" + bundle.identity.name + "\" needs the LibTorch runtime: " + rt.error +
                                       " (the classic model needs none)");
  Rescaler* raw = nullptr;
  char error[1024] = {};
  const tadm_status st = rt.create(&bundle, device, &raw, error, sizeof error);
  if (st != TADM_OK) fail(st, error);
  return std::unique_ptr<Rescaler>(raw);
}

}  // namespace tadm
