// What every tadm command shares: file I/O that never leaves partial output, the progress
// display, logging by verbosity, and the options for limits, threads and device.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "tadm/tadm.h"

namespace tadm_tools {

enum ExitCode { kExitOk = 0, kExitError = 1, kExitUsage = 2 };

struct Verbosity {
  bool quiet = false;
  int verbose = 0;
};

// "-" as INPUT or OUTPUT: standard input or output.
inline bool is_std_stream(const std::string& path) { return path == "-"; }

// Binary data is never read from or written to a terminal: prints why and returns true when
// INPUT is "-" on a terminal stdin, or OUTPUT is "-" on a terminal stdout (`output` may be empty).
bool refuse_terminal(const char* tool, const std::string& input, const std::string& output);

// Read a whole file ("-": standard input, at most `stdin_limit` bytes); throws
// std::runtime_error naming the path and the system error.
std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t stdin_limit = std::uint64_t{2048} << 20);

// The memory budget of `limits` in bytes (the library's default when unset), which also bounds
// what is read from standard input.
std::uint64_t memory_budget_bytes(const tadm_limits& limits);

// A regular file (or a new one) is replaced atomically: a temporary file in its directory,
// fsync, rename (through symbolic links: the link stays, its target is replaced, keeping its
// permissions). Devices and FIFOs are written in place; directories are refused. Refuses to
// write over `input` (same file by device and inode). On any failure, and on
// SIGINT/SIGTERM/SIGHUP while writing, the temporary file is removed (a signal ignored at
// start stays ignored). Several threads may write at once. "-" is standard output.
void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes,
                       const std::string& input);

// Progress bar on stderr when it is a terminal and not quiet.
int progress_callback(void* user, float fraction, const char* stage);
void log_callback(void* user, tadm_log_level level, const char* message);

// Shared option groups.
void add_verbosity(CLI::App& app, Verbosity& v);
void add_limits(CLI::App& app, tadm_limits& limits);
void add_threads_device(CLI::App& app, int& threads, tadm_device& device);

// --strip exif,xmp,icc (or all): metadata left out of the output.
struct Strip {
  bool icc = false, exif = false, xmp = false;
};
void add_strip(CLI::App& app, Strip& strip, const std::string& what);
// Clears the stripped blobs of `image`.
void apply_strip(tadm_image& image, const Strip& strip);

// Print "tool: error: message" unless quiet… errors are always printed.
void print_error(const char* tool, const std::string& message);

}  // namespace tadm_tools
