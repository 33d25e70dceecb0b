#!/usr/bin/env bash
# The loader: generated samples in every layout, the bad-input corpus, reloads.
set -euo pipefail
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS uhc_loader' -c 'CREATE DATABASE uhc_loader'
psql -X -q -d uhc_loader -c 'CREATE EXTENSION uhc_reporting'
exec bash "$UHC_REPO/tests/harness/loader_tests.sh" "$PGHOST" "$PGPORT" uhc_loader
