#!/usr/bin/env bash
# The main job: installs what it needs, builds, trains the default model
# (models/fashion_mlp.nn) on Fashion-MNIST, compiles it with its trained
# parameters into a standalone executable plus a shared library and C header,
# checks the executable against `neurona run`, and prints test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --data
scripts/build.sh

model=models/fashion_mlp.nn
data=/usr/share/datasets/fashion-mnist
out=out
mkdir -p "$out"
neurona=build/bin/neurona

echo "==> training $model"
"$neurona" train "$model" --data-dir "$data" --save "$out/fashion_mlp.npz" \
  --curves "$out/fashion_mlp_curves.svg"

echo "==> compiling the trained model"
"$neurona" compile "$model" --params "$out/fashion_mlp.npz" --emit=exe -o "$out/fashion_mlp"
"$neurona" compile "$model" --params "$out/fashion_mlp.npz" --emit=lib -o "$out/libfashion_mlp.so"

echo "==> checking the deployable executable against neurona run"
.venv/bin/python scripts/check_deployment.py --data "$data" --out "$out" \
  --neurona "$neurona" --model "$model"

echo "==> test accuracy of the trained model"
"$neurona" eval "$out/libfashion_mlp.so" --data-dir "$data"
echo "deployable: $out/fashion_mlp (reads/writes .npy), $out/libfashion_mlp.so + $out/libfashion_mlp.so.h"
echo "learning curves (open in a browser): $out/fashion_mlp_curves.svg"
