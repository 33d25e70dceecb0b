#!/usr/bin/env bash
# Key security, rotation, two clusters with one key file, and the development key.
#
# It starts two clusters of its own, A and B, because it rewrites key files, reloads,
# restarts and reads the server log. Both start with the same random key as version 1,
# A later gets a version 2 and B a development key, all generated here. The transcript
# of every session, both server logs and a pg_dump are searched for these keys at the end. Each check prints "ok" or "FAIL", and the last line is
# "N passed, N failed".
set -uo pipefail
. "$UHC_REPO/tools/lib/cluster.sh"

dir_a=$UHC_WORK/keysec-a
dir_b=$UHC_WORK/keysec-b
port_a=5505
port_b=5506
harness=$UHC_REPO/tests/harness/pseudonym_vectors.py
transcript=$UHC_WORK/keysec-transcript.txt
: >"$transcript"
rm -rf "$dir_a" "$dir_b"

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

trap 'uhc_cluster_stop "$dir_a"; uhc_cluster_stop "$dir_b"' EXIT

key1=$(openssl rand -hex 32)
key2=$(openssl rand -hex 32)
dev_key=$(openssl rand -hex 32)

uhc_cluster_start "$dir_a" "$port_a" "1 $key1" || exit 1
uhc_cluster_start "$dir_b" "$port_b" "1 $key1" || exit 1

# Cluster A is set up as docs/pseudonym.md recommends for production: the library is
# preloaded, so that uhc_reporting.key_file is a superuser-only setting in every session.
# Statements are logged (log_statement = all), so that every attack and refresh below is
# in the server log that is searched for keys at the end.
cat >>"$dir_a/data/postgresql.conf" <<CONF
shared_preload_libraries = 'uhc_reporting'
log_statement = all
CONF
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir_a/data" -l "$dir_a/server.log" -w restart >/dev/null || exit 1

# Runs SQL on a cluster as a role and prints the result rows. The output also goes to
# the transcript that is searched for keys.
sql_on() {
    local dir=$1 port=$2 role=$3
    shift 3
    psql -X -At -q -h "$dir" -p "$port" -U "$role" -d stage "$@" 2>&1 | tee -a "$transcript"
}
sql_a() { sql_on "$dir_a" "$port_a" "$@"; }
sql_b() { sql_on "$dir_b" "$port_b" "$@"; }

# Prints the SQLSTATE of the first error a statement raises on cluster A, or "ok".
sqlstate_a() {
    local role=$1 statement=$2 output
    output=$(psql -X -At -q -v VERBOSITY=verbose -h "$dir_a" -p "$port_a" -U "$role" -d stage \
                  -c "$statement" 2>&1)
    printf '%s\n' "$output" >>"$transcript"
    sed -n 's/^\(psql:[^ ]* \)\{0,1\}ERROR: *\([0-9A-Z]\{5\}\):.*/\2/p' <<<"$output" | head -1 | grep . \
        || echo ok
}

reload_a() {
    uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir_a/data" reload >/dev/null
    sleep 1
}

# The same synthetic dataset on both clusters: 300 patients with UUIDs from md5, each
# with one encounter and one procedure paid by "Stage Payer".
setup_sql=$(cat <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION uhc_reporting;
INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout) VALUES ('stage', '3.3+');
INSERT INTO uhc_reporting.payers (dataset_id, id, name)
SELECT dataset_id, md5('stage-payer')::uuid, 'Stage Payer' FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.organizations (dataset_id, id, name)
SELECT dataset_id, md5('stage-org')::uuid, 'Stage Clinic' FROM uhc_reporting.datasets;
INSERT INTO uhc_reporting.patients (dataset_id, id, birthdate, ssn, first, last)
SELECT d.dataset_id, md5('stage-patient-' || i)::uuid, '1970-01-01', '999-02-' || i, 'Test', 'Patient' || i
  FROM uhc_reporting.datasets d, generate_series(1, 300) AS i;
INSERT INTO uhc_reporting.encounters (dataset_id, id, start, patient, organization, payer, encounterclass, base_encounter_cost)
SELECT d.dataset_id, md5('stage-encounter-' || i)::uuid, '2024-01-15T10:00:00Z',
       md5('stage-patient-' || i)::uuid, md5('stage-org')::uuid, md5('stage-payer')::uuid, 'ambulatory', 75.00
  FROM uhc_reporting.datasets d, generate_series(1, 300) AS i;
