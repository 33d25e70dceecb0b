#!/usr/bin/python3
"""Time the dashboard queries as a client role against one sequential scan of procedures.

Usage: dashboard_bench.py DBNAME SMALL_DATASET_DIR
Connection settings come from the libpq environment, as a superuser. The database must
hold a loaded dataset and the clients UHC and AETNA; see bench/dashboard_bench.sh.

Every figure is the median of 5 timed runs after one warm-up run, with
max_parallel_workers_per_gather = 0 and jit = off, measured on the client around
execute() and fetchall(). The baseline is SELECT count(*) FROM uhc_reporting.procedures
in the same session. RLS overhead compares the client role with a superuser (exempt
from policies) running the same query over the same tables with an explicit
client_id filter.
"""
import os
import statistics
import subprocess
import sys
import time

import psycopg2

DBNAME, SMALL_DIR = sys.argv[1], sys.argv[2]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGIN = "bench_dashboard_uhc"
EXPORT_ORDER = "ORDER BY procedure_description, procedure_date DESC, patient_pseudonym LIMIT 1000"

# label -> (query as the client, the same over the tables for a policy-exempt role).
CHART_QUERIES = {
    "KPI tiles": (
        "SELECT * FROM uhc_reporting_client.kpi_tiles",
        """SELECT (SELECT sum(encounters) FROM uhc_reporting.client_month_summary WHERE client_id = %(c)s),
                  (SELECT sum(procedures) FROM uhc_reporting.client_month_summary WHERE client_id = %(c)s),
                  (SELECT count(DISTINCT patient_pseudonym) FROM uhc_reporting.client_patient_summary
                    WHERE client_id = %(c)s),
                  (SELECT sum(total_base_cost) FROM uhc_reporting.client_month_summary WHERE client_id = %(c)s),
                  (SELECT count(*) FROM (SELECT 1 FROM uhc_reporting.client_patient_summary WHERE client_id = %(c)s
                    GROUP BY patient_pseudonym HAVING sum(encounters) >= 4) h),
                  (SELECT sum(procedures) FROM uhc_reporting.client_outside_summary
                    WHERE client_id = %(c)s AND coverage = 'uninsured'),
                  (SELECT sum(procedures) FROM uhc_reporting.client_outside_summary
                    WHERE client_id = %(c)s AND coverage = 'other payer')"""),
    "bar chart (procedure_group_volume)": (
        "SELECT * FROM uhc_reporting_client.procedure_group_volume",
        """SELECT procedure_group, sum(encounters), sum(procedures), sum(patients), sum(total_base_cost)
             FROM uhc_reporting.client_group_summary WHERE client_id = %(c)s GROUP BY 1"""),
    "bar chart, group and date filters (monthly_group_volume)": (
        """SELECT procedure_group, sum(procedures) FROM uhc_reporting_client.monthly_group_volume
            WHERE procedure_group IN ('Dental', 'Screening') AND month BETWEEN '2015-01-01' AND '2023-12-01'
            GROUP BY 1""",
        """SELECT procedure_group, sum(procedures) FROM uhc_reporting.client_month_group_summary
            WHERE client_id = %(c)s AND procedure_group IN ('Dental', 'Screening')
              AND month BETWEEN '2015-01-01' AND '2023-12-01' GROUP BY 1"""),
    "line chart (monthly_volume)": (
        "SELECT * FROM uhc_reporting_client.monthly_volume",
        """SELECT month, sum(encounters), sum(patients), sum(procedures), sum(total_base_cost)
             FROM uhc_reporting.client_month_summary WHERE client_id = %(c)s GROUP BY 1"""),
    "line chart (monthly_volume_last_12)": (
        "SELECT * FROM uhc_reporting_client.monthly_volume_last_12", None),
    "coverage filter (outside_care_monthly)": (
        """SELECT procedure_group, sum(procedures) FROM uhc_reporting_client.outside_care_monthly
            WHERE coverage = 'uninsured' AND month BETWEEN '2015-01-01' AND '2023-12-01' GROUP BY 1""",
        """SELECT procedure_group, sum(procedures) FROM uhc_reporting.client_outside_summary
            WHERE client_id = %(c)s AND coverage = 'uninsured'
              AND month BETWEEN '2015-01-01' AND '2023-12-01' GROUP BY 1"""),
}
EXPORT_FILTERS = {
    "no filter": "true",
    "procedure group": "procedure_group = 'Dental'",
    "date range": "procedure_date BETWEEN '2018-01-01' AND '2019-12-31'",
    "group and date range": "procedure_group = 'Dental' AND procedure_date BETWEEN '2018-01-01' AND '2019-12-31'",
}


