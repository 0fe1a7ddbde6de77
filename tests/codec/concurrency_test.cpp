// Several encoders and decoders used at once from different threads through the public API,
// each also running its own worker threads. Run under ThreadSanitizer by tools/test.sh; in
// other builds it still checks that concurrent results equal sequential ones.
#include <gtest/gtest.h>

#include <thread>

#include "test_util.hpp"

using namespace tadm_test;

TEST(Concurrency, ParallelEncodersAndDecodersMatchSequentialResults) {
  constexpr int kJobs = 4;
  std::vector<ImagePtr> images;
  std::vector<std::vector<uint8_t>> expected_files;
  std::vector<std::vector<uint8_t>> expected_pixels;
  for (int i = 0; i < kJobs; ++i) {
    images.push_back(make_image(96 + 16 * i, 64 + 8 * i, i % 2 ? 4 : 3, 8, static_cast<uint32_t>(i)));
    auto s = classic_encoder(i % 2 ? 8 : 16);
    expected_files.push_back(tadm_cpp::Encoder(s).encode(*images.back()));
    ImagePtr out = tadm_cpp::Decoder(default_decoder()).decode(expected_files.back());
    expected_pixels.emplace_back(out->pixels, out->pixels + out->row_bytes * out->height);
  }
  std::vector<int> ok(kJobs, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kJobs; ++i) {
    threads.emplace_back([&, i] {
      auto s = classic_encoder(i % 2 ? 8 : 16);
      tadm_cpp::Encoder enc(s);
      tadm_cpp::Decoder dec(default_decoder());
      bool good = true;
      for (int round = 0; round < 3; ++round) {
        const auto file = enc.encode(*images[i]);
        ImagePtr out = dec.decode(file);
        good = good && file == expected_files[i] &&
               std::equal(expected_pixels[i].begin(), expected_pixels[i].end(), out->pixels);
      }
      ok[i] = good;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kJobs; ++i) EXPECT_TRUE(ok[i]) << "job " << i;
}