INSERT INTO uhc_reporting.procedures (dataset_id, source_line, start, patient, encounter, code, description, base_cost)
SELECT d.dataset_id, i + 1, '2024-01-15T10:00:00Z', md5('stage-patient-' || i)::uuid,
       md5('stage-encounter-' || i)::uuid, '171207006', 'Depression screening (procedure)', 100.00
  FROM uhc_reporting.datasets d, generate_series(1, 300) AS i;
SELECT uhc_reporting.create_client('STAGE_H', 'Stage HMAC', ARRAY['Stage Payer']);
SELECT uhc_reporting.create_client('STAGE_T', 'Stage Token', ARRAY['Stage Payer']);
SELECT uhc_reporting.set_client_pseudonym_mode('STAGE_T', 'token');
SELECT uhc_reporting.refresh();
SQL
)
for target in "$dir_a $port_a" "$dir_b $port_b"; do
    set -- $target
    psql -X -q -h "$1" -p "$2" -U postgres -d postgres -c "CREATE DATABASE stage" >/dev/null || exit 1
    psql -X -q -At -h "$1" -p "$2" -U postgres -d stage -v ON_ERROR_STOP=1 -c "$setup_sql" >/dev/null || exit 1
done

sql_a postgres -c "CREATE ROLE stage_admin LOGIN IN ROLE uhc_reporting_admin" \
               -c "CREATE ROLE stage_internal LOGIN IN ROLE uhc_reporting_internal" \
               -c "CREATE ROLE stage_client LOGIN" \
               -c "SELECT uhc_reporting.grant_client_access('STAGE_H', 'stage_client')" >/dev/null
key_path=$(sql_a postgres -c "SHOW uhc_reporting.key_file")


echo "--- reading or setting the key as the admin role and as a client login role"
for role in stage_admin stage_client; do
    check "$role: SHOW key_file" 42501 "$(sqlstate_a $role "SHOW uhc_reporting.key_file")"
    check "$role: current_setting" 42501 \
        "$(sqlstate_a $role "SELECT current_setting('uhc_reporting.key_file')")"
    check "$role: pg_settings hides key_file" 0 \
        "$(sql_a $role -c "SELECT count(*) FROM pg_settings WHERE name = 'uhc_reporting.key_file'")"
    check "$role: pg_file_settings" 42501 "$(sqlstate_a $role "SELECT * FROM pg_file_settings")"
    check "$role: pg_read_file" 42501 "$(sqlstate_a $role "SELECT pg_read_file('$key_path')")"
    check "$role: pg_read_binary_file" 42501 \
        "$(sqlstate_a $role "SELECT pg_read_binary_file('$key_path')")"
    check "$role: COPY FROM key file" 42501 \
        "$(sqlstate_a $role "CREATE TEMP TABLE k (line text); COPY k FROM '$key_path'")"
    check "$role: lo_import key file" 42501 "$(sqlstate_a $role "SELECT lo_import('$key_path')")"
    check "$role: pg_db_role_setting has no key" 0 \
        "$(sql_a $role -c "SELECT count(*) FROM pg_db_role_setting
                            WHERE array_to_string(setconfig, ',') ILIKE '%uhc_reporting%'")"
    check "$role: SET key_file" 55P02 "$(sqlstate_a $role "SET uhc_reporting.key_file = '/tmp/other.keys'")"
    check "$role: SET allow_development_key" 55P02 \
        "$(sqlstate_a $role "SET uhc_reporting.allow_development_key = on")"
    check "$role: ALTER ROLE SET key_file" 55P02 \
        "$(sqlstate_a $role "ALTER ROLE CURRENT_USER SET uhc_reporting.key_file = '/tmp/other.keys'")"
    check "$role: ALTER DATABASE SET key_file" 42501 \
        "$(sqlstate_a $role "ALTER DATABASE stage SET uhc_reporting.key_file = '/tmp/other.keys'")"
    check "$role: ALTER SYSTEM" 42501 \
        "$(sqlstate_a $role "ALTER SYSTEM SET uhc_reporting.key_file = '/tmp/other.keys'")"
    check "$role: grant itself pg_read_server_files" 42501 \
        "$(sqlstate_a $role "GRANT pg_read_server_files TO CURRENT_USER")"
    check "$role: CREATE ROLE" 42501 "$(sqlstate_a $role "CREATE ROLE stage_extra")"
    check "$role: reidentify" 42501 \
        "$(sqlstate_a $role "SELECT uhc_reporting.reidentify('STAGE_H', 'P1-00000000000000000000000000')")"
