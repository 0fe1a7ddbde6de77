#include "cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tadm_tools {

namespace fs = std::filesystem;

namespace {

// The temporary files being written, one slot per concurrent writer (batch workers), for the
// signal handler: it may only read these and call unlink (async-signal-safe).
constexpr int kTempSlots = 64;
char g_temp_paths[kTempSlots][4096];
std::atomic<bool> g_temp_claimed[kTempSlots];  // a writer owns the slot
std::atomic<bool> g_temp_active[kTempSlots];   // its path names a file to remove

extern "C" void remove_temps_and_exit(int sig) {
  for (int i = 0; i < kTempSlots; ++i)
    if (g_temp_active[i].load()) unlink(g_temp_paths[i]);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Installed once for the whole process, so concurrent writers need not save and restore
// handlers in a nested order. A signal ignored on start (nohup) stays ignored.
void install_temp_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {}, sa {};
      sigaction(sig, nullptr, &old);
      if (old.sa_handler == SIG_IGN) continue;
      sa.sa_handler = remove_temps_and_exit;
      sigaction(sig, &sa, nullptr);
    }
  });
}

std::runtime_error sys_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

bool refuse_terminal(const char* tool, const std::string& input, const std::string& output) {
  if (is_std_stream(input) && isatty(STDIN_FILENO)) {
    print_error(tool, "INPUT is '-' but standard input is a terminal; pipe or redirect the data in");
    return true;
  }
  if (is_std_stream(output) && isatty(STDOUT_FILENO)) {
    print_error(tool, "OUTPUT is '-' but standard output is a terminal, which binary data would garble; "
                      "redirect or pipe it, or name a file");
    return true;
  }
  return false;
}

std::uint64_t memory_budget_bytes(const tadm_limits& limits) {
  return std::uint64_t{limits.max_memory_mib ? limits.max_memory_mib : 2048u} << 20;
}

std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t stdin_limit) {
  const bool from_stdin = is_std_stream(path);
  const std::string name = from_stdin ? "standard input" : path;
  const int fd = from_stdin ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("cannot open", path);
  Fd owner;
  if (!from_stdin) owner.fd = fd;
  struct stat st {};
  // A pipe has no size to check first: standard input is bounded by the memory budget instead.
  if (!from_stdin && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)))
    throw std::runtime_error("cannot read " + path + ": not a regular file");
  std::vector<std::uint8_t> bytes;
  if (!from_stdin) bytes.reserve(static_cast<std::size_t>(st.st_size));
  std::uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("cannot read", name);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
    if (from_stdin && bytes.size() > stdin_limit)
      throw std::runtime_error("standard input is larger than the memory budget of " +
                               std::to_string(stdin_limit >> 20) + " MiB (raise it with --max-memory)");
  }
  return bytes;
}

namespace {

// Owns one temporary-file slot; removes the named temporary file unless released.
class TempGuard {
 public:
  TempGuard() {
    install_temp_cleanup();
    for (;;) {
      for (int i = 0; i < kTempSlots; ++i) {
        bool expected = false;
        if (g_temp_claimed[i].compare_exchange_strong(expected, true)) {
          slot_ = i;
          return;
        }
      }
      std::this_thread::yield();  // more writers than slots: wait for one to finish
    }
  }
  ~TempGuard() {
    if (g_temp_active[slot_].exchange(false)) unlink(g_temp_paths[slot_]);
    g_temp_claimed[slot_] = false;
  }
  TempGuard(const TempGuard&) = delete;
  TempGuard& operator=(const TempGuard&) = delete;
  void named(const std::string& p) {
    g_temp_active[slot_] = false;
    std::memcpy(g_temp_paths[slot_], p.c_str(), p.size() + 1);
    g_temp_active[slot_] = true;
  }
  const char* path() const { return g_temp_paths[slot_]; }
  void release() { g_temp_active[slot_] = false; }

 private:
  int slot_ = 0;
};

}  // namespace

namespace {

void write_all(int fd, const std::vector<std::uint8_t>& bytes, const std::string& path) {
  for (std::size_t off = 0; off < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw sys_error("cannot write", path);
    off += static_cast<std::size_t>(n);
  }
}

// The file a chain of symbolic links ends at (it may not exist yet): replacing that file, not
// the link, is what writing "through" a link means.
fs::path follow_links(const std::string& path) {
  fs::path p = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) throw std::runtime_error("cannot write " + path + ": " + ec.message());
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  throw std::runtime_error("cannot write " + path + ": too many levels of symbolic links");
}

