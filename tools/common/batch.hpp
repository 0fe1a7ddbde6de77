// Batch mode of tadmenc and tadmdec: many files and folders to outputs under one folder
// (mirroring the folders' trees), done by several workers, resumable, failures listed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
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

// -o/--output-dir, -r/--recursive, --overwrite, --jobs. `outputs` names what the tool writes and
// `extensions` the files it takes from folders, for the help text.
void add_batch_options(CLI::App& app, BatchOptions& options, const std::string& outputs,
                       const std::vector<std::string>& extensions);

struct BatchItem {
  std::string input, output;
  std::string name;   // as shown: the path given, or the folder given joined with the path in it
  std::string error;  // known before any work (an unreadable folder, two inputs for one output)
};

// Threads inside one file: what --threads asked for, else the cores divided among the jobs.
int threads_per_job(int threads, int jobs);

// Fills the settings every handle has (`common` of tadm_encoder_settings and
// tadm_decoder_settings) from the options both tools take; `model` and `model_dir` must live
// until the encoder or decoder is created. Batch mode divides the threads among the jobs and shows
// no progress bar (one per file would garble the batch's lines).
void fill_common_settings(tadm_common_settings& s, const std::string& model, const std::string& model_dir, int threads,
                          tadm_device device, const tadm_limits& limits, const BatchOptions& batch,
                          Verbosity& verbosity);

// Encodes or decodes one file (item.input to item.output, with write_file_atomic) and returns a
// line saying what it wrote (printed with -v); throws with the reason on failure. One is made per
// worker, on the main thread, before any work starts, and is then called from that worker only.
using BatchWork = std::function<std::string(const BatchItem&)>;

// Batch mode from start to end. The work list: every path in `inputs` that is not a folder, and
// in folders (only with -r) the files whose lowercase extension is in `extensions`, each written
// under the output folder with its extension replaced by `output_extension`, mirroring the
// folders' trees. Usage errors (exit 2, before any work): the output folder is a file or one of
// the input folders, a folder without -r, "-". An output folder inside an input folder is not
// walked. Then options.jobs workers: existing outputs are skipped unless --overwrite, the file
// being started is shown as "[k/N] name" when stderr is a terminal (not --quiet), failures are
// printed as they happen and listed after the summary ("N <done_verb>, M skipped, K failed").
// Returns kExitOk, kExitUsage, or kExitError when any file failed.
int run_batch(const char* tool, const char* done_verb, const std::vector<std::string>& inputs,
              const BatchOptions& options, const std::vector<std::string>& extensions,
              const std::string& output_extension, const Verbosity& verbosity,
              const std::function<BatchWork()>& make_work);

}  // namespace tadm_tools
