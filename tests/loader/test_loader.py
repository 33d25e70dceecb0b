#!/usr/bin/python3
"""Tests of tools/uhc-load against a database where the extension is installed.

Usage: test_loader.py HOST PORT DBNAME

Expected row counts and values come from the CSV files, read here with Python's csv
module, never from SQL over the loaded tables. UHC_TEST_SCALE=small shrinks the large
generated file from about 1M to about 20,000 procedure rows. UHC_LOADER_USER runs the
loader as that role (default: the current libpq user).
"""

import collections
import csv
import decimal
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOADER = os.path.join(REPO, "tools", "uhc-load")
GENERATOR = os.path.join(REPO, "tools", "synthea_sample.py")
CASES = os.path.join(REPO, "tests", "loader", "cases")
BASE = os.path.join(REPO, "tests", "loader", "base")
REAL_DATA = os.path.join(os.path.dirname(REPO), "shared", "data", "synthea")
TABLES = ("payers", "organizations", "patients", "encounters", "procedures", "payer_transitions")
CORPUS_DATASET = "loader-corpus"

# CSV headers whose values identify a person or are personal data. An error message must
# not repeat any of their values.
PII_HEADERS = {"ID", "PATIENT", "ENCOUNTER", "PAYER", "ORGANIZATION", "PROVIDER", "MEMBERID",
               "SECONDARY_PAYER", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT",
               "FIRST", "MIDDLE", "LAST", "MAIDEN", "ADDRESS", "BIRTHPLACE", "ZIP", "LAT",
               "LON", "OWNER_NAME", "OWNERNAME", "FIPS", "INCOME", "COUNTY"}
UUID_TEXT_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))

    def equal(self, name, actual, expected):
        self.check(name, actual == expected, "got %r, expected %r" % (actual, expected))