// Devices, FIFOs and the like are written in place, as any tool writing to /dev/null or a
// pipe would: renaming a file over them would destroy them.
void write_through(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  Fd file;
  file.fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (file.fd < 0) throw sys_error("cannot write", path);
  write_all(file.fd, bytes, path);
  const int fd = file.fd;
  file.fd = -1;
  if (close(fd) != 0) throw sys_error("cannot write", path);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes,
                       const std::string& input) {
  if (is_std_stream(path)) {
    write_all(STDOUT_FILENO, bytes, "standard output");
    return;
  }
  // Standard input redirected from a file is that file (a pipe is no file: no name to compare).
  const bool over_input = is_std_stream(input) ? same_file(path, "/dev/stdin")
                          : !input.empty() && (same_file(path, input) || fs::weakly_canonical(path) == fs::weakly_canonical(input));
  if (over_input)
    throw std::runtime_error("refusing to write the output over the input file " +
                             (is_std_stream(input) ? "(standard input)" : input));
  struct stat st {};
  const bool exists = stat(path.c_str(), &st) == 0;  // follows links
  if (exists && S_ISDIR(st.st_mode)) throw std::runtime_error("cannot write " + path + ": it is a directory");
  if (exists && !S_ISREG(st.st_mode)) return write_through(path, bytes);
  const fs::path target = follow_links(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string temp_prefix = (dir / ("." + target.filename().string() + ".tmp-")).string();
  if (temp_prefix.size() + 32 >= sizeof g_temp_paths[0]) throw std::runtime_error("output path is too long: " + path);
  TempGuard guard;
  Fd file;
  // An unnamed file (O_TMPFILE) leaves nothing behind even if the process is killed while
  // writing; it gets a name only once complete. Filesystems without it get a named temp file.
  file.fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  const bool unnamed = file.fd >= 0;
  if (!unnamed) {
    std::string tmpl = temp_prefix + "XXXXXX";
    file.fd = mkstemp(tmpl.data());
    if (file.fd < 0) throw sys_error("cannot create a file in", dir.string());
    guard.named(tmpl);
    const mode_t mask = umask(0);  // mkstemp makes 0600; match what a plain create gives
    umask(mask);
    if (fchmod(file.fd, 0666 & ~mask) != 0) throw sys_error("cannot write", path);
  }
  // A replaced file keeps its permissions.
  if (exists && fchmod(file.fd, st.st_mode & 07777) != 0) throw sys_error("cannot write", path);
  write_all(file.fd, bytes, path);
  if (fsync(file.fd) != 0) throw sys_error("cannot write", path);
  if (unnamed) {
    const std::string proc = "/proc/self/fd/" + std::to_string(file.fd);
    // A new output gets its name in one step, complete: a kill at any moment leaves nothing
    // named behind. Replacing a file needs a temporary name and rename (below).
    if (!exists) {
      if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        const int fd = file.fd;
        file.fd = -1;
        if (close(fd) != 0) {
          unlink(target.c_str());
          throw sys_error("cannot write", path);
        }
        return;
      }
      if (errno != EEXIST) throw sys_error("cannot write", path);
    }
    for (unsigned attempt = 0;; ++attempt) {
      const std::string name = temp_prefix + std::to_string(getpid()) + "-" + std::to_string(attempt);
      if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        guard.named(name);
        break;
      }
      if (errno != EEXIST || attempt > 100) throw sys_error("cannot write", path);
    }
  }
  const int fd = file.fd;
  file.fd = -1;
  if (close(fd) != 0) throw sys_error("cannot write", path);
  if (rename(guard.path(), target.c_str()) != 0) throw sys_error("cannot write", path);
  guard.release();
}

int progress_callback(void* user, float fraction, const char* stage) {
  const auto* v = static_cast<const Verbosity*>(user);
  static bool tty = isatty(STDERR_FILENO) != 0;
  if (v->quiet || !tty) return 0;
  const int width = 30;
  const int filled = static_cast<int>(fraction * width + 0.5f);
  std::fprintf(stderr, "\r[%.*s%*s] %3d%% %-24s", filled, "##############################", width - filled, "",
               static_cast<int>(fraction * 100.0f + 0.5f), stage);
  if (fraction >= 1.0f) std::fprintf(stderr, "\r%*s\r", width + 32, "");
  std::fflush(stderr);
  return 0;
}

