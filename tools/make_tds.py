#!/usr/bin/python3
"""Write tableau/uhc_reporting.tds from the catalog of a database with the extension.

The data source is a live PostgreSQL connection over the client reporting views, with
SSL required and no password stored. Its field names and types are read from the
catalog here, so regenerate the file after a view changes:

    tools/make_tds.py --dbname reporting > tableau/uhc_reporting.tds

tests/harness/tds_test.py checks the committed file against the catalog both ways.
"""
import argparse
import sys
import xml.etree.ElementTree as ET

import psycopg2

SCHEMA = "uhc_reporting_client"
CONNECTION_NAME = "postgres.uhc_reporting"
# Views for spreadsheets, not for Tableau: their values are deliberately not exact.
EXCLUDED_VIEWS = {"procedure_export_csv"}
# PostgreSQL type -> (Tableau local type, OLE DB remote type code, role).
TYPE_MAP = {
    "text": ("string", "129", "dimension"),
    "bigint": ("integer", "20", "measure"),
    "numeric": ("real", "131", "measure"),
    "date": ("date", "133", "dimension"),
    "boolean": ("boolean", "11", "dimension"),
}
# Logical tables related to procedure_export by shared keys. kpi_tiles has one row and
# relates to it by a constant, so that it can sit beside the others.
RELATIONSHIPS = [
    ("procedure_group_volume", [("procedure_group", "procedure_group")]),
    ("procedure_volume", [("procedure_code", "procedure_code")]),
    ("monthly_volume", [("procedure_month", "month")]),
    ("monthly_volume_last_12", [("procedure_month", "month")]),
    ("monthly_group_volume", [("procedure_month", "month"), ("procedure_group", "procedure_group")]),
    ("high_volume_patients", [("patient_pseudonym", "patient_pseudonym")]),
    ("outside_care_monthly", [("procedure_month", "month"), ("procedure_group", "procedure_group")]),
    ("kpi_tiles", []),
]


def read_catalog(cur):
    """Return {view: [(column, base type, precision, scale, comment)]} in column order."""
    cur.execute("""
        SELECT c.relname, a.attname, t.typname,
               information_schema._pg_numeric_precision(a.atttypid, a.atttypmod),
               information_schema._pg_numeric_scale(a.atttypid, a.atttypmod),
               col_description(c.oid, a.attnum)
          FROM pg_class c
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'v'
         ORDER BY c.relname, a.attnum""", (SCHEMA,))
    views = {}
    for view, column, base_type, precision, scale, comment in cur.fetchall():
        if view in EXCLUDED_VIEWS:
            continue
        type_name = {"int8": "bigint", "bool": "boolean"}.get(base_type, base_type)
        views.setdefault(view, []).append((column, type_name, precision, scale, comment or ""))
    return views


def local_names(views):
    """Name each field [column], or [column (view)] when an earlier view has the column."""
    names = {}
    seen = set()
    for view in ["procedure_export"] + sorted(v for v in views if v != "procedure_export"):
        for column, *_ in views[view]:
            names[(view, column)] = f"[{column}]" if column not in seen else f"[{column} ({view})]"
            seen.add(column)
    return names


