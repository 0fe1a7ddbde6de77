// Batch mode of tadmenc and tadmdec: many files and folders to outputs under one folder
// (mirroring the folders' trees), done by several workers, resumable, failures listed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/cli.hpp"

namespace tadm_tools {

struct BatchOptions {
  std::string output_dir;  // -o; empty: the single-file form INPUT OUTPUT
  bool recursive = false;
  bool overwrite = false;
  int jobs = 1;
};

// -o/--output-dir, -r/--recursive, --overwrite, --jobs. `inputs` names what the tool reads
// ("photos", ".tadm files") and `outputs` what it writes, for the help text.
void add_batch_options(CLI::App& app, BatchOptions& options, const std::string& inputs, const std::string& outputs);

// A mistake in the command line found while planning (exit 2, nothing done).
struct BatchUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct BatchItem {
  std::string input, output;
  std::string name;   // as shown: the path given, or the folder given joined with the path in it
  std::string error;  // known before any work (an unreadable folder, two inputs for one output)
};

struct BatchPlan {
  std::vector<BatchItem> items;
  std::size_t ignored = 0;             // files in folders whose extension is not an input's
  std::size_t symlinked_folders = 0;   // not followed
};

// The work list: every named file, and in named folders (only with -r, else BatchUsageError)
// the files whose lowercase extension is in `extensions`, each written under the output folder
// with its extension replaced by `output_extension`. Throws BatchUsageError when the output
// folder is a file or is one of the input folders; skips it when it lies inside one.
BatchPlan plan_batch(const std::vector<std::string>& inputs, const BatchOptions& options,
                     const std::vector<std::string>& extensions, const std::string& output_extension);

// Threads inside one file: what --threads asked for, else the cores divided among the jobs.
int threads_per_job(int threads, int jobs);

// Encodes or decodes one file (item.input to item.output, with write_file_atomic) and returns a
// line saying what it wrote (printed with -v); throws with the reason on failure. One is made per
// worker, on the main thread, before any work starts, and is then called from that worker only.
using BatchWork = std::function<std::string(const BatchItem&)>;

// Runs the plan on options.jobs workers: existing outputs are skipped unless --overwrite, the
// file being started is shown as "[k/N] name" when stderr is a terminal (not --quiet), failures
// are printed as they happen and listed after the summary ("N <done_verb>, M skipped, K failed").
// Returns kExitOk, or kExitError when any file failed.
int run_batch(const char* tool, const char* done_verb, const BatchPlan& plan, const BatchOptions& options,
              const Verbosity& verbosity, const std::function<BatchWork()>& make_work);

}  // namespace tadm_tools
