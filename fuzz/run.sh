#!/usr/bin/env bash
# Runs one fuzz target for a set time, starting from its seed corpus in
# fuzz/corpus/TARGET. New inputs go to a scratch corpus, never into the repository, and
# a crash input is written to the current folder as crash-<sha1>.
#
#   fuzz/run.sh TARGET SECONDS [BUILD_DIR]
#   TARGET: uuid_text, pseudonym, keyring or classifier
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target=$1
seconds=$2
build=${3:-$repo/build-fuzz}
scratch=$(mktemp -d /tmp/uhc-fuzz-$target.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
"$build/fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -print_final_stats=1 "$scratch" "$repo/fuzz/corpus/$target"
