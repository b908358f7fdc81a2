#!/usr/bin/env bash
# Installs what building and testing Neurona needs on Debian 12.
#   scripts/setup.sh            compiler toolchain, libraries, test Python env
#   scripts/setup.sh --data     also the Fashion-MNIST package (main job)
set -euo pipefail
cd "$(dirname "$0")/.."

want_data=0
[[ "${1:-}" == "--data" ]] && want_data=1

packages=(
  cmake ninja-build ccache g++ zlib1g-dev libgtest-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libprotobuf-dev protobuf-compiler libonnx-dev libomp-22-dev libstemmer-dev libpng-dev
  python3-venv python3-torch
)
(( want_data )) && packages+=(dataset-fashion-mnist)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "==> installing: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# The test environment: Debian's CPU-only torch through system site packages,
# onnx and onnxruntime from PyPI. numpy stays below 2 because Debian's torch
# 1.13 was built against numpy 1.x.
if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c "import onnx, onnxruntime, torch" 2>/dev/null; then
  echo "==> creating the test virtual environment in .venv"
  /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/pip install -q --disable-pip-version-check -r test/requirements.txt
fi
