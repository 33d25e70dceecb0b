#!/usr/bin/python3
"""Attack the client security model as client login roles on a live server.

Usage: attack_suite.py DBNAME SAMPLE_DIR SERVER_LOG

DBNAME contains the extension and the generated sample of SAMPLE_DIR, with two clients
(UNH paid by UnitedHealthcare, AET paid by Aetna), uninsured and other-payer rows, as
tests/stages/50_attack_suite.sh sets it up. Every attempt runs as the login of each client and
asserts an exact SQLSTATE or an exact row set. Its positive control runs the same
statement as a role that holds the privilege (the internal analyst login, the admin
login, or the superuser where no extension role holds it) and must get more. The last
check greps SERVER_LOG for the patients' ids, SSNs and names, without printing them.

Prints one line per check and "N passed, N failed"; exits 1 if any check failed.
"""

import collections
import csv
import io
import json
import os
import re
import sys

import psycopg2
import psycopg2.errorcodes

INSUFFICIENT_PRIVILEGE = "42501"
INVALID_TEXT_REPRESENTATION = "22P02"

LOGINS = {"UNH": "atk_login_1", "AET": "atk_login_2"}
SECOND_LOGIN = {"UNH": "atk_login_1b", "AET": "atk_login_2b"}
PAYERS = {"UNH": "UnitedHealthcare", "AET": "Aetna"}
INTERNAL_LOGIN = "atk_internal"
ADMIN_LOGIN = "atk_admin"
SUPERUSER = os.environ.get("PGUSER", "postgres")

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
SSN_RE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
# Column names that would carry a direct identifier or a raw id.
PII_COLUMN_RE = re.compile(
    r"^(id|patient|patient_id|encounter|encounter_id|memberid|first|middle|last|prefix|suffix|"
    r"maiden|ssn|drivers|passport|address|city|zip|county|fips|lat|lon|phone|birthdate|"
    r"deathdate|birthplace|income)$|ssn|passport|birth|address|phone|drivers")

DBNAME, SAMPLE_DIR, SERVER_LOG = sys.argv[1:4]

results = collections.Counter()


def check(name, condition, detail=""):
    """Record one assertion and print its outcome."""
    results["passed" if condition else "failed"] += 1
    status = "ok  " if condition else "FAIL"
    print(f"{status} {name}" + (f": {detail}" if detail and not condition else ""))
    return condition


class NoticeList(list):
    """Notice list without a length limit, because psycopg2 trims a plain list to 50."""

    def append(self, item):
        list.append(self, item)


