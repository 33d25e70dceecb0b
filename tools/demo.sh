#!/usr/bin/env bash
# The main job end to end on a throwaway cluster:
#   install packages, build and install the extension, start a cluster with a development
#   key, load a Synthea dataset, register UnitedHealthcare (and Aetna, so that there is
#   another client to hide) with a login role, then, as that login role, print the KPI
#   tiles, the procedure-group bar chart, the last 12 months of volume, write the export
#   CSV, and show that the source tables are refused. The cluster stops at the end.
#
# Usage: tools/demo.sh [SYNTHEA_CSV_FOLDER]
#   Without a folder (and without UHC_DEMO_DATA) it generates the bundled sample.
#   UHC_DEMO_OUT sets the folder of the export CSV (default: ./demo-output).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=lib/cluster.sh
. tools/lib/cluster.sh

data_dir=${1:-${UHC_DEMO_DATA:-}}
out_dir=${UHC_DEMO_OUT:-$repo/demo-output}

step() { printf '\n== %s\n' "$*"; }

step "Installing missing Debian packages"
bash tools/install-deps.sh

step "Building and installing the extension"
make -s >/dev/null
if [ "$(id -u)" -eq 0 ]; then
    make -s install >/dev/null
else
    echo "not root: skipping make install, so the extension must already be installed" >&2
fi

work=$(mktemp -d /tmp/uhc-demo.XXXXXX)
chmod 755 "$work"
cleanup() {
    uhc_cluster_stop "$work/cluster"
    rm -rf "$work"
}
trap cleanup EXIT

step "Starting a throwaway PostgreSQL 15 cluster with a development key"
port=$(uhc_free_port)
uhc_cluster_start "$work/cluster" "$port"
echo "socket folder $PGHOST, port $PGPORT"

psql_admin=(psql -X -q -v ON_ERROR_STOP=1 -d uhc_demo)
createdb uhc_demo
"${psql_admin[@]}" -c 'CREATE EXTENSION uhc_reporting'

if [ -z "$data_dir" ]; then
    step "Generating the bundled sample (Synthea 3.3 layout, 300 patients, seed 20261204)"
    data_dir=$work/sample
    /usr/bin/python3 tools/synthea_sample.py --layout 3.3 --patients 300 --seed 20261204 --out "$data_dir"
    dataset=sample
else
    dataset=$(basename "$data_dir" | tr -c 'A-Za-z0-9._\n-' '_' | cut -c1-63)
fi

step "Loading $data_dir as dataset \"$dataset\""
/usr/bin/python3 tools/uhc-load --dataset "$dataset" --dbname uhc_demo "$data_dir"

step "Registering the clients and a login role for UnitedHealthcare"
"${psql_admin[@]}" <<'SQL'
SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['UnitedHealthcare']);
SELECT uhc_reporting.create_client('AETNA', 'Aetna', ARRAY['Aetna']);
-- A neutral login name: every role can read pg_roles.
CREATE ROLE demo_login_1 LOGIN;
SELECT uhc_reporting.grant_client_access('UHC', 'demo_login_1');
SELECT uhc_reporting.refresh();
SELECT client_code, display_name, group_role, payer_names, login_roles FROM uhc_reporting.list_clients();
SQL

psql_client=(psql -X -v ON_ERROR_STOP=1 -d uhc_demo -U demo_login_1 -P footer=off)

step "As demo_login_1 (UnitedHealthcare): KPI tiles"
"${psql_client[@]}" -x -c 'SELECT * FROM uhc_reporting_client.kpi_tiles'

step "As demo_login_1: procedure groups (bar chart)"
"${psql_client[@]}" -c 'SELECT procedure_group, encounters, procedures, patients, total_base_cost
                          FROM uhc_reporting_client.procedure_group_volume
                         ORDER BY encounters DESC, procedure_group'

step "As demo_login_1: the 12 months ending with the latest month in the data"
"${psql_client[@]}" -c 'SELECT month, encounters, patients, procedures, total_base_cost
                          FROM uhc_reporting_client.monthly_volume_last_12 ORDER BY month'

step "As demo_login_1: the client export"
mkdir -p "$out_dir"
export_file=$out_dir/uhc_export.csv
"${psql_client[@]}" -c "\\copy (SELECT * FROM uhc_reporting_client.procedure_export ORDER BY procedure_description, procedure_date DESC, patient_pseudonym) TO '$export_file' WITH (FORMAT csv, HEADER)"
echo "wrote $(($(wc -l <"$export_file") - 1)) rows to $export_file"
head -n 4 "$export_file"

step "As demo_login_1: the source tables are refused"
if "${psql_client[@]}" -c 'SELECT count(*) FROM uhc_reporting.patients' 2>"$work/refused.txt"; then
    echo "error: the client role could read the source tables" >&2
    exit 1
fi
cat "$work/refused.txt"

step "Done; stopping the cluster"
