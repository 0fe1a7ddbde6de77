// Replacement global operator new / delete for the *_allocfail fuzz targets (alloc_fail.hpp).
// Every form is replaced so that allocation and deallocation stay paired on malloc/free, which
// AddressSanitizer and LeakSanitizer still see (new/delete mismatch reports are lost in this mode).
#include "alloc_fail.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

// > 0: allocations left before the failing one; 0: disarmed.
std::atomic<std::int64_t> g_countdown{0};
std::atomic<bool> g_failed{false};
// Only the thread that armed the countdown sees failures: codec worker threads (x265, libde265)
// are third-party code that terminates on std::bad_alloc, and their timing would make a
// countdown land on a different allocation every run.
thread_local bool t_armed = false;

void* allocate(std::size_t size, std::size_t align, bool nothrow) {
  if (t_armed && g_countdown.load(std::memory_order_relaxed) > 0 && g_countdown.fetch_sub(1) == 1) {
    g_failed = true;
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  if (size == 0) size = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else if (posix_memalign(&p, align, size) != 0) {
    p = nullptr;
  }
  if (!p && !nothrow) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace tadm_fuzz {

void alloc_fail_arm(std::uint32_t countdown) {
  g_failed = false;
  t_armed = true;
  g_countdown = std::int64_t{countdown} + 1;  // countdown allocations succeed, the next one fails
}

bool alloc_fail_triggered() { return g_failed.load(); }

bool alloc_fail_disarm() {
  g_countdown = 0;
  t_armed = false;
  return g_failed.exchange(false);
}

}  // namespace tadm_fuzz

void* operator new(std::size_t n) { return allocate(n, 0, false); }
void* operator new[](std::size_t n) { return allocate(n, 0, false); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a), false); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, static_cast<std::size_t>(a), false); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate(n, static_cast<std::size_t>(a), true);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
