#!/usr/bin/python3
"""Check the dashboard summaries, the client view types and comments, and the export.

Runs against a database filled by dashboard_fixture.py. Expected figures are computed
here with plain GROUP BY queries over the materialized client rows (as a superuser, with
an explicit client_id filter), the definitions the views had in 0.1.0, never through the
summary tables. Prints "N passed, N failed" and exits non-zero on any failure.
"""
import csv
import io
import os
import subprocess
import sys

import psycopg2

DBNAME = sys.argv[1]
WORK = sys.argv[2]
LOGINS = {"UHC": "dash_login_uhc", "AETNA": "dash_login_aetna"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_ORDER = "procedure_description, procedure_date DESC, patient_pseudonym"

# Live definitions of 0.1.0, over one client's rows: the independent expectation.
EXPECTED_QUERIES = {
    "procedure_volume": """
        SELECT r.procedure_code, r.procedure_description, r.procedure_group, count(*)::bigint,
               count(DISTINCT r.encounter)::bigint, coalesce(sum(r.base_cost), 0)::numeric(16,2)
          FROM uhc_reporting.client_procedure_rows r WHERE r.client_id = %(client)s
         GROUP BY 1, 2, 3""",
    "procedure_group_volume": """
        SELECT r.procedure_group, count(DISTINCT r.encounter)::bigint, count(*)::bigint,
               count(DISTINCT r.patient_pseudonym)::bigint, coalesce(sum(r.base_cost), 0)::numeric(16,2)
          FROM uhc_reporting.client_procedure_rows r WHERE r.client_id = %(client)s
         GROUP BY 1""",
    "monthly_volume": """
        WITH e AS (SELECT encounter_month AS month, count(*) AS encounters,
                          count(DISTINCT patient_pseudonym) AS patients
                     FROM uhc_reporting.client_encounter_rows WHERE client_id = %(client)s GROUP BY 1),
             p AS (SELECT procedure_month AS month, count(*) AS procedures, sum(base_cost) AS cost
                     FROM uhc_reporting.client_procedure_rows WHERE client_id = %(client)s GROUP BY 1)
        SELECT coalesce(e.month, p.month), coalesce(e.encounters, 0)::bigint, coalesce(e.patients, 0)::bigint,
               coalesce(p.procedures, 0)::bigint, coalesce(p.cost, 0)::numeric(16,2)
          FROM e FULL JOIN p ON p.month = e.month""",
    "monthly_group_volume": """
        SELECT procedure_month, procedure_group, count(DISTINCT encounter)::bigint, count(*)::bigint,
               coalesce(sum(base_cost), 0)::numeric(16,2)
          FROM uhc_reporting.client_procedure_rows WHERE client_id = %(client)s GROUP BY 1, 2""",
    "high_volume_patients": """
        SELECT patient_pseudonym, count(*)::bigint, min(encounter_date), max(encounter_date)
          FROM uhc_reporting.client_encounter_rows WHERE client_id = %(client)s GROUP BY 1
        HAVING count(*) >= 4""",
    "kpi_tiles": """
        SELECT (SELECT count(*) FROM uhc_reporting.client_encounter_rows WHERE client_id = %(client)s),
               (SELECT count(*) FROM uhc_reporting.client_procedure_rows WHERE client_id = %(client)s),
               (SELECT count(DISTINCT patient_pseudonym) FROM uhc_reporting.client_encounter_rows
                 WHERE client_id = %(client)s),
               (SELECT coalesce(sum(base_cost), 0)::numeric(16,2) FROM uhc_reporting.client_procedure_rows
                 WHERE client_id = %(client)s),
               (SELECT count(*) FROM (SELECT 1 FROM uhc_reporting.client_encounter_rows
                 WHERE client_id = %(client)s GROUP BY patient_pseudonym HAVING count(*) >= 4) h),
               -1, -1""",
}
ALLOWED_TYPES = {"date", "bigint", "text", "boolean"}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def equal(self, label, actual, expected):
        if actual == expected:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}\n  actual:   {str(actual)[:400]}\n  expected: {str(expected)[:400]}")


def rows(cur, query, params=None):
    cur.execute(query, params)
    return sorted(cur.fetchall(), key=repr)