def build(views, server, port, dbname, username):
    names = local_names(views)
    root = ET.Element("datasource", {"formatted-name": "uhc_reporting (live)", "inline": "true",
                                     "version": "18.1",
                                     "xmlns:user": "http://www.tableausoftware.com/xml/user"})
    federated = ET.SubElement(root, "connection", {"class": "federated"})
    named = ET.SubElement(ET.SubElement(federated, "named-connections"), "named-connection",
                          {"caption": server, "name": CONNECTION_NAME})
    # No password attribute: Tableau prompts for it at sign-in, or the publisher embeds
    # it on Tableau Server. sslmode=require refuses an unencrypted connection.
    ET.SubElement(named, "connection", {
        "class": "postgres", "server": server, "port": str(port), "dbname": dbname,
        "username": username, "authentication": "username-password", "sslmode": "require",
        "one-time-sql": "",
    })
    ordered = ["procedure_export"] + sorted(v for v in views if v != "procedure_export")
    collection = ET.SubElement(federated, "relation", {"type": "collection"})
    for view in ordered:
        ET.SubElement(collection, "relation", {"connection": CONNECTION_NAME, "name": view,
                                               "table": f"[{SCHEMA}].[{view}]", "type": "table"})

    records = ET.SubElement(federated, "metadata-records")
    for view in ordered:
        for ordinal, (column, type_name, precision, scale, _) in enumerate(views[view]):
            local_type, remote_type, _ = TYPE_MAP[type_name]
            record = ET.SubElement(records, "metadata-record", {"class": "column"})
            for tag, text in (("remote-name", column), ("remote-type", remote_type),
                              ("local-name", names[(view, column)]), ("parent-name", f"[{view}]"),
                              ("remote-alias", column), ("ordinal", str(ordinal)),
                              ("local-type", local_type), ("remote-type-name", type_name)):
                ET.SubElement(record, tag).text = text
            if type_name == "numeric":
                ET.SubElement(record, "precision").text = str(precision)
                ET.SubElement(record, "scale").text = str(scale)
            ET.SubElement(record, "contains-null").text = "true"

    for view in ordered:
        for column, type_name, _, _, comment in views[view]:
            local_type, _, role = TYPE_MAP[type_name]
            if role == "measure":
                field_type = "quantitative"
            elif local_type == "date":
                field_type = "ordinal"
            else:
                field_type = "nominal"
            element = ET.SubElement(root, "column", {
                "caption": column.replace("_", " ").capitalize(), "datatype": local_type,
                "name": names[(view, column)], "role": role, "type": field_type,
            })
            if comment:
                ET.SubElement(ET.SubElement(element, "desc"), "formatted-text").text = comment

    # Date hierarchy: month, then day, of a procedure. Tableau adds year and quarter
    # above a date field by itself.
    drill = ET.SubElement(ET.SubElement(root, "drill-paths"), "drill-path", {"name": "Procedure date"})
    for field in ("[procedure_month]", "[procedure_date]"):
        ET.SubElement(drill, "field").text = field

    # The dashboard filters, with every value selected: procedure group, date range and
    # coverage. They narrow what a worksheet shows and are no security boundary.
    group_filter = ET.SubElement(root, "filter", {"class": "categorical", "column": "[procedure_group]",
                                                  "filter-group": "2"})
    ET.SubElement(group_filter, "groupfilter", {"function": "level-members", "level": "[procedure_group]",
                                                "user:ui-enumeration": "all", "user:ui-marker": "enumerate"})
    ET.SubElement(root, "filter", {"class": "quantitative", "column": "[procedure_date]",
                                   "filter-group": "3", "included-values": "in-range"})
    coverage_filter = ET.SubElement(root, "filter", {"class": "categorical",
                                                     "column": names[("outside_care_monthly", "coverage")],
                                                     "filter-group": "4"})
    ET.SubElement(coverage_filter, "groupfilter", {"function": "level-members",
                                                   "level": names[("outside_care_monthly", "coverage")],
                                                   "user:ui-enumeration": "all", "user:ui-marker": "enumerate"})

    graph = ET.SubElement(root, "object-graph")
    objects = ET.SubElement(graph, "objects")
    for view in ordered:
        obj = ET.SubElement(objects, "object", {"caption": view, "id": f"{view}_id"})
        ET.SubElement(ET.SubElement(obj, "properties", {"context": ""}), "relation",
                      {"connection": CONNECTION_NAME, "name": view, "table": f"[{SCHEMA}].[{view}]",
                       "type": "table"})
    relationships = ET.SubElement(graph, "relationships")
    for view, keys in RELATIONSHIPS:
        relationship = ET.SubElement(relationships, "relationship")
        parent = relationship
        if len(keys) > 1:
            parent = ET.SubElement(relationship, "expression", {"op": "AND"})
        for left, right in keys or [(None, None)]:
            expression = ET.SubElement(parent, "expression", {"op": "="})
            left_op = names[("procedure_export", left)] if left else "1"
            right_op = names[(view, right)] if right else "1"
            ET.SubElement(expression, "expression", {"op": left_op})
            ET.SubElement(expression, "expression", {"op": right_op})
        ET.SubElement(relationship, "first-end-point", {"object-id": "procedure_export_id"})
        ET.SubElement(relationship, "second-end-point", {"object-id": f"{view}_id"})
    return root


def main():
    parser = argparse.ArgumentParser(description="Write the Tableau data source from the catalog.")
    parser.add_argument("--dbname", required=True, help="database to read the client views from")
    parser.add_argument("--server", default="reporting.example.org", help="host name written into the file")
    parser.add_argument("--port", type=int, default=5432, help="port written into the file")
    parser.add_argument("--target-dbname", default="reporting", help="database name written into the file")
    parser.add_argument("--username", default="tableau_svc_07", help="client login written into the file")
    args = parser.parse_args()

    conn = psycopg2.connect(dbname=args.dbname)
    views = read_catalog(conn.cursor())
    conn.close()
    missing = sorted(set(related_views()) - set(views))
    if missing:
        sys.exit(f"client views not found in database \"{args.dbname}\": {', '.join(missing)}")
    root = build(views, args.server, args.port, args.target_dbname, args.username)
    ET.indent(root)
    sys.stdout.write("<?xml version='1.0' encoding='utf-8' ?>\n")
    sys.stdout.write(ET.tostring(root, encoding="unicode"))
    sys.stdout.write("\n")


def related_views():
    return ["procedure_export"] + [view for view, _ in RELATIONSHIPS]


if __name__ == "__main__":
    main()
