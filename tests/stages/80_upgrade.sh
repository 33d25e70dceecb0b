#!/usr/bin/env bash
# Upgrade from release 0.1.0: install 0.1.0, load a sample, create clients, logins, an
# analyst's rule and setting, refresh, then ALTER EXTENSION uhc_reporting UPDATE. Rules,
# settings, clients, grants and pseudonyms must survive, and the upgraded extension's
# objects (with owners, ACLs, columns, constraints, triggers and policies) must match a
# fresh install of the current version in another database.
set -uo pipefail
cd "$UHC_REPO"
old_db=uhc_upgrade_old
fresh_db=uhc_upgrade_fresh
work=$UHC_WORK/upgrade
mkdir -p "$work"
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

sql() {
    local db=$1
    shift
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# Facts that must not change across the upgrade, one line each. Settings that 0.1.0 did
# not have are left out, because the upgrade adds them.
snapshot() {
    sql "$old_db" <<'SQL'
SELECT 'rules ' || md5(string_agg(format('%s|%s|%s|%s|%s|%s|%s', rule_id, pattern, group_name,
       priority, match_kind, enabled, note), ',' ORDER BY rule_id)) FROM uhc_reporting.procedure_rules;
SELECT 'groups ' || md5(string_agg(group_name || '|' || description, ',' ORDER BY group_name))
  FROM uhc_reporting.procedure_groups;
SELECT 'settings ' || string_agg(name || '=' || value, ',' ORDER BY name) FROM uhc_reporting.settings
 WHERE name IN ('default_group', 'high_volume_min_encounters');
SELECT 'clients ' || string_agg(format('%s|%s|%s|%s', client_code, display_name, payer_names,
       login_roles), ',' ORDER BY client_code) FROM uhc_reporting.list_clients();
SELECT 'audit ' || count(*) FROM uhc_reporting.client_audit;
SELECT 'pseudonyms ' || count(*) || ' ' || md5(string_agg(format('%s|%s|%s', client_id, patient,
       patient_pseudonym), ',' ORDER BY client_id, patient)) FROM uhc_reporting.client_patient_pseudonyms;
SELECT 'own_rows ' || string_agg(client_id || '=' || n, ',' ORDER BY client_id)
  FROM (SELECT client_id, count(*) AS n FROM uhc_reporting.client_procedure_rows GROUP BY client_id) s;
SQL
}

# Client group roles belong to the cluster, so they are dropped with their clients, even
# when a check above ends the script early.
cleanup() {
    sql "$old_db" -c "SET client_min_messages = warning" \
        -c "SELECT uhc_reporting.drop_client('CLIENT_ONE'), uhc_reporting.drop_client('CLIENT_TWO')" \
        >/dev/null 2>&1
    sql postgres -c "DROP DATABASE IF EXISTS $old_db" -c "DROP DATABASE IF EXISTS $fresh_db" 2>/dev/null
    for login in hd_upgrade_login_1 hd_upgrade_login_2; do
        sql postgres -c "DROP ROLE IF EXISTS $login" 2>/dev/null
    done
}
cleanup
trap cleanup EXIT
sql postgres -c "CREATE DATABASE $old_db" -c "CREATE DATABASE $fresh_db"
for login in hd_upgrade_login_1 hd_upgrade_login_2; do
    sql postgres -c "CREATE ROLE $login LOGIN"
done

sql "$old_db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION uhc_reporting VERSION '0.1.0'"
check "installed version" "0.1.0" \
    "$(sql "$old_db" -c "SELECT extversion FROM pg_extension WHERE extname = 'uhc_reporting'")"

/usr/bin/python3 tools/synthea_sample.py --layout 3.3 --patients 120 --seed 7 --out "$work/sample" >/dev/null
/usr/bin/python3 tools/uhc-load --quiet --dataset upgrade --dbname "$old_db" "$work/sample" || exit 1

sql "$old_db" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT uhc_reporting.create_client('CLIENT_ONE', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('CLIENT_TWO', 'Aetna', ARRAY['Aetna']);
SELECT uhc_reporting.grant_client_access('CLIENT_ONE', 'hd_upgrade_login_1');
SELECT uhc_reporting.grant_client_access('CLIENT_TWO', 'hd_upgrade_login_2');
-- An analyst's own rule, a disabled default rule and a changed setting.
INSERT INTO uhc_reporting.procedure_groups (group_name, description)
VALUES ('Upgrade test group', 'Added by the upgrade test');
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name, note)
VALUES ('colonoscopy', 'word', 1, 'Upgrade test group', 'analyst rule');
UPDATE uhc_reporting.procedure_rules SET enabled = false WHERE pattern = 'dialysis';
UPDATE uhc_reporting.settings SET value = '3' WHERE name = 'high_volume_min_encounters';
SELECT uhc_reporting.refresh();
SQL
before=$(snapshot)
check "sample has client rows" "yes" \
    "$(sql "$old_db" -c "SELECT CASE WHEN count(DISTINCT client_id) = 2 THEN 'yes' ELSE 'no' END FROM uhc_reporting.client_procedure_rows")"

sql "$old_db" -c "ALTER EXTENSION uhc_reporting UPDATE" || exit 1
check "upgraded version" "0.2.0" \
    "$(sql "$old_db" -c "SELECT extversion FROM pg_extension WHERE extname = 'uhc_reporting'")"
check "state survives the upgrade" "$before" "$(snapshot)"

# The pseudonyms that the upgraded code computes equal the ones 0.1.0 stored.
sql "$old_db" -c "SET client_min_messages = warning" -c "SELECT uhc_reporting.refresh()" >/dev/null
check "state survives a refresh after the upgrade" "$before" "$(snapshot)"

# Each login still reads its own client's rows, and only those.
for pair in CLIENT_ONE:hd_upgrade_login_1 CLIENT_TWO:hd_upgrade_login_2; do
    code=${pair%%:*}
    login=${pair#*:}
    expected=$(sql "$old_db" -c "SELECT count(*) FROM uhc_reporting.client_procedure_rows r
        JOIN uhc_reporting.clients c USING (client_id) WHERE c.client_code = '$code'")
    actual=$(sql "$old_db" -c "SET ROLE $login" -c "SELECT count(*) FROM uhc_reporting_client.procedure_export")
    check "$login reads its own rows" "$expected" "$actual"
    denied=$(psql -X -q -At -d "$old_db" -c "SET ROLE $login" \
        -c "SELECT count(*) FROM uhc_reporting.client_procedure_rows" 2>&1 | grep -c 'permission denied')
    check "$login cannot read the table" "1" "$denied"
done

# The analyst's rule still classifies.
check "analyst rule classifies" "Upgrade test group" \
    "$(sql "$old_db" -c "SELECT uhc_reporting.classify('Screening colonoscopy')")"

# The upgraded extension consists of the same objects as a fresh install.
sql "$fresh_db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION uhc_reporting"
sql "$old_db" -f tests/harness/extension_objects.sql > "$work/upgraded.objects" || exit 1
sql "$fresh_db" -f tests/harness/extension_objects.sql > "$work/fresh.objects" || exit 1
if diff -u "$work/fresh.objects" "$work/upgraded.objects" > "$work/objects.diff"; then
    check "objects match a fresh install" same same
else
    head -40 "$work/objects.diff"
    check "objects match a fresh install" same "differ in $(grep -c '^[-+][^-+]' "$work/objects.diff") lines"
fi
check "object list is not empty" yes \
    "$([ "$(grep -c '^member|' "$work/fresh.objects")" -gt 50 ] && echo yes || echo no)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