def connect(user):
    conn = psycopg2.connect(dbname=DBNAME, user=user)
    conn.autocommit = True
    conn.notices = NoticeList()
    return conn


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def sqlstate_of(conn, sql, params=None):
    """Runs sql and returns the SQLSTATE it fails with, or None when it succeeds."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            if cur.description:
                cur.fetchall()
        return None
    except psycopg2.Error as error:
        if not conn.autocommit:
            conn.rollback()
        return error.pgcode


def rolled_back_sqlstate(conn, sql):
    """Runs sql in a transaction that is always rolled back and returns its SQLSTATE."""
    conn.autocommit = False
    try:
        return sqlstate_of(conn, sql)
    finally:
        conn.rollback()
        conn.autocommit = True


def denied(name, conn, sql):
    state = sqlstate_of(conn, sql)
    return check(name, state == INSUFFICIENT_PRIVILEGE, f"SQLSTATE {state}")


def notice_texts(conn):
    texts = [n.split(":  ", 1)[1].rstrip("\n") for n in conn.notices if n.startswith("NOTICE:")]
    conn.notices.clear()
    return texts


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


# ----------------------------------------------------------------------------------
# Setup facts, computed as the superuser from the source tables, not from the client
# tables that the views read.

admin_db = connect(SUPERUSER)
client_ids = dict(rows(admin_db, "SELECT client_code, client_id FROM uhc_reporting.clients"))
client_views = [r[0] for r in rows(admin_db, """
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'uhc_reporting_client'::regnamespace AND c.relkind = 'v'
     ORDER BY 1""")]
extension_relations = [r[0] for r in rows(admin_db, """
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace = 'uhc_reporting'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm')
     ORDER BY 1""")]


def expected_export(payer):
    """Own procedures of the client paid by payer: (code, UTC date, base cost), sorted."""
    return sorted(rows(admin_db, """
        SELECT pr.code, (pr.start AT TIME ZONE 'UTC')::date, pr.base_cost
          FROM uhc_reporting.procedures pr
          JOIN uhc_reporting.encounters e ON e.dataset_id = pr.dataset_id AND e.id = pr.encounter
          JOIN uhc_reporting.payers py ON py.dataset_id = e.dataset_id AND py.id = e.payer
         WHERE lower(py.name) = lower(%s)""", (payer,)))


EXPECTED = {code: expected_export(payer) for code, payer in PAYERS.items()}
for code in PAYERS:
    assert EXPECTED[code], f"the sample has no procedures paid by {PAYERS[code]}"
ALL_PROCEDURES = rows(admin_db, "SELECT count(*) FROM uhc_reporting.procedures")[0][0]

admin_db.cursor().execute("SELECT uhc_reporting.key_version()")
KEY_FILE = rows(admin_db, "SELECT current_setting('uhc_reporting.key_file')")[0][0]

internal = connect(INTERNAL_LOGIN)
admin = connect(ADMIN_LOGIN)
EXPORT_SQL = ("SELECT procedure_code, procedure_date, base_cost "
              "FROM uhc_reporting_client.procedure_export")
# procedure_export shows the login's own client only, so internal analysts, the positive
# controls below, read the same columns from the table beneath it, which they may read.
INTERNAL_EXPORT = ("(SELECT procedure_group, procedure_code, procedure_description, base_cost, "
                   "procedure_date, procedure_month, organization_name, payer_name, patient_pseudonym "
                   "FROM uhc_reporting.client_procedure_rows)")
INTERNAL_EXPORT_SQL = f"SELECT procedure_code, procedure_date, base_cost FROM {INTERNAL_EXPORT} e"


def other(code):
    return "AET" if code == "UNH" else "UNH"


def own_export(conn):
    return sorted(rows(conn, EXPORT_SQL))


def run_client_attacks(code):
    conn = connect(LOGINS[code])
    tag = f"[{code}]"
    own = EXPECTED[code]
    print(f"--- attacks as the login of client {code}")

    check(f"{tag} baseline: procedure_export is exactly the own rows", own_export(conn) == own,
          f"{len(own_export(conn))} rows, expected {len(own)}")

    # 1. Source tables.
    for table in ("patients", "encounters", "procedures", "payers", "organizations",
                  "payer_transitions", "datasets"):
        denied(f"{tag} 01 select source table {table}", conn,
               f"SELECT * FROM uhc_reporting.{table} LIMIT 1")
    check(f"{tag} 01 control: internal reads patients",
          rows(internal, "SELECT count(*) FROM uhc_reporting.patients")[0][0] > 0)

    # 2. Staging views.
    for view in ("stg_encounters", "stg_procedures"):
        denied(f"{tag} 02 select staging view {view}", conn, f"SELECT * FROM uhc_reporting.{view} LIMIT 1")
    check(f"{tag} 02 control: internal reads stg_procedures",
          rows(internal, "SELECT count(*) FROM uhc_reporting.stg_procedures")[0][0] == ALL_PROCEDURES)

    # 3. Intermediate and materialized objects: every relation of schema uhc_reporting.
    readable = [r for r in extension_relations if sqlstate_of(conn, f"SELECT 1 FROM {r} LIMIT 0") is None]
    check(f"{tag} 03 no relation of schema uhc_reporting is readable ({len(extension_relations)} tried)",
          readable == [], f"readable: {readable}")
    check(f"{tag} 03 control: the superuser reads all of them",
          all(sqlstate_of(admin_db, f"SELECT 1 FROM {r} LIMIT 0") is None for r in extension_relations))

    # 4. Other schemas: what information_schema lists is the client views only.
    visible = sorted(r[0] for r in rows(conn, """
        SELECT table_schema || '.' || table_name FROM information_schema.tables
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"""))
    check(f"{tag} 04 information_schema lists only the client views",
          visible == sorted(f"uhc_reporting_client.{v}" for v in client_views), f"{visible}")
    check(f"{tag} 04 control: internal sees more tables", len(rows(internal, """
        SELECT 1 FROM information_schema.tables
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')""")) > len(visible))

    # 5. CREATE anywhere.
    denied(f"{tag} 05 create table in public", conn, "CREATE TABLE public.atk_probe (x int)")
    denied(f"{tag} 05 create table in uhc_reporting_client", conn,
           "CREATE TABLE uhc_reporting_client.atk_probe (x int)")
    denied(f"{tag} 05 create schema", conn, "CREATE SCHEMA atk_probe")
    denied(f"{tag} 05 create function in public", conn,
           "CREATE FUNCTION public.atk_probe() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    check(f"{tag} 05 control: the superuser may create in public",
          rolled_back_sqlstate(admin_db, "CREATE TABLE public.atk_probe (x int)") is None)

    # 6. Writes through the views. procedure_export_csv is a simple view over one table,
    # so PostgreSQL would write through it: only the missing privilege stops a client.
    # procedure_export is a UNION ALL, which no role can write through.
    for statement in ("INSERT INTO uhc_reporting_client.procedure_export_csv (base_cost) VALUES (1)",
                      "UPDATE uhc_reporting_client.procedure_export_csv SET base_cost = 0",
                      "DELETE FROM uhc_reporting_client.procedure_export_csv",
                      "TRUNCATE uhc_reporting.client_procedure_rows"):
        denied(f"{tag} 06 write: {statement.split()[0]}", conn, statement)
    check(f"{tag} 06 control: the superuser may delete through the view",
          rolled_back_sqlstate(admin_db, "DELETE FROM uhc_reporting_client.procedure_export_csv WHERE false") is None)
    check(f"{tag} 06 write through the export view fails",
          sqlstate_of(conn, "DELETE FROM uhc_reporting_client.procedure_export") in ("42501", "55000"))

    # 7. Ownership changes and drops.
    denied(f"{tag} 07 alter view owner", conn,
           f"ALTER VIEW uhc_reporting_client.procedure_export OWNER TO {LOGINS[code]}")
    denied(f"{tag} 07 drop view", conn, "DROP VIEW uhc_reporting_client.procedure_export")
    denied(f"{tag} 07 alter own role BYPASSRLS", conn, f"ALTER ROLE {LOGINS[code]} BYPASSRLS")

    # 8. COPY TO a server file and from a program.
    target = os.path.join(os.environ.get("UHC_WORK", "/tmp"), f"atk_copy_{code}.csv")
    denied(f"{tag} 08 copy to a server file", conn,
           f"COPY (SELECT * FROM uhc_reporting_client.procedure_export) TO '{target}'")
    denied(f"{tag} 08 copy from a program", conn, "COPY (SELECT 1) TO PROGRAM 'true'")
    check(f"{tag} 08 control: the superuser may copy to a server file",
          sqlstate_of(admin_db, f"COPY (SELECT 1) TO '{target}'") is None)

    # 9. COPY TO STDOUT returns exactly the own rows.
    buffer = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY ({EXPORT_SQL}) TO STDOUT WITH (FORMAT csv)", buffer)
    copied = sorted(tuple(r) for r in csv.reader(io.StringIO(buffer.getvalue())))
    expected_csv = sorted((c, d.isoformat(), str(b)) for c, d, b in own)
    check(f"{tag} 09 copy to stdout is exactly the own rows", copied == expected_csv,
          f"{len(copied)} rows, expected {len(expected_csv)}")
    buffer = io.StringIO()
    with internal.cursor() as cur:
        cur.copy_expert(f"COPY ({INTERNAL_EXPORT_SQL}) TO STDOUT", buffer)
    check(f"{tag} 09 control: internal copies more rows",
          buffer.getvalue().count("\n") > len(expected_csv))

    # 10. EXPLAIN ANALYZE: a scan of a client table reads either the own rows only (an
    # index condition on client_id) or the whole table (a sequential scan, whose total
    # pg_stat_user_tables shows every role), never a subset of other clients' rows.
    others_description = rows(admin_db, """
        SELECT r.procedure_description FROM uhc_reporting.client_procedure_rows r
         WHERE r.client_id = %s AND r.procedure_description NOT IN (
               SELECT o.procedure_description FROM uhc_reporting.client_procedure_rows o
                WHERE o.client_id = %s AND o.procedure_description IS NOT NULL)
         GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""", (client_ids[other(code)], client_ids[code]))
    description = others_description[0][0] if others_description else "no such description"
    table_counts = dict(rows(admin_db, """
        SELECT 'client_procedure_rows', count(*) FROM uhc_reporting.client_procedure_rows
        UNION ALL SELECT 'client_procedure_rows/own', count(*)
          FROM uhc_reporting.client_procedure_rows WHERE client_id = %s""", (client_ids[code],)))
    for settings in ("", "SET enable_seqscan = off;",
                     "SET enable_indexscan = off; SET enable_bitmapscan = off;"):
        for where in ("", " WHERE procedure_description = %(d)s"):
            with conn.cursor() as cur:
                if settings:
                    cur.execute(settings)
                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM uhc_reporting_client.procedure_export"
                            + where, {"d": description})
                plan = cur.fetchone()[0][0]["Plan"]
                cur.execute("RESET ALL")
            scans = [node for node in plan_nodes(plan) if node.get("Relation Name") == "client_procedure_rows"]
            problems = []
            for node in scans:
                # A scan behind a one-time filter that was false never ran and read nothing.
                if node.get("Actual Loops", 1) == 0:
                    continue
                read = (node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
                        + node.get("Rows Removed by Filter", 0))
                if node["Node Type"] == "Seq Scan":
                    if read != table_counts["client_procedure_rows"]:
                        problems.append(f"sequential scan read {read} rows")
                else:
                    conditions = [n.get("Index Cond", "") + n.get("Recheck Cond", "")
                                  for n in plan_nodes(node)]
                    if not any("client_id" in c for c in conditions):
                        problems.append(f"{node['Node Type']} without a client_id condition")
                    elif read > table_counts["client_procedure_rows/own"]:
                        problems.append(f"index scan read {read} rows")
            check(f"{tag} 10 explain analyze reads own rows by index or the whole table "
                  f"({settings or 'default plan'}{', filtered' if where else ''})",
                  scans and not problems, f"{problems}")
    check(f"{tag} 10 the other client's description returns no own rows",
          rows(conn, "SELECT count(*) FROM uhc_reporting_client.procedure_export "
                     "WHERE procedure_description = %s", (description,))[0][0] == 0)
    check(f"{tag} 10 control: internal finds rows with that description",
          description == "no such description" or rows(
              internal, f"SELECT count(*) FROM {INTERNAL_EXPORT} e "
                        "WHERE procedure_description = %s", (description,))[0][0] > 0)

    # 11-15. A temporary function that prints every row it is given sees only own rows,
    # directly, through a subquery, a CTE, a join and EXPLAIN ANALYZE.
    peek_sql = """CREATE OR REPLACE FUNCTION pg_temp.peek(value text) RETURNS boolean
                  LANGUAGE plpgsql COST 0.0001 AS $$
                  BEGIN RAISE NOTICE '%', value; RETURN true; END $$"""
    check(f"{tag} 11 the login may create a temporary function (TEMP is kept)",
          sqlstate_of(conn, peek_sql) is None)
    rows(internal, peek_sql)
    notice_texts(conn)
    notice_texts(internal)
    leaks = []
    for view in client_views:
        returned = {r[0] for r in rows(conn, f"SELECT v::text FROM uhc_reporting_client.{view} v")}
        rows(conn, f"SELECT v::text FROM uhc_reporting_client.{view} v WHERE pg_temp.peek(v::text)")
        seen = set(notice_texts(conn))
        if not seen <= returned:
            leaks.append(view)
    check(f"{tag} 11 leaky temp function in WHERE over every client view ({len(client_views)})",
          leaks == [], f"leaking views: {leaks}")
    own_texts = {r[0] for r in rows(conn, "SELECT v::text FROM uhc_reporting_client.procedure_export v")}
    shapes = {
        "12 through a subquery":
            "SELECT s.* FROM (SELECT v::text AS t FROM uhc_reporting_client.procedure_export v) s "
            "WHERE pg_temp.peek(s.t)",
        "13 through a CTE":
            "WITH c AS MATERIALIZED (SELECT v::text AS t FROM uhc_reporting_client.procedure_export v) "
            "SELECT * FROM c WHERE pg_temp.peek(c.t)",
        "14 through a join":
            "SELECT 1 FROM uhc_reporting_client.procedure_export v "
            "JOIN uhc_reporting_client.procedure_group_volume g USING (procedure_group) "
            "WHERE pg_temp.peek(v::text)",
        "15 through EXPLAIN ANALYZE":
            "EXPLAIN ANALYZE SELECT 1 FROM uhc_reporting_client.procedure_export v "
            "WHERE pg_temp.peek(v::text)",
    }
    for label, sql in shapes.items():
        rows(conn, sql)
        seen = set(notice_texts(conn))
        check(f"{tag} {label}: the temp function sees only own rows",
              seen and seen <= own_texts, f"{len(seen - own_texts)} foreign rows seen")
    rows(internal, f"SELECT 1 FROM {INTERNAL_EXPORT} v WHERE pg_temp.peek(v::text)")
    check(f"{tag} 11 control: for internal the same function sees other clients' rows",
          len(set(notice_texts(internal)) - own_texts) > 0)

    # 16. A cast that would fail on another client's value and echo it.
    cast_sql = ("SELECT count(*) FROM uhc_reporting_client.procedure_export "
                "WHERE CASE WHEN payer_name = %s THEN payer_name::integer ELSE 0 END = 0")
    try:
        counted = rows(conn, cast_sql, (PAYERS[other(code)],))[0][0]
    except psycopg2.Error as error:
        counted = error.pgcode
    check(f"{tag} 16 cast of another client's value never runs", counted == len(own), f"{counted}")
    internal_cast_sql = cast_sql.replace("uhc_reporting_client.procedure_export",
                                         f"{INTERNAL_EXPORT} e")
    check(f"{tag} 16 control: for internal the cast fails with 22P02",
          sqlstate_of(internal, internal_cast_sql, (PAYERS[other(code)],)) == INVALID_TEXT_REPRESENTATION)

    # 17. Optimizer statistics.
    check(f"{tag} 17 pg_stats shows nothing of the extension's tables",
          rows(conn, "SELECT count(*) FROM pg_stats WHERE schemaname LIKE 'uhc\\_reporting%%'")[0][0] == 0)
    check(f"{tag} 17 control: internal sees statistics",
          rows(internal, "SELECT count(*) FROM pg_stats WHERE schemaname = 'uhc_reporting'")[0][0] > 0)
    denied(f"{tag} 18 select pg_statistic", conn, "SELECT count(*) FROM pg_statistic")
    check(f"{tag} 18 control: the superuser reads pg_statistic",
          sqlstate_of(admin_db, "SELECT count(*) FROM pg_statistic") is None)

    # 19-21. Settings the views read.
    outside_before = sorted(rows(conn, "SELECT * FROM uhc_reporting_client.outside_care_monthly"), key=str)
    rows(conn, "SET uhc_reporting.small_cell_threshold = '1'")
    rows(conn, "SET uhc_reporting.default_group = 'x'")
    outside_after = sorted(rows(conn, "SELECT * FROM uhc_reporting_client.outside_care_monthly"), key=str)
    rows(conn, "RESET ALL")
    check(f"{tag} 19 SET of placeholder settings changes nothing", outside_after == outside_before)
    check(f"{tag} 19 some outside cells are suppressed",
          any(r[6] or r[7] or r[8] for r in outside_before))
    denied(f"{tag} 20 update the suppression threshold", conn,
           "UPDATE uhc_reporting.settings SET value = '1' WHERE name = 'small_cell_threshold'")
    check(f"{tag} 20 control: the superuser may update it", rolled_back_sqlstate(
        admin_db, "UPDATE uhc_reporting.settings SET value = '1' WHERE name = 'small_cell_threshold'") is None)
    rows(conn, "SET row_security = off")
    state = sqlstate_of(conn, "SELECT count(*) FROM uhc_reporting_client.procedure_export")
    rows(conn, "RESET row_security")
    check(f"{tag} 21 row_security = off fails instead of showing rows", state == INSUFFICIENT_PRIVILEGE,
          f"SQLSTATE {state}")
    # The library is never loaded in a client session, so this SET only creates a
    # placeholder: the client can neither load the library nor call a native function.
    rows(conn, "SET uhc_reporting.key_file = '/dev/null'")
    denied(f"{tag} 21 load the library after setting the key file", conn, "LOAD 'uhc_reporting'")
    check(f"{tag} 21 a key file placeholder changes no row", own_export(conn) == own)
    rows(conn, "RESET ALL")
    check(f"{tag} 21 statement_timeout defaults to 5min",
          rows(conn, "SHOW statement_timeout")[0][0] == "5min")
    check(f"{tag} 21 control: internal has no statement timeout",
          rows(internal, "SHOW statement_timeout")[0][0] == "0")

    # 22. Internal functions.
    for call in ("uhc_reporting.refresh()", "uhc_reporting.key_fingerprint()",
                 "uhc_reporting.pseudonym('UHC', gen_random_uuid())", "uhc_reporting.setting('default_group')",
                 "uhc_reporting.classify('x', '1')", "uhc_reporting.list_clients()",
                 "uhc_reporting.create_client('EVIL', 'Evil', ARRAY['Aetna'])",
                 "uhc_reporting.security_lint()", "uhc_reporting.drop_orphan_client_roles()"):
        denied(f"{tag} 22 call {call.split('(')[0]}", conn, f"SELECT {call}")
    check(f"{tag} 22 control: internal computes a pseudonym", sqlstate_of(
        internal, "SELECT uhc_reporting.pseudonym('UHC', gen_random_uuid())") is None)

    # 23. Temporary objects that shadow extension objects through search_path.
    rows(conn, "CREATE TEMP TABLE settings (name text, value text)")
    rows(conn, "INSERT INTO settings VALUES ('small_cell_threshold', '1')")
    rows(conn, "CREATE TEMP TABLE client_procedure_rows AS SELECT * FROM uhc_reporting_client.procedure_export")
    rows(conn, "CREATE TEMP TABLE clients (client_id int, group_role name)")
    rows(conn, "SET search_path = pg_temp, uhc_reporting, uhc_reporting_client, public")
    shadowed = rows(conn, "SELECT value FROM settings")
    outside_shadowed = sorted(rows(conn, "SELECT * FROM uhc_reporting_client.outside_care_monthly"), key=str)
    export_shadowed = own_export(conn)
    rows(conn, "RESET search_path")
    rows(conn, "DROP TABLE pg_temp.settings, pg_temp.client_procedure_rows, pg_temp.clients")
    check(f"{tag} 23 control: the temp table does shadow settings", shadowed == [("1",)])
    check(f"{tag} 23 shadowing leaves suppression and rows unchanged",
          outside_shadowed == outside_before and export_shadowed == own)

    # 24-25. Prepared statements and cursors.
    rows(conn, f"PREPARE atk_export AS {EXPORT_SQL}")
    check(f"{tag} 24 prepared statement returns exactly the own rows",
          sorted(rows(conn, "EXECUTE atk_export")) == own)
    rows(conn, "DEALLOCATE atk_export")
    rows(internal, f"PREPARE atk_export AS {INTERNAL_EXPORT_SQL}")
    check(f"{tag} 24 control: internal's prepared statement returns more",
          len(rows(internal, "EXECUTE atk_export")) > len(own))
    rows(internal, "DEALLOCATE atk_export")
    rows(conn, f"DECLARE atk_cursor CURSOR WITH HOLD FOR {EXPORT_SQL}")
    check(f"{tag} 25 cursor returns exactly the own rows",
          sorted(rows(conn, "FETCH ALL FROM atk_cursor")) == own)
    rows(conn, "CLOSE atk_cursor")

    # 26-28. Roles.
    other_group = rows(admin_db, "SELECT group_role FROM uhc_reporting.clients WHERE client_code = %s",
                       (other(code),))[0][0]
    own_group = rows(admin_db, "SELECT group_role FROM uhc_reporting.clients WHERE client_code = %s",
                     (code,))[0][0]
    denied(f"{tag} 26 set role to the other client's group role", conn, f"SET ROLE {other_group}")
    denied(f"{tag} 26 set role to the other client's login", conn, f"SET ROLE {LOGINS[other(code)]}")
    for role in ("uhc_reporting_internal", "uhc_reporting_owner", "uhc_reporting_loader",
                 "uhc_reporting_admin", "uhc_reporting_role_manager"):
        denied(f"{tag} 26 set role {role}", conn, f"SET ROLE {role}")
    denied(f"{tag} 26 set session authorization", conn, f"SET SESSION AUTHORIZATION {SUPERUSER}")
    check(f"{tag} 26 control: the internal login may set role uhc_reporting_internal",
          sqlstate_of(internal, "SET ROLE uhc_reporting_internal; RESET ROLE") is None)
    denied(f"{tag} 27 grant itself the other client's group role", conn,
           f"GRANT {other_group} TO {LOGINS[code]}")
    denied(f"{tag} 27 grant its own group role to the other login", conn,
           f"GRANT {own_group} TO {LOGINS[other(code)]}")
    denied(f"{tag} 27 grant itself uhc_reporting_internal", conn,
           f"GRANT uhc_reporting_internal TO {LOGINS[code]}")
    check(f"{tag} 27 control: the superuser may grant it",
          rolled_back_sqlstate(admin_db, f"GRANT {other_group} TO {LOGINS[code]}") is None)

    # 28. Key file and server files.
    denied(f"{tag} 28 read the key file", conn, f"SELECT pg_read_file('{KEY_FILE}')")
    denied(f"{tag} 28 import the key file as a large object", conn, f"SELECT lo_import('{KEY_FILE}')")
    denied(f"{tag} 28 list the server's data directory", conn, "SELECT pg_ls_dir('.')")
    check(f"{tag} 28 control: the superuser reads the key file", sqlstate_of(
        admin_db, f"SELECT length(pg_read_file('{KEY_FILE}')) > 0") is None)

    # 29. Catalog text names no client.
    terms = [t.lower() for t in (code, PAYERS[code], other(code), PAYERS[other(code)])]
    catalog_text = rows(conn, """
        SELECT string_agg(t, ' ') FROM (
            SELECT rolname::text AS t FROM pg_roles
            UNION ALL SELECT concat_ws(' ', policyname, qual, with_check) FROM pg_policies
            UNION ALL SELECT definition FROM pg_views WHERE schemaname LIKE 'uhc\\_reporting%%'
            UNION ALL SELECT prosrc FROM pg_proc
                       WHERE pronamespace::regnamespace::text LIKE 'uhc\\_reporting%%'
                         AND prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
            UNION ALL SELECT description FROM pg_description WHERE objoid >= 16384
            UNION ALL SELECT relname::text FROM pg_class WHERE oid >= 16384
            UNION ALL SELECT nspname::text FROM pg_namespace) s""")[0][0]
    # The extension's own name, also as an escaped LIKE pattern, names no client.
    normalized = re.sub(r"uhc\\?_reporting", " ", catalog_text, flags=re.I).replace("_", " ").lower()
    named = [t for t in terms if re.search(r"\b" + re.escape(t) + r"\b", normalized)]
    check(f"{tag} 29 readable catalog text names no client or payer", named == [], f"named: {named}")
    registry = " ".join(str(v) for r in rows(admin, "SELECT * FROM uhc_reporting.list_clients()") for v in r)
    check(f"{tag} 29 control: the admin's registry names them",
          all(re.search(re.escape(t), registry.lower()) for t in terms))

    # 30. Registry, audit trail and rules.
    for table in ("clients", "client_payers", "client_audit", "procedure_rules", "procedure_groups",
                  "settings"):
        denied(f"{tag} 30 read {table}", conn, f"SELECT * FROM uhc_reporting.{table}")
    check(f"{tag} 30 control: the admin reads the audit trail",
          rows(admin, "SELECT count(*) FROM uhc_reporting.client_audit")[0][0] > 0)

    # 31. Every readable column and value is free of direct identifiers.
    columns = rows(conn, """
        SELECT c.relnamespace::regnamespace::text, c.relname, a.attname
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.oid >= 16384
           AND c.relnamespace::regnamespace::text !~ '^pg_(toast_)?temp'
           AND has_column_privilege(c.oid, a.attnum, 'SELECT')""")
    outside_views = sorted({f"{s}.{r}" for s, r, _ in columns if s != "uhc_reporting_client"})
    pii_columns = sorted(f"{r}.{a}" for _, r, a in columns if PII_COLUMN_RE.search(a))
    check(f"{tag} 31 readable columns are all in client views", outside_views == [], f"{outside_views}")
    check(f"{tag} 31 no readable column is an identifier", pii_columns == [], f"{pii_columns}")
    identifier_cells = 0
    for view in client_views:
        for row in rows(conn, f"SELECT v::text FROM uhc_reporting_client.{view} v"):
            if UUID_RE.search(row[0]) or SSN_RE.search(row[0]):
                identifier_cells += 1
    check(f"{tag} 31 no view value looks like a UUID or SSN", identifier_cells == 0,
          f"{identifier_cells} rows")

    # 32. A revoked login with a held prepared statement reads nothing more.
    second = connect(SECOND_LOGIN[code])
    rows(second, f"PREPARE held AS {EXPORT_SQL}")
    before = sorted(rows(second, "EXECUTE held"))
    rows(admin, "SELECT uhc_reporting.revoke_client_access(%s, %s)", (code, SECOND_LOGIN[code]))
    after_revoke = sqlstate_of(second, "EXECUTE held")
    cursor_after = sqlstate_of(second, f"DECLARE late CURSOR WITH HOLD FOR {EXPORT_SQL}")
    rows(admin, "SELECT uhc_reporting.grant_client_access(%s, %s)", (code, SECOND_LOGIN[code]))
    second.close()
    check(f"{tag} 32 control: before revocation the prepared statement returns own rows", before == own)
    check(f"{tag} 32 after revocation the held prepared statement fails with 42501",
          after_revoke == INSUFFICIENT_PRIVILEGE, f"SQLSTATE {after_revoke}")
    check(f"{tag} 32 after revocation a new cursor fails with 42501",
          cursor_after == INSUFFICIENT_PRIVILEGE, f"SQLSTATE {cursor_after}")

    conn.close()


