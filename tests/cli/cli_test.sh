#!/usr/bin/env bash
# Command-line tests of tadmenc / tadmdec / tadminfo: end-to-end Kodak round trip against an
# independent bicubic (ImageMagick), the thumbnail byte for byte, metadata, and every bad path
# failing cleanly with no partial output.
# usage: cli_test.sh BUILD_TOOLS_DIR KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
kodak=$2
use_tools "$1"
make_work_dir
no_leftovers() { [ -z "$(find "$1" -name '.*tmp-*' -print -quit)" ]; }

photo=$kodak/kodim23.png
require_inputs "$photo"
cp "$photo" "$work/photo.png"

# --- help and version
check "tadmenc --help names classic as the baseline" bash -c "'$enc' --help | grep -q 'BASELINE'"
for t in "$enc" "$dec" "$info"; do
  check "$(basename "$t") --version" bash -c "'$t' --version | grep -qE '[0-9]+\.[0-9]+\.[0-9]+'"
  expect_fail "$(basename "$t") rejects an unknown option" "unknown|not expected|extra" "$t" --no-such-option a b
done

# --- end to end with the classic rescaler at 16 and 32
for s in 16 32; do
  "$enc" -q -m classic -s $s "$work/photo.png" "$work/c$s.tadm" && "$dec" -q "$work/c$s.tadm" "$work/c$s.png"
  check "classic $s: encode and decode succeed" test -s "$work/c$s.png"
  size=$(identify -format '%wx%h' "$work/c$s.png")
  check "classic $s: decoded size is the original's ($size)" test "$size" = "$(identify -format '%wx%h' "$photo")"
  lw=$(( (768 + s - 1) / s )) lh=$(( (512 + s - 1) / s ))
  "$im" "$photo" -filter Catrom -resize "${lw}x${lh}!" "$work/ref_lr$s.png"
  "$im" "$work/ref_lr$s.png" -filter Catrom -resize "768x512!" "$work/ref$s.png"
  ours=$(psnr "$photo" "$work/c$s.png") ref=$(psnr "$photo" "$work/ref$s.png")
  # Same kernel (Keys a=-0.5) and the same antialiasing rule; the two implementations differ in
  # float precision and intermediate rounding, so allow 0.1 dB.
  check "classic $s: PSNR $ours dB equals ImageMagick's bicubic $ref dB within 0.1 dB" \
    awk -v a="$ours" -v b="$ref" 'BEGIN { d = a - b; exit !(d < 0.1 && d > -0.1) }'
  # --thumbnail is the LRIM payload byte for byte (located with tadminfo, cut with dd).
  "$dec" -q --thumbnail "$work/c$s.tadm" "$work/t$s.png"
  read -r off len < <("$info" --json "$work/c$s.tadm" | awk '/"type": "LRIM"/{f=1} f&&/"offset"/{gsub(/[^0-9]/,"");o=$0} f&&/"length"/{gsub(/[^0-9]/,"");print o, $0; exit}')
  dd if="$work/c$s.tadm" of="$work/lrim$s.png" bs=1 skip=$((off + 8)) count="$len" status=none
  check "classic $s: --thumbnail is byte-identical to the stored PNG" cmp -s "$work/t$s.png" "$work/lrim$s.png"
  check "classic $s: the thumbnail is ${lw}x${lh}" test "$(identify -format '%wx%h' "$work/t$s.png")" = "${lw}x${lh}"
done
check "the input photo is unchanged" cmp -s "$photo" "$work/photo.png"

# --- odd sizes and a JPEG input
"$im" "$photo" -crop 333x211+5+7 +repage "$work/odd.png"
"$im" "$photo" -quality 90 "$work/photo.jpg"
for f in odd.png photo.jpg; do
  "$enc" -q -m classic "$work/$f" "$work/$f.tadm" && "$dec" -q "$work/$f.tadm" "$work/$f.out.png"
  check "$f round-trips to its own size" test "$(identify -format '%wx%h' "$work/$f.out.png")" = "$(identify -format '%wx%h' "$work/$f")"
done

# --- metadata: an sRGB ICC profile survives tadmenc -> tadmdec
"$im" "$work/odd.png" -set comment x -profile /usr/share/color/icc/sRGB.icc "$work/icc.png"
{
  "$enc" -q -m classic "$work/icc.png" "$work/icc.tadm" && "$dec" -q "$work/icc.tadm" "$work/icc.out.png"
  "$im" "$work/icc.png" "$work/a.icc" && "$im" "$work/icc.out.png" "$work/b.icc"
  check "the ICC profile survives byte for byte" cmp -s "$work/a.icc" "$work/b.icc"
}
# (EXIF and XMP through JPEG and PNG are covered at the API level in tests/codec.)
printf 'Exif\0\0II*\0' > "$work/exif.bin"

