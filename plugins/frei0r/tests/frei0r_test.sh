#!/usr/bin/env bash
# The frei0r plugin through Debian's stock /usr/bin/ffmpeg (built with --enable-frei0r):
#   FREI0R_PATH=DIR ffmpeg -i thumb%d.png \
#     -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|16,format=rgb24" out%d.png
# must give frames equal, pixel for pixel, to tadmdec's output for the same thumbnails. Bad
# parameters must stop ffmpeg with a clear message, a non-zero status and no output frames.
#
# usage: frei0r_test.sh PLUGIN_DIR TOOL_DIR TADM_PIXDIFF KODAK_DIR
# Exit 77 (skipped, with the reason) when the plugin was not built or ffmpeg cannot load frei0r.
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: $0 PLUGIN_DIR TOOL_DIR TADM_PIXDIFF KODAK_DIR" >&2; exit 2; }
plugin_dir="$1" tools="$2" pixdiff="$3" kodak="$4"
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/lib.sh"
ffmpeg=/usr/bin/ffmpeg

[ -f "$plugin_dir/tadm.so" ] ||
  skip_test "the frei0r plugin was not built (needs frei0r-plugins-dev; TADM_BUILD_FREI0R=ON)"
[ -x "$ffmpeg" ] || skip_test "Debian's ffmpeg is not installed (apt-get install ffmpeg)"
# (Output captured first: with pipefail, grep -q closing the pipe early would fail ffmpeg.)
filters="$("$ffmpeg" -hide_banner -filters 2>/dev/null)" || skip_test "$ffmpeg does not run"
grep -q ' frei0r ' <<<"$filters" || skip_test "$ffmpeg has no frei0r filter"
[ -x "$im" ] || die "ImageMagick's $im is missing"
require_inputs "$kodak"/kodim0{1,2,3}.png
export FREI0R_PATH="$plugin_dir"

make_work_dir
cd "$work"

make_classic_references "$kodak"

# ------------------------------------------------------------------ the documented filtergraph
ff -i thumb%d.png -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|16,format=rgb24" out%d.png
expect_frames_equal_references out

# Defaults (classic, 16) and the RGBA output without format=rgb24 (opaque alpha).
ff -i thumb%d.png -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm" def%d.png
expect_frames_equal_references def
echo "ok: the default parameters are classic|16"

# The same through a factor of 8.
"$tools/tadmenc" --quiet --model classic --scale 8 crop1.png g.tadm
"$tools/tadmdec" --quiet g.tadm gref.png
"$tools/tadmdec" --quiet --thumbnail g.tadm gthumb.png
ff -i gthumb.png -vf "scale=iw*8:ih*8:flags=neighbor,frei0r=tadm:classic|8,format=rgb24" gout.png
"$pixdiff" gout.png gref.png 0 || die "scale 8 differs from tadmdec"
echo "ok: scale 8 equals tadmdec"

# ------------------------------------------------------------------ bad parameters
expect_filter_error "cannot open model 'no-such-model'" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:no-such-model|16"
expect_filter_error "scale 100 must be an integer 2..64" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|100"
expect_filter_error "scale 0.5 must be an integer 2..64" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|0.5"
expect_filter_error "Invalid value 'abc'" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|abc"
expect_filter_error "not a multiple of the scale 16" "scale=iw*9:ih*9:flags=neighbor,frei0r=tadm:classic|16"

# ------------------------------------------------------------------ a learned bundle, if any
expect_learned_filter_equals_tadmdec "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:pix16|16,format=rgb24" "the plugin"
echo "PASS"
