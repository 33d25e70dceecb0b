#!/usr/bin/env bash
# Read auditing of client logins with pgAudit, on a cluster of its own because pgaudit
# must be in shared_preload_libraries. A client login gets pgaudit.log = 'read' as a
# role default, reads a client view, and the log must show an AUDIT line for it. The
# login cannot turn auditing off, an internal login without the default is not
# audited, and the log contains none of the sample's patient ids, SSNs or names.
set -uo pipefail

# shellcheck source=../../tools/lib/cluster.sh
. "$UHC_REPO/tools/lib/cluster.sh"

dir=$UHC_WORK/pgaudit_cluster
port=${UHC_PGAUDIT_PORT:-5512}
sample=$UHC_WORK/pgaudit_sample
passed=0
failed=0

check() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
    fi
}

uhc_cluster_stop "$dir"
rm -rf "$dir"
uhc_cluster_start "$dir" "$port" "$UHC_TEST_KEY_LINE" || exit 1
trap 'uhc_cluster_stop "$dir"' EXIT
cat >>"$dir/data/postgresql.conf" <<'CONF'
shared_preload_libraries = 'pgaudit'
pgaudit.log_relation = on
CONF
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w restart >/dev/null || exit 1

/usr/bin/python3 "$UHC_REPO/tools/synthea_sample.py" --layout 3.3 --patients 15 --seed 7 \
    --out "$sample" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE audit' || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d audit -c 'CREATE EXTENSION pgaudit' -c 'CREATE EXTENSION uhc_reporting' \
    || exit 1
/usr/bin/python3 "$UHC_REPO/tools/uhc-load" --dbname audit "$sample" >/dev/null || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d audit >/dev/null <<'SQL' || exit 1
SELECT uhc_reporting.create_client('UNH', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.refresh();
CREATE ROLE audit_login_1 LOGIN;
CREATE ROLE audit_internal LOGIN IN ROLE uhc_reporting_internal;
SELECT uhc_reporting.grant_client_access('UNH', 'audit_login_1');
ALTER ROLE audit_login_1 SET pgaudit.log = 'read';
SQL

psql -X -q -At -U audit_login_1 -d audit \
    -c 'SELECT count(*) FROM uhc_reporting_client.procedure_export' >/dev/null
psql -X -q -At -U audit_internal -d audit \
    -c 'SELECT count(*) FROM uhc_reporting_client.procedure_group_volume' >/dev/null
off_attempt=$(psql -X -q -At -U audit_login_1 -d audit -v VERBOSITY=verbose \
    -c "SET pgaudit.log = 'none'" 2>&1)
log=$dir/server.log

check "client read is audited" \
    grep -q 'audit_login_1@audit .*AUDIT: SESSION,.*,READ,SELECT,VIEW,uhc_reporting_client.procedure_export,' "$log"
check "client read of the underlying table is audited" \
    grep -q 'audit_login_1@audit .*AUDIT: SESSION,.*,READ,SELECT,TABLE,uhc_reporting.client_procedure_rows,' "$log"
check "client cannot turn auditing off (42501)" \
    grep -q '^ERROR:  42501: permission denied to set parameter "pgaudit.log"' <<<"$off_attempt"
check "control: internal login without the default is not audited" \
    bash -c "! grep -q 'audit_internal@audit .*AUDIT:' '$log'"

# Patient ids, SSNs, first and last names of the sample (columns 1, 4, 8, 10 of the 3.3
# layout), matched as fixed strings; only the count is printed.
needles=$UHC_WORK/pgaudit_needles
tail -n +2 "$sample/patients.csv" | awk -F, '{print $1; print $4; print $8; print $10}' \
    | grep -v '^$' | sort -u >"$needles"
found=$(grep -c -i -F -f "$needles" "$log")
check "log contains none of $(wc -l <"$needles") patient ids, SSNs and names" [ "$found" -eq 0 ]
rm -f "$needles"

psql -X -q -d postgres -c 'DROP DATABASE audit' -c 'DROP ROLE audit_login_1, audit_internal' >/dev/null 2>&1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
