#!/usr/bin/env bash
# Times `thumbflow convert` against libvips (`vipsthumbnail`) and
# libjpeg-turbo (`djpeg -scale 1/8`) on camera-like inputs, in one run, and
# prints the CPU time (user+sys, from /usr/bin/time) and peak RSS of each,
# and thumbflow's ratio to each. The machine is shared, so wall time says
# little: CPU time does, and every ratio compares figures taken in the same
# rounds. Each round runs every command of a case once, alternating, so a
# burst of load from elsewhere hits both sides alike; the medians over the
# rounds are reported.
#
# Cases, per input:
#   default  thumbflow's default renditions (thumb 320, preview 1024) in one
#            process, against vipsthumbnail run once per rendition size
#            (CPU summed, RSS the larger);
#   thumb    thumb-only, against one vipsthumbnail -s 320;
#   floor    thumb-only, against djpeg -scale 1/8 to /dev/null: the entropy
#            decoding alone, in libjpeg-turbo.
#
#   bench/convert.sh [ROUNDS]            (default 5)
#   THUMBFLOW=path/to/thumbflow bench/convert.sh   (time another build)
#   INPUTS="photo12mp.jpg prog12mp-420.jpg" bench/convert.sh   (a subset)
#
# It installs what it needs with apt-get when it can (time, libvips-tools,
# libjpeg-turbo-progs, imagemagick) and says what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out="$PWD/bench/out"
in="$out/in"
mkdir -p "$out/bin" "$in" "$out/res"
PATH="/usr/local/go/bin:$PATH"

need() { # command apt-package
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing $2 for $1" >&2
    apt-get install -y -q "$2" >/dev/null 2>&1 || true
  fi
  command -v "$1" >/dev/null && return 0
  echo "bench: $1 is missing (apt-get install $2)" >&2
  return 1
}
need /usr/bin/time time || exit 1
have_vips=1 have_djpeg=1
need vipsthumbnail libvips-tools || have_vips=0
need djpeg libjpeg-turbo-progs || have_djpeg=0
need cjpeg libjpeg-turbo-progs || { echo "bench: cjpeg makes the inputs" >&2; exit 1; }
# /usr/bin/convert only: another "convert" earlier in PATH may not be ImageMagick.
im=/usr/bin/convert
if ! $im -version 2>/dev/null | grep -q ImageMagick; then
  need /usr/bin/convert imagemagick || { echo "bench: ImageMagick makes the inputs" >&2; exit 1; }
fi

if [ -z "${THUMBFLOW:-}" ]; then
  go build -tags nodynamic -o "$out/bin/thumbflow" ./cmd/thumbflow
  THUMBFLOW="$out/bin/thumbflow"
fi

# photo W H NAME CJPEG-FLAGS: a fractal landscape with sensor-like noise,
# made at half size and enlarged (plasma is slow), then encoded by cjpeg as
# a camera would: quality 90.
photo() {
  local w=$1 h=$2 name=$3
  shift 3
  [ -s "$in/$name" ] && return
  local ppm="$out/src-${w}x$h.ppm"
  if [ ! -s "$ppm" ]; then
    $im -seed "$w" -size "$((w / 2))x$((h / 2))" plasma:fractal -blur 0x1 -resize "${w}x$h!" \
      -attenuate 0.5 +noise Gaussian "ppm:$ppm"
  fi
  cjpeg -quality 90 "$@" "$ppm" >"$in/$name"
}
photo 2304 1728 photo4mp.jpg -sample 2x2
photo 4000 3000 photo12mp.jpg -sample 2x2
photo 6000 4000 photo24mp.jpg -sample 2x2
photo 8000 6000 photo48mp.jpg -sample 2x2
photo 4000 3000 prog12mp-420.jpg -sample 2x2 -progressive
photo 4000 3000 prog12mp-444.jpg -sample 1x1 -progressive
photo 6000 4000 prog24mp-420.jpg -sample 2x2 -progressive
photo 6000 4000 prog24mp-444.jpg -sample 1x1 -progressive
if [ ! -s "$in/alpha2mp.png" ]; then
  # A photo fading to transparent from left to right.
  $im -seed 2 -size 1732x1155 plasma:fractal -attenuate 0.5 +noise Gaussian \
    \( -size 1155x1732 gradient:white-black -rotate 90 \) -alpha off -compose CopyOpacity -composite \
    "$in/alpha2mp.png"
