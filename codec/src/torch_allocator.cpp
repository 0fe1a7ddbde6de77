#include "torch_allocator.hpp"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace tadm {
namespace {

constexpr std::size_t kLargeBlock = std::size_t{4} << 20;  // below this, malloc reuses memory well
constexpr std::size_t kHugePage = std::size_t{2} << 20;
// Bounds what is held back beyond the live tensors: one tile's set of buffers of the default
// geometry is about 0.9 GB in float32.
constexpr std::size_t kCacheCap = std::size_t{1} << 30;

class CachingCpuAllocator;
CachingCpuAllocator* g_allocator = nullptr;

// Data and context are the same pointer (oneDNN frees through raw_deleter(), which gets only the
// pointer), so large blocks are recognised by address.
class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(c10::Allocator* fallback) : fallback_(fallback) {}

  c10::DataPtr allocate(std::size_t bytes) const override {
    if (bytes < kLargeBlock) return fallback_->allocate(bytes);
    const std::size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* block = take(size);
    if (!block) {
      block = std::aligned_alloc(kHugePage, size);
      if (!block) throw std::bad_alloc();
      ::madvise(block, size, MADV_HUGEPAGE);  // advisory; failure only costs speed
      std::lock_guard lock(mutex_);
      sizes_.emplace(block, size);
    }
    return {block, block, &CachingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::release; }

  void begin() {
    std::lock_guard lock(mutex_);
    ++scopes_;
  }

  void end() {
    std::multimap<std::size_t, void*> drop;
    {
      std::lock_guard lock(mutex_);
      if (--scopes_ > 0) return;
      drop.swap(free_);
      cached_ = 0;
      for (const auto& entry : drop) sizes_.erase(entry.second);
    }
    for (const auto& entry : drop) std::free(entry.second);
  }

 private:
  // Best fit among cached blocks up to twice the size asked for (edge tiles are smaller).
  void* take(std::size_t size) const {
    std::lock_guard lock(mutex_);
    const auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > size + size / 4) return nullptr;
    void* block = it->second;
    cached_ -= it->first;
    free_.erase(it);
    return block;
  }

  static void release(void* ptr) { g_allocator->give_back(ptr); }

  void give_back(void* ptr) const {
    bool ours = false;
    {
      std::lock_guard lock(mutex_);
      const auto it = sizes_.find(ptr);
      if (it != sizes_.end()) {
        if (scopes_ > 0 && cached_ + it->second <= kCacheCap) {
          free_.emplace(it->second, ptr);
          cached_ += it->second;
          return;
        }
        sizes_.erase(it);
        ours = true;
      }
    }
    if (ours) std::free(ptr);
    else fallback_->raw_deleter()(ptr);  // a small block, raw-allocated through the fallback
  }

  c10::Allocator* fallback_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, std::size_t> sizes_;   // every large block we own
  mutable std::multimap<std::size_t, void*> free_;          // the cached ones, by size
  mutable std::size_t cached_ = 0;                           // bytes in free_
  int scopes_ = 0;
};

CachingCpuAllocator& instance() {
  // Installed once and never destroyed: tensors may outlive any scope or module.
  static CachingCpuAllocator* const allocator = [] {
    g_allocator = new CachingCpuAllocator(c10::GetCPUAllocator());
    c10::SetCPUAllocator(g_allocator, /*priority=*/1);
    return g_allocator;
  }();
  return *allocator;
}

}  // namespace

ActivationCacheScope::ActivationCacheScope() { instance().begin(); }
ActivationCacheScope::~ActivationCacheScope() { instance().end(); }

}  // namespace tadm
