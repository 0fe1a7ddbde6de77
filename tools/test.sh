#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run the tests in the
# release build, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
bash tools/build.sh release
ctest --test-dir build/release --output-on-failure -j2
bash tools/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j2
