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
. "$here/../../../tests/lib.sh"
script="$here/../build-ffmpeg.sh"

[ -x "$im" ] || die "ImageMagick's $im is missing (tools/setup-debian.sh installs it)"
require_inputs "$kodak"/kodim0{1,2,3}.png

# ------------------------------------------------------------------ the patched ffmpeg
if [ "$mode" = cached ]; then
  ffmpeg="$("$script" --tadm-build "$tadm_build" --check)" ||
    skip_test "no cached FFmpeg build for this tree and TADM_BUILD_FFMPEG=OFF (run: ninja ffmpeg-tadm, or $script --tadm-build $tadm_build)"
else
  set +e
  out="$("$script" --tadm-build "$tadm_build")"
  rc=$?
  set -e
  if [ $rc -eq 3 ]; then
    skip_test "FFmpeg's source package could not be downloaded from deb.debian.org (no network?), so the filter cannot be built"
  fi
  [ $rc -eq 0 ] || die "build-ffmpeg.sh failed with status $rc"
  ffmpeg="$(tail -n1 <<<"$out")"
fi
[ -x "$ffmpeg" ] || die "build-ffmpeg.sh named no executable: '$ffmpeg'"
echo "ffmpeg: $ffmpeg"
help="$("$ffmpeg" -hide_banner -h filter=tadm)" || die "ffmpeg -h filter=tadm failed"
grep -q "scale" <<<"$help" || die "ffmpeg -h filter=tadm shows no options"

make_work_dir
cd "$work"

# ------------------------------------------------------------------ inputs and references
make_classic_references "$kodak"
[ "$(/usr/bin/identify -format %wx%h thumb1.png)" = 32x24 ] || die "unexpected thumbnail size"

# ------------------------------------------------------------------ the filter's output
ff -i thumb%d.png -vf tadm=model=classic:scale=16 out%d.png
expect_frames_equal_references out
# The model's own scale (classic: 16) when scale is not given.
ff -i thumb%d.png -vf tadm=model=classic auto%d.png
expect_frames_equal_references auto
# threads and tile change the work split, not the result.
ff -i thumb%d.png -vf tadm=model=classic:scale=16:threads=1:tile=4096 tiled%d.png
expect_frames_equal_references tiled

# A different factor: 8 gives 256x192 frames equal to the 8x classic upscale of the thumbnails.
ff -i thumb%d.png -vf tadm=model=classic:scale=8 x8_%d.png
for i in 1 2 3; do
  [ "$(/usr/bin/identify -format %wx%h "x8_$i.png")" = 256x192 ] || die "scale=8 gave the wrong size"
done
echo "ok: scale=8 gives 256x192"

# Non-RGB input is converted by format negotiation (FFmpeg inserts a scaler before the filter).
"$im" thumb1.png -colorspace Gray -depth 8 -define png:color-type=0 gray1.png
ff -i gray1.png -vf tadm=model=classic:scale=16 gray_out.png
[ "$(/usr/bin/identify -format %wx%h gray_out.png)" = 512x384 ] || die "gray input: wrong output size"
ff -i thumb1.png -vf format=yuv444p,tadm=model=classic:scale=16 yuv_out.png
[ "$(/usr/bin/identify -format %wx%h yuv_out.png)" = 512x384 ] || die "yuv input: wrong output size"

# Ordinary video: H.264 in MP4 (libx264) through the filter, out as H.264 and as JPEG frames;
# Debian's stock ffprobe is the independent reader.
ff -framerate 5 -i thumb%d.png -c:v libx264 -pix_fmt yuv420p thumbs.mp4
ff -i thumbs.mp4 -vf tadm=model=classic:scale=16 -c:v libx264 -pix_fmt yuv420p full.mp4
probe="$(/usr/bin/ffprobe -v error -select_streams v:0 -count_frames \
         -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 full.mp4)"
[ "$probe" = "h264,512,384,3" ] || die "H.264 through the filter gave '$probe', not h264,512,384,3"
ff -i thumbs.mp4 -vf tadm=model=classic:scale=16 frame%d.jpg
for i in 1 2 3; do
  [ "$(/usr/bin/identify -format %wx%h "frame$i.jpg")" = 512x384 ] || die "JPEG frame $i: wrong size"
done
echo "ok: H.264/MP4 in, H.264/MP4 and JPEG frames out"
echo "ok: gray and yuv444p inputs are negotiated to rgb24"

# ------------------------------------------------------------------ bad options
expect_filter_error "Cannot open model 'no-such-model'" "tadm=model=no-such-model"
expect_filter_error "out of range" "tadm=scale=100"
expect_filter_error "Invalid scale 1" "tadm=scale=1"
expect_filter_error "out of range" "tadm=scale=-3"
expect_filter_error "tile" "tadm=tile=-1"
expect_filter_error "not found" "tadm=bogus=1"

# ------------------------------------------------------------------ a learned bundle, if any
expect_learned_filter_equals_tadmdec tadm=model=pix16 "the filter"
expect_learned_filter_equals_tadmdec tadm "the filter's default model (tadmenc's)"
echo "PASS"
