#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine: install, build, then encode a real
# photo with the default model and decode it back. Outputs go to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
photo=${1:-}
if [ -z "$photo" ]; then  # a Kodak photo from the shared image sets (as CMake finds them)
  for d in "${TADM_DATA_DIR:-}" ../shared/data /work/shared/data; do
    [ -n "$d" ] && [ -f "$d/kodak/kodim23.png" ] && { photo=$d/kodak/kodim23.png; break; }
  done
  [ -n "$photo" ] || { echo "demo: no photo given and no Kodak set found (set TADM_DATA_DIR)" >&2; exit 1; }
fi
bash tools/setup-debian.sh
bash tools/build.sh release
mkdir -p out
name=$(basename "${photo%.*}")
build/release/tools/tadmenc "$photo" "out/$name.tadm"
build/release/tools/tadmdec "out/$name.tadm" "out/$name.decoded.png"
build/release/tools/tadmdec --thumbnail "out/$name.tadm" "out/$name.thumbnail.png"
build/release/tools/tadminfo "out/$name.tadm"
echo "demo: wrote out/$name.tadm, out/$name.decoded.png and out/$name.thumbnail.png"
