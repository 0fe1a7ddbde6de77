#!/usr/bin/env bash
# End-to-end encode/decode cost per megapixel: tadmenc/tadmdec against avifenc/avifdec
# (libavif-bin, libaom) and cjxl/djxl (libjxl-tools), measured in one run with /usr/bin/time -v
# (Debian package `time`): wall time, CPU time (user + system) and peak resident memory.
#
#   bench/speed/e2e.sh [--bin DIR] [--images DIR] [--count N] [--threads T] [--repeat R] [--out FILE]
#
# --bin: folder with tadmenc and tadmdec (default build/release/tools). The images are the first
# N (default 8) .png files of --images (default ../shared/data/kodak). Every tool gets T threads
# (default 1). Each command runs R times (default 3) per image and the fastest wall time is kept
# (with its CPU time and memory); tools are interleaved per image so they share the machine's
# load. Settings are fixed low-rate points: tadmenc at its defaults (the default model at scale
# 16) and with --model classic, avifenc --speed 6 --min 50 --max 50, cjxl -d 6 -e 7. Output: a Markdown report (stdout,
# or --out FILE) with per-tool cost per megapixel and tadm's ratios to AVIF and JPEG XL.
set -euo pipefail

bin=build/release/tools
images=../shared/data/kodak
count=8
threads=1
repeat=3
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || { echo "e2e.sh: $1 not found ($2)" >&2; exit 1; }; }
[ -x /usr/bin/time ] || { echo "e2e.sh: /usr/bin/time not found (Debian package time)" >&2; exit 1; }
need avifenc libavif-bin; need avifdec libavif-bin; need cjxl libjxl-tools; need djxl libjxl-tools
need /usr/bin/identify imagemagick
[ -x "$bin/tadmenc" ] && [ -x "$bin/tadmdec" ] || { echo "e2e.sh: no tadmenc/tadmdec in $bin (build first, or --bin)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t files < <(find "$images" -maxdepth 1 -name '*.png' | sort | head -n "$count")
[ ${#files[@]} -gt 0 ] || { echo "e2e.sh: no .png in $images" >&2; exit 1; }

# measure NAME OUTPUT_FILE CMD...: runs CMD $repeat times, appends "NAME wall cpu rss_kb bytes" of the fastest run.
measure() {
  local name=$1 output=$2; shift 2
  local best="" 
  for _ in $(seq "$repeat"); do
    rm -f "$output"
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || { echo "e2e.sh: $name failed: $*" >&2; cat "$work/err.txt" >&2; exit 1; }
    local line
    line=$(awk -F': ' '
      /Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
      /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { m = $2 }
      END { printf "%.3f %.3f %d", w, u + s, m }' "$work/time.txt")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then best=$line; fi
  done
  echo "$name $best $(stat -c %s "$output") $mp" >> "$work/rows.txt"
}

total_mp=0
for f in "${files[@]}"; do
  wh=$(/usr/bin/identify -format '%w %h' "$f")
  w=${wh% *}
  h=${wh#* }
  mp=$(awk -v w="$w" -v h="$h" 'BEGIN { printf "%.6f", w * h / 1e6 }')
  total_mp=$(awk -v a="$total_mp" -v b="$mp" 'BEGIN { printf "%.6f", a + b }')
  measure tadmenc "$work/a.tadm" "$bin/tadmenc" --quiet -j "$threads" "$f" "$work/a.tadm"
  measure tadmdec "$work/a_tadm.png" "$bin/tadmdec" --quiet -j "$threads" "$work/a.tadm" "$work/a_tadm.png"
  measure tadmenc-classic "$work/c.tadm" "$bin/tadmenc" --quiet -j "$threads" --model classic "$f" "$work/c.tadm"
  measure tadmdec-classic "$work/c_tadm.png" "$bin/tadmdec" --quiet -j "$threads" "$work/c.tadm" "$work/c_tadm.png"
  measure avifenc "$work/a.avif" avifenc -j "$threads" -s 6 --min 50 --max 50 "$f" "$work/a.avif"
  measure avifdec "$work/a_avif.png" avifdec -j "$threads" "$work/a.avif" "$work/a_avif.png"
  measure cjxl "$work/a.jxl" cjxl "$f" "$work/a.jxl" -d 6 -e 7 --num_threads="$threads"
  measure djxl "$work/a_jxl.png" djxl "$work/a.jxl" "$work/a_jxl.png" --num_threads="$threads"
done

model=$("$bin/tadmenc" --list-models 2>/dev/null | awk -F'\t' 'NR > 1 && $1 != "" { printf "%s%s (scale %s)", sep, $1, $2; sep = ", " }' || true)
default_model=$("$bin/tadminfo" --json "$work/a.tadm" 2>/dev/null | awk '/"model"/ { m = 1 } m && /"name"/ { gsub(/[",]/, "", $2); print $2; exit }' || true)
report() {
  echo "# tadm end-to-end speed and memory"
  echo
  echo "- Produced: $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Command: \`bench/speed/e2e.sh --bin $bin --images $images --count $count --threads $threads --repeat $repeat\`"
  echo "- Commit: \`$(git rev-parse HEAD 2>/dev/null || echo unknown)\`"
  echo "- Images: ${#files[@]} from $images, $(printf '%.3f' "$total_mp") MP in total; $threads thread(s) per tool; fastest of $repeat runs per image"
  echo "- Settings: tadmenc defaults (models found: $model; the last file was made by ${default_model:-unknown}); avifenc -s 6 --min 50 --max 50 (libaom); cjxl -d 6 -e 7. Decoders write PNG."
  echo
  echo "\`tadmenc\`/\`tadmdec\` use the default model; the \`-classic\` rows are the same tools with \`--model classic\`. Each figure includes process start-up (for a learned model, loading LibTorch and the bundle), which dominates on images this small."
  echo
  echo "Per megapixel: wall and CPU (user + system) seconds summed over the images and divided by their megapixels; peak memory is the largest maximum resident set size over the images."
  echo
  echo "| tool | wall s/MP | CPU s/MP | peak RSS (MB) | mean output bpp |"
  echo "|---|---|---|---|---|"
  awk '{ w[$1] += $2; c[$1] += $3; if ($4 > m[$1]) m[$1] = $4; b[$1] += $5 * 8; p[$1] += $6; order[$1] = NR }
       END { n = split("tadmenc tadmdec tadmenc-classic tadmdec-classic avifenc avifdec cjxl djxl", t, " ");
             for (i = 1; i <= n; i++) { k = t[i];
               bpp = (k ~ /enc|cjxl/) ? sprintf("%.4f", b[k] / (p[k] * 1e6)) : "–";
               printf "| %s | %.4f | %.4f | %.1f | %s |\n", k, w[k] / p[k], c[k] / p[k], m[k] / 1024, bpp } }' "$work/rows.txt"
  echo
  echo "Ratios (tadm / other; below 1 means tadm is cheaper):"
  echo
  echo "| | wall | CPU | peak memory |"
  echo "|---|---|---|---|"
  awk '{ w[$1] += $2; c[$1] += $3; if ($4 > m[$1]) m[$1] = $4 }
       function row(label, a, b) { printf "| %s | %.2f | %.2f | %.2f |\n", label, w[a] / w[b], c[a] / c[b], m[a] / m[b] }
       END { row("encode: tadmenc / avifenc", "tadmenc", "avifenc"); row("decode: tadmdec / avifdec", "tadmdec", "avifdec");
             row("encode: tadmenc / cjxl", "tadmenc", "cjxl"); row("decode: tadmdec / djxl", "tadmdec", "djxl");
             row("encode: tadmenc --model classic / avifenc", "tadmenc-classic", "avifenc");
             row("decode: tadmdec (classic file) / avifdec", "tadmdec-classic", "avifdec") }' "$work/rows.txt"
}
if [ -n "$out" ]; then report > "$out"; echo "e2e.sh: wrote $out" >&2; else report; fi