void log_callback(void* user, tadm_log_level level, const char* message) {
  const auto* v = static_cast<const Verbosity*>(user);
  if (level == TADM_LOG_ERROR || (level == TADM_LOG_WARNING && !v->quiet) ||
      (level == TADM_LOG_INFO && v->verbose >= 1) || (level == TADM_LOG_DEBUG && v->verbose >= 2)) {
    static const char* kNames[] = {"error", "warning", "info", "debug"};
    std::fprintf(stderr, "%s: %s\n", kNames[level], message);
  }
}

void add_verbosity(CLI::App& app, Verbosity& v) {
  // Long only: -q is quality in avifenc, cjxl and cwebp (and in tadmdec).
  app.add_flag("--quiet", v.quiet, "Print nothing but errors");
  app.add_flag("-v,--verbose", v.verbose, "Print more details (repeat for more)");
}

void add_limits(CLI::App& app, tadm_limits& limits) {
  // The defaults shown are the library's (tadm.h), the one set the tools use.
  const auto dflt = [](auto v) { return " (default " + std::to_string(v) + ")"; };
  app.add_option("--max-pixels", limits.max_pixels, "Refuse images with more pixels" + dflt(TADM_DEFAULT_MAX_PIXELS))
      ->check(CLI::PositiveNumber)->group("Limits");
  app.add_option("--max-dimension", limits.max_dimension, "Refuse images wider or taller" + dflt(TADM_DEFAULT_MAX_DIMENSION))
      ->check(CLI::PositiveNumber)->group("Limits");
  app.add_option("--max-metadata", limits.max_metadata_bytes,
                 "Refuse ICC/EXIF/XMP blobs larger, in bytes" + dflt(TADM_DEFAULT_MAX_METADATA_BYTES))
      ->check(CLI::PositiveNumber)->group("Limits");
  app.add_option("--max-tile-pixels", limits.max_tile_pixels,
                 "Largest model tile with its margins, in full-resolution pixels" + dflt(TADM_DEFAULT_MAX_TILE_PIXELS))
      ->check(CLI::PositiveNumber)->group("Limits");
  app.add_option("--max-memory", limits.max_memory_mib,
                 "Memory budget in MiB for the image data of one run" + dflt(TADM_DEFAULT_MAX_MEMORY_MIB) +
                     "; larger jobs are refused\nbefore anything is allocated, and a learned model's tiles shrink to fit it")
      ->check(CLI::PositiveNumber)->group("Limits");
  app.add_flag("--allow-corrupt", limits.allow_corrupt,
               "Read PNG/JPEG input that libpng/libjpeg report as damaged but can decode (with a warning)")
      ->group("Limits");
}

void add_threads_device(CLI::App& app, int& threads, tadm_device& device) {
  app.add_option("-j,--threads", threads, "Threads working on one file (0 = all cores; in batch mode the\n"
                 "cores divided among --jobs)")->check(CLI::Range(0, 256));
  static const std::map<std::string, tadm_device> kDevices{
      {"auto", TADM_DEVICE_AUTO}, {"cpu", TADM_DEVICE_CPU}, {"cuda", TADM_DEVICE_CUDA}};
  app.add_option("--device", device, "Where models run: auto, cpu or cuda")
      ->transform(CLI::CheckedTransformer(kDevices, CLI::ignore_case));
}

void add_strip(CLI::App& app, Strip& strip, const std::string& what) {
  app.add_option_function<std::string>(
         "--strip",
         [&strip](const std::string& list) {
           std::size_t start = 0;
           for (;;) {
             const std::size_t comma = list.find(',', start);
             const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
             if (item == "icc") strip.icc = true;
             else if (item == "exif") strip.exif = true;
             else if (item == "xmp") strip.xmp = true;
             else if (item == "all") strip.icc = strip.exif = strip.xmp = true;
             else throw CLI::ValidationError("--strip", "'" + item + "' is not one of exif, xmp, icc, all");
             if (comma == std::string::npos) break;
             start = comma + 1;
           }
         },
         "Metadata to leave out " + what + ": a comma list of exif, xmp, icc, or all")
      ->type_name("LIST");
}

void apply_strip(tadm_image& image, const Strip& strip) {
  // Clearing a blob only frees it: it cannot fail for these arguments.
  for (const auto& [kind, on] : {std::pair{"icc", strip.icc}, std::pair{"exif", strip.exif}, std::pair{"xmp", strip.xmp}})
    if (on) (void)tadm_image_set_metadata(&image, kind, nullptr, 0, nullptr, 0);
}

void print_error(const char* tool, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\n", tool, message.c_str());
}

}  // namespace tadm_tools
