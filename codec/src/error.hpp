// Internal error type: engine code throws tadm::Error; the C ABI layer turns it into a
// tadm_status and the handle's last-error message. Exceptions never cross the C ABI.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

#include "tadm/tadm.h"

namespace tadm {

// Default visibility: the LibTorch runtime module throws it across the dlopen boundary.
class __attribute__((visibility("default"))) Error : public std::runtime_error {
 public:
  Error(tadm_status status, std::string message)
      : std::runtime_error(std::move(message)), status_(status) {}
  tadm_status status() const { return status_; }

 private:
  tadm_status status_;
};

// A message to the caller's log callback, if it set one.
inline void log_message(tadm_log_fn fn, void* user, tadm_log_level level, const std::string& message) {
  if (fn) fn(user, level, message.c_str());
}

[[noreturn]] inline void fail(tadm_status status, std::string message) {
  throw Error(status, std::move(message));
}

// A C caller may store any int in an enum field of the settings: read it as an int (loading an
// out-of-range value through the enum type is undefined behaviour in C++).
template <class E>
int enum_value(const E& e) {
  static_assert(sizeof(E) == sizeof(int));
  int v = 0;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// Refuses an enum setting outside [lo, hi] with INVALID_ARGUMENT: "<what> <v> is not <names>".
inline void check_enum(int v, int lo, int hi, const char* what, const char* names) {
  if (v < lo || v > hi)
    fail(TADM_ERROR_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(v) + " is not " + names);
}

}  // namespace tadm
