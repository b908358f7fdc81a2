#!/usr/bin/env bash
# Configures and builds Neurona into build/ (tools in build/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${NEURONA_JOBS:-$(nproc)}
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$jobs"
