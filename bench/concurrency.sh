#!/usr/bin/env bash
# Dashboard queries under concurrent writes. Two pgbench runs, one per client login,
# query the client views while, at the same time, tools/uhc-load loads a second dataset
# (which refreshes it), and a loop changes a rule and runs uhc_reporting.refresh(). Passes
# when pgbench reports no failed transaction, no session saw another client's rows, the
# server logged no deadlock, and the client rows after the run equal a serial refresh.
#
#   bench/concurrency.sh [CLIENTS_PER_LOGIN] [SECONDS] [PATIENTS]
#   defaults: 16 sessions per login (32 in all), 120 s, 1000 patients
#
# Uses the cluster named by PGHOST and PGPORT (as a superuser PGUSER) and creates the
# database uhc_concurrency and the login roles uhc_bench_login_1 and _2, dropping them
# at the end. The writer loop stops after SECONDS or 200 rule changes, whichever comes
# first. Prints "N passed, N failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
clients=${1:-16}
seconds=${2:-120}
patients=${3:-1000}
db=uhc_concurrency
work=$(mktemp -d /tmp/uhc-concurrency.XXXXXX)
chmod 755 "$work"
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
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

cleanup() {
    sql -c "SET client_min_messages = warning" \
        -c "SELECT uhc_reporting.drop_client('BENCH_ONE'), uhc_reporting.drop_client('BENCH_TWO')" \
        >/dev/null 2>&1
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    for login in uhc_bench_login_1 uhc_bench_login_2; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $login" 2>/dev/null
    done
    rm -rf "$work"
}
cleanup
mkdir -p "$work"
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" \
    -c "CREATE ROLE uhc_bench_login_1 LOGIN" -c "CREATE ROLE uhc_bench_login_2 LOGIN" || exit 1
sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION uhc_reporting" || exit 1
/usr/bin/python3 "$repo/tools/synthea_sample.py" --layout 3.3 --patients "$patients" --seed 31 \
    --out "$work/first" >/dev/null || exit 1
/usr/bin/python3 "$repo/tools/synthea_sample.py" --layout 3.3 --patients "$patients" --seed 32 \
    --out "$work/second" >/dev/null || exit 1
/usr/bin/python3 "$repo/tools/uhc-load" --quiet --dataset first --dbname "$db" "$work/first" >/dev/null || exit 1
sql >/dev/null <<'SQL' || exit 1
SET client_min_messages = warning;
SELECT uhc_reporting.create_client('BENCH_ONE', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('BENCH_TWO', 'Aetna', ARRAY['Aetna']);
SELECT uhc_reporting.grant_client_access('BENCH_ONE', 'uhc_bench_login_1');
SELECT uhc_reporting.grant_client_access('BENCH_TWO', 'uhc_bench_login_2');
INSERT INTO uhc_reporting.procedure_rules (pattern, match_kind, priority, group_name, note)
VALUES ('colonoscopy', 'word', 1, 'Screening', 'concurrency benchmark rule');
SELECT uhc_reporting.refresh();
SQL

# The clusters of tools/lib/cluster.sh log to server.log in the socket folder. For another
# server, point UHC_SERVER_LOG at its log file.
server_log=${UHC_SERVER_LOG:-$PGHOST/server.log}
deadlocks_before=$(grep -c 'deadlock detected' "$server_log" 2>/dev/null)

# Writers: the second dataset's load, and rule changes each followed by a refresh.
(/usr/bin/python3 "$repo/tools/uhc-load" --quiet --dataset second --dbname "$db" "$work/second" \
    > "$work/load.log" 2>&1; echo $? > "$work/load.status") &
load_pid=$!
(
    deadline=$((SECONDS + seconds))
    changes=0
    status=0
    while [ $SECONDS -lt $deadline ] && [ $changes -lt 200 ]; do
        group=$([ $((changes % 2)) -eq 0 ] && echo Endoscopy || echo Screening)
        sql -c "SET client_min_messages = warning" \
            -c "UPDATE uhc_reporting.procedure_rules SET group_name = '$group' WHERE note = 'concurrency benchmark rule'" \
            -c "SELECT uhc_reporting.refresh()" >/dev/null 2>>"$work/rules.log" || status=1
        changes=$((changes + 1))
    done
    echo "$changes $status" > "$work/rules.status"
) &
rules_pid=$!

bench() {
    local login=$1 payer=$2
    pgbench -n -c "$clients" -j 2 -T "$seconds" -U "$login" -D payer="$payer" \
        -f "$repo/bench/concurrency/dashboard.sql" "$db" > "$work/$login.log" 2>&1
    echo $? > "$work/$login.status"
}
bench uhc_bench_login_1 UnitedHealthcare &
bench_one=$!
bench uhc_bench_login_2 Aetna &
bench_two=$!
wait $bench_one $bench_two $load_pid $rules_pid

for login in uhc_bench_login_1 uhc_bench_login_2; do
    check "$login pgbench exit status" 0 "$(cat "$work/$login.status")"
    grep -E '^(number of clients|number of transactions actually processed|number of failed|latency average|tps)' \
        "$work/$login.log" | sed "s/^/    $login: /"
    check "$login saw no other client's rows" 0 "$(grep -c 'another_clients_rows_seen\|division by zero' "$work/$login.log")"
done
check "load exit status" 0 "$(cat "$work/load.status")"
read -r changes rules_status < "$work/rules.status"
echo "    rule changes with refresh: $changes"
check "rule changes and refreshes succeeded" 0 "$rules_status"
if [ "$rules_status" != 0 ]; then
    grep -m 3 'ERROR' "$work/rules.log" | sed 's/^/    /'
fi
deadlocks_after=$(grep -c 'deadlock detected' "$server_log" 2>/dev/null)
check "no deadlock in the server log" "$deadlocks_before" "$deadlocks_after"

# The client rows left by the concurrent run must equal a serial recomputation.
snapshot_sql="SELECT client_id || ' ' || count(*) || ' ' || md5(string_agg(format('%s|%s|%s|%s',
    procedure_id, patient_pseudonym, procedure_group, base_cost), ',' ORDER BY procedure_id))
  FROM uhc_reporting.client_procedure_rows GROUP BY client_id ORDER BY client_id"
after_run=$(sql -c "$snapshot_sql")
sql -c "SET client_min_messages = warning" -c "SELECT uhc_reporting.refresh()" >/dev/null
check "client rows equal a serial refresh" "$(sql -c "$snapshot_sql")" "$after_run"
check "both datasets loaded" 2 "$(sql -c "SELECT count(*) FROM uhc_reporting.datasets")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