# --- bad input and bad paths: clear error, non-zero exit, nothing left behind
expect_fail "missing input names the path" "no-such.png.*(No such file|cannot open)" "$enc" -m classic "$work/no-such.png" "$work/x.tadm"
check "missing input leaves no output" test ! -e "$work/x.tadm"
expect_fail "output over the input is refused" "over the input" "$enc" -m classic "$work/photo.png" "$work/photo.png"
check "the refused input is untouched" cmp -s "$photo" "$work/photo.png"
expect_fail "decoding over the input is refused" "over the input" "$dec" "$work/c16.tadm" "$work/c16.tadm"
expect_fail "an unknown decoder precision is refused" "precision" "$dec" --precision fp64 "$work/c16.tadm" "$work/p.png"
mkdir "$work/ro" && chmod 0555 "$work/ro"
if [ "$(id -u)" -ne 0 ]; then
  expect_fail "unwritable output directory" "cannot create|Permission" "$enc" -m classic "$work/photo.png" "$work/ro/x.tadm"
fi
expect_fail "output into a missing directory" "cannot create|No such file" "$enc" -m classic "$work/photo.png" "$work/none/x.tadm"
expect_fail "a directory as input" "not a regular file|cannot" "$dec" "$work" "$work/y.png"
expect_fail "a non-image input" "neither PNG nor JPEG" "$enc" -m classic "$work/exif.bin" "$work/z.tadm"
expect_fail "a .tadm given to tadmenc" "tadm file" "$enc" -m classic "$work/c16.tadm" "$work/z.tadm"
head -c 1000 "$work/c16.tadm" > "$work/trunc.tadm"
expect_fail "a truncated .tadm" "truncated|not a valid" "$dec" "$work/trunc.tadm" "$work/trunc.png"
check "a failed decode leaves no output" test ! -e "$work/trunc.png"
expect_fail "tadminfo on a truncated file" "truncated|not a valid" "$info" "$work/trunc.tadm"
cp "$work/c16.tadm" "$work/flip.tadm"
printf '\xff' | dd of="$work/flip.tadm" bs=1 seek=120 conv=notrunc status=none
expect_fail "a corrupted .tadm (CRC)" "crc" "$dec" "$work/flip.tadm" "$work/flip.png"
expect_fail "an unknown model" "not found" "$enc" -m no-such-model "$work/photo.png" "$work/m.tadm"
expect_fail "an absurd scale" "scale|range|2 - 64" "$enc" -m classic -s 65 "$work/photo.png" "$work/m.tadm"
expect_fail "an absurd refinement count" "refine.*range" "$enc" --refine 5000 "$work/photo.png" "$work/m.tadm"
expect_fail "a pixel limit" "limit" "$enc" -m classic --max-pixels 1000 "$work/photo.png" "$work/m.tadm"
expect_fail "a pixel limit on decode" "limit" "$dec" --max-dimension 100 "$work/c16.tadm" "$work/m.png"
check "no temporary files are left anywhere" no_leftovers "$work"

# --- thumbnail codecs and byte targets
size16=$(stat -c %s "$work/c16.tadm")
"$enc" -q -m classic -s 4 --lr-codec jpeg --target-bytes "$size16" "$work/photo.png" "$work/j4.tadm"
check "--target-bytes: a 4x JPEG thumbnail fits the 16x PNG file's bytes" test "$(stat -c %s "$work/j4.tadm")" -le "$size16"
check "tadminfo names the thumbnail codec" bash -c "'$info' --json '$work/j4.tadm' | grep -q '\"lr_codec\": \"jpeg\"'"
"$dec" -q "$work/j4.tadm" "$work/j4.png"
"$dec" -q "$work/c16.tadm" "$work/c16-again.png"
check "at equal bytes the 4x JPEG thumbnail restores closer than the 16x PNG" \
  awk -v a="$(psnr "$work/photo.png" "$work/j4.png")" -v b="$(psnr "$work/photo.png" "$work/c16-again.png")" 'BEGIN { exit !(a > b) }'
"$dec" -q --thumbnail "$work/j4.tadm" "$work/j4-thumb.jpg"
check "--thumbnail writes the JPEG as stored" bash -c "head -c 3 '$work/j4-thumb.jpg' | od -An -tx1 | grep -q 'ff d8 ff'"
"$enc" -q -m classic --lr-codec jxl --lr-lossless "$work/photo.png" "$work/jxl.tadm"
"$dec" -q "$work/jxl.tadm" "$work/jxl.png"
check "a lossless JPEG XL thumbnail restores exactly what the PNG one does" test "$(ae "$work/jxl.png" "$work/c16-again.png")" = 0
check "and is smaller" test "$(stat -c %s "$work/jxl.tadm")" -lt "$size16"
expect_fail "an unreachable target names the smallest size" "smallest file.*bytes" "$enc" -m classic --target-bytes 200 "$work/photo.png" "$work/t.tadm"
check "nothing written for it" test ! -e "$work/t.tadm"

# --- tadminfo prints every field
check "tadminfo --json has the model and chunks" bash -c "'$info' --json '$work/c16.tadm' | grep -q '\"sha256\"' && '$info' --json '$work/c16.tadm' | grep -q '\"TEND\"'"

report_tally
