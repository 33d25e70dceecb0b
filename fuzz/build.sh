#!/usr/bin/env bash
# Builds the libFuzzer targets of the C++ cores with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer (Debian packages clang-14 and libclang-rt-14-dev).
#
#   fuzz/build.sh [OUT_DIR]      default OUT_DIR: build-fuzz
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build-fuzz}
mkdir -p "$out"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -I"$repo/src")
for target in uuid_text pseudonym keyring classifier; do
    clang++-14 "${flags[@]}" "$repo/fuzz/fuzz_$target.cpp" "$repo"/src/core/*.cpp -lcrypto \
        -o "$out/fuzz_$target"
done
echo "built fuzz targets in $out"