class Database:
    def __init__(self, host, port, dbname):
        self.host, self.port, self.dbname = host, port, dbname
        self.connection = psycopg2.connect(host=host, port=port, dbname=dbname)
        self.connection.autocommit = True

    def query(self, sql, args=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

    def value(self, sql, args=None):
        rows = self.query(sql, args)
        return rows[0][0] if rows else None

    def dataset_id(self, name):
        return self.value("SELECT dataset_id FROM uhc_reporting.datasets WHERE dataset_name = %s", (name,))

    def counts(self, name):
        dataset_id = self.dataset_id(name)
        return {table: self.value("SELECT count(*) FROM uhc_reporting.%s WHERE dataset_id = %%s" % table,
                                  (dataset_id,))
                for table in TABLES}

    def checksum(self, name):
        """Return an md5 per table over the dataset's rows in text form, ordered."""
        dataset_id = self.dataset_id(name)
        sums = {"datasets": self.value(
            "SELECT md5(t::text) FROM uhc_reporting.datasets t WHERE dataset_id = %s", (dataset_id,))}
        for table in TABLES:
            sums[table] = self.value(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                "FROM uhc_reporting.%s t WHERE dataset_id = %%s" % table, (dataset_id,))
        return sums

    def loader(self, folder, dataset):
        command = [LOADER, "--quiet", "--host", self.host, "--port", str(self.port),
                   "--dbname", self.dbname, "--dataset", dataset, folder]
        user = os.environ.get("UHC_LOADER_USER")
        if user:
            command[2:2] = ["--user", user]
        return subprocess.run(command, capture_output=True, text=True, errors="replace")


def read_csv(path):
    """Return (header, records) of a CSV file, decoded leniently for the PII scan."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def csv_counts(folder):
    return {table: len(read_csv(os.path.join(folder, table + ".csv"))[1]) for table in TABLES}


def pii_values(folder):
    values = set()
    for name in os.listdir(folder):
        if not name.endswith(".csv"):
            continue
        try:
            header, records = read_csv(os.path.join(folder, name))
        except csv.Error:
            continue
        columns = [i for i, h in enumerate(header) if h.strip().upper() in PII_HEADERS]
        for record in records:
            for i in columns:
                if i < len(record) and len(record[i]) >= 4:
                    values.add(record[i])
    return values


def check_no_pii(results, name, message, folder):
    results.check(name + ": message has no UUID", not UUID_TEXT_RE.search(message), message)
    leaked = [value for value in pii_values(folder) if value in message]
    results.check(name + ": message has no PII value", not leaked, "leaked %d values" % len(leaked))


def read_expected(path):
    outcome = None
    entries = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line:
                continue
            if outcome is None:
                outcome = line.strip()
                continue
            key, _, value = line.partition(": ")
            entries.append((key, value))
    return outcome, entries


def run_case(results, database, case, work):
    """Run one corpus case on top of a good load of the same dataset name."""
    folder = os.path.join(work, case)
    shutil.copytree(BASE, folder)
    outcome, entries = read_expected(os.path.join(CASES, case, "expected"))
    for name in os.listdir(os.path.join(CASES, case)):
        if name != "expected":
            shutil.copy(os.path.join(CASES, case, name), os.path.join(folder, name))
    for key, value in entries:
        if key == "remove":
            os.remove(os.path.join(folder, value))

    before_counts = database.counts(CORPUS_DATASET)
    before_sums = database.checksum(CORPUS_DATASET)
    result = database.loader(folder, CORPUS_DATASET)
    output = result.stdout + result.stderr

    if outcome == "error":
        results.check(case + ": exit status non-zero", result.returncode != 0, output)
        for key, value in entries:
            if key == "message":
                results.check(case + ": message", value in result.stderr,
                              "expected %r in %r" % (value, result.stderr))
        check_no_pii(results, case, output, folder)
        results.equal(case + ": counts unchanged", database.counts(CORPUS_DATASET), before_counts)
        results.equal(case + ": checksum unchanged", database.checksum(CORPUS_DATASET), before_sums)
        return

    results.check(case + ": exit status 0", result.returncode == 0, output)
    results.equal(case + ": counts", database.counts(CORPUS_DATASET), csv_counts(folder))
    dataset_id = database.dataset_id(CORPUS_DATASET)
    sql = None
    for key, value in entries:
        if key == "warning":
            results.check(case + ": warning", value in result.stderr, result.stderr)
        elif key == "sql":
            sql = value.replace("{dataset_id}", str(dataset_id))
        elif key == "want":
            results.equal(case + ": " + sql[:60], str(database.value(sql)), value)
    # Put the good load back for the next case.
    restore = database.loader(BASE, CORPUS_DATASET)
    results.check(case + ": restore base load", restore.returncode == 0, restore.stderr)


def money(text):
    return decimal.Decimal(text).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def check_folder_load(results, database, folder, dataset):
    """Load a folder and compare counts and a few values with the CSV files."""
    result = database.loader(folder, dataset)
    results.check(dataset + ": load exit status 0", result.returncode == 0, result.stderr)
    if result.returncode != 0:
        return
    results.equal(dataset + ": row counts", database.counts(dataset), csv_counts(folder))
    dataset_id = database.dataset_id(dataset)

    header, records = read_csv(os.path.join(folder, "procedures.csv"))
    cost = header.index("BASE_COST")
    expected_sum = sum((money(r[cost]) for r in records if r[cost]), decimal.Decimal("0.00"))
    actual_sum = database.value("SELECT coalesce(sum(base_cost), 0) FROM uhc_reporting.procedures "
                                "WHERE dataset_id = %s", (dataset_id,))
    results.equal(dataset + ": sum of procedure base_cost", actual_sum, expected_sum)

    if records:
        middle = len(records) // 2
        code, description = header.index("CODE"), header.index("DESCRIPTION")
        row = database.query("SELECT code, description FROM uhc_reporting.procedures "
                             "WHERE dataset_id = %s AND source_line = %s", (dataset_id, middle + 2))
        results.equal(dataset + ": procedure at middle line", row,
                      [(records[middle][code], records[middle][description] or None)])

    payer_header, payer_records = read_csv(os.path.join(folder, "payers.csv"))
    payer_names = {r[payer_header.index("Id")]: r[payer_header.index("NAME")] for r in payer_records}
    encounter_header, encounter_records = read_csv(os.path.join(folder, "encounters.csv"))
    payer_column = encounter_header.index("PAYER")
    expected_by_payer = collections.Counter(payer_names[r[payer_column]] for r in encounter_records)
    actual_by_payer = dict(database.query(
        "SELECT p.name, count(*) FROM uhc_reporting.encounters e JOIN uhc_reporting.payers p "
        "ON p.dataset_id = e.dataset_id AND p.id = e.payer WHERE e.dataset_id = %s GROUP BY p.name",
        (dataset_id,)))
    results.equal(dataset + ": encounters per payer name", actual_by_payer, dict(expected_by_payer))

    patient_header, patient_records = read_csv(os.path.join(folder, "patients.csv"))
    death = patient_header.index("DEATHDATE")
    results.equal(dataset + ": deceased patients",
                  database.value("SELECT count(deathdate) FROM uhc_reporting.patients WHERE dataset_id = %s",
                                 (dataset_id,)),
                  sum(1 for r in patient_records if r[death]))

    transition_header, transition_records = read_csv(os.path.join(folder, "payer_transitions.csv"))
    if "START_YEAR" in transition_header and len(transition_header) == 5 and transition_records:
        # 2.x bare years load as 1 January 00:00 UTC.
        year = transition_records[0][transition_header.index("START_YEAR")]
        actual = database.value(
            "SELECT to_char(start_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
            "FROM uhc_reporting.payer_transitions WHERE dataset_id = %s AND source_line = 2", (dataset_id,))
        results.equal(dataset + ": 2.x start year", actual, year + "-01-01 00:00:00")


def generate(layout, folder, patients=None, procedures=None, seed=11):
    command = [GENERATOR, "--layout", layout, "--seed", str(seed), "--out", folder]
    command += ["--procedures-target", str(procedures)] if procedures else ["--patients", str(patients)]
    subprocess.run(command, check=True, capture_output=True)


def read_header_line(path):
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\n")


def test_generator(results, database, work):
    """Generator output is deterministic and uses Synthea's header of each layout."""
    first = os.path.join(work, "generator-a")
    second = os.path.join(work, "generator-b")
    other_seed = os.path.join(work, "generator-c")
    generate("3.3", first, patients=15, seed=5)
    generate("3.3", second, patients=15, seed=5)
    generate("3.3", other_seed, patients=15, seed=6)
    for table in TABLES:
        name = table + ".csv"
        with open(os.path.join(first, name), "rb") as a, open(os.path.join(second, name), "rb") as b:
            results.check("generator: same seed, same " + name, a.read() == b.read())
    with open(os.path.join(first, "patients.csv"), "rb") as a, \
            open(os.path.join(other_seed, "patients.csv"), "rb") as c:
        results.check("generator: other seed, other patients", a.read() != c.read())

    # Expected headers: the real 2.7 and 3.1 exports, and for 3.3 the 3.1 header with
    # MIDDLE after FIRST and SYSTEM after ENCOUNTER.
    real = {"2.x": os.path.join(REAL_DATA, "synthea-2.7-mcode-115p"),
            "3.1": os.path.join(REAL_DATA, "synthea-3.1-unmc-111p")}
    if not all(os.path.isdir(folder) for folder in real.values()):
        results.check("generator: real data for header comparison", False, REAL_DATA)
        return
    for layout in ("2.x", "3.1", "3.3"):
        folder = os.path.join(work, "generator-" + layout)
        generate(layout, folder, patients=3)
        for table in TABLES:
            expected = read_header_line(os.path.join(real["2.x" if layout == "2.x" else "3.1"], table + ".csv"))
            if layout == "3.3" and table == "patients":
                expected = expected.replace(",FIRST,", ",FIRST,MIDDLE,")
            if layout == "3.3" and table == "procedures":
                expected = expected.replace(",ENCOUNTER,", ",ENCOUNTER,SYSTEM,")
            results.equal("generator: %s %s header" % (layout, table),
                          read_header_line(os.path.join(folder, table + ".csv")), expected)
        with open(os.path.join(folder, "procedures.csv"), "rb") as handle:
            content = handle.read()
        results.check("generator: %s has no CR or quote" % layout, b"\r" not in content and b'"' not in content)


def test_samples_and_real_data(results, database, work):
    for layout in ("2.x", "3.1", "3.3"):
        folder = os.path.join(work, "sample-" + layout)
        generate(layout, folder, patients=60)
        check_folder_load(results, database, folder, "test-sample-" + layout)
    expected_layouts = {"test-sample-2.x": "2.x", "test-sample-3.1": "3.0-3.2", "test-sample-3.3": "3.3+"}
    for dataset, layout in expected_layouts.items():
        results.equal(dataset + ": detected layout", database.value(
            "SELECT synthea_layout FROM uhc_reporting.datasets WHERE dataset_name = %s", (dataset,)), layout)

    if os.path.isdir(REAL_DATA):
        for name in sorted(os.listdir(REAL_DATA)):
            folder = os.path.join(REAL_DATA, name)
            if os.path.isdir(folder):
                check_folder_load(results, database, folder, "test-real-" + name)
    else:
        results.check("real data folder exists", False, REAL_DATA)


def test_reload_replaces(results, database, work):
    first = os.path.join(work, "reload-a")
    second = os.path.join(work, "reload-b")
    generate("3.1", first, patients=20, seed=21)
    generate("3.1", second, patients=35, seed=22)
    other_sums = database.checksum("test-sample-3.3")

    database.loader(first, "test-reload")
    first_id = database.dataset_id("test-reload")
    result = database.loader(second, "test-reload")
    results.check("reload: exit status 0", result.returncode == 0, result.stderr)
    results.equal("reload: counts are the second load's", database.counts("test-reload"), csv_counts(second))
    results.equal("reload: one dataset of that name", database.value(
        "SELECT count(*) FROM uhc_reporting.datasets WHERE dataset_name = 'test-reload'"), 1)
    results.equal("reload: no rows left of the first load", database.value(
        "SELECT count(*) FROM uhc_reporting.procedures WHERE dataset_id = %s", (first_id,)), 0)
    results.equal("reload: other dataset untouched", database.checksum("test-sample-3.3"), other_sums)
    results.equal("two datasets coexist: sample counts", database.counts("test-sample-3.3"),
                  csv_counts(os.path.join(work, "sample-3.3")))


def test_large_file_failing_last_row(results, database, work):
    """A load that fails on the last of about 1M procedure rows keeps nothing."""
    small = os.environ.get("UHC_TEST_SCALE") == "small"
    folder = os.path.join(work, "large")
    generate("3.1", folder, procedures=20000 if small else 1000000, seed=31)
    path = os.path.join(folder, "procedures.csv")
    with open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    fields = lines[-1].split(b",")
    fields[3] = b"dddddddd-1111-2222-3333-444444444444"     # ENCOUNTER of no encounter
    lines[-1] = b",".join(fields)
    with open(path, "wb") as handle:
        handle.write(b"\n".join(lines) + b"\n")

    database.loader(BASE, "test-large")
    before = database.checksum("test-large")
    result = database.loader(folder, "test-large")
    results.check("large file: exit status non-zero", result.returncode != 0, result.stderr)
    expected = "procedures.csv line %d, column ENCOUNTER: no row with this id in encounters.csv" % len(lines)
    results.check("large file: message names the last line", expected in result.stderr, result.stderr)
    results.equal("large file: previous load kept", database.checksum("test-large"), before)


def main(argv):
    if len(argv) != 4:
        print("usage: test_loader.py HOST PORT DBNAME", file=sys.stderr)
        return 2
    database = Database(argv[1], argv[2], argv[3])
    results = Results()
    work = tempfile.mkdtemp(prefix="uhc-loader-test-")
    try:
        base_load = database.loader(BASE, CORPUS_DATASET)
        results.check("corpus base load", base_load.returncode == 0, base_load.stderr)
        cases = sorted(os.listdir(CASES))
        results.check("corpus has at least 25 cases", len(cases) >= 25, str(len(cases)))
        for case in cases:
            try:
                run_case(results, database, case, work)
            except Exception:
                results.check(case, False, traceback.format_exc())
        for test in (test_generator, test_samples_and_real_data, test_reload_replaces, test_large_file_failing_last_row):
            try:
                test(results, database, work)
            except Exception:
                results.check(test.__name__, False, traceback.format_exc())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        # Remove every dataset these tests created, so that a rerun starts clean.
        database.query("DELETE FROM uhc_reporting.datasets WHERE dataset_name = %s "
                       "OR dataset_name LIKE 'test-%%' RETURNING 1", (CORPUS_DATASET,))
    print("%d passed, %d failed" % (results.passed, results.failed))
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
