#!/usr/bin/env bash
# Builds a minimal FFmpeg 5.1 with the tadm filter, linked against a libtadm build tree.
#
#   plugins/ffmpeg/build-ffmpeg.sh --tadm-build BUILD_DIR [--cache DIR] [--jobs N] [--check] [--print]
#
# FFmpeg's source comes from Debian 12's source package (deb-src of bookworm), fetched with a
# private APT configuration under the cache directory: nothing in /etc is read or written.
# The patches in patches/5.1 are applied, vf_tadm.c is copied into libavfilter/, and FFmpeg is
# configured with --disable-everything plus what thumbnails need (file protocol, image2,
# png, rawvideo, scale, format, null, tadm) and built out of the source tree.
#
# The build lives in CACHE/build-KEY, where KEY hashes this script, the patches, vf_tadm.c,
# tadm.h and the libtadm build directory; it is only rebuilt when one of them changes. On
# success the last line printed is the path of the ffmpeg binary.
#
#   --tadm-build DIR  the CMake build directory of tadm (holds codec/libtadm.so); required
#   --cache DIR       default ${XDG_CACHE_HOME:-$HOME/.cache}/tadm/ffmpeg-5.1 (or $TADM_FFMPEG_CACHE)
#   --jobs N          parallel make jobs (default 2)
#   --check           build nothing: print the binary and exit 0 if the build is cached, else exit 1
#   --print           print the cache key directory and exit
#
# Needs: dpkg-dev (dpkg-source), apt, patch, make, a C compiler, zlib1g-dev, and network access
# to deb.debian.org the first time (the source package is then kept in the cache).
# Exit status: 0 built or cached, 1 error, 3 the source could not be downloaded.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${TADM_FFMPEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tadm/ffmpeg-5.1}"
tadm_build=""
jobs=2
mode=build

die() { echo "build-ffmpeg: error: $*" >&2; exit 1; }
# Exit status 3: FFmpeg's source could not be obtained (no network); tests treat it as "skip".
die_fetch() { echo "build-ffmpeg: error: $*" >&2; exit 3; }
log() { echo "build-ffmpeg: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --tadm-build) [ $# -ge 2 ] || die "--tadm-build needs a directory"; tadm_build="$2"; shift 2 ;;
    --cache) [ $# -ge 2 ] || die "--cache needs a directory"; cache="$2"; shift 2 ;;
    --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs="$2"; shift 2 ;;
    --check) mode=check; shift ;;
    --print) mode=print; shift ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[ -n "$tadm_build" ] || die "--tadm-build BUILD_DIR is required (the tadm CMake build directory)"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, not '$jobs'"
tadm_build_abs="$(cd "$tadm_build" 2>/dev/null && pwd)" || die "no such directory: $tadm_build"
tadm_build="$tadm_build_abs"
libdir="$tadm_build/codec"
incdir="$repo/codec/include"
[ -f "$libdir/libtadm.so" ] || die "$libdir/libtadm.so not found: build tadm first (ninja -C $tadm_build tadm)"
[ -f "$incdir/tadm/tadm.h" ] || die "$incdir/tadm/tadm.h not found"

patchdir="$here/patches/5.1"
mapfile -t patches < <(find "$patchdir" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
[ ${#patches[@]} -gt 0 ] || die "no patches in $patchdir"

key="$( { cat "${BASH_SOURCE[0]}" "${patches[@]}" "$here/vf_tadm.c" "$incdir/tadm/tadm.h"; echo "$libdir"; } |
        sha256sum | cut -c1-16)"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
dest="$cache/build-$key"
binary="$dest/obj/ffmpeg"

case "$mode" in
  print) echo "$dest"; exit 0 ;;
  check)
    if [ -f "$dest/.complete" ] && [ -x "$binary" ]; then echo "$binary"; exit 0; fi
    exit 1 ;;
esac

# One build at a time per cache directory (ctest may run several tests at once).
exec 9>"$cache/.lock"
flock 9

