#!/bin/sh
# Loader tests: the bad-input corpus in tests/loader/cases, generated samples in every
# layout, the real Synthea datasets, reloads, and a ~1M-row file that fails on its last
# row (about 20,000 rows with UHC_TEST_SCALE=small).
# Usage: tests/harness/loader_tests.sh HOST PORT DBNAME
# The database must have the extension installed. The libpq user (PGUSER) needs to read
# the source tables; UHC_LOADER_USER, when set, is the role the loader connects as.
# Prints "N passed, N failed" and exits non-zero when a test fails.
set -eu
if [ $# -ne 3 ]; then
    echo "usage: $0 HOST PORT DBNAME" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/../loader/test_loader.py" "$1" "$2" "$3"
