#!/usr/bin/env bash
# Checks that every broken pseudonym key file fails closed with its own SQLSTATE and a
# message without key material.
#
#   keyfile_cases.sh DATA_DIR SOCKET_DIR PORT
#
# The cluster must be running with uhc_reporting installable and uhc_reporting.key_file
# set in postgresql.conf. For each case the script rewrites that key file in place,
# reloads the server, opens a new session and checks the SQLSTATE of key_version() and of
# pseudonym(). It restores the original file at the end, even after a failure. Run it as
# root or as the server's OS user. It prints "N passed, N failed" and exits non-zero if
# any case failed.
set -uo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 DATA_DIR SOCKET_DIR PORT" >&2
    exit 2
fi
data_dir=$1
socket_dir=$2
port=$3
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

passed=0
failed=0

# The server's OS user owns the data directory, and pg_ctl must run as that user. It
# starts in / because that user may not be allowed into the current folder (a CI clone
# under a mode 0700 temporary folder), and pg_ctl would then print a warning.
server_user=$(stat -c %U "$data_dir")
as_server_user() {
    if [ "$(id -u)" -eq 0 ] && [ "$server_user" != root ]; then
        (cd / && runuser -u "$server_user" -- "$@")
    else
        "$@"
    fi
}

run_sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres "$@"
}

key_file=$(run_sql -c "SHOW uhc_reporting.key_file")
if [ -z "$key_file" ] || [ ! -f "$key_file" ]; then
    echo "uhc_reporting.key_file is not set to an existing file in this cluster" >&2
    exit 2
fi
run_sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS uhc_reporting" || exit 2

backup=$(mktemp /tmp/uhc-keyfile-backup.XXXXXX)
cp -p "$key_file" "$backup"
restore_key_file() {
    cp -p "$backup" "$key_file"
    rm -f "$backup" "$key_file.moved"
    as_server_user "$pg_bin/pg_ctl" -D "$data_dir" reload >/dev/null
}
trap restore_key_file EXIT

# Keys that the cases write. None of them may appear in an error message.
good_key=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
other_key=a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5

# Replaces the key file contents, keeping its owner and mode 0600.
write_key_file() {
    printf '%s' "$1" > "$key_file"
    chmod 600 "$key_file"
}

# Reloads the configuration and waits until the server has applied it.
reload() {
    local before
    before=$(run_sql -c "SELECT pg_conf_load_time()")
    as_server_user "$pg_bin/pg_ctl" -D "$data_dir" reload >/dev/null || return 1
    for _ in $(seq 1 50); do
        if [ "$(run_sql -c "SELECT pg_conf_load_time()")" != "$before" ]; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server did not reload its configuration within 5 seconds" >&2
    return 1
}

# Runs a statement in a new session and prints "SQLSTATE|message", or "ok|<result>".
outcome_of() {
    run_sql -c "\set VERBOSITY verbose" -c "$1" 2>&1 | awk '
        /^(psql:[^ ]* )?ERROR: / {
            sub(/^(psql:[^ ]* )?ERROR: +/, "")
            state = substr($0, 1, 5)
            sub(/^[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]: /, "")
            print state "|" $0
            found = 1
            exit
        }
        { last = $0 }
        END { if (!found) print "ok|" last }'
}

record() {
    local verdict=$1 name=$2 note=$3
    if [ "$verdict" = pass ]; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s: %s\n' "$name" "$note"
    fi
}