if [ -f "$dest/.complete" ] && [ -x "$binary" ]; then
  log "cached build $dest is up to date"
  echo "$binary"
  exit 0
fi

for tool in apt-get dpkg-source patch make cc sha256sum flock; do
  command -v "$tool" >/dev/null || die "'$tool' not found (run tools/setup-debian.sh; dpkg-source is in dpkg-dev)"
done

# ------------------------------------------------------------------ source (private APT)
src_root="$cache/source"
if [ ! -f "$src_root/.complete" ]; then
  log "fetching FFmpeg's source package from Debian bookworm (private APT configuration in $cache/apt)"
  apt_dir="$cache/apt"
  rm -rf "$apt_dir" "$src_root"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d" \
           "$apt_dir/etc/apt.conf.d" "$src_root"
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$apt_dir/etc/sources.list"
  apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
    -o "Dir::Etc::Parts=$apt_dir/etc/apt.conf.d"
    -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Debug::NoLocking=true"
  )
  # As root APT downloads as the _apt user, which may not be able to write to $HOME.
  [ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")
  mkdir -p "$apt_dir/etc/sources.list.d"
  apt-get "${apt_opts[@]}" -qq update >&2 || die_fetch "apt-get update failed (is deb.debian.org reachable?)"
  (cd "$src_root" && apt-get "${apt_opts[@]}" -qq source ffmpeg >&2) ||
    die_fetch "apt-get source ffmpeg failed (is deb.debian.org reachable? dpkg-dev installed?)"
  touch "$src_root/.complete"
fi
pristine="$(find "$src_root" -mindepth 1 -maxdepth 1 -type d -name 'ffmpeg-5.1*' | head -n1)"
[ -n "$pristine" ] && [ -f "$pristine/configure" ] || die "no ffmpeg-5.1 source in $src_root (delete it to refetch)"
log "source: $pristine"

# ------------------------------------------------------------------ patch, configure, build
# Only one key is kept: remove builds made from other versions of the patches.
find "$cache" -mindepth 1 -maxdepth 1 -name 'build-*' ! -name "build-$key" -exec rm -rf {} +
# Built in place; only a finished build gets the .complete stamp the cache check looks for.
work="$dest"
rm -rf "$work"
mkdir -p "$work/obj"
cp -a "$pristine" "$work/src"
for p in "${patches[@]}"; do
  log "applying $(basename "$p")"
  patch -p1 -s -d "$work/src" < "$p" || die "patch $p does not apply to $pristine"
done
cp "$here/vf_tadm.c" "$work/src/libavfilter/vf_tadm.c"

configure_args=(
  --disable-everything --disable-autodetect --disable-doc --disable-network
  --disable-x86asm --disable-ffplay --disable-ffprobe --disable-avdevice --disable-postproc
  --enable-zlib
  --enable-protocol=file
  --enable-demuxer=image2 --enable-muxer=image2
  --enable-decoder=png --enable-encoder=png
  --enable-demuxer=rawvideo --enable-muxer=rawvideo
  --enable-decoder=rawvideo --enable-encoder=rawvideo
  --enable-filter=scale,format,null,tadm
  --enable-libtadm
  "--extra-cflags=-I$incdir"
  "--extra-ldflags=-L$libdir -Wl,-rpath,$libdir"
)
log "configuring (log: $work/obj/ffbuild/config.log)"
(cd "$work/obj" && "$work/src/configure" "${configure_args[@]}" >"$work/configure.out" 2>&1) || {
  tail -n 30 "$work/configure.out" >&2
  die "configure failed; see $work/obj/ffbuild/config.log"
}
log "building with -j$jobs (a few minutes)"
(cd "$work/obj" && make -j"$jobs" ffmpeg >"$work/make.out" 2>&1) || {
  tail -n 40 "$work/make.out" >&2
  die "make failed; see $work/make.out"
}
"$work/obj/ffmpeg" -hide_banner -h filter=tadm >/dev/null 2>&1 || die "the built ffmpeg has no tadm filter"

touch "$dest/.complete"
log "built $binary"
echo "$binary"
