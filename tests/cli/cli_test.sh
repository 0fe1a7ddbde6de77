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
  "$enc" --quiet -m classic -s $s "$work/photo.png" "$work/c$s.tadm" && "$dec" --quiet "$work/c$s.tadm" "$work/c$s.png"
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
  "$dec" --quiet --thumbnail "$work/c$s.tadm" "$work/t$s.png"
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
  "$enc" --quiet -m classic "$work/$f" "$work/$f.tadm" && "$dec" --quiet "$work/$f.tadm" "$work/$f.out.png"
  check "$f round-trips to its own size" test "$(identify -format '%wx%h' "$work/$f.out.png")" = "$(identify -format '%wx%h' "$work/$f")"
done

# --- metadata: an sRGB ICC profile survives tadmenc -> tadmdec
"$im" "$work/odd.png" -set comment x -profile /usr/share/color/icc/sRGB.icc "$work/icc.png"
{
  "$enc" --quiet -m classic "$work/icc.png" "$work/icc.tadm" && "$dec" --quiet "$work/icc.tadm" "$work/icc.out.png"
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
expect_fail "decoding over the input is refused" "over the input" "$dec" --output-format png "$work/c16.tadm" "$work/c16.tadm"
expect_fail "an unknown decoder precision is refused" "precision" "$dec" --precision fp64 "$work/c16.tadm" "$work/p.png"
mkdir "$work/ro" && chmod 0555 "$work/ro"
if [ "$(id -u)" -ne 0 ]; then
  expect_fail "unwritable output directory" "cannot create|Permission" "$enc" -m classic "$work/photo.png" "$work/ro/x.tadm"
fi
expect_fail "output into a missing directory" "cannot create|No such file" "$enc" -m classic "$work/photo.png" "$work/none/x.tadm"
expect_fail "a directory as input" "not a regular file|cannot" "$dec" "$work" "$work/y.png"
expect_fail "a non-image input" "not a PNG, JPEG" "$enc" -m classic "$work/exif.bin" "$work/z.tadm"
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
# Unequal scales (horizontal x vertical); the any-scale model's are checked with the learned runtime below.
"$enc" --quiet -m classic -s 32x2 "$work/photo.png" "$work/a32x2.tadm" && "$dec" --quiet "$work/a32x2.tadm" "$work/a32x2.png"
check "--scale 32x2 stores scale 32 x 2 (24x256 LR)" bash -c "'$info' --json '$work/a32x2.tadm' | tr -d ' \n' | grep -q '\"scale_x\":32,\"scale_y\":2,\"lr_width\":24,\"lr_height\":256'"
check "--scale 32x2 decodes to the original's size" test "$(identify -format '%wx%h' "$work/a32x2.png")" = 768x512
expect_fail "a malformed scale" "scale is N or HxV" "$enc" -m classic -s 32x "$work/photo.png" "$work/m.tadm"
expect_fail "an absurd vertical scale" "scale is N or HxV" "$enc" -m classic -s 2x65 "$work/photo.png" "$work/m.tadm"
expect_fail "an absurd refinement count" "refine.*range" "$enc" --refine 5000 "$work/photo.png" "$work/m.tadm"
expect_fail "a pixel limit" "limit" "$enc" -m classic --max-pixels 1000 "$work/photo.png" "$work/m.tadm"
expect_fail "a pixel limit on decode" "limit" "$dec" --max-dimension 100 "$work/c16.tadm" "$work/m.png"
check "no temporary files are left anywhere" no_leftovers "$work"

# --- thumbnail codecs and byte targets
size16=$(stat -c %s "$work/c16.tadm")
"$enc" --quiet -m classic -s 4 --lr-codec jpeg --target-bytes "$size16" "$work/photo.png" "$work/j4.tadm"
check "--target-bytes: a 4x JPEG thumbnail fits the 16x PNG file's bytes" test "$(stat -c %s "$work/j4.tadm")" -le "$size16"
check "tadminfo names the thumbnail codec" bash -c "'$info' --json '$work/j4.tadm' | grep -q '\"lr_codec\": \"jpeg\"'"
"$dec" --quiet "$work/j4.tadm" "$work/j4.png"
"$dec" --quiet "$work/c16.tadm" "$work/c16-again.png"
check "at equal bytes the 4x JPEG thumbnail restores closer than the 16x PNG" \
  awk -v a="$(psnr "$work/photo.png" "$work/j4.png")" -v b="$(psnr "$work/photo.png" "$work/c16-again.png")" 'BEGIN { exit !(a > b) }'
"$dec" --quiet --thumbnail "$work/j4.tadm" "$work/j4-thumb.jpg"
check "--thumbnail writes the JPEG as stored" bash -c "head -c 3 '$work/j4-thumb.jpg' | od -An -tx1 | grep -q 'ff d8 ff'"
"$enc" --quiet -m classic --lr-codec jxl --lr-lossless "$work/photo.png" "$work/jxl.tadm"
"$dec" --quiet "$work/jxl.tadm" "$work/jxl.png"
check "a lossless JPEG XL thumbnail restores exactly what the PNG one does" test "$(ae "$work/jxl.png" "$work/c16-again.png")" = 0
check "and is smaller" test "$(stat -c %s "$work/jxl.tadm")" -lt "$size16"
expect_fail "an unreachable target names the smallest size" "smallest file.*bytes" "$enc" -m classic --target-bytes 200 "$work/photo.png" "$work/t.tadm"
check "nothing written for it" test ! -e "$work/t.tadm"

# --- rate control: a byte target without --scale/--model chooses the operating point
"$enc" --quiet -m classic -s 8 "$work/photo.png" "$work/c8.tadm"
size8=$(stat -c %s "$work/c8.tadm")
"$enc" -v --target-bytes "$size8" "$work/photo.png" "$work/rc.tadm" 2> "$work/rc.log"
check "--target-bytes alone: the file fits" test "$(stat -c %s "$work/rc.tadm")" -le "$size8"
check "-v reports the candidates and the choice" grep -q "rate control chose" "$work/rc.log"
"$dec" --quiet "$work/rc.tadm" "$work/rc.png"
check "the chosen point restores better than classic at 16" \
  awk -v a="$(psnr "$work/photo.png" "$work/rc.png")" -v b="$(psnr "$work/photo.png" "$work/c16-again.png")" 'BEGIN { exit !(a > b) }'
smallest=$("$enc" --quiet -m classic -s 64 "$work/photo.png" - | wc -c)
expect_fail "an unreachable target names the smallest size reachable" "smallest file reachable is $smallest bytes" \
  "$enc" --target-bytes 50 "$work/photo.png" "$work/t.tadm"
check "nothing written for it" test ! -e "$work/t.tadm"
"$enc" --quiet --target-bpp 0.05 --lr-codec auto "$work/photo.png" "$work/rca.tadm"
check "--target-bpp with --lr-codec auto fits 0.05 bpp" test "$(stat -c %s "$work/rca.tadm")" -le $(( 768 * 512 * 5 / 800 ))
for bad in 0 -5 99999999999; do
  expect_fail "--target-bytes $bad is refused" "target-bytes" "$enc" --target-bytes "$bad" "$work/photo.png" "$work/t.tadm"
done
expect_fail "--target-effort 2 is refused" "target-effort" "$enc" --target-effort 2 --target-bytes 9000 "$work/photo.png" "$work/t.tadm"
"$enc" -v --target-effort 1 --target-bytes "$size8" "$work/photo.png" "$work/rc1.tadm" 2> "$work/rc1.log"
check "--target-effort 1 fits too" test "$(stat -c %s "$work/rc1.tadm")" -le "$size8"
for bad in 0 1 65 16x; do
  expect_fail "--scale $bad is refused" "scale is N or HxV" "$enc" -m classic -s "$bad" "$work/photo.png" "$work/t.tadm"
done
check "nothing written for them" test ! -e "$work/t.tadm"

# --- tadminfo prints every field
check "tadminfo --json has the model and chunks" bash -c "'$info' --json '$work/c16.tadm' | grep -q '\"sha256\"' && '$info' --json '$work/c16.tadm' | grep -q '\"TEND\"'"
expect_fail "--timestep-map of a file without a hint says so" "no hint chunk" "$info" --timestep-map "$work/map.png" "$work/c16.tadm"
check "and writes no map" test ! -e "$work/map.png"

# --- the perceptual profile: timesteps in the hint, the map, decoding without the enhancer
if has_learned_runtime "$(dirname "$enc")"; then
  convert "$photo" -crop 320x200+256+128 +repage "$work/crop.png"
  "$enc" --quiet --profile perceptual "$work/crop.png" "$work/p.tadm"
  check "--profile perceptual writes a hint (the enhancer's timesteps)" bash -c "'$info' --json '$work/p.tadm' | grep -q '\"grid_width\": 1'"
  "$info" --timestep-map "$work/map.png" "$work/p.tadm" > /dev/null
  check "--timestep-map draws it at the thumbnail's size" test "$(identify -format '%wx%h %[channels]' "$work/map.png")" = "20x13 gray"
  "$dec" --quiet "$work/p.tadm" "$work/p.png"
  "$dec" --quiet --no-enhance "$work/p.tadm" "$work/p-plain.png"
  check "--no-enhance decodes another picture of the same size" \
    bash -c "test \"\$(identify -format %wx%h '$work/p-plain.png')\" = 320x200 && ! cmp -s '$work/p.png' '$work/p-plain.png'"
  "$enc" --quiet --profile perceptual -s 32 "$work/crop.png" "$work/p32.tadm" && "$dec" --quiet "$work/p32.tadm" "$work/p32.png"
  check "--profile perceptual --scale 32 uses tadm32 and decodes to the original's size" \
    bash -c "'$info' --json '$work/p32.tadm' | tr -d ' \n' | grep -q '\"model\":{\"name\":\"tadm32\"' && test \"\$(identify -format %wx%h '$work/p32.png')\" = 320x200"
  # any scale up to 32 per side, unequal ones included: the any-scale model by default
  "$enc" --quiet -s 24x16 "$work/crop.png" "$work/any.tadm"
  check "--scale 24x16 without --model uses the any-scale model any32" \
    bash -c "'$info' --json '$work/any.tadm' | tr -d ' \n' | grep -q '\"scale_x\":24,\"scale_y\":16,\"lr_width\":14,\"lr_height\":13.*\"model\":{\"name\":\"any32\"'"
  "$dec" --quiet "$work/any.tadm" "$work/any.png"
  check "and decodes to the original's size" test "$(identify -format '%wx%h' "$work/any.png")" = 320x200
  expect_fail "--model any32 --scale 40 names the scales it serves" "works at scale 2..32 on each axis, not 40" \
    "$enc" -m any32 -s 40 "$work/crop.png" "$work/any40.tadm"
  check "and writes nothing" test ! -e "$work/any40.tadm"
else
  skipped "the perceptual profile and the any-scale model: this build has no LibTorch runtime"
fi

# --- '-' is standard input / output; nothing but the data goes to stdout
"$enc" --quiet -m classic - - < "$work/odd.png" > "$work/pipe.tadm"
check "tadmenc - - writes what tadmenc FILE FILE does" cmp -s "$work/pipe.tadm" "$work/odd.png.tadm"
"$enc" --quiet -m classic - - < "$work/odd.png" | "$dec" --quiet - "$work/pipe.png"
check "tadmenc - - < in.png | tadmdec - out.png restores the image" test "$(ae "$work/pipe.png" "$work/odd.png.out.png")" = 0
"$dec" -v - - < "$work/odd.png.tadm" > "$work/stdout.out" 2> "$work/stdout.err"
check "tadmdec to stdout writes PNG by default" test "$(identify -format %m "$work/stdout.out")" = PNG
check "tadmdec -v to stdout: the same bytes as the file output, logs on stderr" \
  bash -c "cmp -s '$work/stdout.out' '$work/odd.png.out.png' && test -s '$work/stdout.err'"
"$dec" --output-format ppm - - < "$work/odd.png.tadm" > "$work/stdout.ppm" 2>/dev/null
check "--output-format chooses the stdout format" test "$(identify -format %m "$work/stdout.ppm")" = PPM
check "tadminfo - reads standard input" bash -c "'$info' --json - < '$work/c16.tadm' | grep -q '\"TEND\"'"
cp "$work/c16.tadm" "$work/stdin-in.tadm"
expect_fail "output over the file redirected to stdin is refused" "over the input" \
  bash -c "'$dec' --output-format png - '$work/stdin-in.tadm' < '$work/stdin-in.tadm'"
check "and that file is untouched" cmp -s "$work/stdin-in.tadm" "$work/c16.tadm"
# A terminal on stdin / stdout, through script(1)'s pseudo-terminal (exit 2, a clear message).
expect_refused_on_tty() {  # WHAT PATTERN COMMAND-STRING
  local out rc
  out=$(script -qec "$3" /dev/null < /dev/null 2>&1); rc=$?
  if [ $rc -eq 2 ] && grep -qiE "$2" <<<"$out"; then ok "$1"; else bad "$1 (rc=$rc: $out)"; fi
}
if script -qec true /dev/null < /dev/null > /dev/null 2>&1; then
  expect_refused_on_tty "tadmenc refuses - when stdin is a terminal" "standard input is a terminal" "'$enc' -m classic - '$work/tty.tadm'"
  expect_refused_on_tty "tadmenc refuses - when stdout is a terminal" "standard output is a terminal" "'$enc' -m classic '$work/odd.png' -"
  expect_refused_on_tty "tadmdec refuses - when stdout is a terminal" "standard output is a terminal" "'$dec' '$work/c16.tadm' -"
  expect_refused_on_tty "tadminfo refuses - when stdin is a terminal" "standard input is a terminal" "'$info' -"
  check "nothing written for a refused terminal" test ! -e "$work/tty.tadm"
else
  skipped "terminal refusals: script(1) cannot open a pseudo-terminal here"
fi

# --- output format by extension (checked by ImageMagick), quality, alpha and 16 bits
declare -A kind=([png]=PNG [jpg]=JPEG [jpeg]=JPEG [webp]=WEBP [pam]=PAM [ppm]=PPM)
for ext in png jpg jpeg webp pam ppm; do
  "$dec" --quiet "$work/odd.png.tadm" "$work/ext.$ext"
  check ".$ext output is ${kind[$ext]} 333x211" test "$(identify -format '%m %wx%h' "$work/ext.$ext")" = "${kind[$ext]} 333x211"
done
check "PAM and PPM hold the PNG's pixels" bash -c "test \$(compare -metric AE '$work/ext.pam' '$work/ext.png' null: 2>&1) = 0 && test \$(compare -metric AE '$work/ext.ppm' '$work/ext.png' null: 2>&1) = 0"
"$dec" --quiet -q 20 "$work/odd.png.tadm" "$work/q20.jpg"
check "-q is JPEG quality: -q 20 is smaller than the default" test "$(stat -c %s "$work/q20.jpg")" -lt "$(stat -c %s "$work/ext.jpg")"
expect_fail "--quality with a lossless format is refused" "quality applies to JPEG and WebP" "$dec" -q 50 "$work/odd.png.tadm" "$work/q.png"
"$dec" --quiet --output-format webp "$work/odd.png.tadm" "$work/forced.png"
check "--output-format overrides the extension" test "$(identify -format %m "$work/forced.png")" = WEBP
expect_fail "an unknown extension names it and the accepted ones" "unknown extension '\.gif'.*\.png, \.jpg" "$dec" "$work/odd.png.tadm" "$work/x.gif"
expect_fail "an unknown extension is refused before the input is even read" "unknown extension" "$dec" "$work/no-such.tadm" "$work/x.gif"
check "nothing written for an unknown extension" test ! -e "$work/x.gif"
rc=0; "$dec" --quiet "$work/odd.png.tadm" "$work/x.gif" 2>/dev/null || rc=$?
check "an unknown extension is a usage error (exit 2)" test $rc -eq 2
expect_fail "-q no longer means quiet in tadmenc" "not expected|unknown" "$enc" -q -m classic "$work/odd.png" "$work/q.tadm"
"$im" "$work/odd.png" PNG48:"$work/odd16.png"
"$im" "$work/odd.png" -alpha set -channel A -evaluate set 60% +channel "$work/odda.png"
"$enc" --quiet -m classic "$work/odd16.png" "$work/odd16.tadm" && "$dec" --quiet "$work/odd16.tadm" "$work/odd16.ppm"
check "16-bit PPM: maxval 65535" bash -c "head -c 20 '$work/odd16.ppm' | grep -q 65535 && test \$(identify -format %z '$work/odd16.ppm') = 16"
"$enc" --quiet -m classic "$work/odda.png" "$work/odda.tadm"
expect_fail "PPM output warns that alpha is dropped" "PPM output does not keep alpha" "$dec" --output-format ppm "$work/odda.tadm" /dev/full
"$dec" "$work/odda.tadm" "$work/odda.ppm" 2>/dev/null
check "and writes RGB" test "$(identify -format '%[channels]' "$work/odda.ppm")" = srgb

# --- netpbm input: PPM, PGM and 16-bit PAM encode as their PNG originals do
"$im" "$work/odd.png" "$work/in.ppm"
"$im" "$work/odd.png" -colorspace gray "$work/in.pgm"
"$enc" --quiet -m classic "$work/in.ppm" "$work/in-ppm.tadm"
check "a PPM input encodes to the same file as its PNG" cmp -s "$work/in-ppm.tadm" "$work/odd.png.tadm"
"$enc" --quiet -m classic "$work/in.pgm" "$work/in-pgm.tadm" && "$dec" --quiet "$work/in-pgm.tadm" "$work/in-pgm.png"
check "a PGM input decodes to grayscale" test "$(identify -format '%[channels] %wx%h' "$work/in-pgm.png")" = "gray 333x211"
"$dec" --quiet "$work/odd16.tadm" "$work/in16.pam"
"$enc" --quiet -m classic "$work/in16.pam" "$work/in16.tadm"
check "a 16-bit PAM input is stored as 16-bit" bash -c "'$info' --json '$work/in16.tadm' | grep -q '\"original_bit_depth\": 16'"

# --- --strip
"$enc" --quiet -m classic --strip icc "$work/icc.png" "$work/icc-stripped.tadm"
check "tadmenc --strip icc stores no ICC profile" bash -c "'$info' --json '$work/icc-stripped.tadm' | grep -q '\"icc_size\": 0'"
check "without --strip the profile is stored" bash -c "! '$info' --json '$work/icc.tadm' | grep -q '\"icc_size\": 0'"
"$dec" --quiet --strip exif,xmp,icc "$work/icc.tadm" "$work/icc-stripped.png"
check "tadmdec --strip exif,xmp,icc writes no ICC profile" bash -c "! identify -verbose '$work/icc-stripped.png' | grep -q 'Profile-icc'"
check "the stripped output has the same pixels" test "$(ae "$work/icc-stripped.png" "$work/icc.out.png")" = 0
"$dec" --quiet --strip all "$work/icc.tadm" "$work/icc-all.png"
check "--strip all too" bash -c "! identify -verbose '$work/icc-all.png' | grep -q 'Profile-icc'"
expect_fail "an unknown --strip item is refused" "'gps' is not one of" "$dec" --strip icc,gps "$work/icc.tadm" "$work/s.png"

# --- --max-size: fits the box with the aspect ratio; a box within the thumbnail runs no model
"$dec" --quiet --max-size 100x100 "$work/c16.tadm" "$work/ms100.png"
check "--max-size 100x100 of 768x512 is 100x67" test "$(identify -format %wx%h "$work/ms100.png")" = 100x67
"$dec" --quiet --max-size 5000x300 "$work/c16.tadm" "$work/ms300.png"
check "--max-size 5000x300 is 450x300" test "$(identify -format %wx%h "$work/ms300.png")" = 450x300
"$dec" --quiet --max-size 5000x5000 "$work/c16.tadm" "$work/msbig.png"
check "--max-size never enlarges" test "$(ae "$work/msbig.png" "$work/c16-again.png")" = 0
# The 16x file's thumbnail is 48x32. A model that does not exist cannot run: the small box
# succeeds without it (and says so with -v), the large one needs it.
"$dec" -v -m no-such-model --max-size 40x40 "$work/c16.tadm" "$work/ms40.png" 2> "$work/ms40.err"
check "--max-size 40x40 is 40x27 from the thumbnail" test "$(identify -format %wx%h "$work/ms40.png")" = 40x27
check "-v says no model ran" grep -q "from the stored 48x32 thumbnail; no model run" "$work/ms40.err"
expect_fail "a box larger than the thumbnail runs the model" "not found" "$dec" -m no-such-model --max-size 100x100 "$work/c16.tadm" "$work/ms-model.png"
expect_fail "a malformed --max-size is refused" "WxH" "$dec" --max-size 100 "$work/c16.tadm" "$work/ms.png"
check "no temporary files are left anywhere" no_leftovers "$work"

report_tally
