#!/bin/sh
# Runs each benchmark program given as an argument, after describing the
# machine (CPUs, CPU model, memory) so the figures can be compared.
# Usage: BUILD=build sh tests/bench/run.sh build/bench/bench_intake ...
# Exits 1 if any benchmark failed or crashed.
BUILD=${BUILD:-build}; export BUILD
cpus=$(nproc 2>/dev/null || echo '?')
model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
mem=$(free -g 2>/dev/null | awk '/^Mem:/ {print $2}')
echo "machine: ${cpus} CPU(s), ${model:-unknown CPU}, ${mem:-?} GiB RAM ($(uname -sr))"
failed=""
for b in "$@"; do
  echo "== $b"
  if ! "$b"; then failed="$failed $b"; fi
done
if [ -n "$failed" ]; then
  echo "benchmarks failed:$failed"
  exit 1
fi
echo "all benchmarks passed"
