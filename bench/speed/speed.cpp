// tadm-bench-speed: Google Benchmark micro-benchmarks of tadm's hot paths through the public
// API. The image is Kodak kodim01 (768x512) when the image sets are found, else a generated
// photo-like image of the same size; TADM_BENCH_IMAGE=path picks another. Learned bundles found
// by tadm_list_models get an encode and a decode benchmark on one tile each.
// CPU time is the whole process's (all threads), and rates (MP/s) are per CPU second: on a
// machine shared with other jobs, wall time says more about the neighbours than about tadm.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "codecs.hpp"

using namespace tadm_bench;

namespace {

Rgb generated(std::uint32_t w, std::uint32_t h) {
  Rgb im;
  im.width = w;
  im.height = h;
  im.pixels.resize(static_cast<std::size_t>(w) * h * 3);
  std::uint32_t seed = 12345;
  for (std::uint32_t y = 0; y < h; ++y)
    for (std::uint32_t x = 0; x < w; ++x)
      for (std::uint32_t c = 0; c < 3; ++c) {
        seed = seed * 1664525u + 1013904223u;
        const double v = 120 + 70 * std::sin(0.031 * x + c) * std::cos(0.017 * y) + static_cast<double>(seed >> 28);
        im.pixels[(static_cast<std::size_t>(y) * w + x) * 3 + c] = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
  return im;
}

const Rgb& photo() {
  static const Rgb im = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TADM_BENCH_IMAGE")) candidates.emplace_back(env);
    candidates.emplace_back(TADM_BENCH_DATA_DIR "/kodak/kodim01.png");
    for (const auto& p : candidates)
      if (std::filesystem::exists(p)) return read_rgb(p);
    return generated(768, 512);
  }();
  return im;
}

tadm_cpp::Encoder make_encoder(const char* model, std::uint32_t scale, int threads = 1) {
  tadm_encoder_settings st;
  tadm_encoder_default_settings(&st);
  st.common.model = model;
  st.scale = scale;
  st.common.threads = threads;
  return tadm_cpp::Encoder(st);
}

tadm_cpp::Decoder make_decoder(const char* model = nullptr, int threads = 1) {
  tadm_decoder_settings st;
  tadm_decoder_default_settings(&st);
  st.common.model = model;
  st.common.threads = threads;
  return tadm_cpp::Decoder(st);
}

void set_pixels(benchmark::State& state, std::uint64_t pixels_per_iteration) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pixels_per_iteration));
  state.counters["MP/s"] = benchmark::Counter(static_cast<double>(state.iterations() * pixels_per_iteration) / 1e6,
                                              benchmark::Counter::kIsRate);
}

// Container parsing and validation, no pixels.
void BM_ContainerInfoRead(benchmark::State& state) {
  auto enc = make_encoder("classic", static_cast<std::uint32_t>(state.range(0)));
  const Bytes file = enc.encode(*to_tadm(photo()));
  for (auto _ : state) {
    tadm_file_info* info = nullptr;
    char err[256];
    if (tadm_file_info_read(file.data(), file.size(), nullptr, &info, err, sizeof err) != TADM_OK) state.SkipWithError(err);
    benchmark::DoNotOptimize(info);
    tadm_file_info_free(info);
  }
  state.counters["file bytes"] = static_cast<double>(file.size());
}
BENCHMARK(BM_ContainerInfoRead)->Arg(16)->Arg(32)->MeasureProcessCPUTime();

// Thumbnail extraction (the PNG stream out of the container, byte for byte).
void BM_ExtractThumbnail(benchmark::State& state) {
  auto enc = make_encoder("classic", 16);
  const Bytes file = enc.encode(*to_tadm(photo()));
  for (auto _ : state) {
    std::uint8_t* png = nullptr;
    std::size_t size = 0;
    char err[256];
    if (tadm_extract_thumbnail(file.data(), file.size(), nullptr, &png, &size, err, sizeof err) != TADM_OK)
      state.SkipWithError(err);
    tadm_buffer_free(png);
  }
}
BENCHMARK(BM_ExtractThumbnail)->MeasureProcessCPUTime();

// LR PNG encode and decode (the thumbnail at scale 16 and 32, and the full image for scale).
void BM_PngWrite(benchmark::State& state) {
  const auto scale = static_cast<std::uint32_t>(state.range(0));
  Rescaler r;
  const Rgb lr = scale == 1 ? photo() : r.downscale(photo(), scale);
  auto im = to_tadm(lr);
  for (auto _ : state) benchmark::DoNotOptimize(tadm_cpp::write_png(*im));
  set_pixels(state, static_cast<std::uint64_t>(lr.width) * lr.height);
}
BENCHMARK(BM_PngWrite)->Arg(32)->Arg(16)->Arg(1)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

void BM_PngRead(benchmark::State& state) {
  const auto scale = static_cast<std::uint32_t>(state.range(0));
  Rescaler r;
  const Rgb lr = scale == 1 ? photo() : r.downscale(photo(), scale);
  const Bytes png = write_png(lr);
  for (auto _ : state) {
    tadm_image* im = nullptr;
    char err[256];
    if (tadm_image_read_memory(png.data(), png.size(), nullptr, &im, err, sizeof err) != TADM_OK) state.SkipWithError(err);
    tadm_image_free(im);
  }
  set_pixels(state, static_cast<std::uint64_t>(lr.width) * lr.height);
}
BENCHMARK(BM_PngRead)->Arg(32)->Arg(16)->Arg(1)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

