#!/usr/bin/env bash
# Runs the attack files of the security review (issue 12) through
# `thumbflow convert` with the Lambda function's GOMEMLIMIT, and prints each
# file's size, outcome, wall and CPU time and peak RSS, as docs/converter.md
# quotes them.
#
#   bench/convert-attacks.sh [MEMORY_MB]   (default 1536; needs /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
mem=${1:-1536}
out="$PWD/bench/out/attacks"
mkdir -p "$out/bin" "$out/in" "$out/res"
PATH="/usr/local/go/bin:$PATH"
if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
  exit 1
fi

go build -tags nodynamic -o "$out/bin/thumbflow" ./cmd/thumbflow
go build -o "$out/bin/convertattack" ./bench/convertattack
"$out/bin/convertattack" "$out/in"

# What lambdas/wiring.MemoryLimit sets: all but a tenth of the memory.
limit_mib=$((mem - mem / 10))
printf '%-32s %8s %-16s %8s %8s %8s\n' input kb result wall_s cpu_s peak_mb
for in in "$out"/in/*; do
  name=$(basename "$in")
  GOMEMLIMIT="${limit_mib}MiB" /usr/bin/time -v -o "$out/time.txt" \
    "$out/bin/thumbflow" convert -o "$out/res" "$in" >"$out/line.json" 2>/dev/null || true
  result=$(sed -n 's/.*"code":"\([A-Za-z]*\)".*/\1/p' "$out/line.json")
  [ -n "$result" ] || result=converted
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2, t, ":"); s=0; for (i=1; i<=n; i++) s=s*60+t[i]; printf "%.2f", s}' "$out/time.txt")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$out/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$out/time.txt")
  printf '%-32s %8d %-16s %8s %8s %8s\n' "$name" $(( $(stat -c %s "$in") / 1024 )) "$result" "$wall" "$cpu" "$rss"
done
echo "(GOMEMLIMIT=${limit_mib}MiB, default limits for ${mem} MB; nproc=$(nproc), load $(cut -d' ' -f1-3 /proc/loadavg))"
