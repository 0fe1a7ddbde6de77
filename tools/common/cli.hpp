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

// Read a whole file; throws std::runtime_error naming the path and the system error.
std::vector<std::uint8_t> read_file(const std::string& path);

// A regular file (or a new one) is replaced atomically: a temporary file in its directory,
// fsync, rename (through symbolic links: the link stays, its target is replaced, keeping its
// permissions). Devices and FIFOs are written in place; directories are refused. Refuses to
// write over `input` (same file by device and inode). On any failure, and on
// SIGINT/SIGTERM/SIGHUP while writing, the temporary file is removed.
void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes,
                       const std::string& input);

// Progress bar on stderr when it is a terminal and not quiet.
int progress_callback(void* user, float fraction, const char* stage);
void log_callback(void* user, tadm_log_level level, const char* message);

// Shared option groups.
void add_verbosity(CLI::App& app, Verbosity& v);
void add_limits(CLI::App& app, tadm_limits& limits);
void add_threads_device(CLI::App& app, int& threads, tadm_device& device);

// Print "tool: error: message" unless quiet… errors are always printed.
void print_error(const char* tool, const std::string& message);

}  // namespace tadm_tools
