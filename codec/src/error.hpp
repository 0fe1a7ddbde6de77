// Internal error type: engine code throws tadm::Error; the C ABI layer turns it into a
// tadm_status and the handle's last-error message. Exceptions never cross the C ABI.
#pragma once

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

}  // namespace tadm
