#!/usr/bin/env bash
# Installs the Debian 12 packages that building, the demo and the tests need. Runs
# apt-get only when a package is missing, and only as root; otherwise it lists what is
# missing and fails.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libssl-dev libgtest-dev googletest libbenchmark-dev
    postgresql-15 postgresql-server-dev-15 postgresql-client-15 postgresql-15-pgaudit
    python3 python3-psycopg2 libipc-run-perl
    clang-14 libclang-rt-14-dev
    openssl gawk
    default-jdk-headless libpostgresql-jdbc-java odbc-postgresql unixodbc python3-pyodbc
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "Install them as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
apt-get update -qq
# The postgresql-15 package would start a default cluster on port 5432; the demo and the
# tests start their own clusters instead, so service starts are not needed here.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
