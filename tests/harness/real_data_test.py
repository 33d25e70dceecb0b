#!/usr/bin/python3
"""Load each real Synthea dataset and check the client views against the CSV files.

For every dataset folder under the given path, this test loads the folder with
tools/uhc-load into a new database of the running cluster (PGHOST, PGPORT, PGUSER),
registers two clients with one login role each, and then compares what each login
reads through the client views with facts computed here from the CSV files with
Python's csv module: never with SQL over the loaded tables. It also checks that a
client login can read no column outside the client views' schema and no column whose
name marks a direct identifier.

Prints "N passed, N failed" and exits non-zero on any failure.
"""
import csv
import decimal
import os
import subprocess
import sys
from collections import defaultdict

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS = [("UHC", "UnitedHealthcare", "rd_login_1"), ("AETNA", "Aetna", "rd_login_2")]
CSV_FILES = ["patients", "encounters", "procedures", "payers", "organizations", "payer_transitions"]

# Column names that would mean a direct identifier reached a client.
PII_COLUMNS = {"id", "patient", "encounter", "ssn", "drivers", "passport", "first", "middle", "last",
               "maiden", "prefix", "suffix", "address", "birthdate", "deathdate", "birthplace", "lat",
               "lon", "zip", "fips", "county", "city", "memberid", "owner_name", "phone"}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def equal(self, label, actual, expected):
        if actual == expected:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}: got {actual!r}, expected {expected!r}")

    def true(self, label, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label} {detail}")


