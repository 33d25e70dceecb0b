#!/usr/bin/env bash
# Bad key files. They rewrite the key file and reload the server, so they get a cluster
# of their own.
set -uo pipefail
. "$UHC_REPO/tools/lib/cluster.sh"
dir=$UHC_WORK/keys-cluster
port=$(uhc_free_port) || exit 1
trap 'uhc_cluster_stop "$dir"' EXIT
uhc_cluster_start "$dir" "$port" "$UHC_TEST_KEY_LINE" || exit 1
bash "$UHC_REPO/tests/harness/keyfile_cases.sh" "$dir/data" "$PGHOST" "$PGPORT"
