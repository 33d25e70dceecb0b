#!/usr/bin/env bash
# Per-row cost of uhc_reporting.pseudonym in SQL, next to md5, pgcrypto's HMAC and a
# salted pgcrypto digest() as a hand-written view would use it.
#
#   bench/pseudonym_sql.sh SOCKET_DIR PORT [ROWS ...]
#
# The cluster must have uhc_reporting.key_file set. For each ROWS (default 1000000 and
# 10000000, in one run) the script creates a scratch database "uhc_pseudonym_bench" with
# a table of ROWS distinct UUIDs and times "SELECT count(f(x)) FROM t" for each function,
# serially (max_parallel_workers_per_gather = 0, jit = off). Each query runs $runs times
# and the fastest run counts. The per-row cost is the time over "SELECT count(*) FROM t",
# divided by ROWS. Before timing, EXPLAIN VERBOSE of each query must show the function
# in the aggregate's argument, so that no figure is of a call the planner removed. At the
# largest size the script also checks that no two of the UUIDs share a pseudonym. The
# database is dropped at the end.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SOCKET_DIR PORT [ROWS ...]" >&2
    exit 2
fi
host=$1
port=$2
shift 2
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(1000000 10000000)
fi
database=uhc_pseudonym_bench
runs=${UHC_BENCH_RUNS:-5}

psql_admin() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d postgres "$@"
}
psql_bench() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d "$database" "$@"
}

psql_admin -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
trap 'psql_admin -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true' EXIT

psql_bench <<SQL
CREATE EXTENSION uhc_reporting;
CREATE EXTENSION pgcrypto;
CREATE TABLE t (x uuid);
SQL

# Prints the fastest of $runs runs of a query, in milliseconds, from one session.
fastest_ms() {
    local query=$1
    {
        echo "SET max_parallel_workers_per_gather = 0;"
        echo "SET jit = off;"
        # One untimed run loads the library, the key file and the table into memory.
        echo "$query;"
        echo "\\timing on"
        for _ in $(seq 1 "$runs"); do echo "$query;"; done
    } | psql_bench -At 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -g | head -1
}

# Fails unless EXPLAIN VERBOSE shows the expected call inside the aggregate.
require_call_in_plan() {
    local expression=$1 call=$2 plan
    plan=$(psql_bench -At -c "SET max_parallel_workers_per_gather = 0" \
                          -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT count($expression) FROM t")
    if ! grep -q "count($call" <<<"$plan"; then
        echo "EXPLAIN VERBOSE does not show count($call...) for $expression:" >&2
        echo "$plan" >&2
        exit 1
    fi
}

key="'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'"
salt="'3f9a0c5e1b7d4a62'"

# Each entry is "label;expression;call that EXPLAIN VERBOSE must show"; the label keeps
# the key and the salt literals out of the output.
entries=(
    "md5(x::text);md5(x::text);md5("
    "pgcrypto encode(hmac(x::text, key, 'sha256'), 'hex');encode(hmac(x::text, $key, 'sha256'), 'hex');encode(hmac("
    "pgcrypto encode(digest(salt || x::text, 'sha256'), 'hex');encode(digest($salt || x::text, 'sha256'), 'hex');encode(digest("
    "uhc_reporting.pseudonym('UHC', x);uhc_reporting.pseudonym('UHC', x);uhc_reporting.pseudonym("
    "uhc_reporting.pseudonym('UHC', x::text);uhc_reporting.pseudonym('UHC', x::text);uhc_reporting.pseudonym("
)

largest=0
for rows in "${sizes[@]}"; do
    if [ "$rows" -gt "$largest" ]; then largest=$rows; fi
done

for rows in "${sizes[@]}"; do
    psql_bench -c "TRUNCATE t" \
               -c "INSERT INTO t SELECT md5(i::text)::uuid FROM generate_series(1, $rows) AS i" \
               -c "VACUUM ANALYZE t" >/dev/null

    baseline=$(fastest_ms "SELECT count(*) FROM t")
    printf '\nrows: %s, fastest of %s runs, baseline count(*): %.1f ms\n' "$rows" "$runs" "$baseline"
    printf '%-62s %10s %12s\n' "expression" "total ms" "ns per row"
    for entry in "${entries[@]}"; do
        IFS=';' read -r label expression call <<<"$entry"
        require_call_in_plan "$expression" "$call"
        total=$(fastest_ms "SELECT count($expression) FROM t")
        awk -v e="$label" -v t="$total" -v b="$baseline" -v n="$rows" \
            'BEGIN { printf "%-62s %10.1f %12.0f\n", e, t, (t - b) * 1e6 / n }'
    done

    if [ "$rows" -eq "$largest" ]; then
        # Distinct UUIDs must give distinct pseudonyms (128 bits: a collision among 10M
        # has a probability of about 1.5e-25).
        read -r uuids pseudonyms < <(psql_bench -At -F ' ' -c "SET max_parallel_workers_per_gather = 0" \
            -c "SELECT count(DISTINCT x), count(DISTINCT uhc_reporting.pseudonym('UHC', x)) FROM t" | tail -1)
        printf 'collision check: %s distinct UUIDs, %s distinct pseudonyms\n' "$uuids" "$pseudonyms"
        if [ "$uuids" != "$rows" ] || [ "$pseudonyms" != "$rows" ]; then
            echo "collision check failed" >&2
            exit 1
        fi
    fi
done
