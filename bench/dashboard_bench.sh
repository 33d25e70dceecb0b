#!/bin/sh
# Dashboard query cost as a client role against one sequential scan of procedures, the
# row-level-security overhead, and the refresh of the summaries.
#
# Usage: bench/dashboard_bench.sh HOST PORT [DBNAME]
# Without DBNAME the script creates a scratch database, registers the clients UHC and
# AETNA, generates and loads UHC_BENCH_PROCEDURES (default 3000000) procedures, about
# 1.16M encounters, and drops the database at the end. With DBNAME it uses that
# database, which must already hold the data and the two clients. Either way it also
# generates a dataset with 1% of that many procedures, loads it, times its refresh
# and deletes it again. Run it as a superuser.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 HOST PORT [DBNAME]" >&2
    exit 2
fi
export PGHOST=$1 PGPORT=$2
database=${3:-}
procedures=${UHC_BENCH_PROCEDURES:-3000000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/uhc-dashboard-bench.XXXXXX)
created_database=""

cleanup() {
    if [ -n "$created_database" ]; then
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$created_database\"" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM

if [ -z "$database" ]; then
    database="uhc_dashboard_bench_$$"
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$database\""
    created_database=$database
    psql -X -q -v ON_ERROR_STOP=1 -d "$database" -c "CREATE EXTENSION uhc_reporting" \
        -c "SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['UnitedHealthcare'])" \
        -c "SELECT uhc_reporting.create_client('AETNA', 'Aetna', ARRAY['Aetna'])" >/dev/null
    /usr/bin/python3 "$repo/tools/synthea_sample.py" --layout 3.1 --procedures-target "$procedures" \
        --seed 21 --out "$work/main"
    "$repo/tools/uhc-load" --quiet --dbname "$database" --dataset main "$work/main"
fi
/usr/bin/python3 "$repo/tools/synthea_sample.py" --layout 3.1 --procedures-target $((procedures / 100)) \
    --seed 22 --out "$work/small"
/usr/bin/python3 "$repo/bench/dashboard_bench.py" "$database" "$work/small"
