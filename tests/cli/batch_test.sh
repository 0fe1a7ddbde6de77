#!/usr/bin/env bash
# Batch mode of tadmenc / tadmdec (-o DIR, -r, --overwrite, --jobs): a mirrored tree, failures
# listed while the rest is done, resuming by skipping finished outputs, identical bytes whatever
# the number of jobs (jobs sharing one loaded learned model), usage errors before any work, and no
# partial output when interrupted.
# usage: batch_test.sh BUILD_TOOLS_DIR KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
kodak=$(realpath "$2")
use_tools "$(realpath "$1")"  # absolute: the test runs inside $work
make_work_dir
cd "$work" || exit 1
tree_of() { (cd "$1" && find . -type f | sort | tr '\n' ' '); }
require_inputs "$kodak/kodim01.png" "$kodak/kodim02.png" "$kodak/kodim03.png"

# --- the input tree: three small Kodak crops in two folders, a corrupt PNG, an unreadable file,
# a file of another kind (ignored) and a symbolic link to a folder (not followed)
mkdir -p in/a in/b elsewhere
"$im" "$kodak/kodim01.png" -crop 160x96+0+0 +repage in/a/one.png
"$im" "$kodak/kodim02.png" -crop 144x80+32+32 +repage -quality 90 in/a/two.jpg
"$im" "$kodak/kodim03.png" -crop 96x64+64+64 +repage in/b/three.png
head -c 300 in/a/one.png > in/b/corrupt.png
echo "notes" > in/b/notes.txt
cp in/b/three.png elsewhere/linked.png
ln -s ../../elsewhere in/b/link
failures=1
if [ "$(id -u)" -ne 0 ]; then
  cp in/a/one.png in/b/locked.png && chmod 000 in/b/locked.png
  failures=2
else
  skipped "unreadable file: running as root, which reads it anyway"
fi
enc_batch() { "$enc" --model classic "$@"; }

# --- encode the tree: the good files done, the bad ones listed, exit 1
rc=0; enc_batch -v -r -o out in 2> enc.err || rc=$?
check "tadmenc -r: exit 1 when files failed" test $rc -eq 1
check "the tree is mirrored with .tadm outputs" test "$(tree_of out)" = "./a/one.tadm ./a/two.tadm ./b/three.tadm "
check "the summary counts 3 encoded and $failures failed" grep -q "3 encoded, 0 skipped, $failures failed" enc.err
check "the corrupt PNG is listed with the reason" grep -qE "^  in/b/corrupt.png: .*(PNG|truncated|signature)" enc.err
if [ $failures -eq 2 ]; then
  check "the unreadable file is listed with the reason" grep -qE "^  .*in/b/locked.png.*Permission denied" enc.err
fi
check "-v counts the ignored file (notes.txt)" grep -q "1 file(s) in the folders ignored" enc.err
check "-v counts the symbolic link to a folder, not followed" grep -q "1 symbolic link(s) to folders not followed" enc.err
for f in a/one b/three; do
  "$dec" --quiet "out/$f.tadm" "single.png"
  check "$f: the batch output decodes to the input's size" test "$(identify -format %wx%h single.png)" = "$(identify -format %wx%h "in/$f.png")"
done
enc_batch --quiet in/a/one.png single.tadm
check "a batch output is the single-file form's bytes" cmp -s single.tadm out/a/one.tadm

# --- a re-run skips what is done, --overwrite redoes it
touch -d '2001-01-01' out/a/one.tadm
rc=0; enc_batch -r -o out in 2> rerun.err || rc=$?
check "re-run: everything done is skipped" grep -q "0 encoded, 3 skipped, $failures failed" rerun.err
check "re-run: the exit status still reports the failures" test $rc -eq 1
check "re-run: a skipped output is not rewritten" test "$(stat -c %Y out/a/one.tadm)" = "$(date -d 2001-01-01 +%s)"
enc_batch --overwrite -r -o out in 2> over.err
check "--overwrite encodes again" grep -q "3 encoded, 0 skipped, $failures failed" over.err
check "--overwrite rewrote the output" test "$(stat -c %Y out/a/one.tadm)" != "$(date -d 2001-01-01 +%s)"

# --- decode the encoded tree
rc=0; "$dec" -r -o restored out 2> dec.err || rc=$?
check "tadmdec -r: exit 0" test $rc -eq 0
check "tadmdec -r mirrors the tree with PNGs" test "$(tree_of restored)" = "./a/one.png ./a/two.png ./b/three.png "
for f in a/one a/two b/three; do
  src=$(ls in/$f.*)
  check "$f: restored PNG has the original's size" \
    test "$(identify -format '%m %wx%h' "restored/$f.png")" = "PNG $(identify -format %wx%h "$src")"
done
"$dec" --quiet -r -o restored-jpeg --output-format jpeg out
check "--output-format jpeg: .jpg outputs" test "$(tree_of restored-jpeg)" = "./a/one.jpg ./a/two.jpg ./b/three.jpg "

# --- --jobs 2 writes the same bytes as --jobs 1
enc_batch --quiet --jobs 1 -r -o j1 in 2>/dev/null
enc_batch --quiet --jobs 2 -r -o j2 in 2>/dev/null
check "--jobs 2 encodes the same bytes as --jobs 1" diff -r j1 j2
"$dec" --quiet --jobs 2 -r -o restored-j2 out
check "--jobs 2 decodes the same bytes as --jobs 1" diff -r restored restored-j2

