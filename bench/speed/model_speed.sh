#!/usr/bin/env bash
# Encode and decode speed and peak memory of one model on a large photo, for the model cards.
#
#   bench/speed/model_speed.sh [--bin DIR] [--model NAME] [--scale S] [--threads T] [--size WxH]
#                              [--image PNG] [--precision P] [--out FILE]
#
# The photo is --image scaled to --size (default kodim23 from ../shared/data/kodak to 6000x4000,
# ImageMagick Lanczos; the model's cost does not depend on content). tadmenc and tadmdec run with
# T threads (default 2) under /usr/bin/time -v; the report gives megapixels per second of wall
# time (including loading LibTorch and the bundle), CPU seconds and peak resident memory.
# Stop other work first: the numbers are only meaningful on an otherwise idle machine.
set -euo pipefail

bin=build/release/tools
model=pix16
scale=""
threads=2
size=6000x4000
image=../shared/data/kodak/kodim23.png
precision=auto
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --precision) precision=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "model_speed.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "model_speed.sh: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
[ -x "$bin/tadmenc" ] && [ -x "$bin/tadmdec" ] || { echo "model_speed.sh: no tadmenc/tadmdec in $bin" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/convert "$image" -filter Lanczos -resize "${size}!" "$work/photo.png"
w=${size%x*}
h=${size#*x}
mp=$(awk -v w="$w" -v h="$h" 'BEGIN { printf "%.3f", w * h / 1e6 }')

# run NAME CMD...: prints "NAME wall cpu rss_mb"
run() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || { echo "model_speed.sh: $name failed: $*" >&2; cat "$work/err.txt" >&2; exit 1; }
  awk -F': ' -v n="$name" '
    /Elapsed \(wall clock\)/ { k = split($2, t, ":"); w = 0; for (i = 1; i <= k; i++) w = w * 60 + t[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { m = $2 }
    END { printf "%s %.2f %.2f %.0f\n", n, w, u + s, m / 1024 }' "$work/time.txt"
}

enc_args=(--quiet -j "$threads" --model "$model")
[ -n "$scale" ] && enc_args+=(--scale "$scale")
rows=$(run encode "$bin/tadmenc" "${enc_args[@]}" "$work/photo.png" "$work/photo.tadm"
       run decode "$bin/tadmdec" --quiet -j "$threads" --precision "$precision" "$work/photo.tadm" "$work/back.png")
report=$(
  echo "| step | wall s | MP/s (wall) | CPU s | peak RSS MB |"
  echo "|---|---|---|---|---|"
  echo "$rows" | awk -v mp="$mp" '{ printf "| %s | %.2f | %.2f | %.2f | %.0f |\n", $1, $2, mp / $2, $3, $4 }'
  echo
  echo "Model $model, ${size} (${mp} MP) from $(basename "$image"), $threads threads, decode precision $precision," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load average before: $load_before." \
       "Command: \`bench/speed/model_speed.sh --model $model${scale:+ --scale $scale} --threads $threads --size $size --precision $precision\`."
)
if [ -n "$out" ]; then printf '%s\n' "$report" > "$out.tmp" && mv "$out.tmp" "$out"; else printf '%s\n' "$report"; fi
