#include "common/batch.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tadm_tools {

namespace fs = std::filesystem;

void add_batch_options(CLI::App& app, BatchOptions& options, const std::string& outputs,
                       const std::vector<std::string>& extensions) {
  std::string list;
  for (const std::string& e : extensions) list += (list.empty() ? "" : " ") + e;
  auto* dir = app.add_option("-o,--output-dir", options.output_dir,
                             "Batch mode: every path given is an input (a file of any name, or a folder with -r);\n"
                             "each is written into DIR (made if missing) as " + outputs + ".\n"
                             "Files that fail are listed with the reason, the others are done, and the exit status is 1")
                  ->type_name("DIR")->group("Batch");
  app.add_flag("-r,--recursive", options.recursive,
               "Take the files of folders and their subfolders (" + list + ", any case;\n"
               "-v counts the others), mirroring each folder's tree under DIR. Symbolic links to folders\n"
               "are not followed (a folder named on the command line is); links to files are")
      ->needs(dir)->group("Batch");
  app.add_flag("--overwrite", options.overwrite,
               "Redo outputs that exist (by default they are skipped: outputs are written atomically,\n"
               "so one that exists is complete, and an interrupted batch resumes where it stopped)")
      ->needs(dir)->group("Batch");
  app.add_option("--jobs", options.jobs,
                 "Files done at once (default 1; -j is --threads). Each job has its own encoder/decoder\n"
                 "handle (a handle is used by one thread at a time), so a learned model is loaded once per\n"
                 "job; --threads defaults to the cores divided among the jobs; --max-memory is per job")
      ->check(CLI::Range(1, 64))->needs(dir)->group("Batch");
}

namespace {

struct BatchPlan {
  std::vector<BatchItem> items;
  std::size_t ignored = 0;            // files in folders whose extension is not an input's
  std::size_t symlinked_folders = 0;  // not followed
};

// A mistake in the command line found while planning (exit 2, nothing done).
struct BatchUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool valid = false;
};

FileId file_id(const fs::path& p) {
  struct stat st {};
  if (stat(p.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, true};
}

bool same(const FileId& a, const FileId& b) { return a.valid && b.valid && a.dev == b.dev && a.ino == b.ino; }

class Planner {
 public:
  Planner(const BatchOptions& options, const std::vector<std::string>& extensions, std::string output_extension)
      : options_(options), extensions_(extensions), output_extension_(std::move(output_extension)),
        output_dir_id_(file_id(options.output_dir)) {}

  void add_argument(const std::string& in) {
    if (is_std_stream(in)) throw BatchUsageError("'-' (standard input) cannot be part of a batch (-o)");
    std::error_code ec;
    if (!fs::is_directory(fs::status(in, ec))) {  // missing or unreadable files fail when read
      add(in, in, fs::path(options_.output_dir) / fs::path(in).filename());
      return;
    }
    if (!options_.recursive) throw BatchUsageError(in + " is a folder: give -r/--recursive to take the files in it");
    if (same(file_id(in), output_dir_id_))
      throw BatchUsageError("the output folder " + options_.output_dir + " is the input folder " + in);
    walk(in, in, options_.output_dir);
  }

  BatchPlan take() { return std::move(plan_); }

 private:
  void add(const fs::path& input, const std::string& name, fs::path output) {
    output.replace_extension(output_extension_);
    BatchItem item{input.string(), output.string(), name, {}};
    const auto [it, fresh] = claimed_.emplace(item.output, name);
    if (!fresh) item.error = "its output " + item.output + " is also the output of " + it->second;
    plan_.items.push_back(std::move(item));
  }

  // Sorted, so that the order of the work and of the report does not depend on the filesystem.
  void walk(const fs::path& dir, const fs::path& name, const fs::path& out) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
    if (ec) {
      plan_.items.push_back({dir.string(), {}, name.string(), "cannot read the folder: " + ec.message()});
      return;
    }
    std::sort(entries.begin(), entries.end());
    for (const fs::directory_entry& e : entries) {
      const fs::path file = e.path().filename();
      const fs::file_status own = e.symlink_status(ec);
      const fs::file_status target = e.status(ec);
      if (fs::is_directory(target)) {
        if (fs::is_symlink(own)) ++plan_.symlinked_folders;
        else if (!same(file_id(e.path()), output_dir_id_)) walk(e.path(), name / file, out / file);
      } else if (fs::is_regular_file(target) || !fs::exists(target)) {
        // A dangling link is listed if its name says it is an input: its failure says why.
        if (std::find(extensions_.begin(), extensions_.end(), lower(file.extension().string())) != extensions_.end())
          add(e.path(), (name / file).string(), out / file);
        else
          ++plan_.ignored;
      } else {
        ++plan_.ignored;  // FIFOs, devices, sockets
      }
    }
  }

  const BatchOptions& options_;
  const std::vector<std::string>& extensions_;
  const std::string output_extension_;
  const FileId output_dir_id_;
  std::map<std::string, std::string> claimed_;  // output -> the input that writes it
  BatchPlan plan_;
};

// The status line and every message of a batch, from any worker.
class Reporter {
 public:
  Reporter(const char* tool, std::size_t total, const Verbosity& v)
      : tool_(tool), total_(total), tty_(isatty(STDERR_FILENO) != 0 && !v.quiet) {}