def run_admin_attacks():
    print("--- attacks as the admin login")
    denied("33 admin grants itself pg_read_server_files", admin,
           f"GRANT pg_read_server_files TO {ADMIN_LOGIN}")
    denied("33 admin grants itself CREATEROLE", admin, f"ALTER ROLE {ADMIN_LOGIN} CREATEROLE")
    denied("33 admin sets role to the role manager", admin, "SET ROLE uhc_reporting_role_manager")
    denied("33 admin reads the key file", admin, f"SELECT pg_read_file('{KEY_FILE}')")
    check("33 control: the superuser may grant pg_read_server_files", rolled_back_sqlstate(
        admin_db, f"GRANT pg_read_server_files TO {ADMIN_LOGIN}") is None)


def check_suppression():
    """outside_care_monthly against cells computed from the source tables here, at the
    default threshold and at 3, where the small sample has cells on both sides."""
    print("--- small-cell suppression")
    threshold = int(rows(admin_db, "SELECT value FROM uhc_reporting.settings "
                                   "WHERE name = 'small_cell_threshold'")[0][0])
    check("34 default threshold is 11", threshold == 11)
    check_suppression_at(11)
    rows(admin_db, "UPDATE uhc_reporting.settings SET value = '3' WHERE name = 'small_cell_threshold'")
    try:
        check_suppression_at(3)
    finally:
        rows(admin_db, "UPDATE uhc_reporting.settings SET value = '11' WHERE name = 'small_cell_threshold'")
    check("34 a threshold that is not a positive integer is rejected", sqlstate_of(
        admin_db, "UPDATE uhc_reporting.settings SET value = '0' WHERE name = 'small_cell_threshold'")
        == psycopg2.errorcodes.CHECK_VIOLATION)


