#!/usr/bin/env bash
# Installs what the benchmark needs beyond scripts/setup.sh:
#   * Debian's OpenBLAS (the GEMM anchor) and a C compiler, through apt-get;
#   * bench/.venv, a benchmark-only virtual environment with the peers as
#     users install them from PyPI: torch 2.x, onnxruntime, IREE
#     (iree-base-compiler, iree-base-runtime), onnx, numpy.
# bench/run.py builds its probes (bench/bin/fma_peak, bench/bin/sgemm_openblas).
# It downloads gigabytes (torch); it is never part of the tests or CI.
#   bench/setup.sh [--no-apt] [--no-venv]
set -euo pipefail
cd "$(dirname "$0")"

apt=1 venv=1
for a in "$@"; do
  case "$a" in
    --no-apt) apt=0 ;;
    --no-venv) venv=0 ;;
    *) echo "usage: bench/setup.sh [--no-apt] [--no-venv]" >&2; exit 2 ;;
  esac
done

if (( apt )); then
  missing=()
  for p in libopenblas-dev gcc python3-venv; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    echo "==> installing: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    # Installing OpenBLAS makes it the system's libblas.so.3 / liblapack.so.3
    # (Debian alternatives), which would silently change what the test
    # environment's Debian torch links. Keep whatever was selected before:
    # the bench links libopenblas.so by path and needs no alternative.
    alts=(libblas.so.3 liblapack.so.3 libblas.so liblapack.so)
    declare -A before=()
    for n in "${alts[@]}"; do
      before[$n]=$(update-alternatives --query "$n-x86_64-linux-gnu" 2>/dev/null |
                   sed -n 's/^Value: //p')
    done
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
    for n in "${alts[@]}"; do
      if [[ -n "${before[$n]}" && -e "${before[$n]}" ]]; then
        $SUDO update-alternatives --quiet --set "$n-x86_64-linux-gnu" "${before[$n]}"
      fi
    done
  fi
fi

if (( venv )); then
  if [[ ! -x .venv/bin/python ]] ||
     ! .venv/bin/python -c "import torch, onnxruntime, onnx, iree.compiler, iree.runtime" 2>/dev/null; then
    echo "==> creating the benchmark virtual environment in bench/.venv (gigabytes)"
    /usr/bin/python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/pip install --disable-pip-version-check -r requirements.txt
  fi
fi

echo "==> bench ready: bench/.venv/bin/python bench/run.py (it builds bench/bin/ probes on first use)"
