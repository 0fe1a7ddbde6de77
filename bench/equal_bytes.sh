#!/usr/bin/env bash
# Equal bytes through the real tools: for each photo, the classic (bicubic) PNG thumbnail's .tadm
# at --rate-scale sets the byte budget, and every operating point given is encoded with
# --target-bytes of that budget, decoded by tadmdec and scored (RGB PSNR, ImageMagick). Prints a
# Markdown table with the mean bpp and PSNR per operating point.
#   bench/equal_bytes.sh [--bin build/release/tools] [--rate-scale 16] [--threads 2] IMAGES_DIR POINT...
# A POINT is tadmenc options in one word, commas for spaces: "-m,classic,-s,4,--lr-codec,jpeg",
# "-m,jpeg4", "-s,16" (the default learned model).
set -euo pipefail
bin=build/release/tools rate=16 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;; --rate-scale) rate=$2; shift 2 ;; --threads) threads=$2; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;; *) break ;;
  esac
done
images=$1; shift
points=("$@")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
header="| image | budget bpp |"; rule="|---|---|"
for p in "${points[@]}"; do header="$header ${p//,/ } bpp | PSNR dB |"; rule="$rule---|---|"; done
echo "$header"; echo "$rule"
for f in "$images"/*.png; do
  n=$(basename "$f" .png)
  px=$(identify -format '%[fx:w*h]' "$f")
  "$bin/tadmenc" --quiet -j "$threads" -m classic -s "$rate" "$f" "$work/budget.tadm"
  budget=$(stat -c %s "$work/budget.tadm")
  row="| $n | $(awk -v b="$budget" -v p="$px" 'BEGIN{printf "%.4f", b*8/p}')"
  for p in "${points[@]}"; do
    IFS=, read -r -a opts <<<"$p"
    if "$bin/tadmenc" --quiet -j "$threads" "${opts[@]}" --target-bytes "$budget" "$f" "$work/x.tadm" 2>/dev/null; then
      "$bin/tadmdec" --quiet -j "$threads" "$work/x.tadm" "$work/x.png"
      bytes=$(stat -c %s "$work/x.tadm")
      q=$(compare -metric PSNR "$work/x.png" "$f" null: 2>&1 || true)
      row="$row | $(awk -v b="$bytes" -v p="$px" 'BEGIN{printf "%.4f", b*8/p}') | $q"
    else
      row="$row | - | -"  # cannot fit the budget
    fi
    rm -f "$work/x.tadm"
  done
  echo "$row |"
done | tee "$work/rows"
# Means over the photos where the point fits the budget (the count is given when some do not).
awk -F'|' -v k="${#points[@]}" '{n++; b+=$3; for (i = 0; i < k; i++) if ($(4+2*i) + 0 > 0) { c[i]++; r[i]+=$(4+2*i); q[i]+=$(5+2*i) } }
  END { printf "| **mean (%d)** | %.4f", n, b/n
        for (i = 0; i < k; i++) if (c[i] == n) printf " | %.4f | %.2f", r[i]/n, q[i]/n
                                else if (c[i] > 0) printf " | %.4f (%d fit) | %.2f", r[i]/c[i], c[i], q[i]/c[i]
                                else printf " | none fit | -"
        print " |" }' "$work/rows"
