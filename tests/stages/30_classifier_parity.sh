#!/usr/bin/env bash
# The native classifier against the plain SQL CASE built from the same rules.
set -euo pipefail
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS uhc_parity' -c 'CREATE DATABASE uhc_parity'
psql -X -q -d uhc_parity -c 'CREATE EXTENSION uhc_reporting'
exec /usr/bin/python3 "$UHC_REPO/tests/harness/classifier_parity.py" "$PGHOST" "$PGPORT" uhc_parity
