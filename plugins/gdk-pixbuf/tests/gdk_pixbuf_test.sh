#!/usr/bin/env bash
# The .tadm gdk-pixbuf loader with a private loader cache (GDK_PIXBUF_MODULE_FILE) and a private
# MIME database (XDG_DATA_DIRS): gdk-pixbuf-thumbnailer makes a thumbnail of a .tadm file, a
# full-size load is the model's output, a thumbnail-size load is the stored thumbnail (a PNG or a
# JPEG XL one), and corrupt files fail cleanly.
# usage: gdk_pixbuf_test.sh TOOLS_DIR LOADER.so pixbuf_test MIME.xml QUERY_LOADERS KODAK_DIR [SANITIZE]
# With SANITIZE=ON (an ASan build) the uninstrumented gdk-pixbuf programs that dlopen the loader
# get the ASan runtime preloaded, and leak checking is off for them and for the GLib-based test
# program (GLib keeps global allocations); the library's own leaks are checked by tadm_heif_tests.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../../tests/lib.sh"
bin=$1 loader=$2 pixbuf_test=$3 mime_xml=$4 query=$5 kodak=$6 sanitize=${7:-OFF}
foreign() {
  case "$sanitize" in
    ON|on|1|TRUE|true) LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 "$@" ;;
    *) "$@" ;;
  esac
}
make_work_dir

[ -x "$query" ] || skip_test "gdk-pixbuf-query-loaders not found (package libgdk-pixbuf2.0-bin)"
command -v gdk-pixbuf-thumbnailer >/dev/null || skip_test "gdk-pixbuf-thumbnailer not found (package libgdk-pixbuf2.0-bin)"
command -v update-mime-database >/dev/null || skip_test "update-mime-database not found (package shared-mime-info)"
require_inputs "$kodak/kodim23.png"

# Private loader cache: the system's loaders plus ours.
foreign "$query" $(ls /usr/lib/*/gdk-pixbuf-2.0/2.10.0/loaders/*.so 2>/dev/null) "$loader" > "$work/loaders.cache" 2>"$work/query.log"
check "the loader cache lists the tadm loader" grep -q '"image/x-tadm"' "$work/loaders.cache"
export GDK_PIXBUF_MODULE_FILE=$work/loaders.cache
# Private MIME database with image/x-tadm (the system's types stay visible after it).
mkdir -p "$work/share/mime/packages"
cp "$mime_xml" "$work/share/mime/packages/tadm.xml"
update-mime-database "$work/share/mime" >/dev/null 2>&1
export XDG_DATA_DIRS=$work/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}
check "the private MIME database knows image/x-tadm" test -f "$work/share/mime/image/x-tadm.xml"
export HOME=$work  # thumbnailer caches and GIO stay private

"$im" "$kodak/kodim23.png" -crop 400x300+100+50 +repage "$work/photo.png"
"$bin/tadmenc" --quiet -m classic "$work/photo.png" "$work/photo.tadm"
"$bin/tadmdec" --quiet -d 8 "$work/photo.tadm" "$work/full.png"
"$bin/tadmdec" --quiet --thumbnail "$work/photo.tadm" "$work/thumb.png"
"$im" "$kodak/kodim23.png" -crop 200x120+0+0 +repage -alpha set -channel A -fx 'j/h' +channel "$work/alpha.png"
"$bin/tadmenc" --quiet -m classic -s 8 "$work/alpha.png" "$work/alpha.tadm"
"$bin/tadmdec" --quiet -d 8 "$work/alpha.tadm" "$work/alpha.full.png"
"$bin/tadmdec" --quiet --thumbnail "$work/alpha.tadm" "$work/alpha.thumb.png"
# With the default (learned) model when this build can run it (not without LibTorch).
kinds="photo alpha"
if has_learned_runtime "$bin"; then
  kinds="photo alpha learned"
  "$bin/tadmenc" --quiet --threads 2 "$work/photo.png" "$work/learned.tadm"
  "$bin/tadmdec" --quiet -d 8 --threads 2 "$work/learned.tadm" "$work/learned.full.png"
  "$bin/tadmdec" --quiet --thumbnail "$work/learned.tadm" "$work/learned.thumb.png"
  learned_model=$("$bin/tadminfo" --json "$work/learned.tadm" | awk -F'"' '/"name"/{print $4; exit}')
else
  skipped "the default learned model (this build has no LibTorch runtime)"
fi
# A JPEG XL thumbnail, lossless: the pixels of the PNG one, so the same expected images.
"$bin/tadmenc" --quiet -m classic --lr-codec jxl --lr-lossless "$work/photo.png" "$work/jxl.tadm"
cp "$work/full.png" "$work/jxl.full.png"; cp "$work/thumb.png" "$work/jxl.thumb.png"
kinds="$kinds jxl"
# Corrupt: one byte flipped inside the MODL chunk (the CRC catches it); truncated.
cp "$work/photo.tadm" "$work/corrupt.tadm"
printf 'X' | dd of="$work/corrupt.tadm" bs=1 seek=60 conv=notrunc status=none
head -c 100 "$work/photo.tadm" > "$work/truncated.tadm"

if command -v gio >/dev/null; then
  check "GIO identifies a .tadm as image/x-tadm (by content, under another name)" \
    bash -c "cp '$work/photo.tadm' '$work/noext.bin'; gio info -a standard::content-type '$work/noext.bin' | grep -q image/x-tadm"
fi

cp "$work/full.png" "$work/photo.full.png"; cp "$work/thumb.png" "$work/photo.thumb.png"
for f in $kinds; do
  out=$(foreign "$pixbuf_test" "$work/$f.tadm" "$work/$f.full.png" "$work/$f.thumb.png" "$work/corrupt.tadm" 2>&1)
  rc=$?
  echo "$out" | sed 's/^/     /'
  label=$f; [ $f = learned ] && label="default model ($learned_model)"
  check "$label: gdk_pixbuf loads (full size = tadmdec output, small = stored thumbnail, corrupt refused)" test $rc -eq 0
done

foreign gdk-pixbuf-thumbnailer -s 64 "$work/photo.tadm" "$work/thumbnail.png" 2>"$work/thumb.log"
check "gdk-pixbuf-thumbnailer makes a thumbnail of a .tadm" test -s "$work/thumbnail.png"
size=$(identify -format '%wx%h' "$work/thumbnail.png" 2>/dev/null)
check "the thumbnail is 64 pixels on its long side ($size)" test "$size" = 64x48
# It is the stored thumbnail (25x19 at scale 16) scaled up by gdk-pixbuf: compare with that.
"$im" "$work/thumb.png" -resize '64x48!' "$work/thumb_scaled.png"
thumbnail_psnr=$(psnr "$work/thumbnail.png" "$work/thumb_scaled.png")
check "the thumbnail shows the picture (PSNR $thumbnail_psnr dB against the scaled stored thumbnail > 25)" \
  awk -v p="$thumbnail_psnr" 'BEGIN { exit !(p == "inf" || p > 25) }'
for f in corrupt truncated; do
  foreign gdk-pixbuf-thumbnailer -s 64 "$work/$f.tadm" "$work/$f.png" >/dev/null 2>"$work/$f.log"
  rc=$?
  check "gdk-pixbuf-thumbnailer fails on a $f .tadm (rc $rc) with no output" test $rc -ne 0 -a ! -s "$work/$f.png"
done

report_tally
