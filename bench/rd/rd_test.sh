#!/usr/bin/env bash
# tadm-rd end to end on one Kodak photo (classic x16 against JPEG, no sweeps, no learned models:
# seconds), a finished run reported again and kept from other settings, and its refusals: bad options fail up front, naming the option, with nothing written.
# Usage: rd_test.sh TADM_RD KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib.sh"
rd=$1 kodak=$2
require_inputs "$kodak/kodim23.png"
make_work_dir

# The measurement: the equal-bytes row exists, fits the tadm file's bytes, and the summary says so.
echo "$kodak/kodim23.png" > "$work/list"
run=("$rd" --images "$work/list" --no-learned --scales 16 --codecs jpeg --prescales 1 2 --no-sweep
     --no-perceptual --crop-images 0)
"${run[@]}" -q --out "$work/out" > "$work/log" 2>&1
check "a one-photo run succeeds" test $? -eq 0
csv=$work/out/results.csv
tadm_bytes=$(awk -F, '$4=="tadm" && $5=="classic-x16" {print $10}' "$csv")
jpeg_bytes=$(awk -F, '$4=="matched" && $5=="classic-x16" && $6=="jpeg" {print $10}' "$csv")
check "the tadm point is measured" test -n "$tadm_bytes"
check "JPEG is matched at no more than tadm's bytes ($jpeg_bytes <= $tadm_bytes)" \
  test -n "$jpeg_bytes" -a "${jpeg_bytes:-0}" -gt 0 -a "${jpeg_bytes:-0}" -le "${tadm_bytes:-0}"
check "the summary has the operating point" grep -q "Operating point .classic-x16." "$work/out/summary.md"

# A finished run's report is written again from its cache by the same command (nothing measured);
# other settings, or committed results without their cache, are refused, leaving the results as
# they were; --overwrite measures again.
cp "$csv" "$work/results.before"
"${run[@]}" --out "$work/out" > "$work/log2" 2>&1
check "the same command again succeeds" test $? -eq 0
check "... measuring nothing" grep -q "1 of 1 images already measured" "$work/log2"
check "... with the same results" cmp -s "$csv" "$work/results.before"
"${run[@]}" --out "$work/out" --scales 32 > "$work/log3" 2>&1
check "other settings are refused" test $? -ne 0
check "... saying how to start again" grep -q -- "--overwrite" "$work/log3"
check "... leaving the results alone" cmp -s "$csv" "$work/results.before"
mv "$work/out/cache" "$work/cache.saved"
"${run[@]}" --out "$work/out" > "$work/log4" 2>&1
check "results without their cache (a fresh clone) are refused" test $? -ne 0
check "... leaving them alone" cmp -s "$csv" "$work/results.before"
"${run[@]}" --out "$work/out" --overwrite > "$work/log5" 2>&1
check "--overwrite measures again" test $? -eq 0
check "... byte-identical results (every step is deterministic)" cmp -s "$csv" "$work/results.before"

# Refused up front: scales outside 2..64 (the container's range), prescale 0, a missing folder.
for bad in "--scales 65" "--scales 1" "--curve-scales 0" "--auto-scales 70" "--auto-curve-scales 1" \
           "--sweep-prescales 0" "--prescales 65"; do
  opt=${bad%% *}
  # shellcheck disable=SC2086  # the option and its value are two words
  "$rd" --images "$work/list" --out "$work/bad" --no-learned --no-sweep $bad > "$work/err" 2>&1
  rc=$?
  check "$bad is refused (exit $rc)" test $rc -ne 0
  check "$bad: the error names $opt" grep -q -- "$opt" "$work/err"
  check "$bad: nothing written" test ! -e "$work/bad"
done
"$rd" --images "$work/no-such-folder" --out "$work/bad" --no-learned --no-sweep > "$work/err" 2>&1
check "a missing image folder is refused" test $? -ne 0
check "a missing image folder: nothing written" test ! -e "$work/bad"

report_tally