done
check "admin has no CREATEROLE" f \
    "$(sql_a postgres -c "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'uhc_reporting_admin'")"

echo "--- the key in views, plans, activity, errors and logs"
sql_a stage_client -c "EXPLAIN VERBOSE SELECT * FROM uhc_reporting_client.procedure_export" >/dev/null
sql_a stage_internal -c "EXPLAIN (VERBOSE, ANALYZE) SELECT uhc_reporting.pseudonym('STAGE_H', gen_random_uuid())" >/dev/null
sql_a stage_internal -c "SELECT uhc_reporting.pseudonym('STAGE_H', gen_random_uuid()), pg_sleep(2)" >/dev/null &
sleep 1
for role in stage_admin stage_client; do
    sql_a $role -c "SELECT query FROM pg_stat_activity" >/dev/null
done
wait
for statement in "SELECT uhc_reporting.key_fingerprint(99)" \
                 "SELECT uhc_reporting.pseudonym('STAGE_H', 'not-a-uuid')" \
                 "SELECT uhc_reporting.set_client_key_version('STAGE_H', 99)"; do
    sqlstate_a stage_internal "$statement" >/dev/null
    sqlstate_a stage_admin "$statement" >/dev/null
done
sql_a stage_admin -c "SELECT uhc_reporting.refresh()" >/dev/null
check "fingerprint is visible to the admin" 16 \
    "$(sql_a stage_admin -c "SELECT length(uhc_reporting.key_fingerprint())")"

echo "--- collisions among 200000 distinct UUIDs"
check "pseudonyms of 200000 UUIDs are distinct" "200000 200000" \
    "$(sql_a postgres -F ' ' -c "SELECT count(DISTINCT u), count(DISTINCT uhc_reporting.pseudonym('STAGE_H', u))
                                  FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 200000)) AS s")"
check "200000 tokens are distinct" 200000 \
    "$(sql_a postgres -c "SELECT count(DISTINCT uhc_reporting.new_pseudonym_token()) FROM generate_series(1, 200000)")"

echo "--- two clusters with the same key file"
check "same fingerprint" "$(sql_a postgres -c "SELECT uhc_reporting.key_fingerprint(1)")" \
    "$(sql_b postgres -c "SELECT uhc_reporting.key_fingerprint(1)")"
pseudonyms_query="SELECT string_agg(p.patient || ' ' || p.patient_pseudonym, ',' ORDER BY p.patient)
                    FROM uhc_reporting.client_patient_pseudonyms p
                    JOIN uhc_reporting.clients c USING (client_id) WHERE c.client_code = 'STAGE_H'"
check "same pseudonyms on both clusters" "$(sql_a postgres -c "$pseudonyms_query" | md5sum)" \
    "$(sql_b postgres -c "$pseudonyms_query" | md5sum)"
check "tokens differ between clusters" 0 \
    "$(sql_b postgres -c "SELECT count(*) FROM uhc_reporting.client_patient_tokens t
                           WHERE t.token IN ($(sql_a postgres -c "SELECT string_agg(quote_literal(token), ',') FROM uhc_reporting.client_patient_tokens"))")"

echo "--- rotation to key version 2"
sql_a postgres -c "CREATE TABLE public.before_rotation AS
                   SELECT c.client_code, p.patient, p.patient_pseudonym
                     FROM uhc_reporting.client_patient_pseudonyms p
                     JOIN uhc_reporting.clients c USING (client_id)" >/dev/null
# Steps 1 and 2 of the rotation procedure in docs/pseudonym.md: append version 2, keep version 1, reload.
printf '2 %s\n' "$key2" >>"$dir_a/pseudonym.keys"
reload_a
check "active version after reload" 2 "$(sql_a stage_admin -c "SELECT uhc_reporting.key_version()")"
check "fingerprint of version 2" "$(python3 "$harness" --key "$key2" --fingerprint)" \
    "$(sql_a stage_admin -c "SELECT uhc_reporting.key_fingerprint(2)")"
