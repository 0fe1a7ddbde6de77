#!/usr/bin/env bash
# An installed tadm on its own: `cmake --install` to a scratch prefix, the prefix moved elsewhere
# (nothing may depend on the path it was installed to) and the source and build trees out of
# reach (a clean environment; the library only looks at them when it runs from the build tree).
# Checks: RUNPATHs, exported symbols, the learned default model found by the installed tools,
# no silent fallback when the models are missing, a C program built with pkg-config and C/C++17
# programs built with find_package(tadm).
# Usage: install_test.sh BUILD_DIR SOURCE_DIR KODAK_DIR
set -uo pipefail
build=$1 src=$2 kodak=$3
. "$src/tests/lib.sh"
make_work_dir
photo=$kodak/kodim23.png
require_inputs "$photo"

if ! cmake --install "$build" --prefix "$work/staged" >"$work/install.log" 2>&1; then
  cat "$work/install.log"; echo "FAIL cmake --install"; exit 1
fi
mv "$work/staged" "$work/p"
p=$work/p
libdir=$(cd "$p" && dirname "$(find . -name 'libtadm.so.1' | head -1)")
libdir=$p/${libdir#./}
# Only the system's own paths: no TADM_MODEL_PATH, no LD_LIBRARY_PATH, no source tree.
clean() { env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 "$@"; }

check "libtadm.so is installed" test -f "$libdir/libtadm.so.1"
runpath=$(readelf -d "$p/bin/tadmenc" | grep -E 'RUNPATH|RPATH')
check "tadmenc carries a RUNPATH relative to itself ($runpath)" grep -q 'RUNPATH.*\$ORIGIN' <<<"$runpath"
extra=$(nm -D --defined-only "$libdir/libtadm.so.1" | awk '$3 !~ /^tadm_/ {print $3}')
check "libtadm exports only tadm_* (extra: ${extra:-none})" test -z "$extra"

# The tools, with the learned default model found beside the library.
check "installed tadmenc encodes with the default learned model" \
  clean "$p/bin/tadmenc" "$photo" "$work/a.tadm"
check "the file names pix16" grep -q '"pix16"\|pix16' <(clean "$p/bin/tadminfo" "$work/a.tadm")
check "installed tadmdec decodes it" clean "$p/bin/tadmdec" "$work/a.tadm" "$work/a.png"
check "the decoded photo has the original size" test "$(identify -format %wx%h "$work/a.png")" = 768x512

pipe() { clean "$p/bin/tadmenc" - - <"$photo" | clean "$p/bin/tadmdec" - - >"$work/piped.png"; }
check "tadmenc - - | tadmdec - - (pipes, default model)" pipe
check "the piped output is the same photo as the file path's" test "$(ae "$work/a.png" "$work/piped.png")" = 0

# ffmpeg-tadm (installed when the patched FFmpeg was built for this tree): its default model is
# tadmenc's, so the thumbnail through the filter is tadmdec's photo.
if [ -x "$p/bin/ffmpeg-tadm" ]; then
  clean "$p/bin/tadmdec" --thumbnail "$work/a.tadm" "$work/thumb.png"
  check "installed ffmpeg-tadm runs the filter with the default model" \
    clean "$p/bin/ffmpeg-tadm" -nostdin -hide_banner -loglevel error -i "$work/thumb.png" -vf tadm "$work/ff.png"
  check "and gives tadmdec's pixels" test "$(ae "$work/a.png" "$work/ff.png")" = 0
else
  skipped "ffmpeg-tadm (the patched FFmpeg was not built for this tree)"
fi

# The latent model (tadm16) with TAEF2's weights installed beside the models (share/tadm/base),
# found relative to the library like the bundles; without them a clear error, nothing written.
if [ -f "$p/share/tadm/models/tadm16/manifest.json" ] && [ -f "$p/share/tadm/base/taef2/taef2_decoder.pth" ]; then
  convert "$photo" -crop 256x192+256+160 +repage "$work/crop.png"
  check "installed tadmenc --profile perceptual encodes with tadm16 and the installed TAEF2 weights" \
    clean "$p/bin/tadmenc" --profile perceptual "$work/crop.png" "$work/l.tadm"
  check "the file names tadm16" grep -q tadm16 <(clean "$p/bin/tadminfo" "$work/l.tadm")
  check "installed tadmdec decodes it" clean "$p/bin/tadmdec" "$work/l.tadm" "$work/l.png"
  check "the TAEF2 license notice is installed with the weights" grep -q "MIT" "$p/share/tadm/base/taef2/NOTICE"
  mv "$p/share/tadm/base" "$p/share/tadm/base.away"
  expect_fail "without the base weights decoding fails naming the folder and the expected SHA-256" \
    "taef2 base weights taef2_(en|de)coder.pth .SHA-256 [0-9a-f]{64}.*share/tadm/base/taef2" \
    clean "$p/bin/tadmdec" "$work/l.tadm" "$work/l2.png"
  check "and writes nothing" test ! -e "$work/l2.png"
  mv "$p/share/tadm/base.away" "$p/share/tadm/base"
else
  skipped "the latent model (tadm16 or the TAEF2 base weights are not installed in this tree)"
fi

# Without the models: a clear error naming where it looked, nothing written; classic on request.
mv "$p/share/tadm/models" "$p/share/tadm/models.away"
expect_fail "without models the default encode fails naming the folders searched" \
  "pix16.*not found.*share/tadm/models" clean "$p/bin/tadmenc" "$photo" "$work/b.tadm"
check "and writes nothing" test ! -e "$work/b.tadm"
check "--model classic still works" clean "$p/bin/tadmenc" --model classic "$photo" "$work/b.tadm"
mv "$p/share/tadm/models.away" "$p/share/tadm/models"

# A C program with pkg-config; it finds libtadm through the -rpath it was linked with.
pcdir=$(dirname "$(find "$p" -name tadm.pc | head -1)")
if flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs tadm); then
  ok "pkg-config --cflags --libs tadm: $flags"
  # shellcheck disable=SC2086  # the flags are words
  if cc -std=c99 -Wall -Werror -o "$work/example_pc" "$src/tests/install/example/example.c" $flags \
      -Wl,-rpath,"$libdir" 2>"$work/cc.log"; then
    check "the pkg-config C example encodes and decodes (default model)" clean "$work/example_pc" "$photo"
  else
    bad "the pkg-config C example builds: $(cat "$work/cc.log")"
  fi
