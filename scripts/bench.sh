#!/usr/bin/env bash
# Benchmarks Neurona against what users install: PyPI's torch (eager and
# torch.compile), onnxruntime and IREE, with OpenBLAS as the GEMM anchor.
# Installs the toolchain (scripts/setup.sh) and the benchmark-only
# environment (bench/setup.sh, gigabytes), builds neurona and neurona-bench,
# then runs bench/run.py with the arguments given, e.g.
#   scripts/bench.sh --threads 1,2
#   scripts/bench.sh --cases gemm --systems neurona,openblas
# See bench/README.md. Never part of the tests or CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bench/setup.sh
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "${NEURONA_JOBS:-$(nproc)}" --target neurona neurona-bench
exec bench/.venv/bin/python bench/run.py "$@"
