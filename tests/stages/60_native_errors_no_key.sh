#!/usr/bin/env bash
# Key file errors that the shared cluster cannot show, because it always has a valid key:
# no key_file setting, a directory, a file over 64 KiB and more than 64 keys. For each,
# every native function that needs the key fails with its SQLSTATE, and the same backend
# then still classifies a description (which needs no key). Own cluster, since it
# rewrites postgresql.conf and the key file.
set -uo pipefail
. "$UHC_REPO/tools/lib/cluster.sh"
dir=$UHC_WORK/no-key-cluster
uhc_cluster_stop "$dir"
rm -rf "$dir"
trap 'uhc_cluster_stop "$dir"' EXIT
uhc_cluster_start "$dir" 5532 "$UHC_TEST_KEY_LINE" || exit 1
psql -X -q -d postgres -c 'CREATE EXTENSION uhc_reporting' || exit 1

passed=0
failed=0
conf=$dir/data/postgresql.conf
key_file=$dir/pseudonym.keys

check() {
    local name=$1 expected=$2 actual=$3
    if [ "$expected" = "$actual" ]; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s: expected "%s", got "%s"\n' "$name" "$expected" "$actual"
    fi
}

# Points uhc_reporting.key_file at $1 (empty: the setting is removed) and reloads.
set_key_file() {
    sed -i '/^uhc_reporting.key_file/d' "$conf"
    if [ -n "$1" ]; then
        echo "uhc_reporting.key_file = '$1'" >> "$conf"
    fi
    uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" reload >/dev/null
    sleep 0.5
}

# Calls each key function in one session, printing the SQLSTATE of each failure, then
# whether the backend is unchanged and still classifies.
session_outcome() {
    psql -X -q -At -d postgres 2>/dev/null <<'SQL'
SELECT pg_backend_pid() AS start_pid \gset
SELECT uhc_reporting.key_version();
\echo :LAST_ERROR_SQLSTATE
SELECT uhc_reporting.key_fingerprint();
\echo :LAST_ERROR_SQLSTATE
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b');
\echo :LAST_ERROR_SQLSTATE
SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_backend_pid() = :start_pid, uhc_reporting.classify('Colonoscopy');
SQL
}

expect_session() {
    local name=$1 state=$2
    local outcome
    outcome=$(session_outcome | tr '\n' ' ')
    check "$name" "$state $state $state $state $state t|Endoscopy " "$outcome"
}

set_key_file ""
expect_session "key_file not set" 55000

set_key_file "$dir"
expect_session "key_file names a directory" F0000

big=$dir/big.keys
{ echo "1 ${UHC_TEST_KEY_LINE#1 }"; head -c 70000 /dev/zero | tr '\0' '#'; echo; } > "$big"
chown "$(uhc_server_user)" "$big"; chmod 600 "$big"
set_key_file "$big"
expect_session "key file over 64 KiB" F0000

many=$dir/many.keys
for version in $(seq 1 65); do
    printf '%d %064x\n' "$version" "$version"
done > "$many"
chown "$(uhc_server_user)" "$many"; chmod 600 "$many"
set_key_file "$many"
expect_session "65 keys" F0000

# 64 keys are allowed, and the highest version is active.
head -n 64 "$many" > "$many.tmp" && mv "$many.tmp" "$many"
chown "$(uhc_server_user)" "$many"; chmod 600 "$many"
set_key_file "$many"
check "64 keys: version 64 active" 64 "$(psql -X -q -At -d postgres -c 'SELECT uhc_reporting.key_version()')"

# Back to the test key: the same pseudonym as sql/pseudonym.sql expects.
set_key_file "$key_file"
check "valid key again" "P1-36DANDE7D1V8Z0RT5SAWFRKZAJ" \
    "$(psql -X -q -At -d postgres -c "SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid)")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
