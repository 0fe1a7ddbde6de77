// A CPU allocator for model runs that reuses large activation buffers between tiles.
//
// Why: every tile allocates the same few hundred-megabyte activations. Through malloc each one is
// a fresh mmap, so the kernel faults in and zeroes every page again: a quarter of a learned decode
// went to page faults (perf, 6 MP image). Blocks of kLargeBlock bytes or more are kept after
// release and handed out again; they are backed by transparent huge pages where the kernel allows
// it (madvise mode). Smaller requests go to the allocator that was installed before.
#pragma once

#include <c10/core/Allocator.h>

#include <cstddef>

namespace tadm {

// Installs the caching allocator for this process once (a no-op when another allocator with a
// higher priority is already installed) and, while a scope is alive, caches released blocks;
// the last scope to end returns every cached block to the system, so nothing is held between runs.
class ActivationCacheScope {
 public:
  ActivationCacheScope();
  ~ActivationCacheScope();
  ActivationCacheScope(const ActivationCacheScope&) = delete;
  ActivationCacheScope& operator=(const ActivationCacheScope&) = delete;
};

}  // namespace tadm