  void started(const std::string& name) {
    const std::lock_guard lock(mutex_);
    ++started_;
    if (tty_) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", started_, total_, name.c_str());
  }
  void note(const std::string& line) {
    const std::lock_guard lock(mutex_);
    clear_line();
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  void error(const std::string& message) {
    const std::lock_guard lock(mutex_);
    clear_line();
    print_error(tool_, message);
  }
  void finish() {
    const std::lock_guard lock(mutex_);
    clear_line();
  }

 private:
  void clear_line() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }
  const char* tool_;
  const std::size_t total_;
  const bool tty_;
  std::size_t started_ = 0;
  std::mutex mutex_;
};

enum class Outcome { kDone, kSkipped, kFailed };

BatchPlan plan_batch(const std::vector<std::string>& inputs, const BatchOptions& options,
                     const std::vector<std::string>& extensions, const std::string& output_extension) {
  std::error_code ec;
  const fs::file_status out = fs::status(options.output_dir, ec);
  if (fs::exists(out) && !fs::is_directory(out))
    throw BatchUsageError("the output folder " + options.output_dir + " exists and is not a folder");
  if (inputs.empty()) throw BatchUsageError("no input given (files or folders after the options)");
  Planner planner(options, extensions, output_extension);
  for (const std::string& in : inputs) planner.add_argument(in);
  return planner.take();
}

}  // namespace

int threads_per_job(int threads, int jobs) {
  if (threads > 0) return threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, jobs));
}

void fill_common_settings(tadm_common_settings& s, const std::string& model, const std::string& model_dir, int threads,
                          tadm_device device, const tadm_limits& limits, const BatchOptions& batch,
                          Verbosity& verbosity) {
  const bool batch_mode = !batch.output_dir.empty();
  s.model = model.empty() ? nullptr : model.c_str();
  s.model_dir = model_dir.empty() ? nullptr : model_dir.c_str();
  s.threads = batch_mode ? threads_per_job(threads, batch.jobs) : threads;
  s.device = device;
  s.limits = limits;
  s.progress = batch_mode ? nullptr : progress_callback;
  s.log = log_callback;
  s.user = &verbosity;
}

int run_batch(const char* tool, const char* done_verb, const std::vector<std::string>& inputs,
              const BatchOptions& options, const std::vector<std::string>& extensions,
              const std::string& output_extension, const Verbosity& verbosity,
              const std::function<BatchWork()>& make_work) {
  BatchPlan plan;
  try {
    plan = plan_batch(inputs, options, extensions, output_extension);
  } catch (const BatchUsageError& e) {
    print_error(tool, e.what());
    return kExitUsage;
  }
  if (verbosity.verbose && plan.ignored)
    std::fprintf(stderr, "%s: %zu file(s) in the folders ignored (not an input extension)\n", tool, plan.ignored);
  if (verbosity.verbose && plan.symlinked_folders)
    std::fprintf(stderr, "%s: %zu symbolic link(s) to folders not followed\n", tool, plan.symlinked_folders);
  const std::size_t n = plan.items.size();
  const int jobs = static_cast<int>(std::clamp<std::size_t>(static_cast<std::size_t>(options.jobs), 1, std::max<std::size_t>(n, 1)));
  std::vector<BatchWork> work;
  try {
    for (int j = 0; j < jobs; ++j) work.push_back(make_work());
  } catch (const std::exception& e) {  // a model that cannot load fails every file: say it once
    print_error(tool, e.what());
    return kExitError;
  }
  std::error_code ec;
  fs::create_directories(options.output_dir, ec);
  if (ec) {
    print_error(tool, "cannot create the output folder " + options.output_dir + ": " + ec.message());
    return kExitError;
  }

  Reporter report(tool, n, verbosity);
  std::vector<Outcome> outcomes(n, Outcome::kDone);
  std::vector<std::string> errors(n);
  std::atomic<std::size_t> next{0};
  const auto worker = [&](int j) {
    for (std::size_t i; (i = next++) < n;) {
      const BatchItem& item = plan.items[i];
      report.started(item.name);
      std::error_code exists_ec;
      if (item.error.empty() && !options.overwrite && fs::exists(fs::symlink_status(item.output, exists_ec))) {
        outcomes[i] = Outcome::kSkipped;
        continue;
      }
      try {
        if (!item.error.empty()) throw std::runtime_error(item.error);
        std::error_code dir_ec;
        fs::create_directories(fs::path(item.output).parent_path(), dir_ec);
        if (dir_ec) throw std::runtime_error("cannot create the folder " + fs::path(item.output).parent_path().string() + ": " + dir_ec.message());
        const std::string details = work[static_cast<std::size_t>(j)](item);
        if (verbosity.verbose && !details.empty()) report.note(details);
      } catch (const std::exception& e) {
        const std::string what = e.what();
        // Most messages name the file already.
        errors[i] = what.find(item.input) != std::string::npos ? what : item.name + ": " + what;
        outcomes[i] = Outcome::kFailed;
        report.error(errors[i]);
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (int j = 1; j < jobs; ++j) pool.emplace_back(worker, j);
    worker(0);
  }
  report.finish();

  const auto count = [&](Outcome o) { return static_cast<std::size_t>(std::count(outcomes.begin(), outcomes.end(), o)); };
  const std::size_t failed = count(Outcome::kFailed);
  if (!verbosity.quiet) {
    std::fprintf(stderr, "%s: %zu %s, %zu skipped, %zu failed%s\n", tool, count(Outcome::kDone), done_verb,
                 count(Outcome::kSkipped), failed, failed ? ":" : "");
    for (std::size_t i = 0; i < n; ++i)
      if (outcomes[i] == Outcome::kFailed) std::fprintf(stderr, "  %s\n", errors[i].c_str());
  }
  return failed ? kExitError : kExitOk;
}

}  // namespace tadm_tools