# Existing clients keep version 1, so a refresh changes none of their pseudonyms.
sql_a stage_admin -c "SELECT uhc_reporting.refresh()" >/dev/null
unchanged_query="SELECT count(*) FILTER (WHERE b.patient_pseudonym = p.patient_pseudonym) || ' of ' || count(*)
                   FROM public.before_rotation b
                   JOIN uhc_reporting.clients c ON c.client_code = b.client_code
                   LEFT JOIN uhc_reporting.client_patient_pseudonyms p
                     ON p.client_id = c.client_id AND p.patient = b.patient"
check "refresh after adding a key changes nothing" "600 of 600" "$(sql_a postgres -c "$unchanged_query")"
sql_a stage_admin -c "SELECT uhc_reporting.create_client('STAGE_NEW', 'Stage New', ARRAY['Stage Payer'])" >/dev/null
check "new client gets the active version" 2 \
    "$(sql_a stage_admin -c "SELECT key_version FROM uhc_reporting.clients WHERE client_code = 'STAGE_NEW'")"
# Steps 3 and 4: switch the clients, then refresh.
sql_a stage_admin -c "SELECT uhc_reporting.set_client_key_version('STAGE_H', 2)" \
                  -c "SELECT uhc_reporting.set_client_key_version('STAGE_T', 2)" \
                  -c "SELECT uhc_reporting.refresh()" >/dev/null
check "switched client has version 2 pseudonyms" "300 300" \
    "$(sql_a postgres -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE p.patient_pseudonym LIKE 'P2-%')
                                  FROM uhc_reporting.client_patient_pseudonyms p
                                  JOIN uhc_reporting.clients c USING (client_id) WHERE c.client_code = 'STAGE_H'")"
first_patient=$(sql_a postgres -c "SELECT md5('stage-patient-1')::uuid")
check "version 2 pseudonym matches Python" "$(python3 "$harness" --key "$key2" --version 2 STAGE_H "$first_patient")" \
    "$(sql_a postgres -c "SELECT p.patient_pseudonym FROM uhc_reporting.client_patient_pseudonyms p
                           JOIN uhc_reporting.clients c USING (client_id)
                          WHERE c.client_code = 'STAGE_H' AND p.patient = '$first_patient'")"
check "token client keeps its tokens" "300 of 300" \
    "$(sql_a postgres -c "${unchanged_query} WHERE b.client_code = 'STAGE_T'")"
# The mapping joins every old pseudonym to the new stored one.
sql_a stage_internal -c "CREATE TEMP TABLE m AS SELECT * FROM uhc_reporting.pseudonym_mapping('STAGE_H', 1)" \
    -c "SELECT count(*) FROM m" >/dev/null
check "mapping joins old to new pseudonyms" 300 \
    "$(sql_a postgres -c "SELECT count(*) FROM public.before_rotation b
                           JOIN uhc_reporting.pseudonym_mapping('STAGE_H', 1, 2) m ON m.old_pseudonym = b.patient_pseudonym
                           JOIN uhc_reporting.client_patient_pseudonyms p ON p.patient_pseudonym = m.new_pseudonym
                                AND p.patient = b.patient
                          WHERE b.client_code = 'STAGE_H'")"
