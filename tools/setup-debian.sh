#!/usr/bin/env bash
# Installs every Debian 12 package that tadm's build, tests and training need. Idempotent:
# when everything is already installed it changes nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev                      # libFuzzer and sanitizer runtimes
  zlib1g-dev libpng-dev libjpeg62-turbo-dev libssl-dev
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev                                  # the model runtime (CPU build of LibTorch 1.13)
  python3 python3-torch python3-numpy python3-pil   # model training, evaluation and export
  imagemagick icc-profiles-free                 # independent reference and an ICC profile for CLI tests
  libavif-dev libjxl-dev libwebp-dev libjxl-devtools libavif-bin libjxl-tools gnuplot-nox time  # bench/
  libheif-dev libavif-dev libheif-examples libavif-bin libgdk-pixbuf-2.0-dev libgdk-pixbuf2.0-bin shared-mime-info  # HEIF/AVIF containers, gdk-pixbuf loader (issue 8)
  ffmpeg frei0r-plugins-dev dpkg-dev libx264-dev  # FFmpeg filter (dpkg-source unpacks FFmpeg's source; H.264 through libx264) and frei0r plugin
  pybind11-dev python3-pybind11 python3-distributed   # Python module, Pillow plugin and the Dask recipe (issue 18)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages are installed"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
