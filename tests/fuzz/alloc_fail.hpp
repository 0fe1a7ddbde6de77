// Allocation-failure injection for the fuzz targets (the idea of dav1d's alloc-fail fuzzer).
//
// Built with -DTADM_FUZZ_ALLOC_FAIL (the *_allocfail targets, alloc_fail.cpp linked in), global
// operator new / new[] are replaced by a countdown: the first 4 input bytes (little-endian, taken
// modulo kAllocFailSpan so that mutations land on small counts) say how many allocations succeed
// before one throws std::bad_alloc; only that one fails, later ones succeed again. The countdown
// runs only inside an AllocFailScope, so libFuzzer itself and one-time setup never see a failure.
// The public API must then return an error status (ideally TADM_ERROR_OUT_OF_MEMORY) or succeed,
// and never crash or leak (LeakSanitizer checks every input).
//
// Without TADM_FUZZ_ALLOC_FAIL everything here is a no-op and the input is passed on unchanged.
// malloc/calloc (libpng, libjpeg, libavif, dav1d, zlib) are not failed: ASan owns malloc, and
// replacing it under ASan means fighting the sanitizer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tadm_fuzz {

constexpr std::uint32_t kAllocFailSpan = 1u << 14;

#ifdef TADM_FUZZ_ALLOC_FAIL
// alloc_fail.cpp
void alloc_fail_arm(std::uint32_t countdown);
// Disarms; returns whether an allocation was failed since arming.
bool alloc_fail_disarm();
// Whether an allocation was failed since arming (stays armed).
bool alloc_fail_triggered();
constexpr bool kAllocFail = true;
#else
inline void alloc_fail_arm(std::uint32_t) {}
inline bool alloc_fail_disarm() { return false; }
inline bool alloc_fail_triggered() { return false; }
constexpr bool kAllocFail = false;
#endif

// Takes the countdown off the front of the input (alloc-fail builds only). Returns false when the
// input is too short to carry one.
inline bool take_countdown(const std::uint8_t*& data, std::size_t& size, std::uint32_t& countdown) {
  countdown = 0;
  if (!kAllocFail) return true;
  if (size < 4) return false;
  countdown = (std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8 | std::uint32_t{data[2]} << 16 |
               std::uint32_t{data[3]} << 24) % kAllocFailSpan;
  data += 4;
  size -= 4;
  return true;
}

class AllocFailScope {
 public:
  explicit AllocFailScope(std::uint32_t countdown) { alloc_fail_arm(countdown); }
  ~AllocFailScope() { end(); }
  AllocFailScope(const AllocFailScope&) = delete;
  AllocFailScope& operator=(const AllocFailScope&) = delete;
  // Ends the injection early (before checking results); returns whether a failure was injected.
  bool end() {
    if (!armed_) return failed_;
    armed_ = false;
    failed_ = alloc_fail_disarm();
    return failed_;
  }

 private:
  bool armed_ = true;
  bool failed_ = false;
};

}  // namespace tadm_fuzz
