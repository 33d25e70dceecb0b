#!/usr/bin/env bash
# Backup and restore as docs/operations.md describes it: pg_dumpall --globals-only plus
# pg_dump -Fc, restored with pg_restore --create into a new cluster that has the same key
# file. Rules (an analyst's rule and a changed default), settings, clients, logins,
# database grants, loaded data and pseudonyms must come back, and the dump must not
# contain the key.
set -uo pipefail
cd "$UHC_REPO"
. tools/lib/cluster.sh
db=uhc_backup
work=$UHC_WORK/backup
mkdir -p "$work"
chmod 777 "$work"
source_host=$PGHOST
source_port=$PGPORT
target_dir=$UHC_WORK/restore-cluster
passed=0
failed=0

check() {
    local name=$1 expected=$2 actual=$3
    if [ "$expected" = "$actual" ]; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s: expected "%s", got "%s"\n' "$name" "$expected" "$actual"
    fi
}

source_sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 -h "$source_host" -p "$source_port" -d "$db" "$@"
}
target_sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 -h "$target_dir" -p 5533 -d "$db" "$@"
}

# Everything that must survive, one line each.
snapshot() {
    "$1" <<'SQL'
SELECT 'rules ' || md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', rule_id, pattern, group_name,
       priority, match_kind, enabled, note), ',' ORDER BY rule_id)) FROM uhc_reporting.procedure_rules;
SELECT 'groups ' || md5(string_agg(group_name || '|' || description, ',' ORDER BY group_name))
  FROM uhc_reporting.procedure_groups;
SELECT 'settings ' || string_agg(name || '=' || value, ',' ORDER BY name) FROM uhc_reporting.settings;
SELECT 'clients ' || string_agg(format('%s|%s|%s|%s|%s', client_code, display_name, group_role,
       payer_names, login_roles), ',' ORDER BY client_code) FROM uhc_reporting.list_clients();
SELECT 'audit ' || md5(string_agg(format('%s|%s|%s|%s', audit_id, action, client_code, detail),
       ',' ORDER BY audit_id)) FROM uhc_reporting.client_audit;
SELECT 'source ' || (SELECT count(*) FROM uhc_reporting.patients) || ' '
       || (SELECT count(*) FROM uhc_reporting.procedures) || ' '
       || (SELECT md5(string_agg(format('%s|%s|%s', procedure_id, code, base_cost), ',' ORDER BY procedure_id))
             FROM uhc_reporting.procedures);
SELECT 'pseudonyms ' || count(*) || ' ' || md5(string_agg(format('%s|%s|%s', client_id, patient,
       patient_pseudonym), ',' ORDER BY client_id, patient)) FROM uhc_reporting.client_patient_pseudonyms;
SELECT 'own_rows ' || string_agg(client_id || '=' || n, ',' ORDER BY client_id)
  FROM (SELECT client_id, count(*) AS n FROM uhc_reporting.client_procedure_rows GROUP BY client_id) s;
SELECT 'connect ' || has_database_privilege('hd_backup_login_1', current_database(), 'CONNECT') || ' '
       || has_database_privilege('public', current_database(), 'CONNECT');
SQL
}

cleanup() {
    uhc_cluster_stop "$target_dir"
    source_sql -c "SET client_min_messages = warning" \
        -c "SELECT uhc_reporting.drop_client('CLIENT_ONE'), uhc_reporting.drop_client('CLIENT_TWO')" \
        >/dev/null 2>&1
    psql -X -q -h "$source_host" -p "$source_port" -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    for login in hd_backup_login_1 hd_backup_login_2; do
        psql -X -q -h "$source_host" -p "$source_port" -d postgres -c "DROP ROLE IF EXISTS $login" 2>/dev/null
    done
}
cleanup
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" \
    -c "CREATE ROLE hd_backup_login_1 LOGIN" -c "CREATE ROLE hd_backup_login_2 LOGIN" || exit 1
