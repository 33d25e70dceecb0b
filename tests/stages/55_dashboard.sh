#!/usr/bin/env bash
# Dashboard summaries, client view types and comments, time zones and the CSV export.
set -euo pipefail
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS uhc_dashboard' -c 'CREATE DATABASE uhc_dashboard'
psql -X -q -d uhc_dashboard -c 'CREATE EXTENSION uhc_reporting'
work="$UHC_WORK/dashboard"
rm -rf "$work"
mkdir -p "$work"
chmod 777 "$work"
/usr/bin/python3 "$UHC_REPO/tests/harness/dashboard_fixture.py" --dbname uhc_dashboard --work "$work"
status=0
/usr/bin/python3 "$UHC_REPO/tests/harness/dashboard_test.py" uhc_dashboard "$work" || status=$?
psql -X -q -d uhc_dashboard -c 'DROP ROLE IF EXISTS dash_login_uhc, dash_login_aetna' >/dev/null 2>&1 || true
exit $status
