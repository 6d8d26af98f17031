#!/usr/bin/env bash
# Every test: the GoogleTest suite under CTest (release build), the Jest
# suite of the JavaScript API (on the WebAssembly core), the GoogleTest suite
# again under AddressSanitizer+UndefinedBehaviorSanitizer and the concurrency
# tests under ThreadSanitizer, and each libFuzzer harness for
# PMAP_FUZZ_SECONDS (default 60) from its checked-in seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

echo "== unit, model, crash and CLI tests (release build)"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== JavaScript API tests (Jest, Node $(node --version))"
npm test --silent

echo "== the native suite under ASan + UBSan"
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
  -DPMAP_SANITIZE=address,undefined -DPMAP_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")

echo "== concurrency tests under TSan"
CC=clang CXX=clang++ cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug \
  -DPMAP_SANITIZE=thread -DPMAP_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target pmap_tests
(cd build-tsan && ctest --output-on-failure -j"$jobs" -R 'Concurrency')

echo "== libFuzzer harnesses, ${PMAP_FUZZ_SECONDS:-60} s each"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPMAP_BUILD_FUZZ=ON -DPMAP_BUILD_TESTS=OFF -DPMAP_BUILD_BENCH=OFF >/dev/null
harnesses=(replay_fuzz csv_fuzz op_stream_fuzz)
cmake --build build-fuzz -j"$jobs" --target "${harnesses[@]}"
for harness in "${harnesses[@]}"; do
  corpus=$(mktemp -d)
  cp fuzz/corpus/"${harness%_fuzz}"/* "$corpus"/
  build-fuzz/"$harness" -max_total_time="${PMAP_FUZZ_SECONDS:-60}" -max_len=4096 \
    -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
  rm -rf "$corpus"
done
echo "== all tests passed"
