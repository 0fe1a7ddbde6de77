// Reading a PyTorch state dict saved with torch.save (a zip archive with a pickle, data.pkl, and
// one record per tensor storage), as base weights such as TAEF2's are published. LibTorch's own
// unpickler cannot: it turns the OrderedDict a state dict is into None (it supports OrderedDict only
// as the empty backward-hooks argument of a tensor). The bytes are verified by SHA-256 against the
// model manifest before they get here; the reader still checks every bound and refuses any pickle
// opcode or global outside what torch.save writes for a dict of dense tensors.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace tadm {

// name -> tensor (CPU, the stored dtype), in the file's order. Throws tadm::Error (MODEL) naming `what`.
std::vector<std::pair<std::string, torch::Tensor>> read_state_dict(const std::vector<std::uint8_t>& bytes,
                                                                   const std::string& what);

}  // namespace tadm
