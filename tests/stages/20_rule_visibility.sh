#!/usr/bin/env bash
# Isolation tests: a committed rule change seen by other sessions at the right moment.
exec bash "$UHC_REPO/tests/harness/isolation.sh" "$PGHOST" "$PGPORT"
