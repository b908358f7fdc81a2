#!/usr/bin/env bash
# The whole test suite on a sanitizer build (not part of CI: the build takes
# about twice as long as a plain one on two cores).
#   scripts/sanitize.sh            AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/sanitize.sh thread     ThreadSanitizer (the runtime's threads)
# Compiled model artifacts are not instrumented; the compiler, the runtime
# that loads and runs them, the data readers and the trainer are.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-address}
case "$kind" in
  address)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    dir=build-asan
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ;;
  thread)
    flags="-fsanitize=thread -fno-omit-frame-pointer"
    dir=build-tsan
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
    ;;
  *)
    echo "usage: scripts/sanitize.sh [address|thread]" >&2
    exit 2
    ;;
esac

scripts/setup.sh
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags"
fi
cmake --build "$dir" -j "${NEURONA_JOBS:-$(nproc)}"

status=0
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" || status=1
if [[ "$kind" == address ]]; then
  /usr/lib/llvm-22/bin/lit -sv "$dir/test" || status=1
fi
if (( status )); then
  echo "SANITIZE ($kind): FAILED"
else
  echo "SANITIZE ($kind): OK"
fi
exit $status
