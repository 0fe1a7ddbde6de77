#!/usr/bin/env bash
# Builds a Debian package of tadm (BUILD_DIR/tadm_<version>_<arch>.deb; BUILD_DIR defaults to
# build/deb) from a build configured with the prefix /usr, so every file lands where Debian's
# tools look: the library and the LibTorch module in /usr/lib/<multiarch>, the gdk-pixbuf loader
# in gdk-pixbuf's loader folder, the MIME type, thumbnailer and ImageMagick delegates under
# /usr/share. Installing it (`apt install ./build/deb/tadm_*.deb`) runs the gdk-pixbuf and
# shared-mime-info triggers. CMAKE_BUILD_PARALLEL_LEVEL limits the build's jobs (default: all
# cores). tests/install/deb_test.sh (CTest `package.deb`, label `package`) checks the result.
# usage: tools/package-deb.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/deb}
bash tools/setup-debian.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DTADM_BUILD_TESTS=OFF -DTADM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
rm -f "$build"/tadm_*.deb
(cd "$build" && cpack -G DEB)
ls "$build"/tadm_*.deb
