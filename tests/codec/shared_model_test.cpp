// Handles share loaded learned models: a bundle is loaded from disk once per process (counted
// through the INFO line the loading handle's log callback gets), used by several handles on
// several threads at once with the results of one handle alone, and freed with its last handle.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

using namespace tadm_test;
namespace fs = std::filesystem;

namespace {

const fs::path kBundles = TADM_SOURCE_BUNDLES;

// Counts "model ... loaded from ..." lines, from any handle and thread.
struct LoadLog {
  std::atomic<int> loads{0};
  std::mutex mutex;
  std::vector<std::string> lines;
  static void callback(void* user, tadm_log_level level, const char* message) {
    auto* self = static_cast<LoadLog*>(user);
    const std::string m = message;
    if (level == TADM_LOG_INFO && m.rfind("model ", 0) == 0 && m.find(" loaded from ") != std::string::npos)
      ++self->loads;
    const std::lock_guard lock(self->mutex);
    self->lines.push_back(m);
  }
  std::string text() {
    const std::lock_guard lock(mutex);
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
};

tadm_decoder_settings logged_decoder(LoadLog& log, const char* model_dir = nullptr) {
  tadm_decoder_settings s = default_decoder();
  s.common.threads = 1;
  s.common.model_dir = model_dir;
  s.common.log = &LoadLog::callback;
  s.common.user = &log;
  return s;
}

tadm_encoder_settings logged_encoder(LoadLog& log, const char* model_dir = nullptr) {
  tadm_encoder_settings s;
  tadm_encoder_default_settings(&s);
  s.common.model = "pix16";
  s.common.model_dir = model_dir;
  s.common.threads = 1;
  s.common.log = &LoadLog::callback;
  s.common.user = &log;
  return s;
}

std::vector<uint8_t> pixels(const tadm_image& im) { return blob(im.pixels, im.row_bytes * im.height); }

#define REQUIRE_PIX16()                                                                               \
  if (!fs::exists(kBundles / "pix16" / "manifest.json")) GTEST_SKIP() << "pix16 is not in model/bundles"; \
  if (!TADM_WITH_TORCH) GTEST_SKIP() << "built without LibTorch"

}  // namespace

// Two decoders (and an encoder) in one process: one load; decoding on two threads at once gives
// byte for byte what one decoder alone gives.
TEST(SharedModel, HandlesLoadABundleOnceAndDecodeConcurrently) {
  REQUIRE_PIX16();
  LoadLog log;
  std::vector<std::vector<uint8_t>> files;
  {
    tadm_cpp::Encoder enc(logged_encoder(log));
    for (uint32_t i = 0; i < 2; ++i) files.push_back(enc.encode(*make_image(160 + 16 * i, 112, 3, 8, i)));
  }
  ASSERT_EQ(log.loads.load(), 1) << log.text();
  // The encoder is gone, so the model was freed: the first decoder loads it again.
  std::vector<std::vector<uint8_t>> alone;
  tadm_cpp::Decoder first(logged_decoder(log));
  for (const auto& f : files) alone.push_back(pixels(*first.decode(f)));
  ASSERT_EQ(log.loads.load(), 2) << log.text();
  // While `first` holds it, more handles and threads share it.
  tadm_cpp::Encoder also_enc(logged_encoder(log));
  std::vector<int> same(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      tadm_cpp::Decoder dec(logged_decoder(log));
      bool ok = true;
      for (int round = 0; round < 3; ++round)
        for (std::size_t i = 0; i < files.size(); ++i) ok = ok && pixels(*dec.decode(files[i])) == alone[i];
      same[t] = ok;
    });
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(same[t]) << "thread " << t;
  EXPECT_EQ(log.loads.load(), 2) << log.text();
  EXPECT_NE(log.text().find("already loaded in this process; shared"), std::string::npos) << log.text();
}

// Another bundle identity under the same name (a changed manifest) is another model: loaded apart,
// and files name the one that made them.
TEST(SharedModel, AnotherIdentityIsLoadedApart) {
  REQUIRE_PIX16();
  TempDir tmp;
  fs::copy(kBundles / "pix16", tmp.path / "pix16", fs::copy_options::recursive);
  const std::string dir = tmp.path.string();
  LoadLog log;
  tadm_cpp::Encoder original(logged_encoder(log, dir.c_str()));
  { std::ofstream(tmp.path / "pix16" / "manifest.json", std::ios::app) << "\n"; }  // same name, new SHA-256
  tadm_cpp::Encoder changed(logged_encoder(log, dir.c_str()));
  EXPECT_EQ(log.loads.load(), 2) << log.text();
  EXPECT_NE(original.model(), changed.model());
  // A third handle for the changed bundle shares the second load.
  tadm_cpp::Encoder again(logged_encoder(log, dir.c_str()));
  EXPECT_EQ(log.loads.load(), 2) << log.text();
  EXPECT_EQ(changed.model(), again.model());
}
