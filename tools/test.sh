#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run the tests in the
# release build, a libFuzzer smoke run of the container parser, then the tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
bash tools/build.sh release
ctest --test-dir build/release --output-on-failure -j2

# Fuzz smoke: 30 s per target (long campaigns: see README, Fuzzing).
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DTADM_BUILD_FUZZERS=ON -DTADM_WITH_TORCH=OFF \
  -DTADM_BUILD_BENCH=OFF -DTADM_WERROR=ON >/dev/null
cmake --build build/fuzz --target fuzz_container fuzz_decoder -j"$(nproc)"
fuzz() {  # TARGET SEEDS...
  local target=$1; shift
  mkdir -p "build/fuzz/corpus-$target"
  if ! "build/fuzz/tests/fuzz/$target" -dict=tests/fuzz/tadm.dict -max_total_time=30 -print_final_stats=1 \
      "build/fuzz/corpus-$target" "$@" > "build/fuzz/$target.log" 2>&1; then
    tail -40 "build/fuzz/$target.log"
    echo "fuzz smoke: $target FAILED (log: build/fuzz/$target.log)"
    exit 1
  fi
  echo "fuzz smoke: $target $(grep -E 'stat::number_of_executed_units' "build/fuzz/$target.log")"
}
fuzz fuzz_container spec/vectors/valid spec/vectors/invalid
fuzz fuzz_decoder tests/fuzz/seeds/decoder

# ThreadSanitizer: several encoders and decoders at once through the public API.
bash tools/build.sh tsan tadm_codec_tests
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/codec/tadm_codec_tests --gtest_filter='Concurrency.*'

bash tools/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j2
