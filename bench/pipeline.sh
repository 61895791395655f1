#!/usr/bin/env bash
# Runs the pipeline benchmark.
#
#   bench/pipeline.sh [-concurrent 40,200] [-drop 500]
#     memory: thumbflow dev (built from cmd/thumbflow) runs as its own
#     process, a fresh one per run, GOMAXPROCS=2, and the load client is
#     this benchmark's process. Prints the SERVER's peak RSS (VmHWM) for
#     each count of 12 MP uploads made at once, and with -drop N how N
#     12 MP uploads dropped at once end (every one must be succeeded).
#
#   bench/pipeline.sh -latency [-n 30] [-throughput 40] [-store disk|mem] [-cpuprofile f]
#     latency: the local cloud in-process, 1 MP and 12 MP JPEGs uploaded
#     through the presigned POST, succeeded received on the WebSocket.
#     Prints latency p50/p99, the local cloud's overhead over the
#     conversion alone, and throughput with 2 cores (go run ./bench/pipeline -h).
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="/usr/local/go/bin:$PATH"
mkdir -p bench/out/bin
go build -tags nodynamic -o bench/out/bin/pipeline ./bench/pipeline
if [ "${1:-}" = "-latency" ]; then
  shift
  exec bench/out/bin/pipeline -cpus 2 "$@"
fi
go build -tags nodynamic -o bench/out/bin/thumbflow ./cmd/thumbflow
exec bench/out/bin/pipeline -cpus 2 -server bench/out/bin/thumbflow "$@"