def as_role(conn, role):
    cur = conn.cursor()
    cur.execute("RESET ROLE")
    if role:
        cur.execute("SET ROLE %s" % role)
    return cur


def check_views_match_rows(checks, conn, clients, label):
    for code, client_id in clients.items():
        for view, query in EXPECTED_QUERIES.items():
            cur = as_role(conn, None)
            expected = rows(cur, query, {"client": client_id})
            cur = as_role(conn, LOGINS[code])
            actual = rows(cur, f"SELECT * FROM uhc_reporting_client.{view}")
            if view == "kpi_tiles":
                actual = [r[:5] + (-1, -1) for r in actual]
            checks.equal(f"{label} {code} {view}", actual, expected)
        # The last 12 months: the latest month with an own encounter and 11 before it.
        cur = as_role(conn, None)
        cur.execute("SELECT max(encounter_month) FROM uhc_reporting.client_encounter_rows "
                    "WHERE client_id = %s", (client_id,))
        latest = cur.fetchone()[0]
        expected_months = rows(cur, "SELECT (%s::date - make_interval(months => n))::date "
                                    "FROM generate_series(0, 11) n", (latest,))
        cur = as_role(conn, LOGINS[code])
        checks.equal(f"{label} {code} monthly_volume_last_12 months",
                     rows(cur, "SELECT month FROM uhc_reporting_client.monthly_volume_last_12"),
                     expected_months)
        last_12 = dict((r[0], r[1:]) for r in rows(cur, "SELECT * FROM uhc_reporting_client.monthly_volume_last_12"))
        monthly = dict((r[0], r[1:]) for r in rows(cur, "SELECT * FROM uhc_reporting_client.monthly_volume"))
        checks.equal(f"{label} {code} monthly_volume_last_12 figures", last_12,
                     {m: monthly.get(m, (0, 0, 0, 0)) for m in last_12})
        # The member_* tiles are sums over the outside_care_monthly cells the client sees.
        outside = rows(cur, "SELECT coverage, procedures FROM uhc_reporting_client.outside_care_monthly")
        kpi = rows(cur, "SELECT member_uninsured_procedures, member_other_payer_procedures "
                        "FROM uhc_reporting_client.kpi_tiles")
        checks.equal(f"{label} {code} kpi member tiles", kpi,
                     [(sum(p or 0 for c, p in outside if c == "uninsured"),
                       sum(p or 0 for c, p in outside if c == "other payer"))])


def summary_snapshot(conn):
    cur = as_role(conn, None)
    return {table: rows(cur, f"SELECT * FROM uhc_reporting.{table}")
            for table in ("client_code_summary", "client_group_summary", "client_month_group_summary",
                          "client_month_summary", "client_patient_summary", "client_outside_summary")}


def check_catalog(checks, conn, clients):
    cur = as_role(conn, None)
    # Summary tables carry the same forced row-level security as client_procedure_rows.
    reference = rows(cur, "SELECT policyname, roles::text, cmd, qual, with_check FROM pg_policies "
                          "WHERE schemaname = 'uhc_reporting' AND tablename = 'client_procedure_rows'")
    for table in ("client_code_summary", "client_group_summary", "client_month_group_summary",
                  "client_month_summary", "client_patient_summary"):
        checks.equal(f"{table} policies", rows(cur, "SELECT policyname, roles::text, cmd, qual, with_check "
                                                    "FROM pg_policies WHERE schemaname = 'uhc_reporting' "
                                                    "AND tablename = %s", (table,)), reference)
        cur.execute("SELECT relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE oid = ('uhc_reporting.' || %s)::regclass", (table,))
        checks.equal(f"{table} forced RLS and owner", cur.fetchone(), (True, True, "uhc_reporting_owner"))
        login = as_role(conn, LOGINS["UHC"])
        try:
            login.execute(f"SELECT count(*) FROM uhc_reporting.{table}")
            checks.equal(f"{table} read by client", "succeeded", "42501")
        except psycopg2.Error as error:
            checks.equal(f"{table} read by client", error.pgcode, "42501")
        conn.rollback()
        # The view owner itself belongs to no client, so the policies show it nothing,
        # while internal analysts see every client.
        cur = as_role(conn, "uhc_reporting_owner")
        checks.equal(f"{table} rows seen by the owner role", rows(cur, f"SELECT * FROM uhc_reporting.{table}"), [])
        cur = as_role(conn, "uhc_reporting_internal")
        checks.equal(f"{table} clients seen by internal",
                     rows(cur, f"SELECT DISTINCT client_id FROM uhc_reporting.{table}"),
                     sorted((c,) for c in clients.values()))
        cur = as_role(conn, None)

    # Every client view column has an explicit type that Tableau maps to one field type,
    # and a comment that the drivers return as a remark.
    columns = rows(cur, """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
               col_description(c.oid, a.attnum) IS NOT NULL, obj_description(c.oid, 'pg_class') IS NOT NULL
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'uhc_reporting_client'::regnamespace AND c.relkind = 'v'""")
    bad_types = [(v, col, t) for v, col, t, _, _ in columns
                 if t not in ALLOWED_TYPES and not (t.startswith("numeric(") and "," in t)]
    checks.equal("client view columns with unmapped types", bad_types, [])
    checks.equal("client view columns without comment", [(v, c) for v, c, _, has, _ in columns if not has], [])
    checks.equal("client views without comment", sorted({v for v, _, _, _, has in columns if not has}), [])