def median_seconds(cur, sql, params=None, runs=5):
    cur.execute(sql, params)
    cur.fetchall()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        cur.execute(sql, params)
        cur.fetchall()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(cur, sql, params=None):
    start = time.perf_counter()
    cur.execute(sql, params)
    return time.perf_counter() - start


def main():
    conn = psycopg2.connect(dbname=DBNAME)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET jit = off")
    cur.execute("SELECT client_id FROM uhc_reporting.clients WHERE client_code = 'UHC'")
    client = cur.fetchone()[0]
    cur.execute(f"DROP ROLE IF EXISTS {LOGIN}")
    cur.execute(f"CREATE ROLE {LOGIN} LOGIN")
    cur.execute("SELECT uhc_reporting.grant_client_access('UHC', %s)", (LOGIN,))
    cur.execute("VACUUM ANALYZE")
    cur.execute("SELECT count(*) FROM uhc_reporting.procedures")
    procedures = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM uhc_reporting.encounters")
    encounters = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM uhc_reporting.client_procedure_rows WHERE client_id = %s", (client,))
    own = cur.fetchone()[0]
    print(f"data: {encounters} encounters, {procedures} procedures, {own} own procedures of UHC")

    scan = median_seconds(cur, "SELECT count(*) FROM uhc_reporting.procedures")
    print(f"baseline seq scan of procedures: {scan * 1000:.1f} ms")
    print("| query (as the client role) | ms | ratio to the scan | exempt role with WHERE, ms | RLS overhead |")
    print("|---|---:|---:|---:|---:|")
    for label, (client_sql, exempt_sql) in CHART_QUERIES.items():
        cur.execute(f"SET ROLE {LOGIN}")
        as_client = median_seconds(cur, client_sql)
        cur.execute("RESET ROLE")
        exempt = median_seconds(cur, exempt_sql, {"c": client}) if exempt_sql else None
        print(f"| {label} | {as_client * 1000:.2f} | {as_client / scan:.4f} | "
              + (f"{exempt * 1000:.2f} | {as_client / exempt:.2f}x |" if exempt else "| |"))
    for label, condition in EXPORT_FILTERS.items():
        cur.execute(f"SET ROLE {LOGIN}")
        as_client = median_seconds(cur, f"SELECT * FROM uhc_reporting_client.procedure_export "
                                        f"WHERE {condition} {EXPORT_ORDER}")
        cur.execute("RESET ROLE")
        exempt = median_seconds(cur, f"SELECT procedure_group, procedure_code, procedure_description, base_cost, "
                                     f"procedure_date, procedure_month, organization_name, payer_name, "
                                     f"patient_pseudonym FROM uhc_reporting.client_procedure_rows "
                                     f"WHERE client_id = %(c)s AND {condition} {EXPORT_ORDER}", {"c": client})
        print(f"| export first page, {label} | {as_client * 1000:.2f} | {as_client / scan:.4f} | "
              f"{exempt * 1000:.2f} | {as_client / exempt:.2f}x |")

    # Refresh of the summaries: all datasets against one dataset with 1% of the rows.
    full = [timed(cur, "SELECT uhc_reporting.refresh_summaries(NULL)") for _ in range(3)]
    subprocess.run([os.path.join(REPO, "tools", "uhc-load"), "--quiet", "--dbname", DBNAME,
                    "--dataset", "bench-small", SMALL_DIR], check=True, stdout=subprocess.DEVNULL)
    cur.execute("SELECT dataset_id FROM uhc_reporting.datasets WHERE dataset_name = 'bench-small'")
    small = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM uhc_reporting.procedures WHERE dataset_id = %s", (small,))
    small_rows = cur.fetchone()[0]
    one = [timed(cur, "SELECT uhc_reporting.refresh_summaries(%s)", (small,)) for _ in range(3)]
    print(f"refresh_summaries(NULL), all datasets: median {statistics.median(full):.2f} s of 3")
    print(f"refresh_summaries(dataset) with {small_rows} procedures "
          f"({100.0 * small_rows / procedures:.2f}% of the rows): median {statistics.median(one):.3f} s of 3, "
          f"ratio {statistics.median(one) / statistics.median(full):.4f}")
    cur.execute("DELETE FROM uhc_reporting.datasets WHERE dataset_id = %s", (small,))
    cur.execute("SELECT uhc_reporting.refresh(%s)", (small,))
    cur.execute(f"DROP ROLE {LOGIN}")


if __name__ == "__main__":
    main()
