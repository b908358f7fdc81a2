#!/usr/bin/env bash
# The test command: installs what it needs, builds, and runs every suite
# (GoogleTest units through CTest, then the lit suite with the end-to-end
# tests). Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

scripts/setup.sh || { echo "SUMMARY: setup failed"; exit 1; }
scripts/build.sh || { echo "SUMMARY: build failed"; exit 1; }

status=0
echo "==> unit tests (ctest)"
ctest --test-dir build --output-on-failure -j "$(nproc)" > build/ctest.log 2>&1
unit_rc=$?
tail -n 3 build/ctest.log
unit_line=$(grep -E "tests passed|tests failed" build/ctest.log | tail -n 1)
(( unit_rc )) && { status=1; cat build/ctest.log | grep -E "Failed|\*\*\*" | head -40; }

echo "==> lit tests (regression + end to end)"
/usr/lib/llvm-22/bin/lit -sv build/test --xunit-xml-output build/lit.xml 2>&1 | tee build/lit.log | grep -vE "^PASS:"
lit_rc=${PIPESTATUS[0]}
(( lit_rc )) && status=1
lit_line=$(grep -E "Passed|Failed|Unsupported" build/lit.log | tr -s ' ' | paste -sd ',' -)

elapsed=$(( $(date +%s) - start ))
if (( status )); then verdict=FAILED; else verdict=OK; fi
echo "SUMMARY: $verdict; units: ${unit_line:-none}; lit:${lit_line}; ${elapsed}s"
exit $status
