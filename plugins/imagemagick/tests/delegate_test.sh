#!/usr/bin/env bash
# ImageMagick delegates (plugins/imagemagick/delegates.xml) through a private MAGICK_CONFIGURE_PATH:
# convert x.tadm x.png gives tadmdec's output, convert x.png x.tadm gives a valid .tadm, and a
# corrupt .tadm fails with no output. Without the private configuration, .tadm is unknown.
# usage: delegate_test.sh TOOLS_DIR DELEGATES_DIR KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/lib.sh"
bin=$1 conf=$2 kodak=$3
make_work_dir
[ -x "$im" ] || skip_test "ImageMagick is not installed at $im"
require_inputs "$kodak/kodim23.png"

"$im" "$kodak/kodim23.png" -crop 300x200+40+40 +repage "$work/photo.png"
"$bin/tadmenc" --quiet -m classic "$work/photo.png" "$work/photo.tadm"
"$bin/tadmdec" --quiet "$work/photo.tadm" "$work/ref.png"
cp "$work/photo.tadm" "$work/corrupt.tadm"
printf 'X' | dd of="$work/corrupt.tadm" bs=1 seek=60 conv=notrunc status=none

env -u MAGICK_CONFIGURE_PATH "$im" "$work/photo.tadm" "$work/none.png" 2>/dev/null
check "without the delegate ImageMagick cannot read .tadm (so the test below tests ours)" test ! -e "$work/none.png"

export MAGICK_CONFIGURE_PATH=$conf PATH=$bin:$PATH
check "convert x.tadm x.png succeeds" "$im" "$work/photo.tadm" "$work/im.png"
check "it is tadmdec's full-resolution image (AE 0)" \
  test "$(ae "$work/im.png" "$work/ref.png")" = 0
# Encoding runs tadmenc with its default, learned model.
if has_learned_runtime "$bin"; then
  check "convert x.png x.tadm succeeds" "$im" "$work/photo.png" "$work/im.tadm"
  check "and writes a valid .tadm of the photo's size" bash -c "'$bin/tadminfo' --json '$work/im.tadm' | grep -q '\"width\": 300'"
else
  skipped "convert x.png x.tadm (tadmenc's default learned model needs LibTorch, which this build lacks)"
  "$im" "$work/photo.png" "$work/im.tadm" 2>"$work/enc.log"
  check "without it, convert x.png x.tadm fails with tadmenc's message and no output" \
    bash -c "! test -e '$work/im.tadm' && grep -q 'LibTorch' '$work/enc.log'"
fi
"$bin/tadmenc" --quiet -c heif -m classic "$work/photo.png" "$work/photo.heif"
check "convert tadm:x.heif x.png decodes a TADM-HEIF at full resolution" \
  bash -c "'$im' 'tadm:$work/photo.heif' '$work/heif.png' && test \"\$(compare -metric AE '$work/heif.png' '$work/ref.png' null: 2>&1)\" = 0"
"$im" "$work/corrupt.tadm" "$work/bad.png" 2>"$work/err.log"
rc=$?
check "a corrupt .tadm fails (rc $rc) with tadmdec's message and no output" \
  bash -c "[ $rc -ne 0 ] && [ ! -e '$work/bad.png' ] && grep -q 'CRC mismatch' '$work/err.log'"

report_tally
