// Reading an input file for the C API: a regular file, read whole, no larger than the memory
// budget. A FIFO or /dev/zero would otherwise be read until memory runs out.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "image_io.hpp"

namespace tadm {

std::vector<std::uint8_t> read_regular_file(const std::string& path, const tadm_limits& limits) {
  const auto sys_fail = [&](const char* what) {
    fail(TADM_ERROR_IO, std::string(what) + " " + path + ": " + std::strerror(errno));
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) sys_fail("cannot open");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) sys_fail("cannot read");
  if (S_ISDIR(st.st_mode)) fail(TADM_ERROR_IO, "cannot read " + path + ": it is a directory");
  if (!S_ISREG(st.st_mode)) fail(TADM_ERROR_IO, "cannot read " + path + ": not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > memory_budget(limits))
    fail(TADM_ERROR_LIMIT, "cannot read " + path + ": " + std::to_string(size) +
                               " bytes is over the memory budget of " + std::to_string(limits.max_memory_mib) + " MiB");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) sys_fail("cannot read");
    if (n == 0) break;  // the file shrank while being read: what is there is all there is
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace tadm
