#!/usr/bin/env bash
# Per-row cost of uhc_reporting.pseudonym in SQL, next to md5 and pgcrypto's HMAC.
#
#   bench/pseudonym_sql.sh SOCKET_DIR PORT [ROWS]
#
# The cluster must have uhc_reporting.key_file set. The script creates a scratch database
# "uhc_pseudonym_bench" with a table of ROWS (default 1000000) UUIDs and times
# "SELECT count(f(x)) FROM t" for each function, serially (max_parallel_workers_per_gather
# = 0, jit = off). Each query runs 5 times and the fastest run counts. The per-row cost is
# the time over "SELECT count(*) FROM t", divided by ROWS. The database is dropped at the
# end.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SOCKET_DIR PORT [ROWS]" >&2
    exit 2
fi
host=$1
port=$2
rows=${3:-1000000}
database=uhc_pseudonym_bench
runs=5

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
CREATE TABLE t AS SELECT md5(i::text)::uuid AS x FROM generate_series(1, $rows) AS i;
VACUUM ANALYZE t;
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

key="'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'"
baseline=$(fastest_ms "SELECT count(*) FROM t")
printf 'rows: %s, fastest of %s runs, baseline count(*): %.1f ms\n' "$rows" "$runs" "$baseline"
printf '%-58s %10s %12s\n' "expression" "total ms" "ns per row"

# Each entry is "label|expression", and the label keeps the key literal out of the output.
for entry in \
    "md5(x::text)|md5(x::text)" \
    "pgcrypto encode(hmac(x::text, key, 'sha256'), 'hex')|encode(hmac(x::text, $key, 'sha256'), 'hex')" \
    "uhc_reporting.pseudonym('UHC', x)|uhc_reporting.pseudonym('UHC', x)" \
    "uhc_reporting.pseudonym('UHC', x::text)|uhc_reporting.pseudonym('UHC', x::text)"; do
    label=${entry%%|*}
    expression=${entry#*|}
    total=$(fastest_ms "SELECT count($expression) FROM t")
    awk -v e="$label" -v t="$total" -v b="$baseline" -v n="$rows" \
        'BEGIN { printf "%-58s %10.1f %12.0f\n", e, t, (t - b) * 1e6 / n }'
done