fi
# Slots for the HEIC and AVIF inputs of 12 MP (issue 16's other half): put
# photo12mp.heic and photo12mp.avif in $in and they are timed like the rest.
for f in photo12mp.heic photo12mp.avif; do
  [ -s "$in/$f" ] || echo "bench: no $in/$f, skipping it" >&2
done

# measure NAME CMD...: runs CMD once and appends "cpu_ms rss_kb" to
# $out/m.NAME.
measure() {
  local name=$1
  shift
  if ! /usr/bin/time -f '%U %S %M' -o "$out/time.txt" "$@" >/dev/null 2>"$out/err.txt"; then
    echo "bench: failed: $*" >&2
    cat "$out/err.txt" >&2
    return 1
  fi
  tail -1 "$out/time.txt" | awk '{printf "%d %d\n", ($1 + $2) * 1000 + 0.5, $3}' >>"$out/m.$name"
}

tf="$THUMBFLOW convert -o $out/res"

# run_case CASE INPUT: one round of CASE on INPUT, each side once. vips
# writes what thumbflow writes: JPEG, or PNG for an input with alpha.
run_case() {
  local c=$1 f=$2 vout='.vips.jpg[Q=82]'
  case $f in *.png) vout=.vips.png ;; esac
  case $c in
  default)
    measure tf $tf "$f"
    [ $have_vips = 1 ] || return 0
    measure v320 vipsthumbnail "$f" -s 320 -o "$out/res/%s-320$vout"
    measure v1024 vipsthumbnail "$f" -s 1024 -o "$out/res/%s-1024$vout"
    ;;
  thumb)
    measure tf $tf -renditions thumb=320 "$f"
    [ $have_vips = 1 ] && measure v320 vipsthumbnail "$f" -s 320 -o "$out/res/%s-320$vout"
    ;;
  floor)
    measure tf $tf -renditions thumb=320 "$f"
    [ $have_djpeg = 1 ] && measure djpeg djpeg -scale 1/8 -outfile /dev/null "$f"
    ;;
  esac
  return 0
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
col() { [ -s "$out/m.$1" ] && awk -v c="$2" '{print $c}' "$out/m.$1" | median; }

printf '%-18s %-8s %9s %8s %12s %9s %8s %7s\n' input case tf_cpu_ms tf_mb other other_cpu other_mb ratio
for path in "$in"/*; do
  f=$(basename "$path")
  [ -z "${INPUTS:-}" ] || [[ " $INPUTS " == *" $f "* ]] || continue
  cases="default thumb"
  case $f in *.jpg) cases="default thumb floor" ;; esac
  for c in $cases; do
    rm -f "$out"/m.*
    run_case "$c" "$path" || continue # warm-up, not counted
    rm -f "$out"/m.*
    for _ in $(seq "$rounds"); do run_case "$c" "$path"; done
    tcpu=$(col tf 1) tmb=$(col tf 2 | awk '{printf "%.1f", $1/1024}')
    other="" ocpu="" omb=""
    case $c in
    default)
      if [ -s "$out/m.v320" ]; then
        # Per round: the two vips processes' CPU summed, the larger RSS.
        paste -d' ' "$out/m.v320" "$out/m.v1024" | awk '{print $1 + $3, ($2 > $4 ? $2 : $4)}' >"$out/m.vips"
        other=vips×2 ocpu=$(col vips 1) omb=$(col vips 2 | awk '{printf "%.1f", $1/1024}')
      fi
      ;;
    thumb)
      [ -s "$out/m.v320" ] && other=vips ocpu=$(col v320 1) omb=$(col v320 2 | awk '{printf "%.1f", $1/1024}')
      ;;
    floor)
      [ -s "$out/m.djpeg" ] && other=djpeg/8 ocpu=$(col djpeg 1) omb=$(col djpeg 2 | awk '{printf "%.1f", $1/1024}')
      ;;
    esac
    ratio=-
    [ -n "$ocpu" ] && ratio=$(awk -v a="$tcpu" -v b="$ocpu" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    printf '%-18s %-8s %9s %8s %12s %9s %8s %7s\n' "$f" "$c" "$tcpu" "$tmb" "${other:--}" "${ocpu:--}" "${omb:--}" "$ratio"
  done
done
rm -f "$out"/m.*
echo "(median of $rounds alternating rounds; CPU = user+sys; ratio = thumbflow ÷ other; nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
