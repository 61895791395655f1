#!/usr/bin/env bash
# Times `thumbflow convert` against the plain imaging pipeline and, when
# installed, ImageMagick (`convert -thumbnail`) and libvips (`vipsthumbnail`),
# on generated inputs, all in one run. Prints the median wall time and
# median peak RSS of each tool per input, and each tool's time relative to
# thumbflow.
#
#   bench/convert.sh [RUNS]      (default 7; apt-get install imagemagick libvips-tools time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
size=320
out="$PWD/bench/out"
mkdir -p "$out/bin" "$out/in" "$out/res"
PATH="/usr/local/go/bin:$PATH"

go build -o "$out/bin/thumbflow" ./cmd/thumbflow
go build -o "$out/bin/baseline" ./bench/baseline
"$out/bin/baseline" gen "$out/in"

if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
  exit 1
fi

tools=(thumbflow imaging)
# /usr/bin/convert only: a different "convert" earlier in PATH may not be ImageMagick.
if [ -x /usr/bin/convert ] && /usr/bin/convert -version 2>/dev/null | grep -q ImageMagick; then
  tools+=(imagemagick)
else
  echo "bench: ImageMagick not installed, skipping it" >&2
fi
if command -v vipsthumbnail >/dev/null; then
  tools+=(vips)
else
  echo "bench: vipsthumbnail not installed, skipping it" >&2
fi

cmd_for() { # tool input
  case $1 in
  thumbflow) echo "$out/bin/thumbflow convert -o $out/res -renditions thumb=$size $2" ;;
  imaging) echo "$out/bin/baseline thumb -size $size -o $out/res $2" ;;
  imagemagick) echo "/usr/bin/convert $2 -thumbnail ${size}x${size} $out/res/im.jpg" ;;
  vips) echo "vipsthumbnail $2 -s $size -o $out/res/%s.vips.jpg" ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-22s %-12s %10s %10s %8s\n' input tool median_ms peak_mb vs_thumbflow
for in in "$out"/in/*; do
  name=$(basename "$in")
  declare -A med_ms=() med_mb=()
  for tool in "${tools[@]}"; do
    cmd=$(cmd_for "$tool" "$in")
    $cmd >/dev/null 2>&1 || { echo "bench: $tool failed on $name" >&2; continue; }  # warm-up
    times=() rss=()
    # Interleaving would be fairer on a busy machine; repeated runs and the
    # median absorb most of the noise.
    for _ in $(seq "$runs"); do
      t0=$(date +%s%N)
      /usr/bin/time -f '%M' -o "$out/time.txt" $cmd >/dev/null 2>&1
      kb=$(tail -1 "$out/time.txt")
      t1=$(date +%s%N)
      times+=($(( (t1 - t0) / 1000000 )))
      rss+=("$kb")
    done
    med_ms[$tool]=$(printf '%s\n' "${times[@]}" | median)
    med_mb[$tool]=$(printf '%s\n' "${rss[@]}" | median | awk '{printf "%.1f", $1/1024}')
  done
  for tool in "${tools[@]}"; do
    [ -n "${med_ms[$tool]:-}" ] || continue
    ratio=$(awk -v a="${med_ms[$tool]}" -v b="${med_ms[thumbflow]}" 'BEGIN {printf "%.2f", a/b}')
    printf '%-22s %-12s %10s %10s %8s\n' "$name" "$tool" "${med_ms[$tool]}" "${med_mb[$tool]}" "${ratio}x"
  done
  unset med_ms med_mb
done
echo "($runs runs each, thumbnail fit ${size}x${size}; nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
