#!/usr/bin/env bash
# The Tableau data source file against the catalog of a fresh install.
set -euo pipefail
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS uhc_tds' -c 'CREATE DATABASE uhc_tds'
psql -X -q -d uhc_tds -c 'CREATE EXTENSION uhc_reporting'
exec /usr/bin/python3 "$UHC_REPO/tests/harness/tds_test.py" uhc_tds
