#!/usr/bin/python3
"""Check tableau/uhc_reporting.tds against the catalog, in both directions.

Every relation and column the file names must exist in the client reporting views with
a matching type, and every client reporting view (except the spreadsheet export view)
and each of its columns must appear in the file. Also checks the connection settings,
the date hierarchy, the dashboard filters and the relationships. Prints
"N passed, N failed" and exits non-zero on any failure.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TDS = os.path.join(REPO, "tableau", "uhc_reporting.tds")
NOT_FOR_TABLEAU = {"procedure_export_csv"}
# format_type() of a catalog column -> Tableau local type.
LOCAL_TYPES = {"text": "string", "bigint": "integer", "date": "date", "boolean": "boolean"}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def equal(self, label, actual, expected):
        if actual == expected:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {label}\n  actual:   {actual}\n  expected: {expected}")


def expected_type(format_type):
    """Return (local type, precision, scale) that the file must give a catalog type."""
    match = re.fullmatch(r"numeric\((\d+),(\d+)\)", format_type)
    if match:
        return ("real", match.group(1), match.group(2))
    return (LOCAL_TYPES.get(format_type, "unmapped " + format_type), None, None)


def main():
    checks = Checks()
    conn = psycopg2.connect(dbname=sys.argv[1])
    cur = conn.cursor()
    cur.execute("""
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'uhc_reporting_client'::regnamespace AND c.relkind = 'v'""")
    catalog = {(view, column): expected_type(t) for view, column, t in cur.fetchall()
               if view not in NOT_FOR_TABLEAU}
    catalog_views = {view for view, _ in catalog}

    text = open(TDS, encoding="utf-8").read()
    root = ET.fromstring(text.encode("utf-8"))
    checks.equal("root element", root.tag, "datasource")

    connections = root.findall("./connection/named-connections/named-connection/connection")
    checks.equal("one named connection", len(connections), 1)
    attributes = connections[0].attrib
    checks.equal("connection class", attributes.get("class"), "postgres")
    checks.equal("sslmode", attributes.get("sslmode"), "require")
    checks.equal("federated (live) connection", root.find("./connection").get("class"), "federated")
    checks.equal("no extract element", root.find(".//extract"), None)
    checks.equal("no password attribute", [a for e in root.iter() for a in e.attrib if "password" in a.lower()], [])

    # Relations: the file names only client views, and all of them.
    tables = [r.get("table") for r in root.findall("./connection/relation[@type='collection']/relation")]
    named_views = set()
    for table in tables:
        match = re.fullmatch(r"\[uhc_reporting_client\]\.\[(\w+)\]", table or "")
        checks.equal(f"relation {table} is a client view", bool(match) and match.group(1) in catalog_views, True)
        if match:
            named_views.add(match.group(1))
    checks.equal("client views missing from the file", sorted(catalog_views - named_views), [])

    # Columns: each metadata record matches a catalog column and its type.
    in_file = {}
    local_names = set()
    for record in root.findall("./connection/metadata-records/metadata-record[@class='column']"):
        view = record.findtext("parent-name").strip("[]")
        column = record.findtext("remote-name")
        in_file[(view, column)] = (record.findtext("local-type"), record.findtext("precision"),
                                   record.findtext("scale"))
        local_names.add(record.findtext("local-name"))
    for key, value in sorted(in_file.items()):
        checks.equal(f"{key[0]}.{key[1]} type", value, catalog.get(key, "not in the catalog"))
    checks.equal("client view columns missing from the file", sorted(set(catalog) - set(in_file)), [])
    column_names = {c.get("name") for c in root.findall("./column")}
    checks.equal("every field has a column element", sorted(local_names - column_names), [])

    # Date hierarchy and dashboard filters refer to fields that exist, with the right type.
    drill_fields = [f.text for f in root.findall("./drill-paths/drill-path/field")]
    checks.equal("date hierarchy fields", drill_fields, ["[procedure_month]", "[procedure_date]"])
    for field in drill_fields:
        checks.equal(f"{field} is a date", field in local_names and
                     in_file[("procedure_export", field.strip("[]"))][0], "date")
    filters = {(f.get("class"), f.get("column")) for f in root.findall("./filter")}
    checks.equal("procedure group filter", ("categorical", "[procedure_group]") in filters, True)
    checks.equal("date range filter", ("quantitative", "[procedure_date]") in filters, True)
    coverage = [c for k, c in filters if c and c.startswith("[coverage")]
    checks.equal("coverage filter", len(coverage), 1)
    checks.equal("coverage filter field exists", coverage[0] in local_names if coverage else False, True)

    # Relationships join logical tables by fields that exist (or by a constant).
    for expression in root.findall("./object-graph/relationships/relationship//expression"):
        op = expression.get("op")
        if op.startswith("["):
            checks.equal(f"relationship field {op} exists", op in local_names, True)
    objects = {o.get("id") for o in root.findall("./object-graph/objects/object")}
    checks.equal("objects for every view", len(objects), len(catalog_views))

    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