old_pseudonym=$(sql_a postgres -c "SELECT patient_pseudonym FROM public.before_rotation
                                    WHERE client_code = 'STAGE_H' AND patient = '$first_patient'")
check "reidentify a version 1 pseudonym" "$first_patient" \
    "$(sql_a stage_internal -c "SELECT uhc_reporting.reidentify('STAGE_H', '$old_pseudonym')")"
sql_a postgres -c "CREATE TABLE public.after_rotation AS
                   SELECT c.client_code, p.patient, p.patient_pseudonym
                     FROM uhc_reporting.client_patient_pseudonyms p
                     JOIN uhc_reporting.clients c USING (client_id)" >/dev/null

echo "--- restart"
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir_a/data" -l "$dir_a/server.log" -w restart >/dev/null
sql_a postgres -c "SELECT uhc_reporting.refresh()" >/dev/null
check "pseudonyms survive restart and refresh" "900 of 900" \
    "$(sql_a postgres -c "SELECT count(*) FILTER (WHERE b.patient_pseudonym = p.patient_pseudonym) || ' of ' || count(*)
                           FROM public.after_rotation b
                           JOIN uhc_reporting.clients c ON c.client_code = b.client_code
                           LEFT JOIN uhc_reporting.client_patient_pseudonyms p
                             ON p.client_id = c.client_id AND p.patient = b.patient")"
check "refused calls are in the server log" yes \
    "$(grep -q 'permission denied for function reidentify' "$dir_a/server.log" && echo yes || echo no)"

echo "--- cluster B: library not preloaded, then the development key"
check "development key is off by default" off \
    "$(sql_b postgres -c "LOAD 'uhc_reporting'" -c "SHOW uhc_reporting.allow_development_key")"
# Without preloading, the configured key_file is a placeholder until the library loads,
# and a session may SET a placeholder. Loading the library discards that value with a
# warning, so the configured key file stays in use.
sql_b postgres -c "CREATE ROLE stage_admin LOGIN IN ROLE uhc_reporting_admin" >/dev/null
alter_role_output=$(psql -X -At -q -v VERBOSITY=verbose -h "$dir_b" -p "$port_b" -U stage_admin -d stage \
                        -c "ALTER ROLE CURRENT_USER SET uhc_reporting.key_file = '/tmp/other.keys'" 2>&1)
check "ALTER ROLE SET of a placeholder" 42501 \
    "$(sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\):.*/\1/p' <<<"$alter_role_output")"
check "placeholder SET does not change the key" "$(sql_b postgres -c "SELECT uhc_reporting.key_fingerprint()")" \
    "$(sql_b stage_admin -c "SET client_min_messages = error" \
                         -c "SET uhc_reporting.key_file = '/tmp/other.keys'" \
                         -c "SELECT uhc_reporting.key_fingerprint()" | tail -1)"
uhc_cluster_stop "$dir_b"
cat >>"$dir_b/data/postgresql.conf" <<CONF
uhc_reporting.key_file = ''
uhc_reporting.allow_development_key = on
CONF
uhc_as_server_user env UHC_REPORTING_DEVELOPMENT_KEY="1 $dev_key" \
    "$PG_BIN/pg_ctl" -D "$dir_b/data" -l "$dir_b/server.log" -w start >/dev/null
dev_output=$(sql_b postgres -c "SELECT uhc_reporting.key_fingerprint()")
check "development key in use" "$(python3 "$harness" --key "$dev_key" --fingerprint)" "$(tail -1 <<<"$dev_output")"
check "development key warns" yes \
    "$(grep -q 'WARNING:  using the development pseudonym key' <<<"$dev_output" && echo yes || echo no)"
check "development key pseudonym matches Python" \
    "$(python3 "$harness" --key "$dev_key" --version 1 STAGE_H "$first_patient")" \
    "$(sql_b postgres -c "SET client_min_messages = error" -c "SELECT uhc_reporting.pseudonym('STAGE_H', '$first_patient'::uuid)")"
uhc_cluster_stop "$dir_b"
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir_b/data" -l "$dir_b/server.log" -w start >/dev/null
check "development key without the variable" 55000 \
    "$(psql -X -At -q -v VERBOSITY=verbose -h "$dir_b" -p "$port_b" -U postgres -d stage \
            -c "SELECT uhc_reporting.key_version()" 2>&1 | tee -a "$transcript" \
       | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\):.*/\1/p')"
echo "uhc_reporting.allow_development_key = off" >>"$dir_b/data/postgresql.conf"
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir_b/data" reload >/dev/null
sleep 1
check "development key off again" "55000 uhc_reporting.key_file is not set" \
    "$(psql -X -At -q -v VERBOSITY=verbose -h "$dir_b" -p "$port_b" -U postgres -d stage \
            -c "SELECT uhc_reporting.key_version()" 2>&1 | tee -a "$transcript" \
       | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\): \(.*\)/\1 \2/p')"

echo "--- no key material anywhere"
PGHOST=$dir_a PGPORT=$port_a "$PG_BIN/pg_dump" -U postgres -d stage >"$UHC_WORK/keysec-dump.sql"
check "pg_dump has content" yes "$(grep -q 'CREATE EXTENSION' "$UHC_WORK/keysec-dump.sql" && echo yes || echo no)"
for file in "$transcript" "$dir_a/server.log" "$dir_b/server.log" "$UHC_WORK/keysec-dump.sql"; do
    check "no key in $(basename "$file")" 0 "$(grep -Ec "$key1|$key2|$dev_key" "$file")"
done
check "no key file path in pg_dump" 0 "$(grep -c "$key_path" "$UHC_WORK/keysec-dump.sql")"
check "server log has the statements" yes \
    "$(grep -q 'statement: SELECT uhc_reporting.refresh()' "$dir_a/server.log" && echo yes || echo no)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
