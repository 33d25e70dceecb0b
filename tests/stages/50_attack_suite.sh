#!/usr/bin/env bash
# Attacks the client security model. A generated sample gets two clients plus uninsured
# and other-payer rows, and tests/harness/attack_suite.py attacks it as each client's
# login role. It then runs the catalog lint and greps the server log for the sample's
# patient ids, SSNs and names.
set -euo pipefail

db=security_attack
sample=$UHC_WORK/attack_sample
logins="atk_login_1 atk_login_1b atk_login_2 atk_login_2b atk_internal atk_admin"

# Drops the database, its client group roles and the test logins, so that a rerun
# starts clean. Client group roles are cluster-wide, so drop_client runs first.
cleanup() {
    if psql -X -q -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        psql -X -q -d "$db" -c 'SELECT uhc_reporting.drop_client(client_code) FROM uhc_reporting.clients' >/dev/null
        psql -X -q -d postgres -c "DROP DATABASE $db"
    fi
    for login in $logins; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $login"
    done
}
cleanup

/usr/bin/python3 "$UHC_REPO/tools/synthea_sample.py" --layout 3.3 --patients 60 --seed 5 \
    --out "$sample" >/dev/null
psql -X -q -d postgres -c "CREATE DATABASE $db"
psql -X -q -d "$db" -c 'CREATE EXTENSION uhc_reporting'
/usr/bin/python3 "$UHC_REPO/tools/uhc-load" --dbname "$db" "$sample" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
SELECT uhc_reporting.create_client('UNH', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('AET', 'Aetna', ARRAY['Aetna']);
SELECT uhc_reporting.refresh();
ANALYZE;
CREATE ROLE atk_login_1 LOGIN;
CREATE ROLE atk_login_1b LOGIN;
CREATE ROLE atk_login_2 LOGIN;
CREATE ROLE atk_login_2b LOGIN;
CREATE ROLE atk_internal LOGIN IN ROLE uhc_reporting_internal;
CREATE ROLE atk_admin LOGIN IN ROLE uhc_reporting_admin;
SELECT uhc_reporting.grant_client_access('UNH', 'atk_login_1');
SELECT uhc_reporting.grant_client_access('UNH', 'atk_login_1b');
SELECT uhc_reporting.grant_client_access('AET', 'atk_login_2');
SELECT uhc_reporting.grant_client_access('AET', 'atk_login_2b');
SQL

status=0
/usr/bin/python3 "$UHC_REPO/tests/harness/attack_suite.py" "$db" "$sample" "$PGHOST/server.log" || status=$?
cleanup
exit $status
