#!/usr/bin/env bash
# Tableau's drivers against a TLS cluster on loopback: the PostgreSQL JDBC driver in
# auto-commit and in an explicit transaction with a fetch size, each with the JVM time
# zone UTC and Pacific/Kiritimati, and psqlODBC with UseDeclareFetch. All must give the
# results psql gives, as a client login that authenticates with SCRAM over hostssl.
set -euo pipefail
. "$UHC_REPO/tools/lib/cluster.sh"

port=${UHC_DRIVER_TEST_PORT:-5529}
dir="$UHC_WORK/tls-cluster"
out="$UHC_WORK/drivers"
rm -rf "$dir" "$out"
mkdir -p "$out"
chmod 777 "$out"
socket_host=$PGHOST
socket_port=$PGPORT
trap 'uhc_cluster_stop "$dir"' EXIT

uhc_cluster_start "$dir" "$port" "$UHC_TEST_KEY_LINE"
# A self-signed certificate made for this run; sslmode=require encrypts without
# verifying it, as the data source does.
uhc_as_server_user openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -keyout "$dir/data/server.key" -out "$dir/data/server.crt" 2>/dev/null
chmod 600 "$dir/data/server.key"
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
CONF
# Only the socket (for setup) and the client login over TLS with SCRAM get in.
cat >"$dir/data/pg_hba.conf" <<HBA
local    all  all                          trust
hostssl  all  tableau_probe  127.0.0.1/32  scram-sha-256
HBA
uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w restart >/dev/null

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE uhc_drivers'
psql -X -q -v ON_ERROR_STOP=1 -d uhc_drivers -c 'CREATE EXTENSION uhc_reporting'
/usr/bin/python3 "$UHC_REPO/tests/harness/dashboard_fixture.py" --dbname uhc_drivers \
    --work "$out" --patients 60 2>/dev/null
PGPASSWORD=$(openssl rand -hex 16)
export PGPASSWORD
psql -X -q -v ON_ERROR_STOP=1 -d uhc_drivers -v password="$PGPASSWORD" <<'SQL'
CREATE ROLE tableau_probe LOGIN;
ALTER ROLE tableau_probe PASSWORD :'password';
SELECT uhc_reporting.grant_client_access('UHC', 'tableau_probe') \gset
SQL

jar=/usr/share/java/postgresql.jar
url="jdbc:postgresql://127.0.0.1:$port/uhc_drivers"
queries="$UHC_REPO/tests/drivers/tableau_queries.tsv"
outputs=()
for mode in autocommit transaction; do
    for zone in UTC Pacific/Kiritimati; do
        file="$out/jdbc-$mode-${zone//\//-}.txt"
        java -Duser.timezone="$zone" -cp "$jar" "$UHC_REPO/tests/drivers/TableauProbe.java" \
            "$url" tableau_probe "$PGPASSWORD" "$queries" "$mode" >"$file" || true
        outputs+=("$file")
    done
done

PGHOST_SOCKET=$PGHOST /usr/bin/python3 "$UHC_REPO/tests/drivers/driver_compare.py" "$queries" \
    127.0.0.1 "$port" uhc_drivers tableau_probe UHC "${outputs[@]}"