def check_suppression_at(threshold):
    for code, payer in PAYERS.items():
        cells = rows(admin_db, """
            WITH payer_ids AS (
                SELECT dataset_id, id FROM uhc_reporting.payers WHERE lower(name) = lower(%(p)s)
            ), members AS (
                SELECT e.dataset_id, e.patient FROM uhc_reporting.encounters e
                  JOIN payer_ids p ON p.dataset_id = e.dataset_id AND p.id = e.payer
                UNION
                SELECT t.dataset_id, t.patient FROM uhc_reporting.payer_transitions t
                  JOIN payer_ids p ON p.dataset_id = t.dataset_id AND p.id = t.payer
            )
            SELECT date_trunc('month', pr.start AT TIME ZONE 'UTC')::date, g.procedure_group,
                   CASE WHEN py.name = 'NO_INSURANCE' THEN 'uninsured' ELSE 'other payer' END,
                   count(*), count(DISTINCT pr.encounter), count(DISTINCT pr.patient)
              FROM uhc_reporting.procedures pr
              JOIN members m ON m.dataset_id = pr.dataset_id AND m.patient = pr.patient
              JOIN uhc_reporting.encounters e ON e.dataset_id = pr.dataset_id AND e.id = pr.encounter
              JOIN uhc_reporting.payers py ON py.dataset_id = e.dataset_id AND py.id = e.payer
              JOIN uhc_reporting.procedure_classification g ON g.procedure_id = pr.procedure_id
             WHERE NOT EXISTS (SELECT 1 FROM payer_ids p WHERE p.dataset_id = e.dataset_id AND p.id = e.payer)
             GROUP BY 1, 2, 3""", {"p": payer})

        def suppress(n):
            return (None, True) if 1 <= n < threshold else (n, False)

        expected = sorted(
            (month, group, coverage, suppress(p)[0], suppress(e)[0], suppress(n)[0],
             suppress(p)[1], suppress(e)[1], suppress(n)[1])
            for month, group, coverage, p, e, n in cells)
        conn = connect(LOGINS[code])
        shown = sorted(rows(conn, """
            SELECT month, procedure_group, coverage, procedures, encounters, patients,
                   procedures_suppressed, encounters_suppressed, patients_suppressed
              FROM uhc_reporting_client.outside_care_monthly"""), key=str)
        check(f"[{code}] 34 outside_care_monthly equals the suppressed cells (threshold {threshold})",
              shown == sorted(expected, key=str), f"{len(shown)} rows, expected {len(expected)}")
        if threshold == 3:
            check(f"[{code}] 34 both suppressed and shown cells occur (threshold 3)",
                  any(r[6] for r in expected) and any(not r[6] for r in expected))
        conn.close()


