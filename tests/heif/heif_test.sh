#!/usr/bin/env bash
# HEIF and AVIF as containers (spec/heif-avif.md): round trips that decode to the same image as
# .tadm byte for byte, independent decoders (heif-convert, avifdec) that read the thumbnail
# bit-exactly, the TADM fields in tadminfo, and corrupt or foreign files failing cleanly.
# usage: heif_test.sh BUILD_TOOLS_DIR KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
kodak=$2
use_tools "$1"
make_work_dir

photo=$kodak/kodim23.png
require_inputs "$photo"

# Inputs: odd size RGB, RGBA with a real alpha ramp, grayscale, with an ICC profile, 16-bit.
"$im" "$photo" -crop 333x211+5+7 +repage "$work/rgb.png"
"$im" "$work/rgb.png" -alpha set -channel A -fx 'i/w' +channel "$work/rgba.png"
"$im" "$work/rgb.png" -colorspace gray "$work/gray.png"
"$im" "$work/rgb.png" -profile /usr/share/color/icc/sRGB.icc "$work/icc.png"
"$im" "$work/rgb.png" -depth 16 "$work/deep.png"
cp "$photo" "$work/full.png"

for name in rgb rgba gray icc deep full; do
  src=$work/$name.png
  for c in tadm heif avif; do
    if ! "$enc" --quiet -m classic -c $c "$src" "$work/$name.$c"; then bad "$name: encode --container $c"; continue; fi
    "$dec" --quiet "$work/$name.$c" "$work/$name.$c.hr.png" || bad "$name: decode $c"
    "$dec" --quiet --thumbnail "$work/$name.$c" "$work/$name.$c.lr.png" || bad "$name: --thumbnail $c"
  done
  for c in heif avif; do
    check "$name: $c decodes to the same full-resolution PNG as .tadm, byte for byte" \
      cmp -s "$work/$name.tadm.hr.png" "$work/$name.$c.hr.png"
    check "$name: $c --thumbnail has the same pixels as the .tadm thumbnail" \
      test "$(ae "$work/$name.tadm.lr.png" "$work/$name.$c.lr.png")" = 0
    check "$name: the file is recognised as $c" bash -c "'$info' --json '$work/$name.$c' | grep -q '\"container\": \"$c\"'"
    # Every TADM field is the same as in the .tadm (everything but container, sizes and chunks).
    fields() { "$info" --json "$1" | grep -vE '"(file|container|file_size|bits_per_pixel|lr_image_size|offset|length|type|critical|known)"'; }
    check "$name: $c carries the same TADM fields as .tadm" cmp -s <(fields "$work/$name.tadm") <(fields "$work/$name.$c")
  done
  # Independent decoders show the stored thumbnail bit-exactly.
  if command -v heif-convert >/dev/null; then
    heif-convert "$work/$name.heif" "$work/$name.hc.png" >/dev/null 2>&1
    check "$name: heif-convert decodes the thumbnail bit-exactly (AE 0)" \
      test "$(ae "$work/$name.tadm.lr.png" "$work/$name.hc.png")" = 0
  else
    skipped "$name: heif-convert not installed (package libheif-examples)"
  fi
  if command -v avifdec >/dev/null; then
    avifdec "$work/$name.avif" "$work/$name.ad.png" >/dev/null 2>&1
    check "$name: avifdec decodes the thumbnail bit-exactly (AE 0)" \
      test "$(ae "$work/$name.tadm.lr.png" "$work/$name.ad.png")" = 0
  else
    skipped "$name: avifdec not installed (package libavif-bin)"
  fi
done
# With the default learned model (when its bundle is installed): the same model output from all three.
"$im" "$photo" -crop 256x192+200+100 +repage "$work/learned.png"
if ! has_learned_runtime "$(dirname "$enc")"; then
  skipped "learned model: this build cannot run the default learned model (no LibTorch runtime)"
else
  "$enc" --quiet --threads 2 "$work/learned.png" "$work/learned.tadm"
  model=$("$info" --json "$work/learned.tadm" | awk -F'"' '/"name"/{print $4; exit}')
  "$dec" --quiet --threads 2 "$work/learned.tadm" "$work/learned.tadm.hr.png"
  for c in heif avif; do
    "$enc" --quiet --threads 2 -c $c "$work/learned.png" "$work/learned.$c" && "$dec" --quiet --threads 2 "$work/learned.$c" "$work/learned.$c.hr.png"
    check "learned model $model: $c decodes to the same image as .tadm, byte for byte" \
      cmp -s "$work/learned.tadm.hr.png" "$work/learned.$c.hr.png"
  done
fi

