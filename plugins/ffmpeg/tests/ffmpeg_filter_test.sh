#!/usr/bin/env bash
# The tadm filter in a patched FFmpeg 5.1: a thumbnail sequence through
#   ffmpeg -i thumb%d.png -vf tadm=model=classic:scale=16 out%d.png
# must give frames equal, pixel for pixel, to tadmdec's output for the same thumbnails (crops
# whose sizes are multiples of 16, for which tadmdec is exactly tadm_decoder_upscale of the
# stored thumbnail). Bad options must give FFmpeg-style errors and no output.
#
# usage: ffmpeg_filter_test.sh build|cached TADM_BUILD_DIR TOOL_DIR TADM_PIXDIFF KODAK_DIR
#   build   run build-ffmpeg.sh (reuses its cache; a cold build takes a few minutes)
#   cached  use a cached build only (TADM_BUILD_FFMPEG=OFF); skip when there is none
# Exit 77 (skipped, with the reason) when the FFmpeg build is unavailable.
set -euo pipefail

[ $# -eq 5 ] || { echo "usage: $0 build|cached TADM_BUILD_DIR TOOL_DIR TADM_PIXDIFF KODAK_DIR" >&2; exit 2; }
mode="$1" tadm_build="$2" tools="$3" pixdiff="$4" kodak="$5"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../build-ffmpeg.sh"
convert=/usr/bin/convert
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$convert" ] || fail "ImageMagick's $convert is missing (tools/setup-debian.sh installs it)"
for i in 1 2 3; do [ -f "$kodak/kodim0$i.png" ] || fail "missing $kodak/kodim0$i.png"; done

# ------------------------------------------------------------------ the patched ffmpeg
if [ "$mode" = cached ]; then
  ffmpeg="$("$script" --tadm-build "$tadm_build" --check)" ||
    skip "no cached FFmpeg build for this tree and TADM_BUILD_FFMPEG=OFF (run: ninja ffmpeg-tadm, or $script --tadm-build $tadm_build)"
else
  set +e
  out="$("$script" --tadm-build "$tadm_build")"
  rc=$?
  set -e
  if [ $rc -eq 3 ]; then
    skip "FFmpeg's source package could not be downloaded from deb.debian.org (no network?), so the filter cannot be built"
  fi
  [ $rc -eq 0 ] || fail "build-ffmpeg.sh failed with status $rc"
  ffmpeg="$(tail -n1 <<<"$out")"
fi
[ -x "$ffmpeg" ] || fail "build-ffmpeg.sh named no executable: '$ffmpeg'"
echo "ffmpeg: $ffmpeg"
help="$("$ffmpeg" -hide_banner -h filter=tadm)" || fail "ffmpeg -h filter=tadm failed"
grep -q "scale" <<<"$help" || fail "ffmpeg -h filter=tadm shows no options"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# ------------------------------------------------------------------ inputs and references
# Three 512x384 crops (multiples of 16): tadmenc makes 32x24 thumbnails, tadmdec the reference.
offsets=("0+0" "128+64" "256+128")
for i in 1 2 3; do
  "$convert" "$kodak/kodim0$i.png" -crop "512x384+${offsets[$((i - 1))]}" +repage -depth 8 "crop$i.png"
  "$tools/tadmenc" -q --model classic --scale 16 "crop$i.png" "f$i.tadm"
  "$tools/tadmdec" -q "f$i.tadm" "ref$i.png"
  "$tools/tadmdec" -q --thumbnail "f$i.tadm" "thumb$i.png"
done
[ "$(/usr/bin/identify -format %wx%h thumb1.png)" = 32x24 ] || fail "unexpected thumbnail size"

ff() { "$ffmpeg" -nostdin -hide_banner -loglevel error -y "$@"; }

check_outputs() {  # PREFIX: PREFIX1..3.png must equal ref1..3.png exactly
  local n=0
  for i in 1 2 3; do
    [ -f "$1$i.png" ] || fail "$1$i.png was not written"
    "$pixdiff" "$1$i.png" "ref$i.png" 0 || fail "$1$i.png differs from tadmdec's ref$i.png"
    n=$((n + 1))
  done
  [ ! -e "${1}4.png" ] || fail "more frames than inputs"
  echo "ok: $n frames of $1 equal tadmdec"
}

# ------------------------------------------------------------------ the filter's output
ff -i thumb%d.png -vf tadm=model=classic:scale=16 out%d.png
check_outputs out
# The model's own scale (classic: 16) when scale is not given.
ff -i thumb%d.png -vf tadm auto%d.png
check_outputs auto
# threads and tile change the work split, not the result.
ff -i thumb%d.png -vf tadm=model=classic:scale=16:threads=1:tile=4096 tiled%d.png
check_outputs tiled

# A different factor: 8 gives 256x192 frames equal to the 8x classic upscale of the thumbnails.
ff -i thumb%d.png -vf tadm=scale=8 x8_%d.png
for i in 1 2 3; do
  [ "$(/usr/bin/identify -format %wx%h "x8_$i.png")" = 256x192 ] || fail "scale=8 gave the wrong size"
done
echo "ok: scale=8 gives 256x192"

# Non-RGB input is converted by format negotiation (FFmpeg inserts a scaler before the filter).
"$convert" thumb1.png -colorspace Gray -depth 8 -define png:color-type=0 gray1.png
ff -i gray1.png -vf tadm=scale=16 gray_out.png
[ "$(/usr/bin/identify -format %wx%h gray_out.png)" = 512x384 ] || fail "gray input: wrong output size"
ff -i thumb1.png -vf format=yuv444p,tadm=scale=16 yuv_out.png
[ "$(/usr/bin/identify -format %wx%h yuv_out.png)" = 512x384 ] || fail "yuv input: wrong output size"
echo "ok: gray and yuv444p inputs are negotiated to rgb24"

# ------------------------------------------------------------------ bad options
expect_error() {  # PATTERN FILTERGRAPH: ffmpeg must fail cleanly with PATTERN on stderr, no output
  local pattern="$1" graph="$2" rc=0
  rm -f bad*.png
  "$ffmpeg" -nostdin -hide_banner -loglevel error -y -i thumb%d.png -vf "$graph" bad%d.png 2>err.txt || rc=$?
  [ $rc -ne 0 ] || fail "-vf '$graph' succeeded"
  [ $rc -lt 128 ] || fail "-vf '$graph' crashed (status $rc)"
  grep -q -- "$pattern" err.txt || { cat err.txt >&2; fail "-vf '$graph': no '$pattern' in the error"; }
  ! ls bad*.png >/dev/null 2>&1 || fail "-vf '$graph' left output frames"
  echo "ok: -vf '$graph' -> status $rc: $(head -n1 err.txt)"
}
expect_error "Cannot open model 'no-such-model'" "tadm=model=no-such-model"
expect_error "out of range" "tadm=scale=100"
expect_error "Invalid scale 1" "tadm=scale=1"
expect_error "out of range" "tadm=scale=-3"
expect_error "tile" "tadm=tile=-1"
expect_error "not found" "tadm=bogus=1"

# ------------------------------------------------------------------ a learned bundle, if any
models="$("$tools/tadmenc" --list-models 2>/dev/null || true)"
if grep -q '^pix16' <<<"$models"; then
  "$tools/tadmenc" -q --model pix16 "crop1.png" p.tadm
  "$tools/tadmdec" -q p.tadm pref1.png
  "$tools/tadmdec" -q --thumbnail p.tadm pthumb1.png
  ff -i pthumb1.png -vf tadm=model=pix16 pout1.png
  "$pixdiff" pout1.png pref1.png 0 || fail "pix16: the filter differs from tadmdec"
  echo "ok: pix16 through the filter equals tadmdec"
else
  echo "note: no pix16 bundle installed; the learned path was not exercised (classic was)"
fi
echo "PASS"
