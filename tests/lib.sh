# shellcheck shell=bash
# Helpers shared by the shell tests under tests/ and plugins/*/tests/. Sourced, never run:
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"            (from tests/*/)
#   . "$(dirname "${BASH_SOURCE[0]}")/../../../tests/lib.sh"  (from plugins/*/tests/)
# Two styles of test use it: tallying tests (set -uo pipefail) go on after a failed check and end
# with `report_tally`; fail-fast tests (set -euo pipefail) stop at the first `die`.
# Exit status 77 means skipped (SKIP_RETURN_CODE in the CMakeLists.txt files).

im=/usr/bin/convert  # the real ImageMagick (a different `convert` may come first on PATH)

# ------------------------------------------------------------------ both styles
# make_work_dir: $work is a new temporary directory, removed on exit. Tests that need more at exit
# set their own trap and call remove_work_dir from it.
remove_work_dir() {
  chmod -R u+w "$work" 2>/dev/null || true  # read-only subdirectories made by a test must not stop rm
  rm -rf "$work"
}
make_work_dir() {
  work=$(mktemp -d)
  trap remove_work_dir EXIT
}

skip_test() { echo "SKIP $*"; exit 77; }

# use_tools DIR: $enc, $dec and $info are the build's tadmenc, tadmdec and tadminfo in DIR
# shellcheck disable=SC2034  # read by the test that sources this file
use_tools() { enc=$1/tadmenc dec=$1/tadmdec info=$1/tadminfo; }

# require_inputs FILE...: a missing test input (the Kodak set, TADM_DATA_DIR) is a failure, not a skip
require_inputs() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || { echo "FAIL missing test input $f (set TADM_DATA_DIR)"; exit 1; }
  done
}

# has_learned_runtime TOOL_DIR: this build can run the default learned model (a build without
# LibTorch refuses it: there is no silent fallback to classic). A 64x64 probe, so it is quick.
has_learned_runtime() {
  local t rc
  t=$(mktemp -d)
  /usr/bin/convert -size 64x64 gradient: "$t/p.png"
  "$1/tadmenc" --quiet "$t/p.png" "$t/p.tadm" 2>/dev/null
  rc=$?
  rm -rf "$t"
  return $rc
}

# no_leftovers DIR: no temporary file of write_file_atomic (.NAME.tmp-*) is left anywhere under DIR
no_leftovers() { [ -z "$(find "$1" -name '.*tmp-*' -print -quit)" ]; }

# psnr A B / ae A B: ImageMagick's PSNR in dB ("inf" when equal) / count of differing pixels
psnr() { compare -metric PSNR "$1" "$2" null: 2>&1 | awk '{print $1}'; }
ae() { compare -metric AE "$1" "$2" null: 2>&1 | awk '{print $1}'; }

# ------------------------------------------------------------------ tallying tests
tally_passed=0 tally_failed=0 tally_skipped=0
ok() { tally_passed=$((tally_passed + 1)); echo "ok   $*"; }
bad() { tally_failed=$((tally_failed + 1)); echo "FAIL $*"; }
skipped() { tally_skipped=$((tally_skipped + 1)); echo "SKIP $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# expect_fail WHAT PATTERN CMD...: non-zero exit and stderr matching PATTERN (extended, any case)
expect_fail() {
  local what=$1 pattern=$2; shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 0 ] && grep -qiE "$pattern" <<<"$err"; then ok "$what"; else bad "$what (rc=$rc: $err)"; fi
}
# report_tally: the last command of a tallying test; its status is the test's
report_tally() {
  echo "$tally_passed passed, $tally_failed failed, $tally_skipped skipped"
  [ "$tally_failed" -eq 0 ]
}

# ------------------------------------------------------------------ fail-fast tests
die() { echo "FAIL: $*" >&2; exit 1; }

# The FFmpeg filter and frei0r plugin tests, run inside $work, with $ffmpeg, $tools (tadmenc's
# directory) and $pixdiff (tadm_pixdiff) set.
ff() { "$ffmpeg" -nostdin -hide_banner -loglevel error -y "$@"; }

# make_classic_references KODAK_DIR: crop1..3.png, three 512x384 crops (multiples of 16) of
# kodim01..03; thumb1..3.png, their 32x24 classic scale-16 thumbnails; ref1..3.png, tadmdec's output.
make_classic_references() {
  local offsets=("0+0" "128+64" "256+128") i
  for i in 1 2 3; do
    "$im" "$1/kodim0$i.png" -crop "512x384+${offsets[$((i - 1))]}" +repage -depth 8 "crop$i.png"
    "$tools/tadmenc" --quiet --model classic --scale 16 "crop$i.png" "f$i.tadm"
    "$tools/tadmdec" --quiet "f$i.tadm" "ref$i.png"
    "$tools/tadmdec" --quiet --thumbnail "f$i.tadm" "thumb$i.png"
  done
}

# expect_frames_equal_references PREFIX: PREFIX1..3.png, and no more, equal ref1..3.png exactly
expect_frames_equal_references() {
  local i
  for i in 1 2 3; do
    [ -f "$1$i.png" ] || die "$1$i.png was not written"
    "$pixdiff" "$1$i.png" "ref$i.png" 0 || die "$1$i.png differs from tadmdec's ref$i.png"
  done
  [ ! -e "${1}4.png" ] || die "more frames than inputs"
  echo "ok: 3 frames of $1 equal tadmdec"
}

# expect_filter_error PATTERN FILTERGRAPH: ffmpeg on thumb%d.png fails cleanly (no crash) with
# PATTERN on stderr and writes no frame
expect_filter_error() {
  local pattern="$1" graph="$2" rc=0
  rm -f bad*.png
  ff -i thumb%d.png -vf "$graph" bad%d.png 2>err.txt || rc=$?
  [ $rc -ne 0 ] || die "-vf '$graph' succeeded"
  [ $rc -lt 128 ] || die "-vf '$graph' crashed (status $rc)"
  grep -q -- "$pattern" err.txt || { cat err.txt >&2; die "-vf '$graph': no '$pattern' in the error"; }
  ! ls bad*.png >/dev/null 2>&1 || die "-vf '$graph' left output frames"
  echo "ok: -vf '$graph' -> status $rc: $(head -n1 err.txt)"
}

# expect_learned_filter_equals_tadmdec FILTERGRAPH WHAT: when a pix16 bundle is installed, a pix16
# thumbnail of crop1.png through FILTERGRAPH equals tadmdec's output
expect_learned_filter_equals_tadmdec() {
  local models
  models="$("$tools/tadmenc" --list-models 2>/dev/null || true)"
  if ! grep -q '^pix16' <<<"$models"; then
    echo "note: no pix16 bundle installed; the learned path was not exercised (classic was)"
    return 0
  fi
  "$tools/tadmenc" --quiet --model pix16 crop1.png p.tadm
  "$tools/tadmdec" --quiet p.tadm pref.png
  "$tools/tadmdec" --quiet --thumbnail p.tadm pthumb.png
  ff -i pthumb.png -vf "$1" pout.png
  "$pixdiff" pout.png pref.png 0 || die "pix16: $2 differs from tadmdec"
  echo "ok: pix16 through $2 equals tadmdec"
}
