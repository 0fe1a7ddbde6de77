#!/usr/bin/env bash
# Configure and build one flavour of tadm into build/<flavour>: release (default), asan
# (ASan + UBSan) or tsan (ThreadSanitizer); optional TARGETs limit what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  # Plugins that stock programs (ffmpeg, gdk-pixbuf) load cannot carry the ASan runtime.
  asan)    args=(-DCMAKE_BUILD_TYPE=Debug -DTADM_SANITIZE=ON -DTADM_WITH_TORCH=OFF -DTADM_BUILD_BENCH=OFF
                 -DTADM_BUILD_FFMPEG=OFF -DTADM_BUILD_FREI0R=OFF) ;;
  tsan)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTADM_TSAN=ON -DTADM_WITH_TORCH=OFF -DTADM_BUILD_BENCH=OFF) ;;
  *) echo "usage: tools/build.sh [release|asan|tsan] [TARGET...]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja -DTADM_WERROR=ON "${args[@]}" >/dev/null
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "build/$flavour" -j"$(nproc)" "${targets[@]}"