// The classic rescaler end to end through the API: encode = downscale + PNG + container;
// decode = container + PNG + bicubic upscale. Rates are in full-resolution pixels.
void BM_ClassicEncode(benchmark::State& state) {
  auto enc = make_encoder("classic", static_cast<std::uint32_t>(state.range(0)), static_cast<int>(state.range(1)));
  auto im = to_tadm(photo());
  for (auto _ : state) benchmark::DoNotOptimize(enc.encode(*im));
  set_pixels(state, static_cast<std::uint64_t>(photo().width) * photo().height);
}
BENCHMARK(BM_ClassicEncode)->Args({16, 1})->Args({32, 1})->Args({16, 2})->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_ClassicDecode(benchmark::State& state) {
  auto enc = make_encoder("classic", static_cast<std::uint32_t>(state.range(0)));
  const Bytes file = enc.encode(*to_tadm(photo()));
  auto dec = make_decoder(nullptr, static_cast<int>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(dec.decode(file));
  set_pixels(state, static_cast<std::uint64_t>(photo().width) * photo().height);
}
BENCHMARK(BM_ClassicDecode)->Args({16, 1})->Args({32, 1})->Args({16, 2})->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// The upscaler alone, on a thumbnail held in memory (tadm_decoder_upscale).
void BM_ClassicUpscale(benchmark::State& state) {
  const auto scale = static_cast<std::uint32_t>(state.range(0));
  Rescaler r;
  auto lr = to_tadm(r.downscale(photo(), scale));
  auto dec = make_decoder("classic");
  for (auto _ : state) benchmark::DoNotOptimize(dec.upscale(*lr, scale));
  set_pixels(state, static_cast<std::uint64_t>(lr->width) * lr->height * scale * scale);
}
BENCHMARK(BM_ClassicUpscale)->Arg(16)->Arg(32)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// A learned bundle's two stages, each on one tile: the image is cropped to the largest square
// of at most 512x512 and max_tile_pixels is set to hold it whole.
void register_bundles() {
  char* text = nullptr;
  if (tadm_list_models(nullptr, &text, nullptr, 0) != TADM_OK || !text) return;
  std::istringstream ls(text);
  tadm_buffer_free(reinterpret_cast<std::uint8_t*>(text));
  std::string line;
  while (std::getline(ls, line)) {
    std::istringstream f(line);
    std::string name, scale_text;
    std::getline(f, name, '\t');
    std::getline(f, scale_text, '\t');
    if (name.empty() || name == "classic") continue;
    const auto scale = static_cast<std::uint32_t>(std::strtoul(scale_text.c_str(), nullptr, 10));
    if (scale == 0) continue;
    auto tile = [](std::uint32_t s) {
      const std::uint32_t side = std::min({512u, photo().width, photo().height}) / s * s;
      return crop(photo(), 0, 0, side, side);
    };
    // One thread, and a tile budget that holds the whole crop (refinement windows get a quarter).
    auto encoder_settings = [](const std::string& model, std::uint32_t s, const Rgb& t, int refine = 0) {
      tadm_encoder_settings st;
      tadm_encoder_default_settings(&st);
      st.common.model = model.c_str();
      st.scale = s;
      st.common.threads = 1;
      st.common.limits.max_tile_pixels = 4 * t.width * t.height;
      st.refine_iterations = refine;
      return st;
    };
    benchmark::RegisterBenchmark(("BM_BundleEncodeTile/" + name).c_str(), [name, scale, tile, encoder_settings](benchmark::State& state) {
      const Rgb t = tile(scale);
      try {
        // Arg: refinement steps (0 = the plain encoder; 4 shows what each step adds).
        tadm_cpp::Encoder enc(encoder_settings(name, scale, t, static_cast<int>(state.range(0))));
        auto im = to_tadm(t);
        for (auto _ : state) benchmark::DoNotOptimize(enc.encode(*im));
        set_pixels(state, static_cast<std::uint64_t>(t.width) * t.height);
      } catch (const std::exception& e) {
        state.SkipWithError(e.what());
      }
    })->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
    benchmark::RegisterBenchmark(("BM_BundleDecodeTile/" + name).c_str(), [name, scale, tile, encoder_settings](benchmark::State& state) {
      const Rgb t = tile(scale);
      try {
        tadm_cpp::Encoder enc(encoder_settings(name, scale, t));
        const Bytes file = enc.encode(*to_tadm(t));
        tadm_decoder_settings ds;
        tadm_decoder_default_settings(&ds);
        ds.common.threads = 1;
        ds.common.limits.max_tile_pixels = t.width * t.height;
        tadm_cpp::Decoder dec(ds);
        for (auto _ : state) benchmark::DoNotOptimize(dec.decode(file));
        set_pixels(state, static_cast<std::uint64_t>(t.width) * t.height);
      } catch (const std::exception& e) {
        state.SkipWithError(e.what());
      }
    })->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_bundles();
  benchmark::AddCustomContext("image", std::to_string(photo().width) + "x" + std::to_string(photo().height));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