source_sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION uhc_reporting" || exit 1
/usr/bin/python3 tools/synthea_sample.py --layout 3.3 --patients 120 --seed 11 --out "$work/sample" >/dev/null
/usr/bin/python3 tools/uhc-load --quiet --dataset backup --dbname "$db" "$work/sample" >/dev/null || exit 1
source_sql >/dev/null <<SQL || exit 1
SET client_min_messages = warning;
SELECT uhc_reporting.create_client('CLIENT_ONE', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('CLIENT_TWO', 'Aetna', ARRAY['Aetna']);
SELECT uhc_reporting.grant_client_access('CLIENT_ONE', 'hd_backup_login_1');
SELECT uhc_reporting.grant_client_access('CLIENT_TWO', 'hd_backup_login_2');
INSERT INTO uhc_reporting.procedure_groups (group_name, description)
VALUES ('Backup test group', 'Added by the backup test');
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name, note)
VALUES ('colonoscopy', 'word', 1, 'Backup test group', 'analyst rule');
UPDATE uhc_reporting.procedure_rules SET enabled = false WHERE pattern = 'dialysis';
UPDATE uhc_reporting.procedure_groups SET description = 'Changed by the backup test' WHERE group_name = 'Dental';
UPDATE uhc_reporting.settings SET value = '3' WHERE name = 'high_volume_min_encounters';
SELECT uhc_reporting.refresh();
REVOKE CONNECT ON DATABASE $db FROM PUBLIC;
GRANT CONNECT ON DATABASE $db TO hd_backup_login_1, hd_backup_login_2;
SQL
before=$(snapshot source_sql)

# Every table of the extension except refresh_state is dumped, and only the three tables
# with install defaults hold rows written by the install.
check "every table is marked for pg_dump" "refresh_state" "$(source_sql -c "
    SELECT string_agg(c.relname, ',' ORDER BY c.relname)
      FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'uhc_reporting'
     WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'S')
       AND c.oid <> ALL (e.extconfig)")"

pg_dumpall -h "$source_host" -p "$source_port" --globals-only > "$work/globals.sql" || exit 1
pg_dump -h "$source_host" -p "$source_port" -Fc -d "$db" -f "$work/backup.dump" || exit 1

# The key hex and any 64-hex-digit run must be absent from both files.
key_hex=${UHC_TEST_KEY_LINE#* }
pg_restore -f "$work/backup.sql" "$work/backup.dump"
check "dump has no key" 0 "$(cat "$work/globals.sql" "$work/backup.sql" | grep -Eci "$key_hex|[0-9a-f]{64}")"
check "dump has no key file path" 0 "$(cat "$work/globals.sql" "$work/backup.sql" | grep -c 'pseudonym.keys')"

rm -rf "$target_dir"
uhc_cluster_start "$target_dir" 5533 "$UHC_TEST_KEY_LINE" >/dev/null || exit 1
# The target already has the superuser postgres, so that one statement fails.
psql -X -q -h "$target_dir" -p 5533 -d postgres -f "$work/globals.sql" > "$work/globals.log" 2>&1
check "globals restore errors" 'ERROR:  role "postgres" already exists' \
    "$(grep -o 'ERROR: .*' "$work/globals.log" | sort -u | tr '\n' ' ' | sed 's/ $//')"
pg_restore -h "$target_dir" -p 5533 --create --exit-on-error -d postgres "$work/backup.dump" \
    || { failed=$((failed + 1)); echo "FAIL  pg_restore"; }

check "state after restore" "$before" "$(snapshot target_sql)"

# pseudonyms recomputed in the new cluster with the same key file are identical.
target_sql -c "SET client_min_messages = warning" -c "SELECT uhc_reporting.refresh()" >/dev/null
check "state after a refresh in the new cluster" "$before" "$(snapshot target_sql)"

# A login connects to the restored database and reads its own rows only.
expected=$(source_sql -c "SELECT count(*) FROM uhc_reporting.client_procedure_rows r
    JOIN uhc_reporting.clients c USING (client_id) WHERE c.client_code = 'CLIENT_ONE'")
check "login reads its rows after restore" "$expected" \
    "$(psql -X -q -At -h "$target_dir" -p 5533 -U hd_backup_login_1 -d "$db" \
        -c "SELECT count(*) FROM uhc_reporting_client.procedure_export")"

# The changed default rule and the analyst's rule classify as before.
classify_sql="SELECT uhc_reporting.classify('Screening colonoscopy') || '|' || uhc_reporting.classify('Hemodialysis (procedure)') || '|' || uhc_reporting.classify('Dental care (regime/therapy)')"
check "rules classify after restore" "$(source_sql -c "$classify_sql")" "$(target_sql -c "$classify_sql")"
 
# A new rule gets an id after the restored ones.
check "rule ids continue" "t" "$(target_sql -c "
    INSERT INTO uhc_reporting.procedure_rules (pattern, group_name) VALUES ('restored zebra', 'Other')
    RETURNING rule_id > (SELECT max(rule_id) FROM uhc_reporting.procedure_rules WHERE pattern <> 'restored zebra')")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
