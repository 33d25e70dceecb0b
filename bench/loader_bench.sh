#!/bin/sh
# Loader throughput against plain COPY, in the same run and on the same tables.
#
# Usage: bench/loader_bench.sh HOST PORT [DBNAME]
# Without DBNAME the script creates a scratch database with the extension and drops it at
# the end. With DBNAME it loads into that database and deletes its own datasets after.
# The libpq user must be able to ALTER the source tables (the baseline sets a column
# default), so run it as a superuser. Environment: UHC_BENCH_PROCEDURES (default
# 1000000) procedure rows to generate, UHC_BENCH_ROUNDS (default 3) rounds.
#
# (a) baseline: psql \copy of each CSV file into the source tables, with dataset_id and
#     source_line filled from temporary column defaults, then COMMIT.
# (b) tools/uhc-load on the same folder: validation, COPY, row counts, refresh (when
#     uhc_reporting.refresh exists), COMMIT.
# Each side's best time over the rounds is compared; ratio = COPY time / loader time.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 HOST PORT [DBNAME]" >&2
    exit 2
fi
host=$1
port=$2
database=${3:-}
procedures=${UHC_BENCH_PROCEDURES:-1000000}
rounds=${UHC_BENCH_ROUNDS:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/uhc-loader-bench.XXXXXX)
created_database=""

psql_run() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" "$@"
}

cleanup() {
    if [ -n "$created_database" ]; then
        psql_run -d postgres -c "DROP DATABASE IF EXISTS \"$created_database\"" || true
    elif [ -n "$database" ]; then
        psql_run -d "$database" -c "DELETE FROM uhc_reporting.datasets
            WHERE dataset_name IN ('bench-copy', 'bench-loader')" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM

if [ -z "$database" ]; then
    database="uhc_loader_bench_$$"
    psql_run -d postgres -c "CREATE DATABASE \"$database\""
    created_database=$database
    psql_run -d "$database" -c "CREATE EXTENSION uhc_reporting"
fi

now() {
    date +%s.%N
}

echo "generating a 3.1 sample with at least $procedures procedures" >&2
/usr/bin/python3 "$repo/tools/synthea_sample.py" --layout 3.1 --procedures-target "$procedures" \
    --seed 3 --out "$work/data"
data_rows=0
for table in payers organizations patients encounters procedures payer_transitions; do
    lines=$(wc -l < "$work/data/$table.csv")
    data_rows=$((data_rows + lines - 1))
done

# Baseline script: COPY each file with its header as the column list. printf, not echo,
# because the echo of dash treats the backslash of \copy as an escape.
{
    echo "BEGIN;"
    echo "INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout)"
    printf '%s\n' "    VALUES ('bench-copy', '3.0-3.2') RETURNING dataset_id AS bench_id \\gset"
    for table in payers organizations patients encounters procedures payer_transitions; do
        echo "ALTER TABLE uhc_reporting.$table ALTER COLUMN dataset_id SET DEFAULT :bench_id;"
    done
    echo "ALTER TABLE uhc_reporting.procedures ALTER COLUMN source_line SET DEFAULT 0;"
    echo "ALTER TABLE uhc_reporting.payer_transitions ALTER COLUMN source_line SET DEFAULT 0;"
    for table in payers organizations patients encounters procedures payer_transitions; do
        columns=$(head -n 1 "$work/data/$table.csv" | tr 'A-Z' 'a-z')
        printf '%s\n' "\\copy uhc_reporting.$table ($columns) FROM '$work/data/$table.csv' WITH (FORMAT csv, HEADER true)"
    done
    for table in payers organizations patients encounters procedures payer_transitions; do
        echo "ALTER TABLE uhc_reporting.$table ALTER COLUMN dataset_id DROP DEFAULT;"
    done
    echo "ALTER TABLE uhc_reporting.procedures ALTER COLUMN source_line DROP DEFAULT;"
    echo "ALTER TABLE uhc_reporting.payer_transitions ALTER COLUMN source_line DROP DEFAULT;"
    echo "COMMIT;"
} > "$work/copy.sql"

# The baseline does not ANALYZE, and deleting 1M rows under the statistics of empty tables
# takes many minutes, so statistics are refreshed before the delete.
reset_tables() {
    psql_run -d "$database" -c "ANALYZE uhc_reporting.payers, uhc_reporting.organizations,
        uhc_reporting.patients, uhc_reporting.encounters, uhc_reporting.procedures,
        uhc_reporting.payer_transitions"
    psql_run -d "$database" -c "DELETE FROM uhc_reporting.datasets
        WHERE dataset_name IN ('bench-copy', 'bench-loader')"
    psql_run -d "$database" -c "VACUUM ANALYZE uhc_reporting.payers, uhc_reporting.organizations,
        uhc_reporting.patients, uhc_reporting.encounters, uhc_reporting.procedures,
        uhc_reporting.payer_transitions"
}

best_copy=""
best_loader=""
best_loader_copy_phase=""
round=1
while [ "$round" -le "$rounds" ]; do
    reset_tables
    start=$(now)
    psql_run -d "$database" -f "$work/copy.sql" > /dev/null
    copy_seconds=$(echo "$(now) - $start" | bc)

    reset_tables
    start=$(now)
    "$repo/tools/uhc-load" --quiet --host "$host" --port "$port" --dbname "$database" \
        --dataset bench-loader "$work/data" > "$work/loader.out"
    loader_seconds=$(echo "$(now) - $start" | bc)
    # "validation and COPY N s" in the loader's summary: the time before row counts and refresh.
    phase_seconds=$(sed -n 's/.*validation and COPY \([0-9.]*\) s.*/\1/p' "$work/loader.out")

    printf 'round %d: COPY %.2f s, uhc-load %.2f s (validation and COPY %.2f s)\n' \
        "$round" "$copy_seconds" "$loader_seconds" "$phase_seconds"
    if [ -z "$best_copy" ] || [ "$(echo "$copy_seconds < $best_copy" | bc)" = 1 ]; then
        best_copy=$copy_seconds
    fi
    if [ -z "$best_loader" ] || [ "$(echo "$loader_seconds < $best_loader" | bc)" = 1 ]; then
        best_loader=$loader_seconds
    fi
    if [ -z "$best_loader_copy_phase" ] || [ "$(echo "$phase_seconds < $best_loader_copy_phase" | bc)" = 1 ]; then
        best_loader_copy_phase=$phase_seconds
    fi
    round=$((round + 1))
done

procedure_rows=$(($(wc -l < "$work/data/procedures.csv") - 1))
printf 'rows: %d in all files, %d procedures\n' "$data_rows" "$procedure_rows"
printf 'best COPY:     %.2f s, %.0f rows/s\n' "$best_copy" "$(echo "$data_rows / $best_copy" | bc -l)"
printf 'best uhc-load: %.2f s, %.0f rows/s (validation and COPY phase %.2f s)\n' \
    "$best_loader" "$(echo "$data_rows / $best_loader" | bc -l)" "$best_loader_copy_phase"
printf 'throughput ratio uhc-load/COPY: %.2f end to end, %.2f for the validation and COPY phase\n' \
    "$(echo "$best_copy / $best_loader" | bc -l)" "$(echo "$best_copy / $best_loader_copy_phase" | bc -l)"
