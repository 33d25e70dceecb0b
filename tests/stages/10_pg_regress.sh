#!/usr/bin/env bash
# pg_regress: every sql/*.sql against expected/*.out, in a fresh database.
set -uo pipefail
cd "$UHC_REPO"
tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | tr '\n' ' ')
# shellcheck disable=SC2086
/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
    --inputdir=. --outputdir="$UHC_WORK/regress" --bindir=/usr/lib/postgresql/15/bin \
    --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --dbname=uhc_regression --load-extension=uhc_reporting $tests
status=$?
if [ $status -ne 0 ] && [ -f "$UHC_WORK/regress/regression.diffs" ]; then
    cat "$UHC_WORK/regress/regression.diffs"
fi
exit $status
