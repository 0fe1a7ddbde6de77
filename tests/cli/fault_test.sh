#!/usr/bin/env bash
# Faults while writing and reading: a read-only filesystem, a full disk (a tiny tmpfs), the
# process killed at random moments, the input vanishing mid-run. Each must give a clear error
# and a non-zero exit, leave the input untouched, and leave no partial or temporary file.
# usage: fault_test.sh BUILD_TOOLS_DIR KODAK_DIR   (mounting tmpfs needs root; else SKIP = 77)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
kodak=$2
use_tools "$1"
make_work_dir
mounts=()
unmount_and_remove_work_dir() {
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  remove_work_dir
}
trap unmount_and_remove_work_dir EXIT
empty_dir() { [ -z "$(ls -A "$1")" ]; }
mount_tmpfs() {  # DIR OPTIONS
  mkdir -p "$1"
  mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null || return 1
  mounts+=("$1")
}

photo=$kodak/kodim01.png
require_inputs "$photo"
cp "$photo" "$work/in.png"
"$enc" --quiet -m classic -s 2 "$work/in.png" "$work/big.tadm" || { echo "setup encode failed"; exit 1; }

mount_tmpfs "$work/ro" ro,size=64k || skip_test "cannot mount tmpfs here (needs root); the fault tests did not run"

# --- read-only filesystem
expect_fail "read-only filesystem: encode fails naming the cause" "read-only" "$enc" --quiet -m classic "$work/in.png" "$work/ro/x.tadm"
expect_fail "read-only filesystem: decode fails naming the cause" "read-only" "$dec" --quiet "$work/big.tadm" "$work/ro/x.png"
empty_dir "$work/ro" && ok "read-only filesystem: nothing written" || bad "read-only filesystem: something was written"

# --- full disk: 16 KiB cannot hold a scale-2 .tadm of a Kodak image (~100 KB) nor its decoded PNG
mount_tmpfs "$work/full" size=16k
expect_fail "full disk: encode fails with 'No space left'" "no space left" "$enc" --quiet -m classic -s 2 "$work/in.png" "$work/full/x.tadm"
expect_fail "full disk: decode fails with 'No space left'" "no space left" "$dec" --quiet "$work/big.tadm" "$work/full/x.png"
expect_fail "full disk: thumbnail extraction of a big thumbnail fails" "no space left" "$dec" --quiet --thumbnail "$work/big.tadm" "$work/full/t.png"
empty_dir "$work/full" && ok "full disk: no partial or temporary file" || bad "full disk: left $(ls -A "$work/full")"
# an earlier complete output must survive a failed rewrite
"$enc" --quiet -m classic -s 32 "$work/in.png" "$work/full/keep.tadm" && cp "$work/full/keep.tadm" "$work/keep.ref"
expect_fail "full disk: a failed overwrite reports the error" "no space left" "$enc" --quiet -m classic -s 2 "$work/in.png" "$work/full/keep.tadm"
cmp -s "$work/full/keep.tadm" "$work/keep.ref" && ok "full disk: the previous output is intact" || bad "full disk: previous output damaged"

# --- killed at random moments: the output is either absent or complete, never partial
mkdir "$work/kill"
killed_ok=1
for delay in 0.05 0.1 0.2 0.3 0.5 0.8 1.2; do
  rm -rf "$work/kill"; mkdir "$work/kill"  # dot files too: a temporary file is named .x.tadm.tmp-*
  "$enc" --quiet -m classic -s 2 "$work/in.png" "$work/kill/x.tadm" & pid=$!
  sleep "$delay"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  if [ -e "$work/kill/x.tadm" ] && ! "$info" --quiet "$work/kill/x.tadm"; then killed_ok=0; echo "  partial output after ${delay}s"; fi
  if ls -A "$work/kill" | grep -q tmp; then killed_ok=0; echo "  temporary file left after ${delay}s"; fi
done
[ $killed_ok -eq 1 ] && ok "SIGKILL at 7 moments: no partial output, no temporary file" || bad "SIGKILL left a partial file"
cmp -s "$photo" "$work/in.png" && ok "the input is untouched" || bad "the input changed"

# --- SIGTERM while running: clean exit, nothing left
"$enc" --quiet -m classic -s 2 "$work/in.png" "$work/kill/t.tadm" & pid=$!
sleep 0.2; kill -TERM $pid 2>/dev/null; wait $pid; rc=$?
if [ -e "$work/kill/t.tadm" ]; then "$info" --quiet "$work/kill/t.tadm" && ok "SIGTERM: finished before the signal, output complete" || bad "SIGTERM: partial output"
else [ $rc -ne 0 ] && ok "SIGTERM: non-zero exit ($rc), no output" || bad "SIGTERM: exit 0 without output"; fi

# --- the input vanishing or changing during the run: either a complete result or a clean error
cp "$photo" "$work/vanish.png"
"$enc" --quiet -m classic "$work/vanish.png" "$work/v.tadm" & pid=$!
rm -f "$work/vanish.png"
wait $pid; rc=$?
if [ $rc -eq 0 ]; then "$info" --quiet "$work/v.tadm" && ok "input removed mid-run: the output read before removal is complete" || bad "input removed: bad output"
else [ ! -e "$work/v.tadm" ] && ok "input removed mid-run: clean failure" || bad "input removed: partial output"; fi
expect_fail "input missing: error names the file" "vanish.png" "$enc" --quiet -m classic "$work/vanish.png" "$work/v2.tadm"
head -c 20000 "$photo" > "$work/half.png"
expect_fail "input truncated: clear PNG error" "png" "$enc" --quiet -m classic "$work/half.png" "$work/h.tadm"
[ ! -e "$work/h.tadm" ] && ok "input truncated: no output" || bad "input truncated: output written"

report_tally