def check_time_zones(checks, conn):
    cur = as_role(conn, LOGINS["UHC"])
    views = [r[0] for r in rows(cur, "SELECT table_name FROM information_schema.views "
                                     "WHERE table_schema = 'uhc_reporting_client'")]
    results = {}
    for zone in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        cur.execute("SET TIME ZONE %s", (zone,))
        results[zone] = {v: rows(cur, f"SELECT * FROM uhc_reporting_client.{v}") for v in views}
    cur.execute("RESET TIME ZONE")
    for zone in ("Pacific/Kiritimati", "America/Los_Angeles"):
        for view in views:
            checks.equal(f"{view} in {zone} equals UTC", results[zone][view], results["UTC"][view])
    # A hostile-dataset procedure started 23:30 UTC on 2023-01-31: its date stays UTC.
    checks.equal("UTC date of a late-evening procedure",
                 rows(cur, "SELECT procedure_date::text, procedure_month::text FROM "
                           "uhc_reporting_client.procedure_export WHERE procedure_code = '=0'"),
                 [("2023-01-31", "2023-01-01")])


def neutralized(value):
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def check_export(checks, conn):
    env = dict(os.environ, PGUSER=LOGINS["UHC"], PGCLIENTENCODING="UTF8")
    out_csv = os.path.join(WORK, "export_csv.csv")
    out_exact = os.path.join(WORK, "export_exact.csv")
    for view, path in (("procedure_export_csv", out_csv), ("procedure_export", out_exact)):
        # The documented one-line command of docs/tableau.md.
        command = (f"\\copy (SELECT * FROM uhc_reporting_client.{view} ORDER BY {EXPORT_ORDER}) "
                   f"TO '{path}' WITH (FORMAT csv, HEADER, ENCODING 'UTF8')")
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DBNAME, "-c", command],
                       env=env, check=True)
    raw = open(out_csv, "rb").read()
    raw.decode("utf-8")
    checks.equal("export is UTF-8 with non-ASCII text", "Zürich – 東京 procedure".encode() in raw, True)
    checks.equal("export quotes a comma, quote and line break (RFC 4180)",
                 b'"Comma, ""quoted"" and\nline break"' in raw, True)
    exact = list(csv.reader(io.StringIO(open(out_exact, encoding="utf-8", newline="").read())))
    # Records end with LF alone: the only CR bytes are the ones inside hostile values.
    checks.equal("export CR bytes only inside values", raw.count(b"\r"),
                 sum(value.count("\r") for row in exact for value in row))
    safe = list(csv.reader(io.StringIO(open(out_csv, encoding="utf-8", newline="").read())))
    header = exact[0]
    checks.equal("export header", header, ["procedure_group", "procedure_code", "procedure_description",
                                           "base_cost", "procedure_date", "procedure_month",
                                           "organization_name", "payer_name", "patient_pseudonym"])
    cur = as_role(conn, None)
    cur.execute("SELECT count(*) FROM uhc_reporting.client_procedure_rows r JOIN uhc_reporting.clients c "
                "USING (client_id) WHERE c.client_code = 'UHC'")
    checks.equal("export row count", len(exact) - 1, cur.fetchone()[0])
    checks.equal("export_csv row count", len(safe), len(exact))

    # Order: description, date descending, pseudonym (C collation: code point order).
    body = exact[1:]
    expected_order = sorted(body, key=lambda r: r[8])
    expected_order.sort(key=lambda r: r[4], reverse=True)
    expected_order.sort(key=lambda r: r[2])
    checks.equal("export order", [r[2] + r[4] + r[8] for r in body],
                 [r[2] + r[4] + r[8] for r in expected_order])

    # Same rows, each text cell neutralized exactly when it starts like a formula.
    text_columns = [0, 1, 2, 6, 7, 8]
    mismatches = []
    prefixed = 0
    exact_by_key = sorted(body, key=lambda r: (r[8], r[4], r[3], r[1].lstrip("'")))
    safe_by_key = sorted(safe[1:], key=lambda r: (r[8], r[4], r[3], r[1].lstrip("'")))
    for exact_row, safe_row in zip(exact_by_key, safe_by_key):
        expected_row = [neutralized(v) if i in text_columns else v for i, v in enumerate(exact_row)]
        if expected_row != safe_row:
            mismatches.append((exact_row, safe_row))
        prefixed += sum(1 for i in text_columns if safe_row[i] != exact_row[i])
    checks.equal("export_csv neutralizes formula cells", mismatches, [])
    # Hostile dataset: 6 descriptions, 6 organization names and the code "=0".
    checks.equal("export_csv prefixed cells", prefixed, 13)
    checks.equal("export keeps hostile values exact",
                 sorted(r[2] for r in body if r[1].startswith("100") or r[1] == "=0")[:2],
                 ["\tTab-led procedure", "\rCarriage-return-led procedure"])

    # Plain COPY TO STDOUT works for the client role too.
    cur = as_role(conn, LOGINS["UHC"])
    buffer = io.StringIO()
    cur.copy_expert(f"COPY (SELECT * FROM uhc_reporting_client.procedure_export ORDER BY {EXPORT_ORDER}) "
                    "TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
    checks.equal("COPY TO STDOUT as client equals \\copy file", buffer.getvalue(),
                 open(out_exact, encoding="utf-8", newline="").read())
    cur.execute("RESET ROLE")


def main():
    checks = Checks()
    conn = psycopg2.connect(dbname=DBNAME)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT client_code, client_id FROM uhc_reporting.clients")
    clients = dict(cur.fetchall())
    for code, login in LOGINS.items():
        cur.execute(f"DROP ROLE IF EXISTS {login}")
        cur.execute(f"CREATE ROLE {login} LOGIN")
        cur.execute("SELECT uhc_reporting.grant_client_access(%s, %s)", (code, login))

    # The fixture refreshed "second" on its own after a full refresh of the rest.
    check_views_match_rows(checks, conn, clients, "incremental")
    incremental = summary_snapshot(conn)
    cur = as_role(conn, None)
    cur.execute("SELECT uhc_reporting.refresh()")
    checks.equal("summaries after incremental refresh equal a full refresh",
                 incremental, summary_snapshot(conn))
    check_views_match_rows(checks, conn, clients, "full")

    # Deleting a dataset and refreshing it removes exactly its summary rows.
    cur = as_role(conn, None)
    cur.execute("SELECT dataset_id FROM uhc_reporting.datasets WHERE dataset_name = 'second'")
    second = cur.fetchone()[0]
    cur.execute("BEGIN")
    cur.execute("DELETE FROM uhc_reporting.datasets WHERE dataset_id = %s", (second,))
    cur.execute("SELECT uhc_reporting.refresh(%s)", (second,))
    after_delete = summary_snapshot(conn)
    cur.execute("ROLLBACK")
    leftover = {t: [r for r in v if second in r[:2]] for t, v in after_delete.items()}
    checks.equal("deleted dataset leaves no summary rows", leftover, {t: [] for t in after_delete})

    check_catalog(checks, conn, clients)
    check_time_zones(checks, conn)
    check_export(checks, conn)

    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
