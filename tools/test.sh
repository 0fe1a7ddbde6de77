#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run the tests in the
# release build, libFuzzer smoke runs (container, decoder with HEIF/AVIF, image reader + encoder,
# and the allocation-failure mode), then the tests again under AddressSanitizer +
# UndefinedBehaviorSanitizer with the whole engine instrumented.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
bash tools/build.sh release
# -LE package: the Debian package check (CTest label `package`) is a second full build; run it with
# `ctest --test-dir build/release -L package`.
ctest --test-dir build/release --output-on-failure -j2 -LE package

# Fuzz smoke: $FUZZ_SECONDS (default 20) per target, engine and container instrumented with ASan +
# UBSan + coverage (long campaigns and the allocation-failure mode: tests/README.md, Fuzzing).
fuzz_seconds=${FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DTADM_BUILD_FUZZERS=ON -DTADM_WITH_TORCH=OFF \
  -DTADM_BUILD_BENCH=OFF -DTADM_BUILD_FFMPEG=OFF -DTADM_BUILD_FREI0R=OFF -DTADM_WERROR=ON >/dev/null
fuzz_targets=(fuzz_container fuzz_decoder fuzz_image_reader fuzz_decoder_allocfail fuzz_image_reader_allocfail)
cmake --build build/fuzz -j"$(nproc)" --target "${fuzz_targets[@]}"
check_instrumented() {  # ARCHIVE SYMBOL...: every object of a static library references each symbol prefix
  local archive=$1; shift
  for sym in "$@"; do
    local missing
    missing=$(nm -A "$archive" 2>/dev/null | awk -v s="$sym" -F: '
      { obj=$2; seen[obj]=1 } index($0, s) { hit[obj]=1 }
      END { for (o in seen) if (!(o in hit)) print o }')
    if [[ -n $missing ]]; then
      echo "not instrumented ($sym) in $archive: $missing"
      exit 1
    fi
  done
}
check_instrumented build/fuzz/codec/libtadm_engine.a __asan_ __ubsan_ __sanitizer_cov
fuzz() {  # TARGET SEEDS...: returns non-zero when the target found something
  local target=$1; shift
  rm -rf "build/fuzz/corpus-$target" "build/fuzz/artifacts-$target"
  mkdir -p "build/fuzz/corpus-$target" "build/fuzz/artifacts-$target"
  if ! "build/fuzz/tests/fuzz/$target" -dict=tests/fuzz/tadm.dict -max_total_time="$fuzz_seconds" \
      -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts-$target/" \
      "build/fuzz/corpus-$target" "$@" > "build/fuzz/$target.log" 2>&1; then
    tail -40 "build/fuzz/$target.log"
    echo "fuzz smoke: $target FAILED (log: build/fuzz/$target.log, input: build/fuzz/artifacts-$target/)"
    return 1
  fi
  echo "fuzz smoke: $target $(grep -E 'stat::number_of_executed_units' "build/fuzz/$target.log")"
}
# The allocation-failure targets read a 4-byte countdown before the plain target's input: their
# seeds are the plain seeds behind a spread of countdowns.
allocfail_seeds() {  # OUT_DIR SEED_DIR...
  local out=$1; shift
  rm -rf "$out"
  mkdir -p "$out"
  for dir in "$@"; do
    for f in "$dir"/*; do
      for n in 0 1 3 10 30 100 300 1000; do
        { printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))\\x00\\x00"; cat "$f"; } \
          > "$out/$(basename "$f").$n"
      done
    done
  done
}
allocfail_seeds build/fuzz/seeds-decoder_allocfail tests/fuzz/seeds/decoder
allocfail_seeds build/fuzz/seeds-image_reader_allocfail tests/fuzz/seeds/image_reader
fuzz fuzz_container spec/vectors/valid spec/vectors/invalid tests/fuzz/seeds/regress || exit 1
fuzz fuzz_decoder tests/fuzz/seeds/decoder || exit 1
fuzz fuzz_image_reader tests/fuzz/seeds/image_reader || exit 1
# Allocation failures must give a clean error, no crash and no leak (ALLOCFAIL_STRICT=0 only
# prints a finding, for a campaign that should go on).
allocfail_strict=${ALLOCFAIL_STRICT:-1}
for t in decoder image_reader; do
  # seeds/allocfail-*: inputs (countdown included) that once leaked or crashed under allocation failure
  if ! fuzz "fuzz_${t}_allocfail" "build/fuzz/seeds-${t}_allocfail" "tests/fuzz/seeds/allocfail-$t"; then
    [[ $allocfail_strict == 1 ]] && exit 1
    echo "fuzz smoke: fuzz_${t}_allocfail: finding printed, not failing the run (ALLOCFAIL_STRICT=0)"
  fi
done

# ThreadSanitizer: several encoders and decoders at once through the public API.
bash tools/build.sh tsan tadm_codec_tests
TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/codec/tadm_codec_tests --gtest_filter='Concurrency.*'

# The whole engine (PNG, JPEG, HEIF/AVIF, container, classic rescaler, tools, plugins) under
# ASan + UBSan; the LibTorch runtime module is not built there (LibTorch is not instrumented), and
# the system image libraries are Debian's, uninstrumented. Includes the seed replay (fuzz.replay.*)
# and the hostile inputs (regress.HostileInput.*).
bash tools/build.sh asan
check_instrumented build/asan/codec/libtadm_engine.a __asan_ __ubsan_
check_instrumented build/asan/container/libtadm_container.a __asan_ __ubsan_
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j2 -LE package