# --- --jobs 2 with the default learned model: the jobs' handles share one loaded model (one
# "loaded from" line at -v, where each job would load its own) and write the bytes of --jobs 1
if has_learned_runtime "$(dirname "$enc")"; then
  "$enc" -v --jobs 2 --threads 1 -r -o learned in 2> learned-enc.err
  check "tadmenc --jobs 2: the model is loaded once ($(grep -c ' loaded from ' learned-enc.err) load(s))" \
    test "$(grep -c '^info: model .* loaded from ' learned-enc.err)" -eq 1
  "$dec" -v --jobs 1 --threads 1 -r -o learned-j1 learned 2> learned-j1.err
  "$dec" -v --jobs 2 --threads 1 -r -o learned-j2 learned 2> learned-j2.err
  check "tadmdec --jobs 2: 3 decoded" grep -q "3 decoded, 0 skipped, 0 failed" learned-j2.err
  check "tadmdec --jobs 2: the model is loaded once ($(grep -c ' loaded from ' learned-j2.err) load(s))" \
    test "$(grep -c '^info: model .* loaded from ' learned-j2.err)" -eq 1
  check "tadmdec --jobs 2 with a learned model decodes the same bytes as --jobs 1" diff -r learned-j1 learned-j2
else
  skipped "--jobs with a learned model (this build has no LibTorch runtime)"
fi

# --- files named one by one, and --quiet
rc=0; "$enc" --quiet --model classic -o named in/a/one.png in/b/three.png 2> quiet.err || rc=$?
check "named files go straight into DIR" test "$(tree_of named)" = "./one.tadm ./three.tadm "
check "--quiet: exit 0 and nothing on stderr" bash -c "test $rc -eq 0 && ! test -s quiet.err"
expect_fail "two inputs for one output: the second fails naming the first" "also the output of in/a/one.png" \
  "$enc" --model classic --overwrite -o clash in/a/one.png in/b/../a/one.png

# --- usage errors: exit 2 before any work, nothing written
echo x > afile
expect_usage() {  # WHAT PATTERN CMD...
  local what=$1 pattern=$2 err rc=0; shift 2
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  if [ $rc -eq 2 ] && grep -qiE "$pattern" <<<"$err"; then ok "$what"; else bad "$what (rc=$rc: $err)"; fi
}
expect_usage "an output folder that is a file" "afile exists and is not a folder" enc_batch -r -o afile in
check "the file is untouched" test "$(cat afile)" = x
expect_usage "a folder without -r names it" "in/a is a folder.*-r" enc_batch -o never in/a
check "nothing written without -r" test ! -e never
expect_usage "the output folder is the input folder" "is the input folder" enc_batch -r -o in/a in/a
expect_usage "-r without -o" "requires|needs|output-dir" enc_batch -r in out.tadm
expect_usage "standard input in a batch" "standard input" enc_batch -o never -
expect_usage "tadmdec --thumbnail in a batch" "thumbnail" "$dec" --thumbnail -r -o never out
expect_usage "tadmdec: a folder without -r" "out is a folder" "$dec" -o never out
check "no output folder made by a usage error" test ! -e never
rc=0; "$enc" -m no-such-model -r -o nomodel in 2> nomodel.err || rc=$?
check "a model that cannot load: exit 1, said once" bash -c "test $rc -eq 1 && test \$(grep -c 'not found' nomodel.err) -eq 1"
check "and nothing written" test ! -e nomodel

# --- the output folder inside the input tree is not walked
enc_batch --quiet -r -o in/b/nested in/b 2>/dev/null
enc_batch -r -o in/b/nested in/b 2> nested.err
check "an output folder inside the input is not taken as input" grep -q "0 encoded, 1 skipped" nested.err

# --- a progress line per file on a terminal (through script(1)'s pseudo-terminal)
if script -qec true /dev/null < /dev/null > /dev/null 2>&1; then
  script -qec "'$enc' --model classic -r -o tty in/a" /dev/null < /dev/null > tty.out 2>&1
  check "a terminal shows [k/N] name" grep -q '\[2/2\] in/a/two.jpg' tty.out
else
  skipped "progress line: script(1) cannot open a pseudo-terminal here"
fi

# --- interrupted: finished outputs stay complete, no temporary or partial file
mkdir big
for i in 1 2 3 4 5 6; do cp "$kodak/kodim0$i.png" big/; done
# env --default-signal: a background job of a non-interactive shell starts with SIGINT ignored.
env --default-signal=INT "$enc" --quiet --model classic -s 2 -r -o big-out big & pid=$!
sleep 0.4; kill -INT $pid 2>/dev/null; wait $pid; rc=$?
check "SIGINT: non-zero exit ($rc), unless the batch had finished" bash -c "test $rc -ne 0 || test \$(ls big-out | wc -l) -eq 6"
complete=1
for f in big-out/*.tadm; do [ -e "$f" ] || continue; "$info" --quiet "$f" || complete=0; done
check "SIGINT: every output left is complete ($(ls big-out 2>/dev/null | wc -l) of 6)" test $complete -eq 1
check "SIGINT: no temporary file left" no_leftovers big-out
enc_batch --quiet -s 2 -r -o big-out big
check "after SIGINT, a re-run completes the batch" test "$(ls big-out | wc -l)" -eq 6

check "no temporary files are left anywhere" no_leftovers "$work"
report_tally
