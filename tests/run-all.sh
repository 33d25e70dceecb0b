#!/usr/bin/env bash
# Runs every test against real servers that it starts itself.
#
# First the stages that need no server: Debian packages, the build and install, and the
# unit tests of the C++ cores (plain, then under ASan and UBSan). Then it starts a
# throwaway cluster with the fixed test key and runs every executable
# tests/stages/NN_name.sh in name order as one stage, with PGHOST, PGPORT, PGUSER,
# UHC_REPO, UHC_WORK (a scratch folder), UHC_TEST_SCALE and UHC_TEST_KEY_LINE exported.
# Each stage runs even when an earlier one failed; the last line counts the stages as
# "N passed, N failed" and the exit status is non-zero if any failed.
#
# Heavy checks run at reduced scale here (UHC_TEST_SCALE=small); the full-scale runs are
# the benchmarks and their own commands, listed in BENCHMARKS.md.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=../tools/lib/cluster.sh
. tools/lib/cluster.sh

export UHC_REPO=$repo
export UHC_TEST_SCALE=${UHC_TEST_SCALE:-small}
export UHC_PARITY_ROWS=${UHC_PARITY_ROWS:-200000}
# The fixed test key: pg_regress compares pseudonyms computed with it against values
# computed independently by tests/harness/pseudonym_vectors.py.
export UHC_TEST_KEY_LINE="1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

passed=0
failed=0
failed_stages=()

# Runs one stage and records its outcome.
run_stage() {
    local name=$1
    shift
    printf '\n=== %s\n' "$name"
    local started=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        printf '=== %s: ok (%ds)\n' "$name" $((SECONDS - started))
    else
        failed=$((failed + 1))
        failed_stages+=("$name")
        printf '=== %s: FAILED (%ds)\n' "$name" $((SECONDS - started))
    fi
}

build_and_install() {
    make -s check-frozen || return 1
    make -s >/dev/null || return 1
    if [ "$(id -u)" -eq 0 ]; then
        make -s install >/dev/null
    else
        echo "not root: using the extension already installed" >&2
    fi
}

unit_tests() {
    local build_dir=$1
    shift
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null || return 1
    cmake --build "$build_dir" -j2 >/dev/null || return 1
    (cd "$build_dir" && ctest --output-on-failure)
}

work=$(mktemp -d /tmp/uhc-test.XXXXXX)
chmod 755 "$work"
export UHC_WORK=$work/scratch
mkdir -p "$UHC_WORK"
chmod 777 "$UHC_WORK"
cleanup() {
    uhc_cluster_stop "$work/cluster"
    rm -rf "$work"
}
trap cleanup EXIT

run_stage "install Debian packages" bash tools/install-deps.sh
run_stage "build and install the extension" build_and_install
run_stage "unit tests" unit_tests "$work/build"
run_stage "unit tests under ASan and UBSan" unit_tests "$work/build-sanitize" -DUHC_SANITIZE=ON

port=$(uhc_free_port)
if ! uhc_cluster_start "$work/cluster" "$port" "$UHC_TEST_KEY_LINE"; then
    echo "could not start the test cluster" >&2
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi

for stage in tests/stages/[0-9]*.sh; do
    [ -x "$stage" ] || continue
    name=$(basename "$stage" .sh)
    run_stage "$name" bash "$stage"
done

printf '\n'
if [ $failed -gt 0 ]; then
    printf 'failed stages: %s\n' "${failed_stages[*]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
