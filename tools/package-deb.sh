#!/usr/bin/env bash
# Builds a Debian package of tadm (build/deb/tadm_<version>_<arch>.deb) from a build configured
# with the prefix /usr, so every file lands where Debian's tools look: the library and the
# LibTorch module in /usr/lib/<multiarch>, the gdk-pixbuf loader in gdk-pixbuf's loader folder,
# the MIME type, thumbnailer and ImageMagick delegates under /usr/share. Installing it
# (`apt install ./build/deb/tadm_*.deb`) runs the gdk-pixbuf and shared-mime-info triggers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
cmake -S . -B build/deb -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DTADM_BUILD_TESTS=OFF -DTADM_BUILD_BENCH=OFF >/dev/null
cmake --build build/deb -j"$(nproc)"
(cd build/deb && cpack -G DEB)
ls build/deb/*.deb
