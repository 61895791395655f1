#!/usr/bin/env bash
# Runs the pipeline benchmark: the local cloud in-process, 1 MP and 12 MP
# JPEGs uploaded through the presigned POST, succeeded received on the
# WebSocket. Prints latency p50/p99, the local cloud's overhead over the
# conversion alone, and throughput with 2 cores. Extra arguments go to the
# command (see go run ./bench/pipeline -h), e.g. -store mem or
# -cpuprofile bench/out/pipeline.prof.
#
#   bench/pipeline.sh [-n 30] [-throughput 40]
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="/usr/local/go/bin:$PATH"
mkdir -p bench/out/bin
go build -o bench/out/bin/pipeline ./bench/pipeline
exec bench/out/bin/pipeline -cpus 2 "$@"