# Checks that both functions fail with the expected SQLSTATE, that the message contains
# the expected text and that the whole error output contains no 64-hex-digit run.
expect_error() {
    local name=$1 sqlstate=$2 message_part=$3
    local statement outcome state message full
    for statement in "SELECT uhc_reporting.key_version()" \
                     "SELECT uhc_reporting.pseudonym('UHC', '2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b'::uuid)"; do
        outcome=$(outcome_of "$statement")
        state=${outcome%%|*}
        message=${outcome#*|}
        full=$(run_sql -c "\set VERBOSITY verbose" -c "$statement" 2>&1)
        if [ "$state" != "$sqlstate" ]; then
            record fail "$name" "expected SQLSTATE $sqlstate from \"$statement\", got \"$outcome\""
            return
        fi
        if [[ "$message" != *"$message_part"* ]]; then
            record fail "$name" "message \"$message\" does not contain \"$message_part\""
            return
        fi
        if grep -Eiq '[0-9a-f]{64}|a5a5a5a5|1f1e1d1c' <<<"$full"; then
            record fail "$name" "the error output contains key material"
            return
        fi
        if ! grep -q 'uhc_reporting.key_file' <<<"$full"; then
            record fail "$name" "the error output has no hint naming uhc_reporting.key_file"
            return
        fi
    done
    record pass "$name" ""
}

expect_version() {
    local name=$1 version=$2
    local outcome
    outcome=$(outcome_of "SELECT uhc_reporting.key_version()")
    if [ "$outcome" = "ok|$version" ]; then
        record pass "$name" ""
    else
        record fail "$name" "expected key version $version, got \"$outcome\""
    fi
}

# A good file first, so that the failures below are caused by the file alone.
write_key_file "1 $good_key"$'\n'; reload
expect_version "valid key file" 1

write_key_file "1 $good_key"$'\n'"2 $other_key"$'\n'; reload
expect_version "highest version is active" 2

mv "$key_file" "$key_file.moved"; reload
expect_error "missing file" 58P01 "could not open pseudonym key file"
mv "$key_file.moved" "$key_file"

write_key_file "1 $good_key"$'\n'; chmod 644 "$key_file"; reload
expect_error "mode 0644" F0000 "group or other permissions"

write_key_file "1 $good_key"$'\n'; chmod 640 "$key_file"; reload
expect_error "mode 0640" F0000 "group or other permissions"

if [ "$(id -u)" -eq 0 ] && [ "$server_user" != root ]; then
    # Readable by the server, so that the owner check is what fails.
    write_key_file "1 $good_key"$'\n'; chown root "$key_file"; chmod 644 "$key_file"; reload
    expect_error "owned by root" F0000 "must be owned by the database server's OS user"
    chmod 600 "$key_file"; reload
    expect_error "unreadable" 42501 "could not open pseudonym key file: Permission denied"
    chown "$server_user" "$key_file"
else
    echo "skip  owned by root, unreadable (both need root)"
fi

write_key_file "# keys"$'\n'"1 $good_key"$'\n'"this is not a key"$'\n'; reload
expect_error "malformed line" F0000 "line 3"

write_key_file "1 ${good_key:0:62}"$'\n'; reload
expect_error "short key" F0000 "invalid key length in line 1"

write_key_file "1 $good_key"$'\n'"1 $other_key"$'\n'; reload
expect_error "duplicate version" F0000 "duplicate key version in line 2"

write_key_file "# no keys here"$'\n'; reload
expect_error "no keys" F0000 "contains no keys"

# A session that loaded version 1 gets version 2 after the file changes in place and the
# configuration is reloaded, because every reload empties the backend's key cache.
write_key_file "1 $good_key"$'\n'; reload
rotate_command="printf '1 $good_key\\n2 $other_key\\n' > '$key_file'"
if [ "$(id -u)" -eq 0 ] && [ "$server_user" != root ]; then
    rotate_command+=" && cd / && runuser -u '$server_user' -- '$pg_bin/pg_ctl' -D '$data_dir' reload"
else
    rotate_command+=" && '$pg_bin/pg_ctl' -D '$data_dir' reload"
fi
versions=$(run_sql -c "SELECT uhc_reporting.key_version()" \
                  -c "\\! $rotate_command >/dev/null && sleep 1" \
                  -c "SELECT pg_sleep(0.1)" \
                  -c "SELECT uhc_reporting.key_version()" 2>&1 | grep -Ev '^$' | tr '\n' ' ')
if [ "$versions" = "1 2 " ]; then
    record pass "open session re-reads after reload" ""
else
    record fail "open session re-reads after reload" "expected versions \"1 2 \", got \"$versions\""
fi

# Back to a good file: the next session works again without a restart.
write_key_file "1 $good_key"$'\n'; reload
expect_version "recovers after the file is fixed" 1

# The clusters of tools/lib/cluster.sh log to server.log next to the data directory.
server_log="$(dirname "$data_dir")/server.log"
if [ -f "$server_log" ]; then
    if grep -Eq "$good_key|$other_key" "$server_log"; then
        record fail "server log" "the server log contains a key written by these cases"
    else
        record pass "server log has no key" ""
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