def check_lint():
    print("--- security lint")
    problems = rows(admin_db, "SELECT * FROM uhc_reporting.security_lint()")
    check("35 security_lint() reports nothing", problems == [], f"{problems}")
    # The lint must report problems planted in a transaction that is rolled back.
    conn = admin_db
    conn.autocommit = False
    try:
        rows(conn, "GRANT SELECT ON uhc_reporting.patients TO uhc_reporting_clients")
        rows(conn, "ALTER TABLE uhc_reporting.client_encounter_rows NO FORCE ROW LEVEL SECURITY")
        rows(conn, f"COMMENT ON ROLE {LOGINS['UNH']} IS 'UnitedHealthcare analyst'")
        rows(conn, "CREATE INDEX atk_probe_idx ON uhc_reporting.client_procedure_rows (procedure_description)")
        planted = {r[0] for r in rows(conn, "SELECT * FROM uhc_reporting.security_lint()")}
    finally:
        conn.rollback()
        conn.autocommit = True
    check("35 lint control: planted problems are reported",
          {"client_read_outside_views", "client_table_rls", "catalog_names_client",
           "client_view_owner", "client_table_index"} <= planted, f"{sorted(planted)}")


def check_server_log():
    """Check that the log contains no patient id, SSN or name of the sample, printing counts only."""
    print("--- server log")
    with open(os.path.join(SAMPLE_DIR, "patients.csv"), newline="") as f:
        patients = list(csv.DictReader(f))
    needles = set()
    for p in patients:
        needles.add(p["Id"].lower())
        needles.add(p["SSN"])
        for field in ("FIRST", "MIDDLE", "LAST"):
            if p.get(field):
                needles.add(p[field].lower())
    with open(SERVER_LOG, encoding="utf-8", errors="replace") as f:
        log = f.read().lower()
    found = sum(1 for n in needles if n and n in log)
    check(f"36 server log holds none of {len(needles)} patient ids, SSNs and names",
          found == 0, f"{found} of them found")


for client_code in PAYERS:
    run_client_attacks(client_code)
run_admin_attacks()
check_suppression()
check_lint()
check_server_log()

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
