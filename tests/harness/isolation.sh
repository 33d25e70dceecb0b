#!/usr/bin/env bash
# Runs the isolation spec tests/isolation/specs/rule_visibility.spec against a running
# server that has the uhc_reporting extension installed.
#   usage: tests/harness/isolation.sh HOST PORT
# HOST may be a Unix socket directory. The role is $PGUSER, or postgres; it must be a
# superuser, because the test creates and drops its own database and the extension. Exits non-zero when the output differs from
# tests/isolation/expected/, after printing the differences.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 HOST PORT" >&2
    exit 2
fi
host=$1
port=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
pgxs=$(dirname "$(/usr/lib/postgresql/15/bin/pg_config --pgxs)")/../..
runner="$pgxs/src/test/isolation/pg_isolation_regress"
output=$(mktemp -d /tmp/uhc-isolation.XXXXXX)
# pg_isolation_regress writes its results as the invoking user.
chmod 777 "$output"

user=${PGUSER:-postgres}
database=uhc_isolation
psql_admin=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U "$user")

# --use-existing makes the runner skip creating the database, so it is created here.
"${psql_admin[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database"
"${psql_admin[@]}" -d "$database" -c "CREATE EXTENSION uhc_reporting"

status=0
"$runner" --use-existing --host="$host" --port="$port" --user="$user" \
    --bindir=/usr/lib/postgresql/15/bin \
    --inputdir="$repo/tests/isolation" --outputdir="$output" \
    --dbname="$database" \
    rule_visibility || status=$?
"${psql_admin[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database"
if [ $status -ne 0 ] && [ -f "$output/regression.diffs" ]; then
    cat "$output/regression.diffs"
fi
[ $status -eq 0 ] && rm -rf "$output"
exit $status
