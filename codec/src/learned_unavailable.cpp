// Built instead of torch_rescaler.cpp when TADM_WITH_TORCH is off.
#include "bundle.hpp"
#include "error.hpp"

namespace tadm {

bool learned_runtime_available() { return false; }

std::unique_ptr<Rescaler> make_learned_rescaler(Bundle bundle, tadm_device) {
  fail(TADM_ERROR_UNSUPPORTED, "model \"" + bundle.identity.name +
                                   "\" needs the LibTorch runtime, and this build has none "
                                   "(configure with -DTADM_WITH_TORCH=ON)");
}

}  // namespace tadm