# An AVIF thumbnail (lossy, lr_codec 4) in the AVIF flavour: the file's image is that thumbnail.
for name in rgb rgba gray; do
  "$enc" --quiet -m classic -s 4 --lr-codec avif --lr-quality 40 "$work/$name.png" "$work/$name.q.tadm" &&
    "$enc" --quiet -m classic -s 4 --lr-codec avif --lr-quality 40 -c avif "$work/$name.png" "$work/$name.q.avif" ||
    bad "$name: encode an AVIF thumbnail"
  "$dec" --quiet "$work/$name.q.tadm" "$work/$name.q.tadm.png"
  "$dec" --quiet "$work/$name.q.avif" "$work/$name.q.avif.png"
  check "$name: the lossy AVIF flavour decodes to the same PNG as its .tadm, byte for byte" \
    cmp -s "$work/$name.q.tadm.png" "$work/$name.q.avif.png"
  "$dec" --quiet --thumbnail "$work/$name.q.avif" "$work/$name.q.thumb.avif"
  check "$name: --thumbnail of the lossy AVIF flavour is the file itself" cmp -s "$work/$name.q.avif" "$work/$name.q.thumb.avif"
  check "$name: tadminfo names the AVIF thumbnail" bash -c "'$info' --json '$work/$name.q.avif' | grep -q '\"lr_codec\": \"avif\"'"
  if command -v avifdec >/dev/null; then
    check "$name: avifdec shows the lossy thumbnail" bash -c "avifdec '$work/$name.q.avif' '$work/$name.q.ad.png' >/dev/null 2>&1 && test \"\$(identify -format '%wx%h' '$work/$name.q.ad.png')\" = 84x53"
  fi
done
expect_fail "a WebP thumbnail cannot go into an AVIF file" "coded as webp.*tadm container" \
  "$enc" --quiet -m classic --lr-codec webp -c avif "$work/rgb.png" "$work/webp.avif"
check "no output for a refused thumbnail codec" test ! -e "$work/webp.avif"
expect_fail "an AVIF thumbnail cannot go into a HEIF file" "coded as avif.*tadm container" \
  "$enc" --quiet -m classic --lr-codec avif -c heif "$work/rgb.png" "$work/avif.heif"

check "the thumbnail is the LR size" test "$(identify -format '%wx%h' "$work/rgb.heif.lr.png")" = 21x14
check "ICC profile survives HEIF" bash -c "'$im' '$work/icc.heif.hr.png' '$work/a.icc' && cmp -s '$work/a.icc' /usr/share/color/icc/sRGB.icc"
check "an ICC profile is also attached to the HEIF image for viewers" bash -c "heif-info '$work/icc.heif' 2>&1 | grep -qi 'color profile: prof'"
check "the AVIF XMP holds the readable tadm fields" bash -c "avifdec --info '$work/rgb.avif' >/dev/null 2>&1; strings '$work/rgb.avif' | grep -q 'tadm:width=\"333\"'"
check "the HEIF has a mime item application/x-tadm-header" grep -qa 'application/x-tadm-header' "$work/rgb.heif"

# --- bad input: clear error, non-zero exit, no output
cp "$work/rgb.png" "$work/plain.png"
heif-enc -L -p chroma=444 "$work/plain.png" -o "$work/plain.heic" >/dev/null 2>&1
avifenc -l "$work/plain.png" "$work/plain.avif" >/dev/null 2>&1
head -c 1500 "$work/rgb.heif" > "$work/trunc.heif"
head -c 1000 "$work/rgb.avif" > "$work/trunc.avif"
# A flipped byte inside the HEIF's TADM header (its MODL chunk): the CRC catches it.
cp "$work/rgb.heif" "$work/badhdr.heif"
off=$(grep -boa MODL "$work/badhdr.heif" | head -1 | cut -d: -f1)
printf 'X' | dd of="$work/badhdr.heif" bs=1 seek=$((off + 6)) conv=notrunc status=none
sed 's/tadm:header="/tadm:header="!/' "$work/rgb.avif" > "$work/badxmp.avif"
declare -A why=(
  [plain.heic]="no TADM header item" [plain.avif]="no TADM metadata" [trunc.heif]="not a valid HEIF"
  [trunc.avif]="not a valid AVIF" [badhdr.heif]="TADM header .* invalid.*CRC" [badxmp.avif]="base64|tadm:header")
# Files the readers used to decode to other pixels (one flipped bit in the coded thumbnail), and
# one without the thumbnail checksum (tests/heif/regress/README.md).
for f in "$(dirname "${BASH_SOURCE[0]}")"/regress/*.heif "$(dirname "${BASH_SOURCE[0]}")"/regress/*.avif; do
  cp "$f" "$work/regress-${f##*/}"
  why[regress-${f##*/}]="thumbnail checksum|does not match its checksum"
done
# Crafted files whose coded image is not the thumbnail size their TADM header declares
# (tests/heif/regress/hostile/README.md): refused before libheif decodes anything large.
for f in "$(dirname "${BASH_SOURCE[0]}")"/regress/hostile/*.heif; do
  cp "$f" "$work/hostile-${f##*/}"
  why[hostile-${f##*/}]="thumbnail its TADM header declares|TADM header .* invalid.*CRC"
done
for f in "${!why[@]}"; do
  [ -s "$work/$f" ] || { bad "could not make $f"; continue; }
  expect_fail "tadmdec refuses $f (${why[$f]})" "${why[$f]}" "$dec" "$work/$f" "$work/out-$f.png"
  expect_fail "tadmdec --thumbnail refuses $f" "${why[$f]}" "$dec" --thumbnail "$work/$f" "$work/out-$f.png"
  expect_fail "tadminfo refuses $f" "${why[$f]}" "$info" "$work/$f"
  check "no output left for $f" test ! -e "$work/out-$f.png"
done
expect_fail "an unknown --container is refused" "container|heif|avif|not in" "$enc" -c jpeg2000 "$work/rgb.png" "$work/x.bin"
check "no output for a refused --container" test ! -e "$work/x.bin"
expect_fail "--max-pixels applies to a HEIF's stored size" "limit" "$dec" --max-pixels 1000 "$work/rgb.heif" "$work/lim.png"

report_tally
