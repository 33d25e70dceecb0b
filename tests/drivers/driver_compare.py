#!/usr/bin/python3
"""Run the Tableau dashboard queries through psqlODBC and psql and compare every client.

Usage: driver_compare.py QUERIES HOST PORT DBNAME LOGIN CLIENT_CODE JDBC_OUTPUT...

The login's password comes from PGPASSWORD. psqlODBC runs with UseDeclareFetch=1 and
Fetch=2048, so every query becomes a DECLARE ... CURSOR WITH HOLD read in blocks of 2048
rows, as older Tableau versions do. psql is the reference. Each JDBC output (from
TableauProbe.java) must pass its own checks and give the same results as psql. The JDBC
outputs must also agree with each other on everything, metadata included, whatever the
JVM time zone. The superuser connection (PGUSER over the Unix socket in PGHOST_SOCKET)
counts the client's own rows. Prints "N passed, N failed".
"""
import difflib
import glob
import hashlib
import os
import subprocess
import sys

import psycopg2
import pyodbc

QUERIES, HOST, PORT, DBNAME, LOGIN, CLIENT_CODE = sys.argv[1:7]
JDBC_OUTPUTS = sys.argv[7:]
PASSWORD = os.environ["PGPASSWORD"]


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def equal(self, label, actual, expected):
        if actual == expected:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}")
            if isinstance(actual, list) and isinstance(expected, list):
                for line in difflib.unified_diff(expected, actual, "expected", "actual", n=0, lineterm=""):
                    print("  " + line[:300])
            else:
                print(f"  actual:   {str(actual)[:600]}\n  expected: {str(expected)[:600]}")


def read_queries():
    queries = []
    for line in open(QUERIES, encoding="utf-8"):
        line = line.rstrip("\n")
        if line and not line.startswith("#"):
            label, sql = line.split("\t", 1)
            queries.append((label, sql))
    return queries


def result_lines(label, rows):
    """Format rows as TableauProbe.java does: R lines, or digests for the export."""
    if label != "export":
        return ["R\t%s\t%s" % (label, "|".join(row)) for row in rows]
    keys = hashlib.sha256()
    for row in rows:
        keys.update(("%s|%s|%s\n" % (row[2], row[4], row[8])).encode("utf-8"))
    content = hashlib.sha256()
    for joined in sorted("|".join(row) for row in rows):
        content.update((joined + "\n").encode("utf-8"))
    return ["R\texport\trows=%d keys=%s content=%s" % (len(rows), keys.hexdigest(), content.hexdigest())]


def odbc_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def run_psql(queries):
    lines = []
    env = dict(os.environ, PGSSLMODE="require")
    for label, sql in queries:
        output = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-v", "ON_ERROR_STOP=1",
             "-h", HOST, "-p", PORT, "-U", LOGIN, "-d", DBNAME, "-c", sql],
            env=env, check=True, capture_output=True).stdout.decode("utf-8")
        records = [r for r in output.rstrip("\n").split("\x1e") if r != ""]
        lines += result_lines(label, [r.split("\x1f") for r in records])
    return lines


def run_odbc(queries):
    driver = (glob.glob("/usr/lib/*/odbc/psqlodbcw.so") + glob.glob("/usr/lib/odbc/psqlodbcw.so"))[0]
    conn = pyodbc.connect(
        f"Driver={driver};Server={HOST};Port={PORT};Database={DBNAME};Uid={LOGIN};Pwd={PASSWORD};"
        "SSLmode=require;UseDeclareFetch=1;Fetch=2048", autocommit=True)
    lines = []
    cursor = conn.cursor()
    cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    ssl = cursor.fetchone()[0]
    for label, sql in queries:
        cursor.execute(sql)
        rows = [[odbc_text(v) for v in row] for row in cursor.fetchall()]
        lines += result_lines(label, rows)
    conn.close()
    return ssl, lines


def main():
    checks = Checks()
    queries = read_queries()
    query_labels = {label for label, _ in queries}
    reference = run_psql(queries)

    super_conn = psycopg2.connect(host=os.environ["PGHOST_SOCKET"], port=PORT, dbname=DBNAME)
    cur = super_conn.cursor()
    cur.execute("SELECT count(*) FROM uhc_reporting.client_procedure_rows r JOIN uhc_reporting.clients c "
                "USING (client_id) WHERE c.client_code = %s", (CLIENT_CODE,))
    own_rows = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM uhc_reporting.client_procedure_rows")
    all_rows = cur.fetchone()[0]
    export_line = [line for line in reference if line.startswith("R\texport\t")][0]
    checks.equal("psql export holds exactly the client's rows", export_line.split("\t")[2].split()[0],
                 f"rows={own_rows}")
    checks.equal("other clients have rows", all_rows > own_rows, True)

    ssl, odbc_lines = run_odbc(queries)
    # psqlODBC returns a boolean as the integer 1 or 0 by default (BoolsAsChar).
    checks.equal("psqlODBC connection uses TLS", ssl in (True, 1, "1"), True)
    checks.equal("psqlODBC (UseDeclareFetch) results equal psql", odbc_lines, reference)

    first_jdbc = None
    for path in JDBC_OUTPUTS:
        lines = open(path, encoding="utf-8").read().splitlines()
        name = os.path.basename(path)
        failed_checks = [line for line in lines if line.startswith("CHECK\t") and not line.endswith("\tok")]
        checks.equal(f"{name} checks", failed_checks, [])
        checks.equal(f"{name} ran checks", sum(1 for line in lines if line.startswith("CHECK\t")) > 10, True)
        results = [line for line in lines if line.startswith("R\t")]
        query_results = [line for line in results if line.split("\t")[1] in query_labels]
        checks.equal(f"{name} results equal psql", query_results, reference)
        if first_jdbc is None:
            first_jdbc = results
        else:
            checks.equal(f"{name} equals {os.path.basename(JDBC_OUTPUTS[0])}", results, first_jdbc)
        # The driver sets the session TimeZone from the JVM, which the file name carries.
        zones = [line.split("\t")[2] for line in lines if line.startswith("INFO\tsession_time_zone\t")]
        expected_zone = "Pacific/Kiritimati" if "Kiritimati" in name else "UTC"
        checks.equal(f"{name} session time zone", zones, [expected_zone])
        temp = [line.split("\t")[2] for line in lines if line.startswith("INFO\ttemp_table\t")]
        print(f"{name}: #Tableau_ temporary table {temp[0] if temp else 'not probed'}")

    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
