# Throwaway PostgreSQL 15 clusters for the demo and the tests. Source this file.
#
# A cluster lives in one temporary folder: its data directory, its Unix socket, its log
# and its pseudonym key file. It listens on no TCP address. The server runs as a non-root
# OS user because initdb refuses root: as root that is Debian's "postgres" user, else the
# current user. Clients (psql, pg_regress, Python) may run as any user over the socket.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Prints the OS user that runs the server.
uhc_server_user() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# Runs a command as the server's OS user. It starts in / because that user may not be
# allowed into the current folder, for example a clone under a mode 0700 temporary folder.
uhc_as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Prints a port number that no cluster here uses, neither on TCP nor as a socket file in
# a folder under /tmp, where these clusters keep their sockets.
uhc_free_port() {
    local port
    for port in $(seq 55400 55499); do
        if ! compgen -G "/tmp/.s.PGSQL.$port" >/dev/null \
            && ! compgen -G "/tmp/*/.s.PGSQL.$port" >/dev/null \
            && ! ss -ltn 2>/dev/null | grep -q ":$port "; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port between 55400 and 55499" >&2
    return 1
}

# Writes a key file for the server: one line "<version> <64 hex>", mode 0600, owned by
# the server's OS user. The key comes from $2 when given (tests use a fixed test key),
# otherwise from openssl rand (a development key).
uhc_write_key_file() {
    local path=$1 line=${2:-}
    if [ -z "$line" ]; then
        line="1 $(openssl rand -hex 32)"
    fi
    (umask 077; printf '# uhc_reporting pseudonym key file: <version> <64 hex characters>\n%s\n' "$line" > "$path")
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$path"; fi
    chmod 600 "$path"
}

# Creates and starts a cluster in folder $1 on port $2, with the key line $3 (optional).
# Exports PGHOST, PGPORT and PGUSER for the clients that follow.
uhc_cluster_start() {
    local dir=$1 port=$2 key_line=${3:-}
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    chmod 700 "$dir"

    uhc_as_server_user "$PG_BIN/initdb" -D "$dir/data" -E UTF8 --locale=C.UTF-8 \
        -A trust -U postgres >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    uhc_write_key_file "$dir/pseudonym.keys" "$key_line"

    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
uhc_reporting.key_file = '$dir/pseudonym.keys'
fsync = off
log_line_prefix = '%m [%p] %u@%d '
CONF
    uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }

    export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

# Stops the cluster in folder $1 if it is running.
uhc_cluster_stop() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        uhc_as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
