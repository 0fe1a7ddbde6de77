#!/usr/bin/env bash
# The Debian package: tools/package-deb.sh builds it (a second full build, with the prefix /usr,
# into DEB_BUILD_DIR), then dpkg-deb inspects it without installing anything: every file where
# Debian's programs look for it (gdk-pixbuf's loader folder, the MIME package and thumbnailer
# folders, ImageMagick 6's configuration folder, the frei0r folder FFmpeg searches, the library
# and the LibTorch module in the multiarch libdir, the models, the tools, the Python package), a
# control file whose Depends dpkg-shlibdeps computed, and no RUNPATH into the build tree.
# CTest label `package`: not in tools/test.sh's runs (`ctest -L package` runs it; it takes a full
# build: CMAKE_BUILD_PARALLEL_LEVEL limits its jobs).
# usage: deb_test.sh SOURCE_DIR DEB_BUILD_DIR
set -uo pipefail
src=$1 build=$2
. "$src/tests/lib.sh"
make_work_dir

for tool in dpkg-deb dpkg-shlibdeps cpack pkg-config readelf; do
  command -v "$tool" >/dev/null || skip_test "$tool is not installed (tools/setup-debian.sh installs it)"
done
if ! bash "$src/tools/package-deb.sh" "$build" >"$work/package.log" 2>&1; then
  tail -40 "$work/package.log"; echo "FAIL tools/package-deb.sh $build"; exit 1
fi
debs=("$build"/tadm_*.deb)
check "one package was built (${debs[*]})" test ${#debs[@]} -eq 1 -a -f "${debs[0]}"
deb=${debs[0]}
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$work/files"
has() { grep -qxF "$1" "$work/files"; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=/usr/lib/$multiarch

# --- where Debian's programs look
loaders=$(pkg-config --variable=gdk_pixbuf_moduledir gdk-pixbuf-2.0)
check "the gdk-pixbuf loader is in Debian's loader folder ($loaders)" has "$loaders/libpixbufloader-tadm.so"
check "the MIME type is a shared-mime-info package" has /usr/share/mime/packages/tadm.xml
check "the thumbnailer is in the thumbnailers folder" has /usr/share/thumbnailers/tadm.thumbnailer
check "the ImageMagick 6 delegates are in its configuration search path" has /usr/share/ImageMagick-6/delegates.xml
check "the frei0r plugin is where FFmpeg's frei0r filter searches (/usr/lib/frei0r-1)" has /usr/lib/frei0r-1/tadm.so
check "the library is in the multiarch libdir" has "$libdir/libtadm.so.1.0.0"
check "with its SONAME link" has "$libdir/libtadm.so.1"
check "the LibTorch runtime module is beside it" has "$libdir/tadm/libtadm_torch.so"
for tool in tadmenc tadmdec tadminfo; do check "$tool is in /usr/bin" has "/usr/bin/$tool"; done
check "the headers are in /usr/include/tadm" has /usr/include/tadm/tadm.h
check "pkg-config finds tadm.pc" has "$libdir/pkgconfig/tadm.pc"
check "the Python package is in Debian's dist-packages" \
  grep -qE '^/usr/lib/python3/dist-packages/tadm/_tadm\..*\.so$' "$work/files"
for bundle in "$src"/model/bundles/*/; do
  name=$(basename "$bundle")
  for f in manifest.json encoder.pt decoder.pt; do
    check "model $name: $f is in /usr/share/tadm/models" has "/usr/share/tadm/models/$name/$f"
  done
done

# --- what the files say
dpkg-deb -x "$deb" "$work/root"
check "the thumbnailer runs gdk-pixbuf-thumbnailer for image/x-tadm" \
  bash -c "grep -q 'gdk-pixbuf-thumbnailer' '$work/root/usr/share/thumbnailers/tadm.thumbnailer' &&
           grep -q 'image/x-tadm' '$work/root/usr/share/thumbnailers/tadm.thumbnailer'"
check "the MIME package defines image/x-tadm" grep -q 'type="image/x-tadm"' "$work/root/usr/share/mime/packages/tadm.xml"
check "the ImageMagick delegate decodes with tadmdec" grep -q 'tadmdec' "$work/root/usr/share/ImageMagick-6/delegates.xml"
build_real=$(realpath "$build")
leaky=""
while IFS= read -r f; do
  if readelf -h "$f" >/dev/null 2>&1 && readelf -d "$f" 2>/dev/null | grep -E 'RUNPATH|RPATH' | grep -qE "$build_real|$src"; then
    leaky+=" ${f#"$work/root"}"
  fi
done < <(find "$work/root" -type f)
check "no binary has a RUNPATH into the build or source tree (${leaky:-none})" test -z "$leaky"

# --- the control file
dpkg-deb -I "$deb" > "$work/info"
check "dpkg-deb -I reads the control file" grep -q '^ Package: tadm$' "$work/info"
check "the architecture is this machine's" test "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)"
depends=$(dpkg-deb -f "$deb" Depends)
echo "     Depends: $depends"
# dpkg-shlibdeps computed them from the ELF files: versioned entries for the libraries they link.
for lib in libc6 libstdc++6 libpng16-16 libjpeg62-turbo libwebp libjxl libavif libheif1 libtorch libgdk-pixbuf-2.0-0; do
  check "Depends has $lib with a version (from dpkg-shlibdeps)" grep -qE "(^|, )${lib//+/\\+}[0-9.a-z-]* \(>= " <<<"$depends"
done
check "Depends has the Python module's python3-numpy" grep -qE '(^|, )python3-numpy(,|$| )' <<<"$depends"
check "the package runs ldconfig after installing (its postinst)" bash -c "dpkg-deb -I '$deb' postinst | grep -q ldconfig"

report_tally
