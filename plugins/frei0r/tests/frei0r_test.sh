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
ffmpeg=/usr/bin/ffmpeg
convert=/usr/bin/convert
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -f "$plugin_dir/tadm.so" ] ||
  skip "the frei0r plugin was not built (needs frei0r-plugins-dev; TADM_BUILD_FREI0R=ON)"
[ -x "$ffmpeg" ] || skip "Debian's ffmpeg is not installed (apt-get install ffmpeg)"
# (Output captured first: with pipefail, grep -q closing the pipe early would fail ffmpeg.)
filters="$("$ffmpeg" -hide_banner -filters 2>/dev/null)" || skip "$ffmpeg does not run"
grep -q ' frei0r ' <<<"$filters" || skip "$ffmpeg has no frei0r filter"
[ -x "$convert" ] || fail "ImageMagick's $convert is missing"
for i in 1 2 3; do [ -f "$kodak/kodim0$i.png" ] || fail "missing $kodak/kodim0$i.png"; done
export FREI0R_PATH="$plugin_dir"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

offsets=("0+0" "128+64" "256+128")
for i in 1 2 3; do
  "$convert" "$kodak/kodim0$i.png" -crop "512x384+${offsets[$((i - 1))]}" +repage -depth 8 "crop$i.png"
  "$tools/tadmenc" -q --model classic --scale 16 "crop$i.png" "f$i.tadm"
  "$tools/tadmdec" -q "f$i.tadm" "ref$i.png"
  "$tools/tadmdec" -q --thumbnail "f$i.tadm" "thumb$i.png"
done

ff() { "$ffmpeg" -nostdin -hide_banner -loglevel error -y "$@"; }

# ------------------------------------------------------------------ the documented filtergraph
ff -i thumb%d.png -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|16,format=rgb24" out%d.png
for i in 1 2 3; do
  [ -f "out$i.png" ] || fail "out$i.png was not written"
  "$pixdiff" "out$i.png" "ref$i.png" 0 || fail "out$i.png differs from tadmdec's ref$i.png"
done
[ ! -e out4.png ] || fail "more frames than inputs"
echo "ok: 3 frames through Debian's ffmpeg + frei0r equal tadmdec"

# Defaults (classic, 16) and the RGBA output without format=rgb24 (opaque alpha).
ff -i thumb%d.png -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm" def%d.png
for i in 1 2 3; do "$pixdiff" "def$i.png" "ref$i.png" 0 || fail "def$i.png differs"; done
echo "ok: the default parameters are classic|16"

# The same through a factor of 8.
"$tools/tadmenc" -q --model classic --scale 8 crop1.png g.tadm
"$tools/tadmdec" -q g.tadm gref.png
"$tools/tadmdec" -q --thumbnail g.tadm gthumb.png
ff -i gthumb.png -vf "scale=iw*8:ih*8:flags=neighbor,frei0r=tadm:classic|8,format=rgb24" gout.png
"$pixdiff" gout.png gref.png 0 || fail "scale 8 differs from tadmdec"
echo "ok: scale 8 equals tadmdec"

# ------------------------------------------------------------------ bad parameters
expect_error() {  # PATTERN FILTERGRAPH
  local pattern="$1" graph="$2" rc=0
  rm -f bad*.png
  "$ffmpeg" -nostdin -hide_banner -loglevel error -y -i thumb%d.png -vf "$graph" bad%d.png 2>err.txt || rc=$?
  [ $rc -ne 0 ] || fail "-vf '$graph' succeeded"
  [ $rc -lt 128 ] || fail "-vf '$graph' crashed (status $rc)"
  grep -q -- "$pattern" err.txt || { cat err.txt >&2; fail "-vf '$graph': no '$pattern' in the error"; }
  ! ls bad*.png >/dev/null 2>&1 || fail "-vf '$graph' left output frames"
  echo "ok: -vf '$graph' -> status $rc: $(head -n1 err.txt)"
}
expect_error "cannot open model 'no-such-model'" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:no-such-model|16"
expect_error "scale 100 must be an integer 2..64" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|100"
expect_error "scale 0.5 must be an integer 2..64" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|0.5"
expect_error "Invalid value 'abc'" "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:classic|abc"
expect_error "not a multiple of the scale 16" "scale=iw*9:ih*9:flags=neighbor,frei0r=tadm:classic|16"

# ------------------------------------------------------------------ a learned bundle, if any
models="$("$tools/tadmenc" --list-models 2>/dev/null || true)"
if grep -q '^pix16' <<<"$models"; then
  "$tools/tadmenc" -q --model pix16 crop1.png p.tadm
  "$tools/tadmdec" -q p.tadm pref.png
  "$tools/tadmdec" -q --thumbnail p.tadm pthumb.png
  ff -i pthumb.png -vf "scale=iw*16:ih*16:flags=neighbor,frei0r=tadm:pix16|16,format=rgb24" pout.png
  "$pixdiff" pout.png pref.png 0 || fail "pix16: the plugin differs from tadmdec"
  echo "ok: pix16 through the plugin equals tadmdec"
else
  echo "note: no pix16 bundle installed; the learned path was not exercised (classic was)"
fi
echo "PASS"