def read_csv(folder, name):
    with open(os.path.join(folder, name + ".csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expected_facts(folder):
    """Computes row counts and per-client figures from the CSV files alone."""
    tables = {name: read_csv(folder, name) for name in CSV_FILES}
    payer_id_by_name = {row["NAME"]: row["Id"] for row in tables["payers"]}
    encounter_payer = {row["Id"]: row["PAYER"] for row in tables["encounters"]}
    uninsured_id = payer_id_by_name["NO_INSURANCE"]

    facts = {"rows": {name: len(rows) for name, rows in tables.items()},
             "uninsured_encounters": sum(1 for e in tables["encounters"] if e["PAYER"] == uninsured_id),
             "clients": {}}
    for code, payer_name, _ in CLIENTS:
        payer_id = payer_id_by_name[payer_name]
        own_encounters = [e for e in tables["encounters"] if e["PAYER"] == payer_id]
        own_procedures = [p for p in tables["procedures"] if encounter_payer[p["ENCOUNTER"]] == payer_id]
        members = {e["PATIENT"] for e in own_encounters}
        members |= {t["PATIENT"] for t in tables["payer_transitions"] if t["PAYER"] == payer_id}
        outside = defaultdict(int)
        for p in tables["procedures"]:
            paid_by = encounter_payer[p["ENCOUNTER"]]
            if p["PATIENT"] in members and paid_by != payer_id:
                outside["uninsured" if paid_by == uninsured_id else "other payer"] += 1
        facts["clients"][code] = {
            "encounters": len(own_encounters),
            "procedures": len(own_procedures),
            "base_cost": sum((decimal.Decimal(p["BASE_COST"]) for p in own_procedures), decimal.Decimal(0)),
            "patients": len({e["PATIENT"] for e in own_encounters}),
            "uninsured": outside["uninsured"],
            "other_payer": outside["other payer"],
        }
    return facts


def connect(dbname, user="postgres"):
    conn = psycopg2.connect(dbname=dbname, user=user)
    conn.autocommit = True
    return conn


def fetch_one(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def check_dataset(checks, folder, index):
    name = os.path.basename(folder.rstrip("/"))
    dbname = f"uhc_real_{index}"
    print(f"-- {name} (database {dbname})")
    facts = expected_facts(folder)

    admin = connect("postgres")
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        cur.execute(f'CREATE DATABASE "{dbname}"')
    admin.close()

    db = connect(dbname)
    with db.cursor() as cur:
        cur.execute("CREATE EXTENSION uhc_reporting")
    subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tools", "uhc-load"),
                    "--dataset", name, "--dbname", dbname, folder], check=True)

    with db.cursor() as cur:
        for code, payer_name, login in CLIENTS:
            cur.execute("SELECT uhc_reporting.create_client(%s, %s, ARRAY[%s])", (code, payer_name, payer_name))
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE ROLE "{login}" LOGIN')
            cur.execute("SELECT uhc_reporting.grant_client_access(%s, %s)", (code, login))
        # The expected member counts below are unsuppressed, so small-cell suppression is
        # turned off (a threshold of 1 suppresses nothing); its own tests cover it.
        cur.execute("UPDATE uhc_reporting.settings SET value = '1' WHERE name = 'small_cell_threshold'")
        cur.execute("SELECT uhc_reporting.refresh()")

    for table, expected in facts["rows"].items():
        actual = fetch_one(db, f"SELECT count(*) FROM uhc_reporting.{table} t "
                               "JOIN uhc_reporting.datasets d USING (dataset_id) WHERE d.dataset_name = %s",
                           (name,))[0]
        checks.equal(f"{name}: rows in {table}", actual, expected)
    checks.equal(f"{name}: uninsured encounters",
                 fetch_one(db, "SELECT count(*) FROM uhc_reporting.stg_encounters WHERE payer_name = 'NO_INSURANCE'")[0],
                 facts["uninsured_encounters"])

    for code, payer_name, login in CLIENTS:
        expected = facts["clients"][code]
        client = connect(dbname, user=login)
        tiles = fetch_one(client, "SELECT total_encounters, total_procedures, total_procedure_base_cost, "
                                  "patients, member_uninsured_procedures, member_other_payer_procedures "
                                  "FROM uhc_reporting_client.kpi_tiles")
        label = f"{name}: {code}"
        checks.equal(f"{label} own encounters", tiles[0], expected["encounters"])
        checks.equal(f"{label} own procedures", tiles[1], expected["procedures"])
        checks.equal(f"{label} own base cost", tiles[2], expected["base_cost"])
        checks.equal(f"{label} own patients", tiles[3], expected["patients"])
        checks.equal(f"{label} members' uninsured procedures", tiles[4], expected["uninsured"])
        checks.equal(f"{label} members' other-payer procedures", tiles[5], expected["other_payer"])

        export = fetch_one(client, "SELECT count(*), array_agg(DISTINCT payer_name) "
                                   "FROM uhc_reporting_client.procedure_export")
        checks.equal(f"{label} export rows", export[0], expected["procedures"])
        checks.true(f"{label} export holds only its payer", export[0] == 0 or export[1] == [payer_name],
                    f"payers {export[1]!r}")
        group_total = fetch_one(client, "SELECT coalesce(sum(procedures), 0) "
                                        "FROM uhc_reporting_client.procedure_group_volume")[0]
        checks.equal(f"{label} bar chart total", group_total, expected["procedures"])

        readable = []
        with client.cursor() as cur:
            cur.execute("""
                SELECT n.nspname, c.relname, a.attname
                  FROM pg_class c
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                   AND n.nspname NOT LIKE 'pg_toast%%'
                   AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                   AND has_schema_privilege(n.oid, 'USAGE')
                   AND has_column_privilege(c.oid, a.attnum, 'SELECT')""")
            readable = cur.fetchall()
        checks.true(f"{label} reads the client views", any(r[0] == "uhc_reporting_client" for r in readable))
        outside = [r for r in readable if r[0] != "uhc_reporting_client"]
        checks.equal(f"{label} readable columns outside the client views", outside, [])
        checks.equal(f"{label} readable PII columns", [r for r in readable if r[2] in PII_COLUMNS], [])
        try:
            fetch_one(client, "SELECT count(*) FROM uhc_reporting.patients")
            checks.true(f"{label} source tables refused", False)
        except psycopg2.errors.InsufficientPrivilege:
            checks.true(f"{label} source tables refused", True)
        client.close()
    db.close()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: real_data_test.py SYNTHEA_FOLDER_OF_DATASETS")
    root = sys.argv[1]
    folders = sorted(os.path.join(root, d) for d in os.listdir(root)
                     if os.path.isfile(os.path.join(root, d, "procedures.csv")))
    if not folders:
        sys.exit(f"no Synthea datasets (folders with procedures.csv) under {root}")
    checks = Checks()
    for index, folder in enumerate(folders, start=1):
        check_dataset(checks, folder, index)
    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
