#!/usr/bin/env bash
# Runs every test against real servers that it starts itself:
#   unit tests of the C++ cores (plain, then under ASan and UBSan), pg_regress, key file
#   cases, rule visibility across sessions, classifier parity with SQL, the loader with
#   its bad-input corpus, and the real Synthea datasets in ../shared/data/synthea.
# Each stage runs even when an earlier one failed; the last line counts the stages as
# "N passed, N failed" and the exit status is non-zero if any failed.
#
# Heavy checks run at reduced scale here (UHC_TEST_SCALE=small): the full-scale runs are
# the benchmarks and their own commands, listed in BENCHMARKS.md.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=../tools/lib/cluster.sh
. tools/lib/cluster.sh

export UHC_TEST_SCALE=${UHC_TEST_SCALE:-small}
export UHC_PARITY_ROWS=${UHC_PARITY_ROWS:-200000}
shared_data=${UHC_SHARED_DATA:-$repo/../shared/data/synthea}

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
cleanup() {
    uhc_cluster_stop "$work/cluster"
    uhc_cluster_stop "$work/keys-cluster"
    rm -rf "$work"
}
trap cleanup EXIT

# The fixed test key: pg_regress compares pseudonyms computed with it against values
# computed independently by tests/harness/pseudonym_vectors.py.
test_key_line="1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

pg_regress_tests() {
    local tests
    tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | tr '\n' ' ')
    # shellcheck disable=SC2086
    /usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
        --inputdir=. --outputdir="$work/regress" --bindir=/usr/lib/postgresql/15/bin \
        --host="$PGHOST" --port="$PGPORT" --user=postgres \
        --dbname=uhc_regression --load-extension=uhc_reporting $tests
    local status=$?
    if [ $status -ne 0 ] && [ -f "$work/regress/regression.diffs" ]; then
        cat "$work/regress/regression.diffs"
    fi
    return $status
}

real_data_present() {
    if [ -d "$shared_data" ] && ls "$shared_data"/*/procedures.csv >/dev/null 2>&1; then
        return 0
    fi
    if [ "${CI:-}" = true ]; then
        echo "the real Synthea data is missing from $shared_data, and CI requires it" >&2
        return 1
    fi
    echo "the real Synthea data is missing from $shared_data; skipping (CI fails here)" >&2
    return 2
}

run_stage "install Debian packages" bash tools/install-deps.sh
run_stage "build and install the extension" build_and_install
run_stage "unit tests" unit_tests "$work/build"
run_stage "unit tests under ASan and UBSan" unit_tests "$work/build-sanitize" -DUHC_SANITIZE=ON

port=$(uhc_free_port)
if ! uhc_cluster_start "$work/cluster" "$port" "$test_key_line"; then
    echo "could not start the test cluster" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

run_stage "pg_regress" pg_regress_tests
run_stage "rule visibility across sessions" bash tests/harness/isolation.sh "$PGHOST" "$PGPORT"
# The parity and loader harnesses work in a database that already has the extension.
create_harness_database() {
    createdb uhc_harness && psql -X -q -d uhc_harness -c 'CREATE EXTENSION uhc_reporting'
}
run_stage "create the harness database" create_harness_database
run_stage "classifier parity with SQL" /usr/bin/python3 tests/harness/classifier_parity.py "$PGHOST" "$PGPORT" uhc_harness
run_stage "loader" bash tests/harness/loader_tests.sh "$PGHOST" "$PGPORT" uhc_harness

real_data_present
case $? in
    0) run_stage "real Synthea data" /usr/bin/python3 tests/harness/real_data_test.py "$shared_data" ;;
    1) run_stage "real Synthea data" false ;;
    *) ;;
esac

# The key file cases rewrite the key file and reload the server, so they get a cluster
# of their own.
key_cases() {
    local port
    port=$(uhc_free_port) || return 1
    (
        uhc_cluster_start "$work/keys-cluster" "$port" "$test_key_line" || exit 1
        bash tests/harness/keyfile_cases.sh "$work/keys-cluster/data" "$PGHOST" "$PGPORT"
        status=$?
        uhc_cluster_stop "$work/keys-cluster"
        exit $status
    )
}
run_stage "key file cases" key_cases

printf '\n'
if [ $failed -gt 0 ]; then
    printf 'failed stages: %s\n' "${failed_stages[*]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
