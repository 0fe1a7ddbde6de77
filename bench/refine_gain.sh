#!/usr/bin/env bash
# Mean PSNR and rate of tadmenc with and without --refine over a folder of photos, through the
# real tools (8-bit thumbnail in a .tadm file, decoded by tadmdec). Prints a Markdown table.
#   bench/refine_gain.sh [--bin build/release/tools] [--scale 16] [--refine 30] [--threads 1] [IMAGES_DIR]
set -euo pipefail
bin=build/release/tools scale=16 refine=30 threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;; --scale) scale=$2; shift 2 ;; --refine) refine=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;; -h|--help) sed -n 2,4p "$0"; exit 0 ;; *) break ;;
  esac
done
images=${1:-../shared/data/kodak}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "| image | bpp | PSNR dB | bpp refine $refine | PSNR dB refine $refine | encode s refine $refine |"
echo "|---|---|---|---|---|---|"
for f in "$images"/*.png; do
  n=$(basename "$f" .png)
  px=$(identify -format '%[fx:w*h]' "$f")
  row="| $n"
  for r in 0 "$refine"; do
    t0=$(date +%s.%N)
    "$bin/tadmenc" --quiet -j "$threads" -s "$scale" --refine "$r" "$f" "$work/$n.tadm"
    t1=$(date +%s.%N)
    "$bin/tadmdec" --quiet -j "$threads" "$work/$n.tadm" "$work/$n.png"
    bytes=$(stat -c %s "$work/$n.tadm")
    p=$(compare -metric PSNR "$work/$n.png" "$f" null: 2>&1 || true)
    row="$row | $(awk -v b="$bytes" -v p="$px" 'BEGIN{printf "%.4f", b*8/p}') | $p"
    [ "$r" = 0 ] || row="$row | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')"
  done
  echo "$row |"
done | tee "$work/rows"
awk -F'|' '{b0+=$3; p0+=$4; b1+=$5; p1+=$6; t+=$7; n++} END {printf "| **mean (%d)** | %.4f | %.2f | %.4f | %.2f | %.1f |\n", n, b0/n, p0/n, b1/n, p1/n, t/n}' "$work/rows"
