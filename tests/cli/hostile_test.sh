#!/usr/bin/env bash
# The tools against hostile paths and inputs (issue 14): outputs are written through devices,
# FIFOs and symbolic links instead of being replaced, directories are refused; inputs must be
# regular files within the memory budget; a file naming a bundle by path never loads it.
# usage: hostile_test.sh BUILD_TOOLS_DIR KODAK_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_tools "$(cd "$1" && pwd)"
kodak=$2
make_work_dir
photo=$kodak/kodim23.png
require_inputs "$photo"
"$enc" --quiet -m classic "$photo" "$work/ref.tadm" || { echo "setup encode failed"; exit 1; }

# --- outputs: a symbolic link stays a link and its target gets the file
touch "$work/target.tadm" && chmod 640 "$work/target.tadm"
ln -s target.tadm "$work/link.tadm"
"$enc" --quiet -m classic "$photo" "$work/link.tadm"
check "symlink output: the link is still a link" test -L "$work/link.tadm"
check "symlink output: its target holds the file" cmp -s "$work/target.tadm" "$work/ref.tadm"
check "a replaced file keeps its permissions" test "$(stat -c %a "$work/target.tadm")" = 640
ln -s missing/dangling.tadm "$work/dangling.tadm"
expect_fail "a dangling link into a missing folder: clear error" "no such file" "$enc" --quiet -m classic "$photo" "$work/dangling.tadm"
check "a dangling link stays as it was" test -L "$work/dangling.tadm"

# --- a FIFO is written into, not replaced
mkfifo "$work/fifo"
cat "$work/fifo" > "$work/from-fifo.png" & reader=$!
"$dec" --quiet "$work/ref.tadm" "$work/fifo"; rc=$?
wait $reader
check "FIFO output: exit 0" test $rc -eq 0
check "FIFO output: still a FIFO" test -p "$work/fifo"
"$dec" --quiet "$work/ref.tadm" "$work/plain.png"
check "FIFO output: the reader got the whole PNG" cmp -s "$work/from-fifo.png" "$work/plain.png"

# --- a character device stays a device (as root, the old rename replaced /dev/null)
"$dec" --quiet "$work/ref.tadm" /dev/null
check "/dev/null output: exit 0 and still a character device" test -c /dev/null
"$dec" --quiet --thumbnail "$work/ref.tadm" /dev/stdout > "$work/thumb-stdout.png"
"$dec" --quiet --thumbnail "$work/ref.tadm" "$work/thumb.png"
check "/dev/stdout output: the bytes arrive on stdout" cmp -s "$work/thumb-stdout.png" "$work/thumb.png"

# --- directories
mkdir "$work/dir.png"
expect_fail "a directory as output is refused" "directory" "$dec" --quiet "$work/ref.tadm" "$work/dir.png"
expect_fail "a directory as input is an I/O error, not an internal one" "directory" "$enc" --quiet -m classic "$work/dir.png" "$work/x.tadm"
expect_fail "a directory as .tadm input is refused" "regular file|directory" "$dec" --quiet "$work/dir.png" "$work/x.png"

# --- inputs that never end or are not files
expect_fail "/dev/zero as input: refused, not read until memory runs out" "not a regular file" timeout 20 "$enc" --quiet -m classic /dev/zero "$work/z.tadm"
check "no output after a refused input" test ! -e "$work/z.tadm"

# --- memory budget
expect_fail "--max-memory refuses a job over the budget before starting" "memory budget of 8 MiB" "$dec" --quiet --max-memory 8 "$work/ref.tadm" "$work/m.png"
check "no output after a refused decode" test ! -e "$work/m.png"
"$dec" --quiet --max-memory 64 "$work/ref.tadm" "$work/m.png"
check "a budget that fits decodes" test -s "$work/m.png"

# --- damaged input: refused, or read with a warning when asked
/usr/bin/convert "$photo" -quality 90 "$work/photo.jpg"
size=$(stat -c %s "$work/photo.jpg")
head -c $((size - 2000)) "$work/photo.jpg" > "$work/cut.jpg"
expect_fail "a truncated JPEG is refused" "premature end|damaged" "$enc" --quiet -m classic "$work/cut.jpg" "$work/cut.tadm"
check "no output for the truncated JPEG" test ! -e "$work/cut.tadm"
err=$("$enc" -m classic --allow-corrupt "$work/cut.jpg" "$work/cut.tadm" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && grep -qi "warning.*premature end" <<<"$err"; then ok "--allow-corrupt encodes it with a warning"
else bad "--allow-corrupt (rc=$rc: $err)"; fi

# --- a file naming a bundle by path: refused before anything is opened
if [ -d "$(dirname "$0")/../../model/bundles/pix16" ]; then
  mkdir -p "$work/evil" && cp -r "$(dirname "$0")/../../model/bundles/pix16" "$work/evil/bundle"
  # Patch the MODL name of a classic file to a same-length path ("classic" -> "evil/bu") and fix the CRC.
  python3 - "$work/ref.tadm" "$work/evil.tadm" <<'PY'
import sys, zlib, struct
data = bytearray(open(sys.argv[1], 'rb').read())
pos = 12
while pos < len(data):
    length, ctype = struct.unpack('>I4s', data[pos:pos + 8])
    if ctype == b'MODL':
        body = pos + 8
        assert data[body + 1:body + 8] == b'classic'
        data[body + 1:body + 8] = b'evil/bu'
        crc = zlib.crc32(bytes(data[pos + 4:body + length])) & 0xffffffff
        data[body + length:body + length + 4] = struct.pack('>I', crc)
        break
    pos += 12 + length
open(sys.argv[2], 'wb').write(data)
PY
  mv "$work/evil/bundle" "$work/evil/bu"
  cd "$work" || exit 1  # the relative name would resolve here
  expect_fail "a file naming evil/bu is refused as not a plain name" "not a plain name" "$dec" --quiet --force-model evil.tadm out.png
  cd - >/dev/null || exit 1
  check "nothing written for it" test ! -e "$work/out.png"
fi

report_tally