else
  bad "pkg-config finds tadm.pc"
fi
check "pkg-config reports the project's version" \
  test "$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion tadm)" = "$(clean "$p/bin/tadmenc" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)"

# find_package(tadm): a C and a C++17 program.
if cmake -S "$src/tests/install/example" -B "$work/example" -G Ninja -DCMAKE_PREFIX_PATH="$p" \
     -DCMAKE_BUILD_RPATH="$libdir" >"$work/cmake.log" 2>&1 &&
   cmake --build "$work/example" >>"$work/cmake.log" 2>&1; then
  ok "find_package(tadm) builds the C and C++17 examples"
  check "the find_package C example runs (classic)" clean "$work/example/example_c" "$photo" classic
  check "the C++17 example runs" clean "$work/example/example_cpp17" "$photo"
else
  bad "find_package(tadm): $(tail -20 "$work/cmake.log")"
fi
# gdk-pixbuf and ImageMagick as their READMEs say for a prefix other than /usr: a loader cache
# listing the installed loader, the prefix's MIME database in XDG_DATA_DIRS, MAGICK_CONFIGURE_PATH.
query=$(ls /usr/lib/*/gdk-pixbuf-2.0/gdk-pixbuf-query-loaders 2>/dev/null | head -1)
loader=$(find "$p" -name 'libpixbufloader-tadm.so' | head -1)
if [ -n "$query" ] && [ -n "$loader" ]; then
  clean "$query" "$loader" >"$work/loaders.cache" 2>/dev/null
  update-mime-database "$p/share/mime" >/dev/null 2>&1
  check "gdk-pixbuf-thumbnailer makes a 128 px thumbnail with the installed loader" \
    clean GDK_PIXBUF_MODULE_FILE="$work/loaders.cache" XDG_DATA_DIRS="$p/share:/usr/share" \
    gdk-pixbuf-thumbnailer -s 128 "$work/a.tadm" "$work/gdk-thumb.png"
  check "whose size is 128 px on the long side" test "$(identify -format %w "$work/gdk-thumb.png" 2>/dev/null)" = 128
else
  bad "the gdk-pixbuf loader is installed ($loader) and gdk-pixbuf-query-loaders exists ($query)"
fi
check "the ImageMagick delegate is installed" test -f "$p/share/ImageMagick-6/delegates.xml"
check "convert reads a .tadm through the installed delegate and tools" \
  clean PATH="$p/bin:/usr/bin:/bin" MAGICK_CONFIGURE_PATH="$p/share/ImageMagick-6" convert "$work/a.tadm" "$work/im.png"
check "ImageMagick's result is tadmdec's" test "$(ae "$work/a.png" "$work/im.png")" = 0

# The Python module (import tadm) and the Dask recipe on 2 local workers, from the prefix.
pydir=$p/lib/python3/dist-packages
if [ -d "$pydir/tadm" ]; then
  check "import tadm from the prefix round-trips a photo (default model)" clean PYTHONPATH="$pydir" /usr/bin/python3 -c "
import sys, tadm
data = tadm.encode(sys.argv[1])
assert tadm.info(data)['model']['name'] == 'pix16', tadm.info(data)
img = tadm.decode(data)
assert img.shape == (512, 768, 3), img.shape
" "$photo"
  mkdir -p "$work/tree/sub" && cp "$kodak/kodim01.png" "$work/tree/" && cp "$photo" "$work/tree/sub/"
  check "the Dask recipe encodes a tree on 2 local workers" clean PYTHONPATH="$pydir" /usr/bin/python3 -m tadm.dask_batch \
    encode "$work/tree" "$work/tree-out" --local 2 --model classic
  check "mirroring the tree" test -s "$work/tree-out/sub/kodim23.tadm" -a -s "$work/tree-out/kodim01.tadm"
else
  skipped "the Python module (not built)"
fi
report_tally
